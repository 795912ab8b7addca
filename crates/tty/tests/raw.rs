//! Non-canonical mode, input mapping, VMIN/VTIME reads and mode switches.

mod common;

use common::*;
use linux_raw_sys::general as raw;
use tty::termios::cc;
use tty::{LineDiscipline, ReadOutcome, ReadRequest, ReadStep, INPUT_CAPACITY};

const MS: u64 = 1_000_000;

#[test]
fn raw_mode_delivers_bytes_at_once_without_echo() {
    let mut ldisc = raw_mode();
    let fed = feed(&mut ldisc, b"a");
    assert!(fed.echo.is_empty());
    assert!(ldisc.readable());
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"a");
}

#[test]
fn raw_mode_passes_every_byte_through() {
    let mut ldisc = raw_mode();
    let all: Vec<u8> = (0..=255).collect();
    let fed = feed(&mut ldisc, &all);
    assert!(fed.signals.is_empty());
    assert_eq!(read(&mut ldisc, 512).unwrap(), all);
}

#[test]
fn carriage_return_becomes_newline_with_icrnl() {
    let mut ldisc = with_termios(|t| t.c_lflag &= !raw::ICANON);
    feed(&mut ldisc, b"\r");
    assert_eq!(read(&mut ldisc, 8).unwrap(), b"\n");
}

#[test]
fn igncr_drops_carriage_returns() {
    let mut ldisc = with_termios(|t| t.c_iflag |= raw::IGNCR);
    feed(&mut ldisc, b"a\rb\n");
    assert_eq!(read(&mut ldisc, 8).unwrap(), b"ab\n");
}

#[test]
fn inlcr_turns_newline_into_carriage_return() {
    let mut ldisc = with_termios(|t| {
        t.c_iflag |= raw::INLCR;
        t.c_lflag &= !raw::ICANON;
    });
    feed(&mut ldisc, b"\n");
    assert_eq!(read(&mut ldisc, 8).unwrap(), b"\r");
}

#[test]
fn istrip_clears_the_eighth_bit() {
    let mut ldisc = with_termios(|t| {
        t.c_iflag |= raw::ISTRIP;
        t.c_lflag &= !raw::ICANON;
    });
    feed(&mut ldisc, &[0xc1]);
    assert_eq!(read(&mut ldisc, 8).unwrap(), b"A");
}

#[test]
fn raw_input_is_bounded() {
    let mut ldisc = raw_mode();
    feed(&mut ldisc, &vec![b'z'; INPUT_CAPACITY * 2]);
    assert_eq!(ldisc.buffered_bytes(), INPUT_CAPACITY);
}

#[test]
fn leaving_canonical_mode_makes_a_partial_line_readable() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, b"par");
    assert!(!ldisc.readable());
    let mut termios = ldisc.termios();
    termios.c_lflag &= !raw::ICANON;
    ldisc.set_termios(termios);
    assert!(ldisc.readable());
    assert_eq!(read(&mut ldisc, 8).unwrap(), b"par");
}

#[test]
fn entering_canonical_mode_makes_pending_input_one_line() {
    let mut ldisc = raw_mode();
    feed(&mut ldisc, b"xy");
    ldisc.set_termios(tty::Termios::default());
    assert!(ldisc.readable());
    assert_eq!(read(&mut ldisc, 8).unwrap(), b"xy");
    assert_eq!(read(&mut ldisc, 8), Err(ReadOutcome::WouldBlock));
}

#[test]
fn flush_input_drops_everything() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, b"a\rb");
    ldisc.flush_input();
    assert_eq!(ldisc.buffered_bytes(), 0);
    assert!(!ldisc.readable());
}

fn raw_with(vmin: u8, vtime: u8) -> LineDiscipline {
    let mut ldisc = raw_mode();
    let mut termios = ldisc.termios();
    termios.c_cc[cc::VMIN] = vmin;
    termios.c_cc[cc::VTIME] = vtime;
    ldisc.set_termios(termios);
    ldisc
}

#[test]
fn vmin_zero_vtime_zero_returns_at_once() {
    let mut ldisc = raw_with(0, 0);
    let mut buf = [0; 8];
    let mut request = ReadRequest::new(&ldisc, buf.len(), 0);
    assert_eq!(request.step(&mut ldisc, &mut buf, 0), ReadStep::Done(0));
}

