//! Kernel time for processes: clock ticks (USER_HZ).

/// Clock ticks (USER_HZ) since boot.
pub fn ticks() -> u64 {
    platform::time::ticks() * crate::task::exec::USER_HZ / platform::time::TICK_HZ
}
