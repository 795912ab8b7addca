//! What each /proc inode stands for, its type, mode and inode number.
//!
//! An inode is a [`Node`]: a plain value naming a place in the tree (a PID
//! and a file kind), never a reference to a process. Inode numbers are a
//! function of the node, so an entry listed by `readdir` and the inode its
//! lookup gives always agree.

use vfs::FileType;

use crate::source::{PidSource, ProcessInfo, ProcessLink};

/// The inode number of the root directory, as Linux numbers it.
pub const ROOT_INO: u64 = 1;

// Inode number layout: the id (pid or tid) in the top 24 bits, a flag for
// nodes under `task/`, seven bits of node kind, and 32 bits of sub-index (the
// fd number). Linux's `PID_MAX_LIMIT` (2^22) fits in 24 bits.
const ID_SHIFT: u32 = 40;
const ID_MASK: u64 = (1 << 24) - 1;
const THREAD_BIT: u64 = 1 << 39;
const KIND_SHIFT: u32 = 32;

/// A task as a /proc directory shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Task {
    pub tgid: u32,
    /// The id the directory is named by: `tgid` itself for `/proc/<tgid>`, a
    /// thread for `/proc/<tid>` and `task/<tid>`.
    pub tid: u32,
    /// Reached through `task/`: the per-thread subset of entries.
    pub in_task_dir: bool,
}

impl Task {
    pub const fn process(tgid: u32) -> Task {
        Task {
            tgid,
            tid: tgid,
            in_task_dir: false,
        }
    }

    /// Whether this directory shows the whole process (times summed over
    /// threads) rather than one thread.
    pub const fn is_process_view(&self) -> bool {
        self.tid == self.tgid && !self.in_task_dir
    }

    pub fn is_alive(&self, source: &dyn PidSource) -> bool {
        source.thread_group(self.tid) == Some(self.tgid)
    }

    /// The snapshot this directory's files are made from.
    pub fn snapshot(&self, source: &dyn PidSource) -> Option<ProcessInfo> {
        let info = if self.is_process_view() {
            source.process(self.tgid)
        } else {
            source.thread(self.tid)
        };
        info.filter(|info| info.tgid == self.tgid)
    }
}

/// Generated files of a PID directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PidFile {
    Stat,
    Status,
    Statm,
    Cmdline,
    Comm,
    Environ,
    Auxv,
    Maps,
    Mounts,
    MountInfo,
    Limits,
}

/// Generated files outside the PID directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemFile {
    CpuInfo,
    MemInfo,
    Stat,
    Uptime,
    LoadAvg,
    Version,
    Filesystems,
    Cmdline,
    PidMax,
    OsRelease,
    OsType,
    Hostname,
}

/// Fixed directories outside the PID directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemDir {
    Sys,
    SysKernel,
}

/// Symlinks in the root whose target depends on the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RootLink {
    SelfLink,
    ThreadSelf,
    Mounts,
}

/// One place in the /proc tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    Root,
    SystemDir(SystemDir),
    SystemFile(SystemFile),
    RootLink(RootLink),
    PidDir(Task),
    TaskDir(Task),
    FdDir(Task),
    FdInfoDir(Task),
    PidFile(Task, PidFile),
    PidLink(Task, ProcessLink),
    Fd(Task, u32),
    FdInfo(Task, u32),
}

impl Node {
    pub fn file_type(&self) -> FileType {
        match self {
            Node::Root
            | Node::SystemDir(_)
            | Node::PidDir(_)
            | Node::TaskDir(_)
            | Node::FdDir(_)
            | Node::FdInfoDir(_) => FileType::Directory,
            Node::RootLink(_) | Node::PidLink(..) | Node::Fd(..) => FileType::Symlink,
            Node::SystemFile(_) | Node::PidFile(..) | Node::FdInfo(..) => FileType::Regular,
        }
    }

    /// Permission bits, as Linux gives them. `fd/<n>` links are not listed
    /// here: their bits follow the open mode (see `pid_dir`).
    pub fn permissions(&self) -> u32 {
        match self {
            Node::Root | Node::SystemDir(_) => 0o555,
            Node::PidDir(_) | Node::TaskDir(_) | Node::FdInfoDir(_) => 0o555,
            Node::FdDir(_) => 0o500,
            Node::RootLink(_) | Node::PidLink(..) => 0o777,
            Node::Fd(..) => 0o700,
            Node::FdInfo(..) => 0o444,
            Node::SystemFile(file) => match file {
                SystemFile::PidMax | SystemFile::Hostname => 0o644,
                _ => 0o444,
            },
            Node::PidFile(_, file) => match file {
                PidFile::Comm => 0o644,
                PidFile::Environ | PidFile::Auxv => 0o400,
                _ => 0o444,
            },
        }
    }

    /// The task whose directory holds this node, if any.
    pub fn task(&self) -> Option<Task> {
        match *self {
            Node::PidDir(task)
            | Node::TaskDir(task)
            | Node::FdDir(task)
            | Node::FdInfoDir(task)
            | Node::PidFile(task, _)
            | Node::PidLink(task, _)
            | Node::Fd(task, _)
            | Node::FdInfo(task, _) => Some(task),
            _ => None,
        }
    }

    pub fn ino(&self) -> u64 {
        if *self == Node::Root {
            return ROOT_INO;
        }
        let (id, thread) = match self.task() {
            Some(task) => (u64::from(task.tid) & ID_MASK, task.in_task_dir),
            None => (0, false),
        };
        let sub = match *self {
            Node::Fd(_, fd) | Node::FdInfo(_, fd) => u64::from(fd),
            _ => 0,
        };
        let thread_bit = if thread { THREAD_BIT } else { 0 };
        (id << ID_SHIFT) | thread_bit | (u64::from(self.kind_code()) << KIND_SHIFT) | sub
    }

    /// A distinct number per kind of node, below 128; never 0, so no inode
    /// number is 0.
    fn kind_code(&self) -> u8 {
        match *self {
            Node::Root => 1,
            Node::SystemDir(dir) => 2 + dir as u8,
            Node::RootLink(link) => 8 + link as u8,
            Node::SystemFile(file) => 16 + file as u8,
            Node::PidDir(_) => 40,
            Node::TaskDir(_) => 41,
            Node::FdDir(_) => 42,
            Node::FdInfoDir(_) => 43,
            Node::Fd(..) => 44,
            Node::FdInfo(..) => 45,
            Node::PidLink(_, link) => 48 + link as u8,
            Node::PidFile(_, file) => 56 + file as u8,
        }
    }
}
