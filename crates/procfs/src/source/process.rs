//! Per-process snapshots: what `stat`, `status`, `fd/`, `maps` and `mounts` show.

use alloc::string::String;
use alloc::vec::Vec;

use arrayvec::ArrayVec;
use vfs::DeviceId;

/// Longest command name, without the terminating NUL (`TASK_COMM_LEN - 1`).
pub const COMM_MAX: usize = 15;

/// A command name (`comm`): raw bytes, at most [`COMM_MAX`].
pub type Comm = ArrayVec<u8, COMM_MAX>;

/// Number of resource limits (`RLIM_NLIMITS`).
pub const RLIMIT_COUNT: usize = linux_raw_sys::general::RLIMIT_RTTIME as usize + 1;

/// The value of an unlimited resource limit (`RLIM_INFINITY` as an unsigned long).
pub const RLIM_INFINITY: u64 = u64::MAX;

/// Scheduler state, as the one-letter codes of `stat` and `status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TaskState {
    #[default]
    Running,
    Sleeping,
    DiskSleep,
    Stopped,
    TracingStop,
    Dead,
    Zombie,
    Parked,
    Idle,
}

impl TaskState {
    /// The letter of `stat`'s third field.
    pub const fn letter(self) -> char {
        self.describe().as_bytes()[0] as char
    }

    /// The `State:` text of `status`, as Linux spells it.
    pub const fn describe(self) -> &'static str {
        match self {
            TaskState::Running => "R (running)",
            TaskState::Sleeping => "S (sleeping)",
            TaskState::DiskSleep => "D (disk sleep)",
            TaskState::Stopped => "T (stopped)",
            TaskState::TracingStop => "t (tracing stop)",
            TaskState::Dead => "X (dead)",
            TaskState::Zombie => "Z (zombie)",
            TaskState::Parked => "P (parked)",
            TaskState::Idle => "I (idle)",
        }
    }
}

/// Real, effective, saved and filesystem ids, in `status` order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdSet {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
    pub fs: u32,
}

/// Signal sets, bit `n - 1` for signal `n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalMasks {
    /// Pending for this thread only.
    pub pending: u64,
    /// Pending for the whole process.
    pub shared_pending: u64,
    pub blocked: u64,
    pub ignored: u64,
    /// Signals with a handler installed.
    pub caught: u64,
}

/// Capability sets, bit `n` for capability `n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub inheritable: u64,
    pub permitted: u64,
    pub effective: u64,
    pub bounding: u64,
    pub ambient: u64,
}

/// The `Vm*` and `Rss*` figures of `status`, in KiB; `statm`, `stat`'s vsize
/// and rss derive from them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryFigures {
    pub peak_kb: u64,
    pub size_kb: u64,
    pub locked_kb: u64,
    pub pinned_kb: u64,
    pub hwm_kb: u64,
    pub rss_kb: u64,
    pub rss_anon_kb: u64,
    pub rss_file_kb: u64,
    pub rss_shmem_kb: u64,
    pub data_kb: u64,
    pub stack_kb: u64,
    pub exe_kb: u64,
    pub lib_kb: u64,
    pub page_tables_kb: u64,
    pub swap_kb: u64,
}

/// Addresses of the address space layout `stat` reports; all zero without
/// an address space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddressLayout {
    pub start_code: u64,
    pub end_code: u64,
    pub start_stack: u64,
    pub start_data: u64,
    pub end_data: u64,
    pub start_brk: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

/// One resource limit; [`RLIM_INFINITY`] means unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceLimit {
    pub soft: u64,
    pub hard: u64,
}

impl ResourceLimit {
    pub const UNLIMITED: ResourceLimit = ResourceLimit {
        soft: RLIM_INFINITY,
        hard: RLIM_INFINITY,
    };
}

impl Default for ResourceLimit {
    fn default() -> ResourceLimit {
        ResourceLimit::UNLIMITED
    }
}

/// The CPUs a thread may run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuMask {
    /// Bit `n` for CPU `n`.
    pub bits: u64,
    /// How many CPUs the machine can have (`nr_cpu_ids`): the width of the
    /// printed mask.
    pub possible: u32,
}

impl Default for CpuMask {
    fn default() -> CpuMask {
        CpuMask {
            bits: 1,
            possible: 1,
        }
    }
}

