//! Clocks: the periodic tick, the monotonic clock and wall time.
//!
//! At boot one calibration window (10 ms, measured by the HPET when ACPI
//! lists one, else by PIT channel 2) yields both the TSC frequency and the
//! local APIC timer rate. The monotonic clock counts TSC ticks from the boot
//! entry; on bare metal without an invariant TSC it reads the HPET instead.
//! Wall time is the CMOS RTC read once at boot plus the monotonic clock.

mod reference;
mod rtc;

use core::sync::atomic::{AtomicU64, Ordering};

use spin::Once;

use crate::arch::trap::TIMER_VECTOR;
use crate::{acpi, apic, cpu};
use reference::HpetCounter;

/// Timer interrupts per second.
pub const TICK_HZ: u64 = 100;
const NS_PER_SEC: u64 = 1_000_000_000;
const CALIBRATION_WINDOW_NS: u64 = 10_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Tsc,
    Hpet,
}

struct Clock {
    source: Source,
    tsc_hz: u64,
    /// Nanoseconds per TSC tick as a 32.32 fixed-point number: the one
    /// conversion both the kernel and the vDSO use, so they agree to the ns.
    tsc_mult: u64,
    hpet: Option<HpetCounter>,
    /// HPET counter value and monotonic time when the HPET took over.
    hpet_base: u64,
    hpet_base_ns: u64,
}

static CLOCK: Once<Clock> = Once::new();
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);
/// Wall time (ns since the epoch) at monotonic time `REALTIME_AT_NS`.
static REALTIME_BASE_NS: AtomicU64 = AtomicU64::new(0);
static REALTIME_AT_NS: AtomicU64 = AtomicU64::new(0);

/// Reads the time-stamp counter.
pub fn read_tsc() -> u64 {
    // SAFETY: `rdtsc` has no side effects; every x86_64 CPU has it.
    unsafe { core::arch::x86_64::_rdtsc() }
}

fn scale(value: u64, numerator: u64, denominator: u64) -> u64 {
    if denominator == 0 {
        return 0;
    }
    (u128::from(value) * u128::from(numerator) / u128::from(denominator)) as u64
}

/// The calibrated TSC frequency, 0 before calibration.
pub fn tsc_frequency_hz() -> u64 {
    CLOCK.get().map_or(0, |clock| clock.tsc_hz)
}

/// Converts a TSC tick count to nanoseconds (0 before calibration).
pub fn tsc_ticks_to_ns(ticks: u64) -> u64 {
    scale(ticks, NS_PER_SEC, tsc_frequency_hz())
}

/// Nanoseconds since the boot entry; 0 until the clock is calibrated.
pub fn monotonic_ns() -> u64 {
    let Some(clock) = CLOCK.get() else { return 0 };
    match (clock.source, &clock.hpet) {
        (Source::Hpet, Some(hpet)) => {
            clock.hpet_base_ns + hpet.ticks_to_ns(hpet.read().wrapping_sub(clock.hpet_base))
        }
        _ => tsc_delta_to_ns(
            read_tsc().wrapping_sub(BOOT_TSC.load(Ordering::Relaxed)),
            clock.tsc_mult,
        ),
    }
}

/// Bits after the binary point of [`TscClock::mult`].
pub const TSC_MULT_SHIFT: u32 = 32;

fn tsc_delta_to_ns(ticks: u64, mult: u64) -> u64 {
    ((u128::from(ticks) * u128::from(mult)) >> TSC_MULT_SHIFT) as u64
}

/// How to read the monotonic clock from the TSC without the kernel:
/// `ns = ((rdtsc - boot_tsc) * mult) >> TSC_MULT_SHIFT`, exactly as
/// [`monotonic_ns`] computes it.
#[derive(Clone, Copy, Debug)]
pub struct TscClock {
    pub boot_tsc: u64,
    pub mult: u64,
}

