//! Resource limits (`getrlimit`, `prlimit64`, /proc/<pid>/limits).

use linux_raw_sys::general as raw;

/// `RLIM_INFINITY`.
pub const INFINITY: u64 = u64::MAX;

/// Number of resources (`RLIM_NLIMITS`).
pub const RESOURCE_COUNT: usize = raw::RLIM_NLIMITS as usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub soft: u64,
    pub hard: u64,
}

/// One process's limits, indexed by `RLIMIT_*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceLimits {
    limits: [Limit; RESOURCE_COUNT],
}

/// The values Linux gives init on a small machine.
const DEFAULT_NOFILE: u64 = 1024;
const DEFAULT_NOFILE_MAX: u64 = 4096;
const DEFAULT_STACK: u64 = 8 * 1024 * 1024;
const DEFAULT_NPROC: u64 = 4096;
const DEFAULT_SIGPENDING: u64 = 4096;
const DEFAULT_MEMLOCK: u64 = 8 * 1024 * 1024;
const DEFAULT_MSGQUEUE: u64 = 819_200;

impl Default for ResourceLimits {
    fn default() -> Self {
        let unlimited = Limit {
            soft: INFINITY,
            hard: INFINITY,
        };
        let mut limits = [unlimited; RESOURCE_COUNT];
        let mut set = |resource: u32, soft: u64, hard: u64| {
            limits[resource as usize] = Limit { soft, hard };
        };
        set(raw::RLIMIT_CORE, 0, INFINITY);
        set(raw::RLIMIT_STACK, DEFAULT_STACK, INFINITY);
        set(raw::RLIMIT_NPROC, DEFAULT_NPROC, DEFAULT_NPROC);
        set(raw::RLIMIT_NOFILE, DEFAULT_NOFILE, DEFAULT_NOFILE_MAX);
        set(raw::RLIMIT_MEMLOCK, DEFAULT_MEMLOCK, DEFAULT_MEMLOCK);
        set(
            raw::RLIMIT_SIGPENDING,
            DEFAULT_SIGPENDING,
            DEFAULT_SIGPENDING,
        );
        set(raw::RLIMIT_MSGQUEUE, DEFAULT_MSGQUEUE, DEFAULT_MSGQUEUE);
        set(raw::RLIMIT_NICE, 0, 0);
        set(raw::RLIMIT_RTPRIO, 0, 0);
        ResourceLimits { limits }
    }
}

impl ResourceLimits {
    /// The limit of `resource`, or `None` for an unknown resource (EINVAL).
    pub fn get(&self, resource: u32) -> Option<Limit> {
        self.limits.get(resource as usize).copied()
    }

    /// Sets a limit the way an unprivileged-but-root caller may: the soft
    /// limit may not exceed the hard one (EINVAL otherwise). Returns `None`
    /// for an unknown resource or an invalid pair.
    pub fn set(&mut self, resource: u32, limit: Limit) -> Option<()> {
        if limit.soft > limit.hard {
            return None;
        }
        *self.limits.get_mut(resource as usize)? = limit;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nofile_defaults_match_linux() {
        let limits = ResourceLimits::default();
        assert_eq!(
            limits.get(raw::RLIMIT_NOFILE),
            Some(Limit {
                soft: 1024,
                hard: 4096
            })
        );
    }

    #[test]
    fn soft_above_hard_is_rejected() {
        let mut limits = ResourceLimits::default();
        assert_eq!(
            limits.set(raw::RLIMIT_NOFILE, Limit { soft: 10, hard: 5 }),
            None
        );
        assert_eq!(limits.set(99, Limit { soft: 1, hard: 1 }), None);
    }
}
