//! The panic handler: message, location and a frame-pointer backtrace on the
//! console, then a failure exit under QEMU (a halt on real hardware).

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use log::LevelFilter;
use platform::power::{self, QemuExitCode};

static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    platform::irq::disable();
    if PANICKING.swap(true, Ordering::SeqCst) {
        // A panic while reporting a panic: report nothing more.
        power::exit_qemu(QemuExitCode::Failure);
    }
    platform::serial::bypass_lock();
    if log::max_level() < LevelFilter::Error {
        platform::logger::set_level(LevelFilter::Error);
    }

    log::error!("kernel panic: {}", info.message());
    if let Some(location) = info.location() {
        log::error!(
            "  at {}:{}:{}",
            location.file(),
            location.line(),
            location.column()
        );
    }
    // Raw return addresses: `cargo xtask` turns them into function names and
    // lines with addr2line against the kernel ELF.
    log::error!("backtrace:");
    platform::arch::backtrace::walk(|depth, address| {
        log::error!("  #{depth:<2} {address:#018x}");
    });
    power::exit_qemu(QemuExitCode::Failure)
}
