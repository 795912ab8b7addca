//! The Kestrel kernel binary.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use platform::BootInfo;

platform::entry_point!(kernel_main);

fn kernel_main(boot: BootInfo) -> ! {
    platform::init(&boot);
    log::info!("Kestrel {} booted: {:?}", env!("CARGO_PKG_VERSION"), boot);
    platform::power::poweroff()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    platform::serial::bypass_lock();
    log::error!("panic: {info}");
    platform::power::exit_qemu(platform::power::QemuExitCode::Failure)
}
