//! Output processing and the termios/winsize layouts.

mod common;

use common::*;
use linux_raw_sys::general as raw;
use tty::termios::{cc, control, DEL as TERMIOS_DEL};
use tty::{LineDiscipline, Termios, Winsize, TERMIOS_SIZE};

fn output(ldisc: &mut LineDiscipline, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ldisc.process_output(data, &mut out);
    out
}

#[test]
fn onlcr_turns_newline_into_crlf() {
    let mut ldisc = LineDiscipline::new();
    assert_eq!(output(&mut ldisc, b"a\nb\n"), b"a\r\nb\r\n");
}

#[test]
fn without_opost_output_is_untouched() {
    let mut ldisc = raw_mode();
    assert_eq!(output(&mut ldisc, b"a\n\t"), b"a\n\t");
}

#[test]
fn ocrnl_and_onocr_handle_carriage_returns() {
    let mut ldisc = with_termios(|t| t.c_oflag |= raw::OCRNL);
    assert_eq!(output(&mut ldisc, b"\r"), b"\n");
    let mut ldisc = with_termios(|t| t.c_oflag |= raw::ONOCR);
    assert_eq!(output(&mut ldisc, b"\rab\r"), b"ab\r");
}

#[test]
fn xtabs_expands_tabs_to_the_next_stop() {
    let mut ldisc = with_termios(|t| t.c_oflag |= raw::XTABS);
    assert_eq!(output(&mut ldisc, b"ab\tc"), b"ab      c");
}

#[test]
fn olcuc_upper_cases_output() {
    let mut ldisc = with_termios(|t| t.c_oflag |= raw::OLCUC);
    assert_eq!(output(&mut ldisc, b"shout\n"), b"SHOUT\r\n");
}

#[test]
fn defaults_are_those_of_a_linux_console() {
    let termios = Termios::default();
    assert_eq!(termios.c_iflag, raw::ICRNL | raw::IXON);
    assert_eq!(termios.c_oflag, raw::OPOST | raw::ONLCR);
    assert_eq!(
        termios.c_cflag,
        raw::B38400 | raw::CS8 | raw::CREAD | raw::HUPCL
    );
    let lflag = raw::ISIG
        | raw::ICANON
        | raw::ECHO
        | raw::ECHOE
        | raw::ECHOK
        | raw::ECHOCTL
        | raw::ECHOKE
        | raw::IEXTEN;
    assert_eq!(termios.c_lflag, lflag);
    assert_eq!(termios.c_cc[cc::VINTR], control(b'C'));
    assert_eq!(termios.c_cc[cc::VQUIT], control(b'\\'));
    assert_eq!(termios.c_cc[cc::VERASE], TERMIOS_DEL);
    assert_eq!(termios.c_cc[cc::VKILL], CTRL_U);
    assert_eq!(termios.c_cc[cc::VEOF], CTRL_D);
    assert_eq!(termios.c_cc[cc::VMIN], 1);
    assert_eq!(termios.c_cc[cc::VTIME], 0);
    assert_eq!(termios.c_cc[cc::VSUSP], CTRL_Z);
    assert_eq!(termios.c_cc[cc::VWERASE], CTRL_W);
    assert_eq!(termios.c_cc[cc::VLNEXT], CTRL_V);
    assert_eq!(termios.c_cc[cc::VREPRINT], CTRL_R);
}

#[test]
fn termios_bytes_follow_the_kernel_layout() {
    let termios = Termios::default();
    let bytes = termios.to_bytes();
    assert_eq!(bytes.len(), TERMIOS_SIZE);
    assert_eq!(&bytes[0..4], &(raw::ICRNL | raw::IXON).to_ne_bytes());
    assert_eq!(bytes[16], 0);
    assert_eq!(bytes[17 + cc::VINTR], CTRL_C);
    assert_eq!(Termios::from_bytes(&bytes), termios);
}

#[test]
fn set_termios_keeps_the_line_discipline_number() {
    let mut ldisc = LineDiscipline::new();
    let mut termios = ldisc.termios();
    termios.c_line = 7;
    ldisc.set_termios(termios);
    assert_eq!(ldisc.termios().c_line, 0);
}

#[test]
fn window_size_defaults_to_24_by_80_and_round_trips() {
    let mut ldisc = LineDiscipline::new();
    assert_eq!((ldisc.winsize().rows, ldisc.winsize().cols), (24, 80));
    let size = Winsize {
        rows: 50,
        cols: 132,
        xpixel: 0,
        ypixel: 0,
    };
    assert!(ldisc.set_winsize(size));
    assert!(!ldisc.set_winsize(size));
    assert_eq!(Winsize::from_bytes(&size.to_bytes()), size);
    assert_eq!(&size.to_bytes()[..4], &[50, 0, 132, 0]);
}

#[test]
fn a_serial_console_has_its_speed_clocal_and_no_size() {
    let ldisc =
        LineDiscipline::with_settings(Termios::serial_console(raw::B115200), Winsize::UNKNOWN);
    let termios = ldisc.termios();
    assert_eq!(termios.c_cflag & raw::CBAUD, raw::B115200);
    assert!(termios.cflag(raw::CS8 | raw::CREAD | raw::HUPCL | raw::CLOCAL));
    assert_eq!(termios.c_lflag, Termios::default().c_lflag);
    assert_eq!(termios.c_cc, Termios::default().c_cc);
    assert_eq!(ldisc.winsize(), Winsize::UNKNOWN);
    assert_eq!(Winsize::UNKNOWN.to_bytes(), [0; 8]);
}
