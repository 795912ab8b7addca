//! The line discipline: what happens to each byte the terminal receives,
//! and how reads take the result.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use linux_raw_sys::general as raw;

use crate::termios::{cc, Termios, Winsize, N_TTY};

/// Bytes of input a terminal holds before it drops more, as N_TTY does.
pub const INPUT_CAPACITY: usize = 4096;

/// The bell, echoed when a full canonical line refuses a byte (IMAXBEL).
const BEL: u8 = 0x07;

/// What receiving one byte asks of the kernel besides writing the echo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// A signal number (SIGINT, SIGQUIT or SIGTSTP) for the foreground
    /// process group, when ISIG recognised the byte.
    pub signal: Option<u32>,
}

/// The result of an immediate read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// This many bytes were copied (0 only for an empty buffer).
    Data(usize),
    /// Nothing can be read yet: no complete line (canonical mode) or no byte.
    WouldBlock,
    /// End of file: `^D` on an empty line (canonical mode).
    Eof,
}

/// `TCXONC` actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowAction {
    /// `TCOOFF`: suspend output.
    SuspendOutput,
    /// `TCOON`: resume output.
    ResumeOutput,
    /// `TCIOFF`: send the STOP character to the device.
    SendStop,
    /// `TCION`: send the START character to the device.
    SendStart,
}

/// A complete canonical line in the input queue.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    /// Bytes of the line still unread, its delimiter included.
    pub(crate) len: usize,
    /// Ended by VEOF, which is not stored. The end-of-file mark takes one
    /// byte of a read's room, as in Linux: a read exactly as long as the
    /// line leaves the mark, and the next read returns 0.
    pub(crate) eof: bool,
}

/// One terminal's input queue, settings and editing state. Pure data: the
/// kernel feeds it received bytes, writes out what it returns, sends the
/// signals it asks for and does any waiting.
#[derive(Debug)]
pub struct LineDiscipline {
    pub(crate) termios: Termios,
    winsize: Winsize,
    /// Unread input: complete lines first, then the line being edited.
    pub(crate) input: VecDeque<u8>,
    /// Complete lines in canonical mode, oldest first; empty otherwise.
    pub(crate) lines: VecDeque<Line>,
    /// Bytes of `input` that belong to `lines`.
    pub(crate) committed: usize,
    /// The next byte is taken literally (VLNEXT).
    pub(crate) literal_next: bool,
    /// ECHOPRT: inside a `\...` run of echoed erased characters.
    pub(crate) erasing: bool,
    /// Output stopped by the STOP character (IXON).
    pub(crate) flow_stopped: bool,
    /// Output suspended by `TCOOFF`.
    pub(crate) flow_suspended: bool,
    /// Output column, for tab expansion, ONOCR and erasing tabs.
    pub(crate) column: usize,
    /// Column where the line being edited started.
    pub(crate) line_start_column: usize,
}

impl Default for LineDiscipline {
    fn default() -> Self {
        Self::new()
    }
}

impl LineDiscipline {
    /// A terminal with Linux's default settings and a 24x80 window.
    pub fn new() -> LineDiscipline {
        Self::with_settings(Termios::default(), Winsize::default())
    }

    /// A terminal with these first settings and window size (a serial
    /// console: [`Termios::serial_console`], [`Winsize::UNKNOWN`]).
    pub fn with_settings(termios: Termios, winsize: Winsize) -> LineDiscipline {
        LineDiscipline {
            termios,
            winsize,
            input: VecDeque::with_capacity(INPUT_CAPACITY),
            lines: VecDeque::new(),
            committed: 0,
            literal_next: false,
            erasing: false,
            flow_stopped: false,
            flow_suspended: false,
            column: 0,
            line_start_column: 0,
        }
    }

    pub fn termios(&self) -> Termios {
        self.termios
    }

    /// Applies new settings (`TCSETS`; the `W` and `F` variants are the
    /// caller's business). Switching canonical mode off makes all pending
    /// input readable; switching it on makes pending input one line.
    pub fn set_termios(&mut self, mut termios: Termios) {
        // Linux keeps the line discipline number; only TIOCSETD changes it.
        termios.c_line = N_TTY;
        let was_canonical = self.termios.is_canonical();
        let had_ixon = self.termios.iflag(raw::IXON);
        self.termios = termios;

        if was_canonical != termios.is_canonical() {
            self.lines.clear();
            self.committed = 0;
            if termios.is_canonical() && !self.input.is_empty() {
                self.lines.push_back(Line {
                    len: self.input.len(),
                    eof: false,
                });
                self.committed = self.input.len();
            }
            self.erasing = false;
            self.literal_next = false;
        }
        if had_ixon && !termios.iflag(raw::IXON) {
            self.flow_stopped = false;
        }
    }

