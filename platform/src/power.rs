//! Power-off and the QEMU test exit.

use x86_64::instructions::port::Port;

use crate::{acpi, cpu, serial, time};

/// Exit codes for QEMU's `isa-debug-exit` device (`iobase=0xf4,iosize=0x04`).
/// QEMU exits with `(code << 1) | 1`: 33 for success, 35 for failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum QemuExitCode {
    Success = 0x10,
    Failure = 0x11,
}

const QEMU_DEBUG_EXIT_PORT: u16 = 0xf4;
/// PM1 control bits (ACPI 6.5, 4.8.4.2.1).
const PM1_SLP_TYP_SHIFT: u16 = 10;
const PM1_SLP_TYP_MASK: u16 = 0b111 << PM1_SLP_TYP_SHIFT;
const PM1_SLP_EN: u16 = 1 << 13;
/// How long a power-off request may take to act before the next is tried.
const POWEROFF_GRACE_NS: u64 = 500_000_000;
/// Known PM1a control ports of virtual machines, tried when ACPI is absent:
/// QEMU's q35 and recent i440fx, older QEMU/Bochs, VirtualBox.
const FALLBACK_POWEROFF_PORTS: [(u16, u16); 3] =
    [(0x604, 0x2000), (0xb004, 0x2000), (0x4004, 0x3400)];

/// Leaves QEMU through `isa-debug-exit`; on hardware (or without the device)
/// the CPU halts instead.
pub fn exit_qemu(code: QemuExitCode) -> ! {
    let mut port = Port::<u32>::new(QEMU_DEBUG_EXIT_PORT);
    // SAFETY: writing the debug-exit port ends QEMU; elsewhere the port is
    // unused by any device this kernel drives.
    unsafe { port.write(code as u32) };
    cpu::halt_forever()
}

/// Turns the machine off through ACPI S5, falling back to the power-off
/// ports of common virtual machines, and halts if all of that fails.
pub fn poweroff() -> ! {
    log::info!("powering off");
    serial::bypass_lock();
    x86_64::instructions::interrupts::disable();

    if let Some(info) = acpi::info() {
        if let (Some(pm1a), Some((slp_typ_a, slp_typ_b))) =
            (info.pm1a_control_port, info.s5_sleep_type)
        {
            acpi::enable_acpi_mode(info);
            write_sleep(pm1a, slp_typ_a);
            if let Some(pm1b) = info.pm1b_control_port {
                write_sleep(pm1b, slp_typ_b);
            }
            // A virtual machine acts on the request a little later, while
            // this CPU goes on running.
            time::spin_ns(POWEROFF_GRACE_NS);
        }
    }
    for (port, value) in FALLBACK_POWEROFF_PORTS {
        let mut port = Port::<u16>::new(port);
        // SAFETY: these ports power off the VMs that have them; we are
        // shutting down, so whatever else might sit there no longer matters.
        unsafe { port.write(value) };
    }
    time::spin_ns(POWEROFF_GRACE_NS);
    log::error!("power-off failed, halting");
    cpu::halt_forever()
}

fn write_sleep(port: u16, sleep_type: u8) {
    let mut control = Port::<u16>::new(port);
    // SAFETY: the FADT names this port as a PM1 control register.
    let current = unsafe { control.read() };
    let value = (current & !PM1_SLP_TYP_MASK)
        | ((u16::from(sleep_type) << PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK)
        | PM1_SLP_EN;
    // SAFETY: as above; entering S5 is what the caller asked for.
    unsafe { control.write(value) };
}
