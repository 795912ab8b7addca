//! Reference clocks for calibration: the HPET main counter and PIT channel 2.

use x86_64::instructions::port::Port;
use x86_64::PhysAddr;

use super::read_tsc;
use crate::apic;
use crate::mm::paging;

// HPET registers (IA-PC HPET specification 1.0a, 2.3).
const HPET_REG_CAPABILITIES: u64 = 0x000;
const HPET_REG_CONFIG: u64 = 0x010;
const HPET_REG_MAIN_COUNTER: u64 = 0x0f0;
const HPET_MMIO_SIZE: u64 = 0x400;
const HPET_CAP_COUNTER_64BIT: u64 = 1 << 13;
const HPET_CAP_PERIOD_SHIFT: u32 = 32;
/// The specification caps the tick period at 100 ns.
const HPET_MAX_PERIOD_FS: u64 = 100_000_000;
const HPET_CONFIG_ENABLE: u64 = 1 << 0;
const FS_PER_NS: u64 = 1_000_000;

// PIT (8254) channel 2, gated through port 0x61.
const PIT_FREQUENCY_HZ: u64 = 1_193_182;
const PIT_CHANNEL2_DATA: u16 = 0x42;
const PIT_COMMAND: u16 = 0x43;
/// Channel 2, low then high byte, mode 0 (interrupt on terminal count), binary.
const PIT_CHANNEL2_ONE_SHOT: u8 = 0b1011_0000;
const SYSTEM_CONTROL_PORT_B: u16 = 0x61;
const PORT_B_GATE2: u8 = 1 << 0;
const PORT_B_SPEAKER: u8 = 1 << 1;
const PORT_B_OUT2: u8 = 1 << 5;

/// The HPET main counter.
pub(super) struct HpetCounter {
    base: u64,
    period_fs: u64,
    is_64bit: bool,
}

impl HpetCounter {
    /// Maps and starts the HPET at physical `address`.
    pub(super) fn new(address: u64) -> Option<Self> {
        let base = paging::map_mmio(PhysAddr::new(address), HPET_MMIO_SIZE).as_u64();
        let mut hpet = Self {
            base,
            period_fs: 0,
            is_64bit: false,
        };
        let capabilities = hpet.reg(HPET_REG_CAPABILITIES);
        hpet.period_fs = capabilities >> HPET_CAP_PERIOD_SHIFT;
        hpet.is_64bit = capabilities & HPET_CAP_COUNTER_64BIT != 0;
        if hpet.period_fs == 0 || hpet.period_fs > HPET_MAX_PERIOD_FS {
            log::warn!(
                "HPET reports a bad period ({} fs), not used",
                hpet.period_fs
            );
            return None;
        }
        let config = hpet.reg(HPET_REG_CONFIG);
        hpet.set_reg(HPET_REG_CONFIG, config | HPET_CONFIG_ENABLE);
        Some(hpet)
    }

    fn reg(&self, offset: u64) -> u64 {
        // SAFETY: `base` maps the HPET register block uncached; the
        // registers are 64-bit and aligned.
        unsafe { ((self.base + offset) as *const u64).read_volatile() }
    }

    fn set_reg(&self, offset: u64, value: u64) {
        // SAFETY: as in `reg`.
        unsafe { ((self.base + offset) as *mut u64).write_volatile(value) }
    }

    pub(super) fn read(&self) -> u64 {
        let value = self.reg(HPET_REG_MAIN_COUNTER);
        if self.is_64bit {
            value
        } else {
            value & u64::from(u32::MAX)
        }
    }

    pub(super) fn is_64bit(&self) -> bool {
        self.is_64bit
    }

    pub(super) fn ticks_to_ns(&self, ticks: u64) -> u64 {
        (u128::from(ticks) * u128::from(self.period_fs) / u128::from(FS_PER_NS)) as u64
    }
}

/// What one calibration window measured.
pub(super) struct Window {
    pub(super) tsc_ticks: u64,
    pub(super) apic_counts: u32,
    pub(super) elapsed_ns: u64,
    pub(super) used_hpet: bool,
}

/// Measures the TSC and the local APIC timer over about `window_ns`.
pub(super) fn calibrate(hpet: Option<&HpetCounter>, window_ns: u64) -> Window {
    match hpet {
        Some(hpet) => calibrate_hpet(hpet, window_ns),
        None => calibrate_pit(window_ns),
    }
}

fn calibrate_hpet(hpet: &HpetCounter, window_ns: u64) -> Window {
    let start = hpet.read();
    apic::timer_calibration_start();
    let tsc_start = read_tsc();
    let mut elapsed_ns = 0;
    while elapsed_ns < window_ns {
        core::hint::spin_loop();
        elapsed_ns = hpet.ticks_to_ns(hpet.read().wrapping_sub(start));
    }
    let apic_counts = apic::timer_calibration_elapsed();
    let tsc_ticks = read_tsc() - tsc_start;
    Window {
        tsc_ticks,
        apic_counts,
        elapsed_ns,
        used_hpet: true,
    }
}

fn calibrate_pit(window_ns: u64) -> Window {
    let count = (PIT_FREQUENCY_HZ * window_ns / 1_000_000_000).clamp(1, u64::from(u16::MAX));
    let mut port_b = Port::<u8>::new(SYSTEM_CONTROL_PORT_B);
    let mut command = Port::<u8>::new(PIT_COMMAND);
    let mut channel2 = Port::<u8>::new(PIT_CHANNEL2_DATA);
    let [low, high, ..] = count.to_le_bytes();
    // SAFETY: the PIT and port B belong to the platform; channel 2 only
    // drives the (disconnected) speaker gate used here for timing.
    unsafe {
        let gate_off = (port_b.read() & !PORT_B_SPEAKER) & !PORT_B_GATE2;
        port_b.write(gate_off);
        command.write(PIT_CHANNEL2_ONE_SHOT);
        channel2.write(low);
        channel2.write(high);
        port_b.write(gate_off | PORT_B_GATE2);
    }
    apic::timer_calibration_start();
    let tsc_start = read_tsc();
    // SAFETY: reading port B has no side effects.
    while unsafe { port_b.read() } & PORT_B_OUT2 == 0 {
        core::hint::spin_loop();
    }
    let apic_counts = apic::timer_calibration_elapsed();
    let tsc_ticks = read_tsc() - tsc_start;
    let elapsed_ns = count * 1_000_000_000 / PIT_FREQUENCY_HZ;
    Window {
        tsc_ticks,
        apic_counts,
        elapsed_ns,
        used_hpet: false,
    }
}
