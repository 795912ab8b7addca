//! Text of the generated files: pure functions from snapshots to bytes, in
//! the exact layout Linux gives, so tools that parse /proc work unchanged.
//!
//! No floating point: the kernel is built without SSE, so figures shown with
//! decimals are fixed-point values split into whole and fraction parts.

use alloc::vec::Vec;
use core::fmt;

pub mod cpuinfo;
pub mod maps;
pub mod mounts;
pub mod process;
pub mod stat;
pub mod status;
pub mod system;

/// A growing text buffer. Text is bytes, not `str`: a command name may hold
/// any byte but NUL.
#[derive(Default)]
pub struct Text(Vec<u8>);

impl Text {
    pub fn new() -> Text {
        Text(Vec::new())
    }

    pub fn push_bytes(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    pub fn push_str(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    pub fn push(&mut self, byte: u8) {
        self.0.push(byte);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends spaces until the text is `column` bytes long.
    pub fn pad_to(&mut self, column: usize) {
        while self.0.len() < column {
            self.0.push(b' ');
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.push_str(text);
        Ok(())
    }
}

/// Writes formatted text into a [`Text`]; writing to memory cannot fail.
macro_rules! put {
    ($text:expr, $($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt($text, format_args!($($arg)*));
    }};
}
pub(crate) use put;

/// A fixed-point value shown as `whole.fraction` with a set number of
/// decimals, truncated as Linux truncates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    pub whole: u64,
    pub fraction: u64,
    pub digits: usize,
}

impl Decimal {
    /// Nanoseconds as seconds with two decimals (`/proc/uptime`).
    pub const fn centi_seconds(nanos: u64) -> Decimal {
        const NANOS_PER_SEC: u64 = 1_000_000_000;
        const NANOS_PER_CENTI: u64 = NANOS_PER_SEC / 100;
        Decimal {
            whole: nanos / NANOS_PER_SEC,
            fraction: (nanos % NANOS_PER_SEC) / NANOS_PER_CENTI,
            digits: 2,
        }
    }

    /// A count of thousandths with three decimals (`cpu MHz` from kHz).
    pub const fn milli(thousandths: u64) -> Decimal {
        Decimal {
            whole: thousandths / 1000,
            fraction: thousandths % 1000,
            digits: 3,
        }
    }

    /// A count of hundredths with two decimals (`bogomips`).
    pub const fn centi(hundredths: u64) -> Decimal {
        Decimal {
            whole: hundredths / 100,
            fraction: hundredths % 100,
            digits: 2,
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:0width$}",
            self.whole,
            self.fraction,
            width = self.digits
        )
    }
}

/// Appends `path` with the bytes that would break a space-separated line
/// written as three-digit octal escapes (`\040` for a space), as `mounts`,
/// `mountinfo` and `maps` do.
pub fn push_escaped_path(text: &mut Text, path: &str, special: &[u8]) {
    for &byte in path.as_bytes() {
        if special.contains(&byte) {
            put!(text, "\\{:03o}", byte);
        } else {
            text.push(byte);
        }
    }
}

/// Appends a CPU set as Linux's `%*pb` prints it: hex in 32-bit groups
/// separated by commas, most significant first, `possible` bits wide.
pub fn push_cpu_mask(text: &mut Text, bits: u64, possible: u32) {
    const GROUP_BITS: u32 = 32;
    let possible = possible.clamp(1, u64::BITS);
    let groups = possible.div_ceil(GROUP_BITS);
    for group in (0..groups).rev() {
        let value = (bits >> (group * GROUP_BITS)) as u32;
        let group_width = (possible - group * GROUP_BITS).min(GROUP_BITS);
        let digits = group_width.div_ceil(4) as usize;
        let mask = if group_width == GROUP_BITS {
            u32::MAX
        } else {
            (1u32 << group_width) - 1
        };
        if group + 1 != groups {
            text.push(b',');
        }
        put!(text, "{:0digits$x}", value & mask);
    }
}

/// Appends a CPU set as Linux's `%*pbl` prints it: ranges like `0-3,6`.
pub fn push_cpu_list(text: &mut Text, bits: u64) {
    let mut first = true;
    let mut cpu = 0;
    while cpu < u64::BITS {
        if bits & (1 << cpu) == 0 {
            cpu += 1;
            continue;
        }
        let start = cpu;
        while cpu + 1 < u64::BITS && bits & (1 << (cpu + 1)) != 0 {
            cpu += 1;
        }
        if !first {
            text.push(b',');
        }
        first = false;
        if start == cpu {
            put!(text, "{}", start);
        } else {
            put!(text, "{}-{}", start, cpu);
        }
        cpu += 1;
    }
}
