//! Helpers shared by the host tests.

#![allow(dead_code)] // each test file uses a different subset

use tty::{LineDiscipline, ReadOutcome, Termios};

pub const CTRL_C: u8 = 0x03;
pub const CTRL_D: u8 = 0x04;
pub const CTRL_Q: u8 = 0x11;
pub const CTRL_R: u8 = 0x12;
pub const CTRL_S: u8 = 0x13;
pub const CTRL_U: u8 = 0x15;
pub const CTRL_V: u8 = 0x16;
pub const CTRL_W: u8 = 0x17;
pub const CTRL_Z: u8 = 0x1a;
pub const CTRL_BACKSLASH: u8 = 0x1c;
pub const DEL: u8 = 0x7f;

/// What feeding some bytes produced.
pub struct Fed {
    pub echo: Vec<u8>,
    pub signals: Vec<u32>,
}

pub fn feed(ldisc: &mut LineDiscipline, bytes: &[u8]) -> Fed {
    let mut echo = Vec::new();
    let mut signals = Vec::new();
    for &byte in bytes {
        if let Some(signal) = ldisc.receive(byte, &mut echo).signal {
            signals.push(signal);
        }
    }
    Fed { echo, signals }
}

/// Reads once with a buffer of `len` bytes.
pub fn read(ldisc: &mut LineDiscipline, len: usize) -> Result<Vec<u8>, ReadOutcome> {
    let mut buf = vec![0; len];
    match ldisc.read(&mut buf) {
        ReadOutcome::Data(n) => {
            buf.truncate(n);
            Ok(buf)
        }
        other => Err(other),
    }
}

/// A line discipline with `change` applied to the default settings.
pub fn with_termios(change: impl FnOnce(&mut Termios)) -> LineDiscipline {
    let mut ldisc = LineDiscipline::new();
    let mut termios = ldisc.termios();
    change(&mut termios);
    ldisc.set_termios(termios);
    ldisc
}

/// Raw mode as `cfmakeraw` sets it up (VMIN 1, VTIME 0).
pub fn raw_mode() -> LineDiscipline {
    use linux_raw_sys::general as raw;
    with_termios(|t| {
        t.c_iflag &= !(raw::IGNBRK
            | raw::BRKINT
            | raw::PARMRK
            | raw::ISTRIP
            | raw::INLCR
            | raw::IGNCR
            | raw::ICRNL
            | raw::IXON);
        t.c_oflag &= !raw::OPOST;
        t.c_lflag &= !(raw::ECHO | raw::ECHONL | raw::ICANON | raw::ISIG | raw::IEXTEN);
    })
}
