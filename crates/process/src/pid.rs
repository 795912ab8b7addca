//! PID allocation: count up to `pid_max`, then wrap, skipping PIDs in use.

/// A process or thread id. Linux's `pid_t` is an `i32`; valid ids are positive.
pub type Pid = u32;

/// Linux's default `/proc/sys/kernel/pid_max` on small machines.
pub const DEFAULT_PID_MAX: Pid = 32768;

/// After wrapping, allocation restarts here so low PIDs stay with daemons, as
/// Linux does (`RESERVED_PIDS`).
pub const RESERVED_PIDS: Pid = 300;

/// Hands out PIDs in increasing order, wrapping at `pid_max`.
#[derive(Debug)]
pub struct PidAllocator {
    last: Pid,
    pid_max: Pid,
}

impl PidAllocator {
    pub const fn new(pid_max: Pid) -> PidAllocator {
        PidAllocator { last: 0, pid_max }
    }

    pub fn pid_max(&self) -> Pid {
        self.pid_max
    }

    /// The most recently allocated PID (`last_pid` in /proc/loadavg).
    pub fn last(&self) -> Pid {
        self.last
    }

    /// The next free PID after the last one handed out, or `None` when every
    /// PID below `pid_max` is in use. `in_use` answers for a candidate.
    pub fn allocate(&mut self, in_use: impl Fn(Pid) -> bool) -> Option<Pid> {
        let mut candidate = self.last;
        let span = self.pid_max.saturating_sub(1);
        for _ in 0..span {
            candidate += 1;
            if candidate >= self.pid_max {
                candidate = if self.pid_max > RESERVED_PIDS {
                    RESERVED_PIDS
                } else {
                    1
                };
            }
            if !in_use(candidate) {
                self.last = candidate;
                return Some(candidate);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;

    #[test]
    fn pids_count_up_from_one() {
        let mut pids = PidAllocator::new(DEFAULT_PID_MAX);
        assert_eq!(pids.allocate(|_| false), Some(1));
        assert_eq!(pids.allocate(|_| false), Some(2));
        assert_eq!(pids.last(), 2);
    }

    #[test]
    fn allocation_wraps_to_reserved_and_skips_used() {
        let mut pids = PidAllocator::new(1000);
        pids.last = 998;
        let used: BTreeSet<Pid> = [999, 300, 301].into_iter().collect();
        assert_eq!(pids.allocate(|p| used.contains(&p)), Some(302));
    }

    #[test]
    fn exhaustion_is_none() {
        let mut pids = PidAllocator::new(10);
        assert_eq!(pids.allocate(|_| true), None);
    }
}
