//! Canonical-mode line editing: erase, word erase, kill, reprint, literal
//! next and the line delimiters, with the echo each one produces.

use alloc::vec::Vec;

use linux_raw_sys::general as raw;

use crate::ldisc::LineDiscipline;
use crate::output::{is_control, is_utf8_continuation};
use crate::termios::cc;

/// Output columns between tab stops.
const TAB_WIDTH: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EraseKind {
    /// VERASE: one character.
    Char,
    /// VWERASE: back to the start of the previous word.
    Word,
    /// VKILL: the whole line.
    Line,
}

impl LineDiscipline {
    /// Handles the characters that only mean something in canonical mode.
    /// Returns false when `c` is an ordinary character to store.
    pub(crate) fn receive_canonical(&mut self, c: u8, echo: &mut Vec<u8>) -> bool {
        let termios = self.termios;
        let iexten = termios.lflag(raw::IEXTEN);
        let echoing = termios.lflag(raw::ECHO);

        let erase = if termios.is_char(cc::VERASE, c) {
            Some(EraseKind::Char)
        } else if termios.is_char(cc::VKILL, c) {
            Some(EraseKind::Line)
        } else if iexten && termios.is_char(cc::VWERASE, c) {
            Some(EraseKind::Word)
        } else {
            None
        };
        if let Some(kind) = erase {
            self.erase(kind, c, echo);
            return true;
        }

        if iexten && termios.is_char(cc::VLNEXT, c) {
            self.literal_next = true;
            if echoing {
                self.finish_erasing(echo);
                // A placeholder the literal character's echo overwrites.
                if termios.lflag(raw::ECHOCTL) {
                    self.output_byte(b'^', echo);
                    self.output_byte(b'\x08', echo);
                }
            }
            return true;
        }

        if iexten && echoing && termios.is_char(cc::VREPRINT, c) {
            self.finish_erasing(echo);
            self.echo_char(c, echo);
            self.output_byte(b'\n', echo);
            let line: Vec<u8> = self.input.iter().skip(self.committed).copied().collect();
            for byte in line {
                self.echo_char(byte, echo);
            }
            return true;
        }

        if c == b'\n' {
            if echoing || termios.lflag(raw::ECHONL) {
                self.finish_erasing(echo);
                self.output_byte(b'\n', echo);
            }
            self.commit_line(Some(c));
            return true;
        }

        if termios.is_char(cc::VEOF, c) {
            self.commit_line(None);
            return true;
        }

        if termios.is_char(cc::VEOL, c) || (iexten && termios.is_char(cc::VEOL2, c)) {
            if echoing {
                self.finish_erasing(echo);
                if self.input.len() == self.committed {
                    self.line_start_column = self.column;
                }
                self.echo_char(c, echo);
            }
            self.commit_line(Some(c));
            return true;
        }
        false
    }

    /// Erases from the line being edited; nothing happens at its start.
    fn erase(&mut self, kind: EraseKind, erase_char: u8, echo: &mut Vec<u8>) {
        let termios = self.termios;
        let line_start = self.committed;
        if self.input.len() == line_start {
            return;
        }

        if kind == EraseKind::Line {
            let echoing = termios.lflag(raw::ECHO);
            let visual = termios.lflag(raw::ECHOK | raw::ECHOKE | raw::ECHOE);
            if !echoing || !visual {
                self.input.truncate(line_start);
                if echoing {
                    // Echo the kill character, then (ECHOK) move to a new line.
                    self.finish_erasing(echo);
                    self.echo_char(erase_char, echo);
                    if termios.lflag(raw::ECHOK) {
                        self.output_byte(b'\n', echo);
                    }
                }
                return;
            }
        }

        let mut seen_word = false;
        while self.input.len() > line_start {
            // One character: a UTF-8 start byte and its continuation bytes.
            let mut start = self.input.len() - 1;
            while start > line_start
                && termios.iflag(raw::IUTF8)
                && is_utf8_continuation(self.input[start])
            {
                start -= 1;
            }
            let c = self.input[start];

            // A word is letters, digits and underscores; whatever precedes
            // the last word on the line goes with it.
            if kind == EraseKind::Word {
                if c.is_ascii_alphanumeric() || c == b'_' {
                    seen_word = true;
                } else if seen_word {
                    break;
                }
            }

            let erased: Vec<u8> = self.input.drain(start..).collect();
            if termios.lflag(raw::ECHO) {
                self.echo_erased(kind, &erased, echo);
            }
            if kind == EraseKind::Char {
                break;
            }
        }
        if self.input.len() == line_start && termios.lflag(raw::ECHO) {
            self.finish_erasing(echo);
        }
    }

    /// The echo of one erased character (`erased` holds its bytes).
    fn echo_erased(&mut self, kind: EraseKind, erased: &[u8], echo: &mut Vec<u8>) {
        let termios = self.termios;
        let c = erased[0];
        if termios.lflag(raw::ECHOPRT) {
            // Hardcopy terminals: print erased characters between \ and /.
            if !self.erasing {
                self.output_byte(b'\\', echo);
                self.erasing = true;
            }
            self.echo_char(c, echo);
            for &byte in &erased[1..] {
                self.output_byte(byte, echo);
            }
        } else if kind == EraseKind::Char && !termios.lflag(raw::ECHOE) {
            if let Some(erase_char) = termios.control_char(cc::VERASE) {
                self.echo_char(erase_char, echo);
            }
        } else if c == b'\t' {
            for _ in 0..self.tab_echo_width() {
                self.output_byte(b'\x08', echo);
            }
        } else {
            let echoctl = termios.lflag(raw::ECHOCTL);
            // A control character echoed as ^X is two columns wide.
            if is_control(c) && echoctl {
                self.rub_out(echo);
            }
            if !is_control(c) || echoctl {
                self.rub_out(echo);
            }
        }
    }

    fn rub_out(&mut self, echo: &mut Vec<u8>) {
        for byte in *b"\x08 \x08" {
            self.output_byte(byte, echo);
        }
    }

    /// How many columns the tab just erased took: from the column after
    /// what precedes it on the line to the next tab stop.
    fn tab_echo_width(&self) -> usize {
        let echoctl = self.termios.lflag(raw::ECHOCTL);
        let iutf8 = self.termios.iflag(raw::IUTF8);
        let mut width = 0;
        let mut after_tab = false;
        for &c in self.input.iter().skip(self.committed).rev() {
            if c == b'\t' {
                after_tab = true;
                break;
            } else if is_control(c) {
                if echoctl {
                    width += 2;
                }
            } else if !(iutf8 && is_utf8_continuation(c)) {
                width += 1;
            }
        }
        // A previous tab ends on a tab stop; otherwise the line started
        // wherever the cursor was.
        if !after_tab {
            width += self.line_start_column;
        }
        let back = TAB_WIDTH - width % TAB_WIDTH;
        back.min(self.column)
    }

    /// ECHOPRT: closes a `\...` run of erased characters with `/`.
    pub(crate) fn finish_erasing(&mut self, echo: &mut Vec<u8>) {
        if self.erasing {
            self.output_byte(b'/', echo);
            self.erasing = false;
        }
    }
}