/// A snapshot of one process or thread: everything `stat`, `status`,
/// `statm` and `limits` show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// The id this view is for: the tgid for a process, the tid for a thread.
    pub pid: u32,
    pub tgid: u32,
    pub ppid: u32,
    pub pgrp: u32,
    pub session: u32,
    /// Pid of the tracer, 0 when not traced.
    pub tracer_pid: u32,
    /// Controlling terminal as an encoded device number, 0 for none.
    pub tty_nr: u32,
    /// Foreground process group of the terminal, -1 without one.
    pub tpgid: i32,
    pub comm: Comm,
    pub state: TaskState,
    /// `PF_*` flags.
    pub flags: u32,
    pub minor_faults: u64,
    pub major_faults: u64,
    pub child_minor_faults: u64,
    pub child_major_faults: u64,
    pub user_ticks: u64,
    pub system_ticks: u64,
    pub child_user_ticks: u64,
    pub child_system_ticks: u64,
    pub guest_ticks: u64,
    pub child_guest_ticks: u64,
    pub blkio_delay_ticks: u64,
    /// Kernel priority as `stat` shows it (20 + nice for normal tasks).
    pub priority: i32,
    pub nice: i32,
    pub rt_priority: u32,
    /// `SCHED_*` policy.
    pub policy: u32,
    pub num_threads: u32,
    /// When the process started, in ticks after boot.
    pub start_ticks: u64,
    /// `None` without an address space (a zombie): `status` then omits the
    /// `Vm*` lines and `statm` is all zero.
    pub memory: Option<MemoryFigures>,
    pub layout: AddressLayout,
    pub signals: SignalMasks,
    /// Signals queued for the user (the first number of `SigQ`).
    pub signals_queued: u32,
    /// Signal sent to the parent at exit (SIGCHLD normally).
    pub exit_signal: i32,
    /// CPU it last ran on.
    pub processor: u32,
    /// Exit status in `waitpid` encoding; 0 while running.
    pub exit_code: i32,
    pub uid: IdSet,
    pub gid: IdSet,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// `None` when the process has no filesystem context (a zombie).
    pub umask: Option<u32>,
    /// Slots in the fd table (`FDSize`).
    pub fd_slots: u32,
    pub capabilities: Capabilities,
    pub no_new_privs: bool,
    pub cpus_allowed: CpuMask,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// Indexed by `RLIMIT_*`.
    pub limits: [ResourceLimit; RLIMIT_COUNT],
}

/// What an open file descriptor refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdTarget {
    /// A file with a path (absolute, as `d_path` gives it).
    Path(String),
    /// A pipe, by its inode number: `pipe:[ino]`.
    Pipe(u64),
    /// A socket, by its inode number: `socket:[ino]`.
    Socket(u64),
    /// An anonymous inode, by the name Linux gives that kind, brackets
    /// included where Linux has them (`[eventfd]`, `[eventpoll]`, `inotify`).
    AnonInode(&'static str),
}

/// One open file descriptor, for `fd/` and `fdinfo/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenFd {
    pub fd: u32,
    pub target: FdTarget,
    pub pos: u64,
    /// Open flags as `fcntl(F_GETFL)` plus `O_CLOEXEC` (and `O_LARGEFILE`,
    /// which Linux always shows on 64-bit).
    pub flags: u32,
    /// Id of the mount the file lies on (the first field of `mountinfo`).
    pub mnt_id: u32,
    pub ino: u64,
}

/// What a mapping maps, for the last column of `maps`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MapName {
    #[default]
    Anonymous,
    File(String),
    Heap,
    Stack,
    Vdso,
    Vvar,
    Vsyscall,
}

/// One line of `maps`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapEntry {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    /// `MAP_SHARED` (`s`) rather than private (`p`).
    pub shared: bool,
    pub offset: u64,
    pub dev: DeviceId,
    pub inode: u64,
    pub name: MapName,
}

/// One mount, enough for both `mounts` and `mountinfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountEntry {
    pub id: u32,
    pub parent_id: u32,
    pub dev: DeviceId,
    /// The directory of the filesystem that is mounted (`/` usually).
    pub root: String,
    pub mount_point: String,
    pub fs_type: String,
    /// What was mounted (`/dev/sda1`, `proc`, `none`).
    pub source: String,
    /// The mount itself is read-only.
    pub read_only: bool,
    /// The filesystem instance is read-only.
    pub fs_read_only: bool,
    /// Per-mount flags after `ro`/`rw`, comma-separated (`nosuid,relatime`).
    pub mount_flags: String,
    /// Filesystem options, comma-separated (`size=1024k,mode=755`).
    pub fs_options: String,
    /// `mountinfo`'s optional fields (`shared:1`), space-separated.
    pub propagation: String,
}
