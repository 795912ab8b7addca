//! [`PidSource`]: everything procfs asks of the kernel, and the plain data it
//! gets back.
//!
//! Every answer is a snapshot copied out of the kernel's structures, so procfs
//! never holds a reference into a process and nothing it keeps goes stale
//! when the process exits: a process that is gone answers `None`.
//!
//! Units: times in clock ticks are `USER_HZ` ticks ([`USER_HZ`], what
//! `sysconf(_SC_CLK_TCK)` reports); memory figures named `_kb` are KiB.

use alloc::string::String;
use alloc::vec::Vec;

use vfs::Errno;

mod process;
mod system;

pub use process::*;
pub use system::*;

/// Clock ticks per second of every `*_ticks` figure (Linux's `USER_HZ`).
pub const USER_HZ: u64 = 100;

/// The kernel's view of the processes and the machine, as procfs needs it.
///
/// A thread-group id (`tgid`) names a process; a thread id (`tid`) names one
/// thread, and a process's first thread has `tid == tgid`. Every per-process
/// method returns `None` once the process (or thread) is gone.
pub trait PidSource: Send + Sync {
    /// The smallest live thread-group id that is `>= from`. The root listing
    /// calls this once per entry, so it should cost O(log n).
    fn next_pid(&self, from: u32) -> Option<u32>;

    /// The thread group `id` belongs to, if `id` is a live thread or process
    /// (zombies count as live until reaped).
    fn thread_group(&self, id: u32) -> Option<u32>;

    /// The calling thread, or `None` when no process is running (early boot).
    fn current(&self) -> Option<Caller>;

    /// The process-wide view of `tgid`: times and faults summed over its
    /// threads, `pid == tgid`.
    fn process(&self, tgid: u32) -> Option<ProcessInfo>;

    /// The view of one thread `tid` (`pid == tid`, `tgid` its group).
    fn thread(&self, tid: u32) -> Option<ProcessInfo>;

    /// The effective user and group ids of thread `tid`, which own its /proc
    /// entries. Every `stat` of a process's entry asks, so a source should
    /// answer without making a whole snapshot; the default does make one.
    fn owner(&self, tid: u32) -> Option<(u32, u32)> {
        self.thread(tid)
            .map(|info| (info.uid.effective, info.gid.effective))
    }

    /// The live thread ids of `tgid`, ascending.
    fn threads(&self, tgid: u32) -> Option<Vec<u32>>;

    /// The argument strings, each NUL-terminated as they lie in memory; empty
    /// when the process has no address space (a zombie).
    fn cmdline(&self, tgid: u32) -> Option<Vec<u8>>;

    /// The environment strings, each NUL-terminated; `None` when the process
    /// is gone or has no address space.
    fn environ(&self, tgid: u32) -> Option<Vec<u8>>;

    /// The auxiliary vector the program was started with, as native-endian
    /// `(type, value)` word pairs ending with `AT_NULL`; empty for a zombie.
    fn auxv(&self, tgid: u32) -> Option<Vec<u8>>;

    /// The target of `exe`, `cwd` or `root`; `None` when the process is gone
    /// or has no such thing (a zombie has no `exe`).
    fn link(&self, tgid: u32, link: ProcessLink) -> Option<String>;

    /// The open file descriptors, ascending by number.
    fn fds(&self, tgid: u32) -> Option<Vec<OpenFd>>;

    /// One open file descriptor; `None` when it (or the process) is gone.
    fn fd(&self, tgid: u32, fd: u32) -> Option<OpenFd> {
        self.fds(tgid)?.into_iter().find(|open| open.fd == fd)
    }

    /// The memory mappings, ascending by address; empty for a zombie.
    fn maps(&self, tgid: u32) -> Option<Vec<MapEntry>>;

    /// The mounts visible to the process, in mount order; `None` when it is
    /// gone or has no mount namespace any more (a zombie).
    fn mounts(&self, tgid: u32) -> Option<Vec<MountEntry>>;

    /// Renames thread `tid` (a write to `comm`; the bytes are already cut to
    /// [`COMM_MAX`]). Only a thread of the same process may do it; procfs
    /// checks that before calling.
    fn set_comm(&self, tid: u32, comm: &[u8]) -> vfs::Result<()>;

    /// Counters for `/proc/stat`, `/proc/uptime` and `/proc/loadavg`.
    fn system(&self) -> SystemInfo;

    /// Figures for `/proc/meminfo`.
    fn memory(&self) -> MemInfo;

    /// One entry per online CPU for `/proc/cpuinfo`.
    fn cpus(&self) -> Vec<CpuInfo>;

    /// Names and strings for `/proc/version`, `/proc/cmdline`,
    /// `/proc/filesystems` and `/proc/sys/kernel`.
    fn kernel(&self) -> KernelInfo;

    /// Sets the host name (a write to `/proc/sys/kernel/hostname`, already
    /// cut at the first newline and to 64 bytes).
    fn set_hostname(&self, _name: &[u8]) -> vfs::Result<()> {
        Err(vfs::Error::with_reason(
            Errno::EOPNOTSUPP,
            "this kernel cannot change the host name",
        ))
    }
}

/// The thread making the request, with the credentials permission checks use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// The caller's process (thread-group id): what `/proc/self` names.
    pub pid: u32,
    /// The calling thread: what `/proc/thread-self` names.
    pub tid: u32,
    /// Filesystem user id (the effective one unless changed by `setfsuid`).
    pub uid: u32,
    pub gid: u32,
}

/// Which symlink of a process directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcessLink {
    Exe,
    Cwd,
    Root,
}
