//! Canonical mode: line assembly, editing, end of file and echo.

mod common;

use common::*;
use linux_raw_sys::general as raw;
use tty::{LineDiscipline, ReadOutcome, INPUT_CAPACITY};

#[test]
fn a_line_is_readable_only_once_complete() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, b"hello");
    assert_eq!(fed.echo, b"hello");
    assert!(!ldisc.readable());
    assert_eq!(read(&mut ldisc, 64), Err(ReadOutcome::WouldBlock));

    let fed = feed(&mut ldisc, b"\r");
    assert_eq!(fed.echo, b"\r\n");
    assert!(ldisc.readable());
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"hello\n");
    assert!(!ldisc.readable());
}

#[test]
fn a_read_returns_at_most_one_line() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, b"one\rtwo\r");
    assert_eq!(ldisc.pending_bytes(), 8);
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"one\n");
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"two\n");
}

#[test]
fn a_short_read_leaves_the_rest_of_the_line() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, b"abcdef\n");
    assert_eq!(read(&mut ldisc, 4).unwrap(), b"abcd");
    assert_eq!(read(&mut ldisc, 4).unwrap(), b"ef\n");
}

#[test]
fn pending_bytes_count_complete_lines_only() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, b"ab\ncd");
    assert_eq!(ldisc.pending_bytes(), 3);
    assert_eq!(ldisc.buffered_bytes(), 5);
}

#[test]
fn erase_removes_the_last_character() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[b'a', b'b', DEL, b'\r']);
    assert_eq!(fed.echo, b"ab\x08 \x08\r\n");
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"a\n");
}

#[test]
fn erase_at_the_start_of_a_line_does_nothing() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[DEL, DEL]);
    assert!(fed.echo.is_empty());
    assert_eq!(ldisc.buffered_bytes(), 0);
}

#[test]
fn erase_never_reaches_into_a_completed_line() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[b'x', b'\r', DEL, DEL]);
    assert_eq!(fed.echo, b"x\r\n");
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"x\n");
}

#[test]
fn erase_without_echoe_echoes_the_erase_character() {
    let mut ldisc = with_termios(|t| t.c_lflag &= !raw::ECHOE);
    let fed = feed(&mut ldisc, &[b'a', DEL]);
    assert_eq!(fed.echo, b"a^?");
    assert_eq!(ldisc.buffered_bytes(), 0);
}

#[test]
fn erasing_a_control_character_rubs_out_its_two_columns() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[0x01, DEL]);
    assert_eq!(fed.echo, b"^A\x08 \x08\x08 \x08");
}

#[test]
fn erasing_a_tab_moves_back_to_where_it_started() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[b'a', b'\t', b'b', DEL, DEL]);
    assert_eq!(fed.echo, b"a\tb\x08 \x08\x08\x08\x08\x08\x08\x08\x08");
    assert_eq!(ldisc.buffered_bytes(), 1);
}

#[test]
fn erase_takes_a_whole_utf8_character_with_iutf8() {
    let mut ldisc = with_termios(|t| t.c_iflag |= raw::IUTF8);
    let fed = feed(&mut ldisc, "aé".as_bytes());
    assert_eq!(fed.echo, "aé".as_bytes());
    let fed = feed(&mut ldisc, &[DEL, b'\r']);
    assert_eq!(fed.echo, b"\x08 \x08\r\n");
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"a\n");
}

#[test]
fn word_erase_removes_the_last_word_and_the_space_after_it() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, b"foo bar  ");
    assert_eq!(fed.echo, b"foo bar  ");
    let fed = feed(&mut ldisc, &[CTRL_W, b'\r']);
    assert_eq!(fed.echo, [&b"\x08 \x08".repeat(5)[..], b"\r\n"].concat());
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"foo \n");
}

#[test]
fn word_erase_stops_at_punctuation() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, &[b'a', b'-', b'b', b'_', b'c', CTRL_W, b'\n']);
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"a-\n");
}

#[test]
fn kill_erases_the_line_visually_with_echoke() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[b'a', b'b', b'c', CTRL_U]);
    assert_eq!(fed.echo, [&b"abc"[..], &b"\x08 \x08".repeat(3)].concat());
    assert_eq!(ldisc.buffered_bytes(), 0);
}

#[test]
fn kill_without_echoke_echoes_the_kill_character_and_a_newline() {
    let mut ldisc = with_termios(|t| t.c_lflag &= !raw::ECHOKE);
    let fed = feed(&mut ldisc, &[b'a', b'b', CTRL_U, b'c', b'\r']);
    assert_eq!(fed.echo, b"ab^U\r\nc\r\n");
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"c\n");
}

