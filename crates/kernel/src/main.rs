//! The Kestrel kernel binary.
//!
//! `platform` starts the machine through PVH or Limine and calls
//! [`kernel_main`] with the boot information. The kernel brings up the
//! platform, reads its command line, reports how the boot went and then
//! either runs the in-kernel tests (`kestrel.ktest`) or starts init from the
//! initramfs.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

mod banner;
mod cmdline;
mod fs;
mod futex;
mod init;
mod io;
mod ktest;
mod load;
mod mm;
mod panic;
mod pipe;
mod procfs_source;
mod random;
mod signal;
mod syscall;
mod sysinfo;
mod task;
mod time;
mod timer;
mod trap;
mod tty;
mod user;
mod vdso;

use platform::BootInfo;

use cmdline::Options;

platform::entry_point!(kernel_main);

fn kernel_main(boot: BootInfo) -> ! {
    if let Some(level) = cmdline::early_log_level(boot.cmdline) {
        platform::logger::set_level(level);
    }
    platform::init(&boot);
    init::init_page_counts(&boot);
    let options = cmdline::parse(boot.cmdline);
    banner::log_boot(&boot, &options);

    match options.crash {
        Some(cmdline::Crash::Panic) => panic!("crash requested on the command line"),
        Some(cmdline::Crash::Fault(fault)) => platform::arch::trap::raise(fault),
        None => {}
    }
    if let Some(selection) = &options.ktest {
        ktest::run(selection, boot.initrd_bytes());
    }
    start_init(&boot, &options)
}

/// Starts init from the initramfs.
fn start_init(boot: &BootInfo, options: &Options) -> ! {
    let Some(initramfs) = boot.initrd_bytes() else {
        log::error!(
            "no initramfs: give one with -initrd (or as the first Limine module); stopping"
        );
        platform::power::poweroff()
    };
    init::start(boot, options, initramfs)
}