#[test]
fn vmin_waits_for_that_many_bytes() {
    let mut ldisc = raw_with(3, 0);
    let mut buf = [0; 8];
    let mut request = ReadRequest::new(&ldisc, buf.len(), 0);
    feed(&mut ldisc, b"ab");
    assert!(!ldisc.readable());
    assert_eq!(
        request.step(&mut ldisc, &mut buf, 0),
        ReadStep::Wait { deadline_ns: None }
    );
    assert_eq!(request.copied(), 2);
    feed(&mut ldisc, b"cd");
    assert_eq!(request.step(&mut ldisc, &mut buf, 0), ReadStep::Done(4));
    assert_eq!(&buf[..4], b"abcd");
}

#[test]
fn vmin_is_capped_by_the_buffer() {
    let mut ldisc = raw_with(10, 0);
    let mut buf = [0; 2];
    let mut request = ReadRequest::new(&ldisc, buf.len(), 0);
    feed(&mut ldisc, b"abc");
    assert_eq!(request.step(&mut ldisc, &mut buf, 0), ReadStep::Done(2));
}

#[test]
fn vtime_alone_times_out_the_first_byte() {
    let mut ldisc = raw_with(0, 5);
    let mut buf = [0; 8];
    let mut request = ReadRequest::new(&ldisc, buf.len(), 1_000);
    let deadline = 1_000 + 500 * MS;
    assert_eq!(
        request.step(&mut ldisc, &mut buf, 1_000),
        ReadStep::Wait {
            deadline_ns: Some(deadline)
        }
    );
    assert_eq!(
        request.step(&mut ldisc, &mut buf, deadline),
        ReadStep::Done(0)
    );
}

#[test]
fn vtime_alone_returns_the_first_byte() {
    let mut ldisc = raw_with(0, 5);
    let mut buf = [0; 8];
    let mut request = ReadRequest::new(&ldisc, buf.len(), 0);
    feed(&mut ldisc, b"k");
    assert_eq!(request.step(&mut ldisc, &mut buf, 10), ReadStep::Done(1));
}

#[test]
fn vmin_and_vtime_time_the_gap_between_bytes() {
    let mut ldisc = raw_with(4, 1);
    let mut buf = [0; 8];
    let mut request = ReadRequest::new(&ldisc, buf.len(), 0);
    assert_eq!(
        request.step(&mut ldisc, &mut buf, 0),
        ReadStep::Wait { deadline_ns: None }
    );

    feed(&mut ldisc, b"a");
    let first = ReadStep::Wait {
        deadline_ns: Some(50 * MS + 100 * MS),
    };
    assert_eq!(request.step(&mut ldisc, &mut buf, 50 * MS), first);
    feed(&mut ldisc, b"b");
    let second = ReadStep::Wait {
        deadline_ns: Some(120 * MS + 100 * MS),
    };
    assert_eq!(request.step(&mut ldisc, &mut buf, 120 * MS), second);
    assert_eq!(
        request.step(&mut ldisc, &mut buf, 220 * MS),
        ReadStep::Done(2)
    );
}

#[test]
fn poll_waits_for_vmin_bytes_when_vtime_is_zero() {
    let mut ldisc = raw_with(2, 0);
    feed(&mut ldisc, b"a");
    assert!(!ldisc.readable());
    feed(&mut ldisc, b"b");
    assert!(ldisc.readable());
}

#[test]
fn canonical_read_request_waits_for_a_line() {
    let mut ldisc = LineDiscipline::new();
    let mut buf = [0; 8];
    let mut request = ReadRequest::new(&ldisc, buf.len(), 0);
    feed(&mut ldisc, b"hi");
    assert_eq!(
        request.step(&mut ldisc, &mut buf, 0),
        ReadStep::Wait { deadline_ns: None }
    );
    feed(&mut ldisc, &[CTRL_D]);
    assert_eq!(request.step(&mut ldisc, &mut buf, 0), ReadStep::Done(2));
}

#[test]
fn an_empty_read_is_done_at_once() {
    let mut ldisc = LineDiscipline::new();
    let mut request = ReadRequest::new(&ldisc, 0, 0);
    assert_eq!(request.step(&mut ldisc, &mut [], 0), ReadStep::Done(0));
}
