//! Blocking reads as data: how long a read waits and when it is done, from
//! canonical mode or VMIN and VTIME. The kernel sleeps; this decides.

use crate::ldisc::{LineDiscipline, ReadOutcome};
use crate::termios::cc;

/// VTIME counts tenths of a second.
const VTIME_UNIT_NS: u64 = 100_000_000;

/// What a read should do after a [`ReadRequest::step`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadStep {
    /// The read is over and returns this many bytes (0: end of file, or a
    /// VMIN/VTIME read that timed out or asked for nothing).
    Done(usize),
    /// Sleep until input arrives or, when given, the monotonic clock reaches
    /// `deadline_ns`, then step again. A nonblocking read stops here with
    /// [`ReadRequest::copied`] bytes, or EAGAIN when that is 0.
    Wait { deadline_ns: Option<u64> },
}

/// One `read` in progress on a terminal.
///
/// In non-canonical mode (termios(3)): VMIN > 0, VTIME = 0 waits for VMIN
/// bytes; VMIN = 0, VTIME > 0 waits up to VTIME for the first byte;
/// VMIN > 0, VTIME > 0 waits for a first byte, then until VMIN bytes or
/// VTIME passes between two bytes; VMIN = VTIME = 0 returns at once. VMIN
/// is capped by the buffer length, and the settings are those at the start.
#[derive(Clone, Debug)]
pub struct ReadRequest {
    len: usize,
    copied: usize,
    minimum: usize,
    inter_byte_ns: Option<u64>,
    deadline_ns: Option<u64>,
}

impl ReadRequest {
    /// Starts a read of up to `len` bytes at monotonic time `now_ns`.
    pub fn new(ldisc: &LineDiscipline, len: usize, now_ns: u64) -> ReadRequest {
        let mut request = ReadRequest {
            len,
            copied: 0,
            minimum: 1,
            inter_byte_ns: None,
            deadline_ns: None,
        };
        if !ldisc.is_canonical() {
            let termios = ldisc.termios();
            let vmin = usize::from(termios.c_cc[cc::VMIN]);
            let vtime_ns = u64::from(termios.c_cc[cc::VTIME]) * VTIME_UNIT_NS;
            if vmin > 0 {
                request.minimum = vmin;
                request.inter_byte_ns = (vtime_ns > 0).then_some(vtime_ns);
            } else {
                request.deadline_ns = Some(now_ns.saturating_add(vtime_ns));
            }
        }
        request
    }

    /// Bytes copied into the caller's buffer so far.
    pub fn copied(&self) -> usize {
        self.copied
    }

    /// Takes what input there is into `buf` (the same buffer on every step,
    /// at least `len` long) and says whether the read is over.
    pub fn step(&mut self, ldisc: &mut LineDiscipline, buf: &mut [u8], now_ns: u64) -> ReadStep {
        let end = self.len.min(buf.len());
        if end == 0 {
            return ReadStep::Done(0);
        }
        if ldisc.is_canonical() {
            if self.copied > 0 {
                return ReadStep::Done(self.copied);
            }
            return match ldisc.read(&mut buf[..end]) {
                ReadOutcome::Data(n) => ReadStep::Done(n),
                ReadOutcome::Eof => ReadStep::Done(0),
                ReadOutcome::WouldBlock => ReadStep::Wait { deadline_ns: None },
            };
        }

        let start = self.copied.min(end);
        let fresh = match ldisc.read(&mut buf[start..end]) {
            ReadOutcome::Data(n) => n,
            ReadOutcome::WouldBlock | ReadOutcome::Eof => 0,
        };
        self.copied = start + fresh;
        if self.copied >= self.minimum.min(end) {
            return ReadStep::Done(self.copied);
        }
        if fresh > 0 {
            if let Some(gap) = self.inter_byte_ns {
                self.deadline_ns = Some(now_ns.saturating_add(gap));
            }
        }
        match self.deadline_ns {
            Some(deadline) if now_ns >= deadline => ReadStep::Done(self.copied),
            deadline_ns => ReadStep::Wait { deadline_ns },
        }
    }
}
