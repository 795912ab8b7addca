//! Output processing (OPOST and friends) and echoing, which goes through
//! the same processing.

use alloc::vec::Vec;

use linux_raw_sys::general as raw;

use crate::ldisc::LineDiscipline;

const BACKSPACE: u8 = 0x08;
const TAB_WIDTH: usize = 8;

/// An ASCII control character: shown as `^X` under ECHOCTL.
pub(crate) fn is_control(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

/// A byte that continues a UTF-8 sequence (`10xxxxxx`).
pub(crate) fn is_utf8_continuation(c: u8) -> bool {
    c & 0xc0 == 0x80
}

impl LineDiscipline {
    /// Converts bytes a program writes into what the device gets: with
    /// OPOST, ONLCR turns `\n` into `\r\n`, OCRNL `\r` into `\n`, ONOCR
    /// drops `\r` at column 0, OLCUC upper-cases and TAB3 expands tabs.
    /// Appends the result to `out`.
    pub fn process_output(&mut self, data: &[u8], out: &mut Vec<u8>) {
        out.reserve(data.len());
        for &byte in data {
            self.output_byte(byte, out);
        }
    }

    /// One byte of output or echo.
    pub(crate) fn output_byte(&mut self, c: u8, out: &mut Vec<u8>) {
        let oflag = |flags| self.termios.oflag(flags);
        if !oflag(raw::OPOST) {
            self.track_column(c);
            out.push(c);
            return;
        }
        match c {
            b'\n' => {
                if oflag(raw::ONLRET) {
                    self.column = 0;
                }
                if oflag(raw::ONLCR) {
                    self.column = 0;
                    self.line_start_column = 0;
                    out.extend_from_slice(b"\r\n");
                    return;
                }
                self.line_start_column = self.column;
                out.push(c);
            }
            b'\r' => {
                if oflag(raw::ONOCR) && self.column == 0 {
                    return;
                }
                if oflag(raw::OCRNL) {
                    if oflag(raw::ONLRET) {
                        self.column = 0;
                        self.line_start_column = 0;
                    }
                    out.push(b'\n');
                    return;
                }
                self.column = 0;
                self.line_start_column = 0;
                out.push(c);
            }
            b'\t' => {
                let spaces = TAB_WIDTH - self.column % TAB_WIDTH;
                self.column += spaces;
                if self.termios.c_oflag & raw::TABDLY == raw::XTABS {
                    out.extend(core::iter::repeat_n(b' ', spaces));
                } else {
                    out.push(c);
                }
            }
            _ => {
                let c = if oflag(raw::OLCUC) {
                    c.to_ascii_uppercase()
                } else {
                    c
                };
                self.track_column(c);
                out.push(c);
            }
        }
    }

    fn track_column(&mut self, c: u8) {
        match c {
            b'\r' | b'\n' => self.column = 0,
            b'\t' => self.column += TAB_WIDTH - self.column % TAB_WIDTH,
            BACKSPACE => self.column = self.column.saturating_sub(1),
            _ if is_control(c) => {}
            _ if self.termios.iflag(raw::IUTF8) && is_utf8_continuation(c) => {}
            _ => self.column += 1,
        }
    }

    /// Echoes a received character: control characters as `^X` under
    /// ECHOCTL (tab excepted), the rest as themselves.
    pub(crate) fn echo_char(&mut self, c: u8, echo: &mut Vec<u8>) {
        if self.termios.lflag(raw::ECHOCTL) && is_control(c) && c != b'\t' {
            self.output_byte(b'^', echo);
            self.output_byte(c ^ 0x40, echo);
        } else {
            self.output_byte(c, echo);
        }
    }
}
