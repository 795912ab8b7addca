//! Load averages: exponentially decayed counts of runnable tasks, sampled
//! every five seconds, in Linux's fixed point (11 fractional bits).

use core::sync::atomic::{AtomicU64, Ordering};

use crate::task::sched;

/// Fractional bits of the fixed-point averages (`FSHIFT`).
pub const FSHIFT: u32 = 11;
pub const FIXED_1: u64 = 1 << FSHIFT;
/// exp(-5s/1min), exp(-5s/5min), exp(-5s/15min) in fixed point.
const DECAY: [u64; 3] = [1884, 2014, 2037];
const SAMPLE_NS: u64 = 5_000_000_000;

static AVERAGES: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
static NEXT_SAMPLE_NS: AtomicU64 = AtomicU64::new(SAMPLE_NS);

/// Called from the timer tick.
pub fn tick(now_ns: u64) {
    if now_ns < NEXT_SAMPLE_NS.load(Ordering::Relaxed) {
        return;
    }
    NEXT_SAMPLE_NS.store(now_ns + SAMPLE_NS, Ordering::Relaxed);
    // The running task (not idle) plus those waiting to run.
    let active = sched::runnable_count() as u64 + u64::from(!sched::is_idle());
    for (average, decay) in AVERAGES.iter().zip(DECAY) {
        let old = average.load(Ordering::Relaxed);
        let new = (old * decay + active * FIXED_1 * (FIXED_1 - decay)) >> FSHIFT;
        average.store(new, Ordering::Relaxed);
    }
}

/// The 1, 5 and 15 minute averages in fixed point (`FIXED_1` = 1.0).
pub fn averages_fixed() -> [u64; 3] {
    AVERAGES.each_ref().map(|a| a.load(Ordering::Relaxed))
}

/// The averages scaled for sysinfo (16 fractional bits).
pub fn averages() -> [u64; 3] {
    averages_fixed().map(|a| a << (16 - FSHIFT))
}