    pub fn winsize(&self) -> Winsize {
        self.winsize
    }

    /// Sets the window size; returns whether it changed (the kernel then
    /// sends SIGWINCH to the foreground process group).
    pub fn set_winsize(&mut self, winsize: Winsize) -> bool {
        let changed = self.winsize != winsize;
        self.winsize = winsize;
        changed
    }

    pub fn is_canonical(&self) -> bool {
        self.termios.is_canonical()
    }

    /// Drops all unread input and any half-edited line (`TCIFLUSH`).
    pub fn flush_input(&mut self) {
        self.input.clear();
        self.lines.clear();
        self.committed = 0;
        self.literal_next = false;
        self.erasing = false;
    }

    /// Whether output must wait: stopped by the STOP character or TCOOFF.
    pub fn is_output_stopped(&self) -> bool {
        self.flow_stopped || self.flow_suspended
    }

    /// `TCXONC`. Returns a byte to send to the device, if any.
    pub fn flow_control(&mut self, action: FlowAction) -> Option<u8> {
        match action {
            FlowAction::SuspendOutput => {
                self.flow_suspended = true;
                None
            }
            FlowAction::ResumeOutput => {
                self.flow_suspended = false;
                None
            }
            FlowAction::SendStop => self.termios.control_char(cc::VSTOP),
            FlowAction::SendStart => self.termios.control_char(cc::VSTART),
        }
    }

