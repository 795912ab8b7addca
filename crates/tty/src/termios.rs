//! `struct termios` and `struct winsize` as the terminal ioctls exchange
//! them with user space.
//!
//! [`Termios`] is the kernel's 36-byte layout that `TCGETS`/`TCSETS` copy
//! (four flag words, the line discipline number and 19 control characters),
//! not the larger one C libraries present to programs; they convert.

use linux_raw_sys::general as raw;

/// Number of control characters in `c_cc`.
pub const NCCS: usize = raw::NCCS as usize;
/// Size of `struct termios` in the `TCGETS`/`TCSETS` ioctls.
pub const TERMIOS_SIZE: usize = 36;
/// Size of `struct winsize` in `TIOCGWINSZ`/`TIOCSWINSZ`.
pub const WINSIZE_SIZE: usize = 8;

const _: () = assert!(core::mem::size_of::<raw::termios>() == TERMIOS_SIZE);
const _: () = assert!(core::mem::size_of::<raw::winsize>() == WINSIZE_SIZE);

/// The number of the N_TTY line discipline (`<linux/tty.h>`), the only one
/// there is here; `linux-raw-sys` does not export it.
pub const N_TTY: u8 = 0;

/// `_POSIX_VDISABLE`: a control character with this value is switched off.
pub const DISABLED: u8 = 0;

/// The DEL character, Linux's default erase character (`^?`).
pub const DEL: u8 = 0x7f;

/// Indices into `c_cc`.
pub mod cc {
    use linux_raw_sys::general as raw;

    pub const VINTR: usize = raw::VINTR as usize;
    pub const VQUIT: usize = raw::VQUIT as usize;
    pub const VERASE: usize = raw::VERASE as usize;
    pub const VKILL: usize = raw::VKILL as usize;
    pub const VEOF: usize = raw::VEOF as usize;
    pub const VTIME: usize = raw::VTIME as usize;
    pub const VMIN: usize = raw::VMIN as usize;
    pub const VSWTC: usize = raw::VSWTC as usize;
    pub const VSTART: usize = raw::VSTART as usize;
    pub const VSTOP: usize = raw::VSTOP as usize;
    pub const VSUSP: usize = raw::VSUSP as usize;
    pub const VEOL: usize = raw::VEOL as usize;
    pub const VREPRINT: usize = raw::VREPRINT as usize;
    pub const VDISCARD: usize = raw::VDISCARD as usize;
    pub const VWERASE: usize = raw::VWERASE as usize;
    pub const VLNEXT: usize = raw::VLNEXT as usize;
    pub const VEOL2: usize = raw::VEOL2 as usize;
}

/// The control character typed as Ctrl + `letter` (`control(b'C')` is ^C).
pub const fn control(letter: u8) -> u8 {
    letter & 0x1f
}

/// Terminal settings, field for field Linux's kernel `struct termios`.
/// Flag words hold the bits named in `linux_raw_sys::general` (`ICRNL`,
/// `OPOST`, `ICANON`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}

impl Default for Termios {
    /// The settings Linux gives a console or serial port when it is first
    /// opened (`tty_std_termios`).
    fn default() -> Self {
        let mut c_cc = [DISABLED; NCCS];
        c_cc[cc::VINTR] = control(b'C');
        c_cc[cc::VQUIT] = control(b'\\');
        c_cc[cc::VERASE] = DEL;
        c_cc[cc::VKILL] = control(b'U');
        c_cc[cc::VEOF] = control(b'D');
        c_cc[cc::VTIME] = 0;
        c_cc[cc::VMIN] = 1;
        c_cc[cc::VSTART] = control(b'Q');
        c_cc[cc::VSTOP] = control(b'S');
        c_cc[cc::VSUSP] = control(b'Z');
        c_cc[cc::VREPRINT] = control(b'R');
        c_cc[cc::VDISCARD] = control(b'O');
        c_cc[cc::VWERASE] = control(b'W');
        c_cc[cc::VLNEXT] = control(b'V');
        Termios {
            c_iflag: raw::ICRNL | raw::IXON,
            c_oflag: raw::OPOST | raw::ONLCR,
            c_cflag: raw::B38400 | raw::CS8 | raw::CREAD | raw::HUPCL,
            c_lflag: raw::ISIG
                | raw::ICANON
                | raw::ECHO
                | raw::ECHOE
                | raw::ECHOK
                | raw::ECHOCTL
                | raw::ECHOKE
                | raw::IEXTEN,
            c_line: N_TTY,
            c_cc,
        }
    }
}

