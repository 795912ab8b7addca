//! What the kernel says once it is up: version, memory, command line and
//! how long the boot took.

use platform::boot::{BootInfo, BootProtocol};
use platform::{mm, time};

use crate::cmdline::Options;

const MIB: u64 = 1024 * 1024;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_US: u64 = 1_000;

/// Formats nanoseconds as milliseconds with three decimals.
struct Millis(u64);

impl core::fmt::Display for Millis {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}.{:03} ms",
            self.0 / NS_PER_MS,
            self.0 % NS_PER_MS / NS_PER_US
        )
    }
}

/// Logs the banner and the boot summary.
pub fn log_boot(boot: &BootInfo, options: &Options) {
    let protocol = match boot.protocol {
        BootProtocol::Pvh => "PVH",
        BootProtocol::Limine => "Limine",
    };
    log::info!(
        "Kestrel {} (git {}) booted through {protocol}",
        env!("CARGO_PKG_VERSION"),
        env!("KESTREL_GIT_REVISION")
    );

    let memory = mm::summary();
    log::info!(
        "memory: {} MiB total, {} MiB usable, {} MiB free",
        memory.total_bytes / MIB,
        memory.usable_bytes / MIB,
        memory.free_bytes / MIB
    );
    log::info!("command line: \"{}\"", boot.cmdline);
    if let Some(path) = options.rdinit.or(options.init) {
        log::info!("init: {path}");
    }

    let to_main = time::tsc_ticks_to_ns(boot.main_tsc.wrapping_sub(boot.entry_tsc));
    log::info!(
        "boot: entry to kernel_main {}, ready after {} (guest time)",
        Millis(to_main),
        Millis(time::monotonic_ns())
    );
}