/// The TSC clock parameters, or `None` when the monotonic clock is not the
/// TSC (or not calibrated yet) and readers must ask the kernel.
pub fn tsc_clock() -> Option<TscClock> {
    let clock = CLOCK.get()?;
    (clock.source == Source::Tsc && clock.tsc_mult != 0).then(|| TscClock {
        boot_tsc: BOOT_TSC.load(Ordering::Relaxed),
        mult: clock.tsc_mult,
    })
}

/// Wall time as `(base_ns, at_ns)`: the time since the epoch was `base_ns`
/// when the monotonic clock read `at_ns`.
pub fn realtime_base() -> (u64, u64) {
    (
        REALTIME_BASE_NS.load(Ordering::Relaxed),
        REALTIME_AT_NS.load(Ordering::Relaxed),
    )
}

/// Nanoseconds since the Unix epoch (RTC at boot plus the monotonic clock).
pub fn realtime_ns() -> u64 {
    let base = REALTIME_BASE_NS.load(Ordering::Relaxed);
    let at = REALTIME_AT_NS.load(Ordering::Relaxed);
    base + monotonic_ns().saturating_sub(at)
}

/// Timer interrupts since the timer started.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Called on every timer interrupt.
pub(crate) fn on_tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Busy-waits for `ns` nanoseconds (after calibration).
pub fn spin_ns(ns: u64) {
    let end = monotonic_ns() + ns;
    while monotonic_ns() < end {
        core::hint::spin_loop();
    }
}

/// Calibrates the TSC and the local APIC timer, starts the periodic tick and
/// reads the RTC. Needs ACPI and the local APIC set up.
pub(crate) fn init(entry_tsc: u64) {
    BOOT_TSC.store(entry_tsc, Ordering::Relaxed);
    let hpet = acpi::info()
        .and_then(|info| info.hpet_address)
        .and_then(HpetCounter::new);

    let window = reference::calibrate(hpet.as_ref(), CALIBRATION_WINDOW_NS);
    let tsc_hz = scale(window.tsc_ticks, NS_PER_SEC, window.elapsed_ns);
    let apic_hz = scale(u64::from(window.apic_counts), NS_PER_SEC, window.elapsed_ns);
    let counts_per_tick = u32::try_from(apic_hz / TICK_HZ).unwrap_or(u32::MAX);

    let features = cpu::features();
    let source = match &hpet {
        Some(hpet) if !features.invariant_tsc && !features.hypervisor && hpet.is_64bit() => {
            Source::Hpet
        }
        _ => Source::Tsc,
    };
    if source == Source::Tsc && !features.invariant_tsc && !features.hypervisor {
        log::warn!("TSC is not invariant and no 64-bit HPET; using it anyway");
    }
    let hpet_base = hpet.as_ref().map_or(0, HpetCounter::read);
    let hpet_base_ns = scale(read_tsc().wrapping_sub(entry_tsc), NS_PER_SEC, tsc_hz);
    let tsc_mult = scale(NS_PER_SEC, 1 << TSC_MULT_SHIFT, tsc_hz);
    CLOCK.call_once(|| Clock {
        source,
        tsc_hz,
        tsc_mult,
        hpet,
        hpet_base,
        hpet_base_ns,
    });

    apic::start_periodic_timer(TIMER_VECTOR, counts_per_tick);

    match rtc::read_unix_seconds() {
        Some(seconds) => {
            REALTIME_AT_NS.store(monotonic_ns(), Ordering::Relaxed);
            REALTIME_BASE_NS.store(seconds * NS_PER_SEC, Ordering::Relaxed);
        }
        None => log::warn!("the RTC gave no valid time; wall clock starts at the epoch"),
    }

    log::info!(
        "TSC {}.{:03} MHz (against {}), APIC timer {} counts/tick at {} Hz, clock {:?}",
        tsc_hz / 1_000_000,
        tsc_hz / 1_000 % 1_000,
        if window.used_hpet { "HPET" } else { "PIT" },
        counts_per_tick,
        TICK_HZ,
        source
    );
}
