//! The hardware layer of the Kestrel kernel, for x86_64.
//!
//! `platform` boots the machine and hides it from the rest of the kernel: the
//! PVH and Limine entries (both ending in the kernel's `kernel_main` with a
//! [`boot::BootInfo`]), the serial console and logger, descriptor tables and
//! trap dispatch ([`arch`]), physical frames, page tables and the kernel heap
//! ([`mm`]), ACPI, the APICs, clocks and power-off. It depends on no other
//! crate of the workspace and is the only one allowed `unsafe` code.

#![no_std]

extern crate alloc;

pub mod acpi;
pub mod apic;
pub mod arch;
pub mod boot;
pub mod logger;
pub mod mm;
pub mod power;
pub mod serial;
pub mod time;

pub use arch::{cpu, irq};
pub use boot::BootInfo;

use arch::trap::ISA_IRQ_BASE_VECTOR;

/// Console, logger and CPU tables: what must work before the loader's data
/// is read, so that anything going wrong there is reported.
pub(crate) fn early_init() {
    serial::init();
    logger::init();
    arch::init_early();
}

/// Brings up memory management, the per-CPU block, FPU state, SMEP/SMAP,
/// the `syscall` entry, ACPI, interrupt controllers and clocks, then enables
/// interrupts. The kernel calls this first in `kernel_main`.
pub fn init(boot: &BootInfo) {
    mm::init(boot);
    arch::percpu::init_boot_cpu();
    arch::fpu::init();
    arch::usercopy::cpu_protection_init();
    arch::syscall::init();
    acpi::init(boot.rsdp);
    apic::init();
    time::init(boot.entry_tsc);
    if apic::route_isa_irq(serial::COM1_IRQ, ISA_IRQ_BASE_VECTOR + serial::COM1_IRQ) {
        serial::enable_receive_interrupt();
    } else {
        log::warn!("no I/O APIC route for COM1, input disabled");
    }
    irq::enable();
}

/// Reports an error the boot cannot continue from and stops.
pub(crate) fn fatal(args: core::fmt::Arguments) -> ! {
    serial::bypass_lock();
    log::error!("{args}");
    power::exit_qemu(power::QemuExitCode::Failure)
}