#[test]
fn eof_on_an_empty_line_reads_as_end_of_file() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[CTRL_D]);
    assert!(fed.echo.is_empty());
    assert!(ldisc.readable());
    assert_eq!(ldisc.pending_bytes(), 0);
    assert_eq!(read(&mut ldisc, 64), Err(ReadOutcome::Eof));
    assert_eq!(read(&mut ldisc, 64), Err(ReadOutcome::WouldBlock));
}

#[test]
fn eof_after_text_ends_the_line_without_a_delimiter() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, &[b'a', b'b', b'c', CTRL_D]);
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"abc");
    assert_eq!(read(&mut ldisc, 64), Err(ReadOutcome::WouldBlock));
}

#[test]
fn eof_mark_survives_a_read_exactly_as_long_as_the_line() {
    let mut ldisc = LineDiscipline::new();
    feed(&mut ldisc, &[b'a', b'b', b'c', CTRL_D]);
    assert_eq!(read(&mut ldisc, 3).unwrap(), b"abc");
    assert_eq!(read(&mut ldisc, 3), Err(ReadOutcome::Eof));
}

#[test]
fn literal_next_stores_a_special_character() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[CTRL_V, CTRL_C, CTRL_V, DEL, b'\r']);
    assert!(fed.signals.is_empty());
    assert_eq!(fed.echo, b"^\x08^C^\x08^?\r\n");
    assert_eq!(read(&mut ldisc, 64).unwrap(), [CTRL_C, DEL, b'\n']);
}

#[test]
fn reprint_echoes_the_line_again() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[b'a', b'b', CTRL_R]);
    assert_eq!(fed.echo, b"ab^R\r\nab");
    assert_eq!(ldisc.buffered_bytes(), 2);
}

#[test]
fn echoctl_shows_control_characters_as_caret_letters() {
    let mut ldisc = LineDiscipline::new();
    let fed = feed(&mut ldisc, &[0x01, 0x1b, b'\t']);
    assert_eq!(fed.echo, b"^A^[\t");
}

#[test]
fn without_echoctl_control_characters_echo_as_themselves() {
    let mut ldisc = with_termios(|t| t.c_lflag &= !raw::ECHOCTL);
    let fed = feed(&mut ldisc, &[0x01]);
    assert_eq!(fed.echo, [0x01]);
}

#[test]
fn without_echo_nothing_is_echoed_but_input_is_kept() {
    let mut ldisc = with_termios(|t| t.c_lflag &= !raw::ECHO);
    let fed = feed(&mut ldisc, b"secret\r");
    assert!(fed.echo.is_empty());
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"secret\n");
}

#[test]
fn echonl_echoes_newlines_even_without_echo() {
    let mut ldisc = with_termios(|t| t.c_lflag = (t.c_lflag & !raw::ECHO) | raw::ECHONL);
    let fed = feed(&mut ldisc, b"pw\r");
    assert_eq!(fed.echo, b"\r\n");
}

#[test]
fn eol_ends_a_line_and_is_kept() {
    let mut ldisc = with_termios(|t| t.c_cc[tty::termios::cc::VEOL] = b';');
    let fed = feed(&mut ldisc, b"ab;");
    assert_eq!(fed.echo, b"ab;");
    assert_eq!(read(&mut ldisc, 64).unwrap(), b"ab;");
}

#[test]
fn a_full_line_keeps_room_for_its_newline() {
    let mut ldisc = LineDiscipline::new();
    let long = vec![b'x'; INPUT_CAPACITY + 100];
    feed(&mut ldisc, &long);
    assert_eq!(ldisc.buffered_bytes(), INPUT_CAPACITY - 1);
    assert!(!ldisc.readable());

    feed(&mut ldisc, b"\r");
    assert_eq!(ldisc.buffered_bytes(), INPUT_CAPACITY);
    let line = read(&mut ldisc, 2 * INPUT_CAPACITY).unwrap();
    assert_eq!(line.len(), INPUT_CAPACITY);
    assert_eq!(line.last(), Some(&b'\n'));
}

#[test]
fn imaxbel_rings_when_the_line_is_full() {
    let mut ldisc = with_termios(|t| t.c_iflag |= raw::IMAXBEL);
    feed(&mut ldisc, &vec![b'x'; INPUT_CAPACITY - 1]);
    let fed = feed(&mut ldisc, b"y");
    assert_eq!(fed.echo, [0x07]);
}