impl Termios {
    /// The settings of a serial port the console runs on, as Linux's serial
    /// core gives them: [`Termios::default`], with the line's `speed` (a `B*`
    /// constant such as `B115200`, the `console=` option's speed) and CLOCAL
    /// in `c_cflag`, as the console ignores modem lines.
    pub fn serial_console(speed: u32) -> Termios {
        Termios {
            c_cflag: speed | raw::CS8 | raw::CREAD | raw::HUPCL | raw::CLOCAL,
            ..Termios::default()
        }
    }

    /// Whether every bit of `flags` is set in `c_iflag`.
    pub const fn iflag(&self, flags: u32) -> bool {
        self.c_iflag & flags == flags
    }

    pub const fn oflag(&self, flags: u32) -> bool {
        self.c_oflag & flags == flags
    }

    pub const fn cflag(&self, flags: u32) -> bool {
        self.c_cflag & flags == flags
    }

    pub const fn lflag(&self, flags: u32) -> bool {
        self.c_lflag & flags == flags
    }

    pub const fn is_canonical(&self) -> bool {
        self.lflag(raw::ICANON)
    }

    /// Control character `index` (a [`cc`] constant), `None` when disabled.
    pub fn control_char(&self, index: usize) -> Option<u8> {
        self.c_cc.get(index).copied().filter(|&c| c != DISABLED)
    }

    /// Whether `byte` is the enabled control character `index`.
    pub fn is_char(&self, index: usize, byte: u8) -> bool {
        self.control_char(index) == Some(byte)
    }

    /// The bytes of the kernel `struct termios`, in native byte order.
    pub fn to_bytes(&self) -> [u8; TERMIOS_SIZE] {
        let mut bytes = [0; TERMIOS_SIZE];
        let words = [self.c_iflag, self.c_oflag, self.c_cflag, self.c_lflag];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
        bytes[16] = self.c_line;
        bytes[17..].copy_from_slice(&self.c_cc);
        bytes
    }

    /// Reads a kernel `struct termios`; every bit pattern is accepted.
    pub fn from_bytes(bytes: &[u8; TERMIOS_SIZE]) -> Termios {
        let word = |index: usize| {
            let start = index * 4;
            u32::from_ne_bytes([
                bytes[start],
                bytes[start + 1],
                bytes[start + 2],
                bytes[start + 3],
            ])
        };
        let mut c_cc = [0; NCCS];
        c_cc.copy_from_slice(&bytes[17..]);
        Termios {
            c_iflag: word(0),
            c_oflag: word(1),
            c_cflag: word(2),
            c_lflag: word(3),
            c_line: bytes[16],
            c_cc,
        }
    }
}

/// `struct winsize`: the terminal size in characters (and pixels, which
/// nothing here uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Winsize {
    pub rows: u16,
    pub cols: u16,
    pub xpixel: u16,
    pub ypixel: u16,
}

/// A serial line cannot tell its size; this is what a VT100 has.
impl Default for Winsize {
    fn default() -> Self {
        Winsize {
            rows: 24,
            cols: 80,
            xpixel: 0,
            ypixel: 0,
        }
    }
}

impl Winsize {
    /// No size at all: what Linux reports for a serial port until someone sets
    /// one, since the line cannot tell (programs then fall back to 24x80).
    pub const UNKNOWN: Winsize = Winsize {
        rows: 0,
        cols: 0,
        xpixel: 0,
        ypixel: 0,
    };

    pub fn to_bytes(&self) -> [u8; WINSIZE_SIZE] {
        let mut bytes = [0; WINSIZE_SIZE];
        let fields = [self.rows, self.cols, self.xpixel, self.ypixel];
        for (chunk, field) in bytes.chunks_exact_mut(2).zip(fields) {
            chunk.copy_from_slice(&field.to_ne_bytes());
        }
        bytes
    }

    pub fn from_bytes(bytes: &[u8; WINSIZE_SIZE]) -> Winsize {
        let field = |index: usize| u16::from_ne_bytes([bytes[index * 2], bytes[index * 2 + 1]]);
        Winsize {
            rows: field(0),
            cols: field(1),
            xpixel: field(2),
            ypixel: field(3),
        }
    }
}