    /// Processes one received byte. Echo (already output-processed) is
    /// appended to `echo`, for the kernel to write to the device.
    pub fn receive(&mut self, byte: u8, echo: &mut Vec<u8>) -> Received {
        let termios = self.termios;
        if !termios.cflag(raw::CREAD) {
            return Received::default();
        }
        let mut c = byte;
        if termios.iflag(raw::ISTRIP) {
            c &= 0x7f;
        }
        if termios.iflag(raw::IUCLC) && termios.lflag(raw::IEXTEN) {
            c = c.to_ascii_lowercase();
        }
        if self.literal_next {
            self.literal_next = false;
            self.restart_on_any_byte();
            self.store(c, false, echo);
            return Received::default();
        }

        if termios.iflag(raw::IXON) && self.receive_flow_char(c) {
            return Received::default();
        }
        if termios.lflag(raw::ISIG) {
            let signal = if termios.is_char(cc::VINTR, c) {
                Some(raw::SIGINT)
            } else if termios.is_char(cc::VQUIT, c) {
                Some(raw::SIGQUIT)
            } else if termios.is_char(cc::VSUSP, c) {
                Some(raw::SIGTSTP)
            } else {
                None
            };
            if let Some(signal) = signal {
                self.receive_signal_char(c, echo);
                return Received {
                    signal: Some(signal),
                };
            }
        }
        self.restart_on_any_byte();

        let mapped_newline = c == b'\r' && termios.iflag(raw::ICRNL);
        if c == b'\r' {
            if termios.iflag(raw::IGNCR) {
                return Received::default();
            }
            if termios.iflag(raw::ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && termios.iflag(raw::INLCR) {
            c = b'\r';
        }

        if termios.is_canonical() && self.receive_canonical(c, echo) {
            return Received::default();
        }
        // A newline that took the special path echoes as itself; one that
        // arrived as an ordinary byte in raw mode echoes as ^J with ECHOCTL.
        self.store(c, mapped_newline, echo);
        Received::default()
    }

    /// IXON: the START and STOP characters control output and are not input.
    fn receive_flow_char(&mut self, c: u8) -> bool {
        if self.termios.is_char(cc::VSTART, c) {
            self.flow_stopped = false;
            true
        } else if self.termios.is_char(cc::VSTOP, c) {
            self.flow_stopped = true;
            true
        } else {
            false
        }
    }

    /// IXANY: any byte restarts output stopped by the STOP character.
    fn restart_on_any_byte(&mut self) {
        if self.termios.iflag(raw::IXON | raw::IXANY) {
            self.flow_stopped = false;
        }
    }

    fn receive_signal_char(&mut self, c: u8, echo: &mut Vec<u8>) {
        if !self.termios.lflag(raw::NOFLSH) {
            self.flush_input();
        }
        if self.termios.iflag(raw::IXON) {
            self.flow_stopped = false;
        }
        if self.termios.lflag(raw::ECHO) {
            self.finish_erasing(echo);
            self.echo_char(c, echo);
        }
    }

    /// Adds `c` to the input, echoing it; a full queue drops it.
    pub(crate) fn store(&mut self, c: u8, newline_as_is: bool, echo: &mut Vec<u8>) {
        // A canonical line keeps one byte free for its delimiter.
        let limit = if self.is_canonical() {
            INPUT_CAPACITY - 1
        } else {
            INPUT_CAPACITY
        };
        if self.input.len() >= limit {
            if self.is_canonical() && self.termios.iflag(raw::IMAXBEL) {
                self.output_byte(BEL, echo);
            }
            return;
        }

        if self.termios.lflag(raw::ECHO) {
            self.finish_erasing(echo);
            if newline_as_is && c == b'\n' {
                self.output_byte(c, echo);
            } else {
                if self.input.len() == self.committed {
                    self.line_start_column = self.column;
                }
                self.echo_char(c, echo);
            }
        }
        // TODO: PARMRK doubling of 0xff; no parity or break errors are
        // reported yet, so a marked 0xff cannot be told from a real one.
        self.input.push_back(c);
    }

    /// Ends the line being edited with `delimiter` (stored) or, for VEOF,
    /// with an end-of-file mark (not stored).
    pub(crate) fn commit_line(&mut self, delimiter: Option<u8>) {
        if let Some(byte) = delimiter {
            if self.input.len() >= INPUT_CAPACITY {
                return;
            }
            self.input.push_back(byte);
        }
        let len = self.input.len() - self.committed;
        self.lines.push_back(Line {
            len,
            eof: delimiter.is_none(),
        });
        self.committed = self.input.len();
    }

    /// Copies what can be read now into `buf`: in canonical mode at most
    /// one line, otherwise whatever is queued.
    pub fn read(&mut self, buf: &mut [u8]) -> ReadOutcome {
        if buf.is_empty() {
            return ReadOutcome::Data(0);
        }
        if self.is_canonical() {
            return self.read_line(buf);
        }
        match self.take_input(buf.len(), buf) {
            0 => ReadOutcome::WouldBlock,
            n => ReadOutcome::Data(n),
        }
    }

    fn read_line(&mut self, buf: &mut [u8]) -> ReadOutcome {
        let Some(line) = self.lines.front().copied() else {
            return ReadOutcome::WouldBlock;
        };
        let room_needed = line.len + usize::from(line.eof);
        let taken = room_needed.min(buf.len());
        let copied = self.take_input(taken.min(line.len), buf);
        self.committed -= copied;

        if taken == room_needed {
            self.lines.pop_front();
        } else if let Some(front) = self.lines.front_mut() {
            front.len -= copied;
        }
        if copied == 0 {
            ReadOutcome::Eof
        } else {
            ReadOutcome::Data(copied)
        }
    }

    fn take_input(&mut self, count: usize, buf: &mut [u8]) -> usize {
        let count = count.min(self.input.len()).min(buf.len());
        for (slot, byte) in buf.iter_mut().zip(self.input.drain(..count)) {
            *slot = byte;
        }
        count
    }

    /// Whether `poll` reports input: a complete line in canonical mode;
    /// otherwise VMIN bytes when VTIME is 0 (at least one byte).
    pub fn readable(&self) -> bool {
        if self.is_canonical() {
            return !self.lines.is_empty();
        }
        let vtime = self.termios.c_cc[cc::VTIME];
        let vmin = usize::from(self.termios.c_cc[cc::VMIN]);
        let wanted = if vtime == 0 && vmin > 0 { vmin } else { 1 };
        self.input.len() >= wanted
    }

    /// Bytes a read could return (`FIONREAD`): those of complete lines in
    /// canonical mode, all queued input otherwise.
    pub fn pending_bytes(&self) -> usize {
        if self.is_canonical() {
            self.committed
        } else {
            self.input.len()
        }
    }

    /// All bytes held, including the line being edited; never more than
    /// [`INPUT_CAPACITY`].
    pub fn buffered_bytes(&self) -> usize {
        self.input.len()
    }
}
