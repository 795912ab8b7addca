//! ISIG characters and flow control.

mod common;

use common::*;
use linux_raw_sys::general as raw;
use tty::{FlowAction, LineDiscipline, ReadOutcome};

#[test]
fn interrupt_asks_for_sigint_flushes_input_and_echoes() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, b"done\r");
    let fed = feed(&mut ldisc, &[b'a', b'b', CTRL_C]);
    assert_eq!(fed.signals, [raw::SIGINT]);
    assert_eq!(fed.echo, b"ab^C");
    assert_eq!(ldisc.buffered_bytes(), 0);
    assert_eq!(read(&mut ldisc, 64), Err(ReadOutcome::WouldBlock));
}

#[test]
fn quit_and_suspend_ask_for_their_signals() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[CTRL_BACKSLASH, CTRL_Z]);
    assert_eq!(fed.signals, [raw::SIGQUIT, raw::SIGTSTP]);
    assert_eq!(fed.echo, b"^\\^Z");
}

#[test]
fn noflsh_keeps_input_on_a_signal() {
    let mut ldisc = with_termios(|t| t.c_lflag |= raw::NOFLSH);
    let fed = feed(&mut ldisc, &[b'a', CTRL_C, b'\r']);
    assert_eq!(fed.signals, [raw::SIGINT]);
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"a\n");
}

#[test]
fn signal_characters_are_data_without_isig() {
    let mut ldisc = with_termios(|t| t.c_lflag &= !raw::ISIG);
    let fed = feed(&mut ldisc, &[CTRL_C, b'\r']);
    assert!(fed.signals.is_empty());
    assert_eq!(read(&mut ldisc, 64).unwrap(), [CTRL_C, b'\n']);
}

#[test]
fn a_disabled_control_character_is_ordinary() {
    let mut ldisc = with_termios(|t| t.c_cc[tty::termios::cc::VINTR] = tty::termios::DISABLED);
    let fed = feed(&mut ldisc, &[0, CTRL_C]);
    assert!(fed.signals.is_empty());
    assert_eq!(ldisc.buffered_bytes(), 2);
}

#[test]
fn signals_work_in_raw_mode_with_isig() {
    let mut ldisc = with_termios(|t| t.c_lflag &= !raw::ICANON);
    let fed = feed(&mut ldisc, &[CTRL_Z]);
    assert_eq!(fed.signals, [raw::SIGTSTP]);
}

#[test]
fn stop_and_start_characters_control_output_and_are_not_input() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, &[CTRL_S]);
    assert!(ldisc.is_output_stopped());
    feed(&mut ldisc, &[CTRL_Q]);
    assert!(!ldisc.is_output_stopped());
    assert_eq!(ldisc.buffered_bytes(), 0);
}

#[test]
fn ixany_restarts_output_on_any_character() {
    let mut ldisc = with_termios(|t| t.c_iflag |= raw::IXANY);
    feed(&mut ldisc, &[CTRL_S, b'x']);
    assert!(!ldisc.is_output_stopped());
    assert_eq!(ldisc.buffered_bytes(), 1);
}

#[test]
fn clearing_ixon_restarts_stopped_output() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, &[CTRL_S]);
    let mut termios = ldisc.termios();
    termios.c_iflag &= !raw::IXON;
    ldisc.set_termios(termios);
    assert!(!ldisc.is_output_stopped());
}

#[test]
fn tcxonc_suspends_and_resumes_output_and_sends_flow_characters() {
    let mut ldisc = LineDiscipline::new();
    assert_eq!(ldisc.flow_control(FlowAction::SuspendOutput), None);
    assert!(ldisc.is_output_stopped());
    ldisc.flow_control(FlowAction::ResumeOutput);
    assert!(!ldisc.is_output_stopped());
    assert_eq!(ldisc.flow_control(FlowAction::SendStop), Some(CTRL_S));
    assert_eq!(ldisc.flow_control(FlowAction::SendStart), Some(CTRL_Q));
}
