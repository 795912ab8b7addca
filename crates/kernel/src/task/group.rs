//! Processes: thread groups with a PID, a parent, files and signal handlers.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};

use platform::arch::irq::IrqMutex;
use process::signal::{PendingSignals, SignalActions};
use process::{ExitStatus, Pid, ProcessTable, ResourceLimits, Signal};
use spin::Mutex;
use vfs::cred::Credentials;
use vfs::fdtable::FdTable;
use vfs::PathNode;

use super::wait_queue::WaitQueue;
use super::Task;
use crate::mm::oom::KernelCharge;
use crate::timer::ProcessTimers;

/// The filesystem view of a process (shared by CLONE_FS).
pub struct FsContext {
    pub root: Arc<PathNode>,
    pub cwd: Arc<PathNode>,
    pub umask: u32,
}

/// Where a process is in its life, as its parent sees it.
#[derive(Default)]
pub struct LifeState {
    /// Set when the last thread exited: the process is a zombie until reaped.
    pub exit: Option<ExitStatus>,
    /// Whether a stop signal holds the process: every thread stops at its
    /// next return to user mode (a group stop).
    pub stopped: bool,
    /// The signal of a group stop the parent has not been told of: it is,
    /// once the last thread has stopped.
    pub stop_report: Option<Signal>,
    /// A stop or continue the parent has not collected yet (WUNTRACED, WCONTINUED).
    pub change: Option<ExitStatus>,
    /// Set by exit_group (or a fatal signal): every thread exits with it.
    pub group_exit: Option<ExitStatus>,
}

/// A thread group.
pub struct Process {
    pub pid: Pid,
    pub ppid: AtomicU32,
    pub pgid: AtomicU32,
    pub sid: AtomicU32,
    pub creds: Mutex<Credentials>,
    pub fs: Arc<Mutex<FsContext>>,
    pub files: Arc<Mutex<FdTable>>,
    pub sigactions: Arc<IrqMutex<SignalActions>>,
    /// Signals sent to the whole group (kill), taken by any thread.
    pub shared_pending: IrqMutex<PendingSignals>,
    pub threads: IrqMutex<Vec<Arc<Task>>>,
    pub children: Mutex<Vec<Pid>>,
    pub life: IrqMutex<LifeState>,
    /// The parent sleeps here in wait4; children wake it when they change.
    pub child_wait: WaitQueue,
    /// Woken whenever one of the threads exits (exec waits here for the others).
    pub thread_exit: WaitQueue,
    pub comm: Mutex<String>,
    pub exe: Mutex<String>,
    pub limits: Mutex<ResourceLimits>,
    pub nice: AtomicI32,
    /// Clock ticks since boot when the process started.
    pub start_ticks: u64,
    /// Ticks of reaped children (cutime, cstime).
    pub children_utime: AtomicU64,
    pub children_stime: AtomicU64,
    /// Ticks of threads that already exited.
    pub dead_utime: AtomicU64,
    pub dead_stime: AtomicU64,
    /// The signal the parent gets at exit (SIGCHLD unless clone said otherwise;
    /// back to SIGCHLD when init adopts the process).
    pub exit_signal: AtomicU32,
    /// A vfork parent sleeps here until this child execs or exits.
    pub vfork_done: WaitQueue,
    pub vfork_pending: AtomicU32,
    /// Made by fork or clone and not yet through execve (`PF_FORKNOEXEC`).
    pub forked_not_execed: AtomicBool,
    /// ITIMER_REAL and the POSIX timers.
    pub timers: Mutex<ProcessTimers>,
    /// Kernel memory this process made the kernel hold (the out-of-memory
    /// killer weighs it).
    pub kernel_charge: Arc<KernelCharge>,
}

impl Process {
    pub fn comm(&self) -> String {
        self.comm.lock().clone()
    }

    pub fn ppid(&self) -> Pid {
        self.ppid.load(Ordering::Relaxed)
    }

    pub fn pgid(&self) -> Pid {
        self.pgid.load(Ordering::Relaxed)
    }

    pub fn sid(&self) -> Pid {
        self.sid.load(Ordering::Relaxed)
    }

    pub fn is_zombie(&self) -> bool {
        self.life.lock().exit.is_some()
    }

    /// Every thread but `task`, taken out of the thread list so that the
    /// caller can act on them without holding its lock.
    pub fn other_threads(&self, task: &Arc<Task>) -> Vec<Arc<Task>> {
        self.threads
            .lock()
            .iter()
            .filter(|other| !Arc::ptr_eq(other, task))
            .cloned()
            .collect()
    }

    /// The thread whose tid is the pid, or any live thread.
    pub fn main_thread(&self) -> Option<Arc<Task>> {
        let threads = self.threads.lock();
        threads
            .iter()
            .find(|t| t.tid() == self.pid)
            .or(threads.first())
            .cloned()
    }

    /// Total user and system ticks of live and exited threads.
    pub fn times(&self) -> (u64, u64) {
        let threads = self.threads.lock();
        let utime = threads
            .iter()
            .map(|t| t.utime.load(Ordering::Relaxed))
            .sum::<u64>();
        let stime = threads
            .iter()
            .map(|t| t.stime.load(Ordering::Relaxed))
            .sum::<u64>();
        (
            utime + self.dead_utime.load(Ordering::Relaxed),
            stime + self.dead_stime.load(Ordering::Relaxed),
        )
    }
}

/// Every process, by PID.
pub static PROCESSES: IrqMutex<ProcessTable<Process>> =
    IrqMutex::new(ProcessTable::new(process::pid::DEFAULT_PID_MAX));

/// The process with `pid`, live or zombie.
pub fn lookup(pid: Pid) -> Option<Arc<Process>> {
    PROCESSES.lock().get(pid).cloned()
}

/// The process a thread id belongs to, and that thread.
pub fn lookup_thread(tid: Pid) -> Option<(Arc<Process>, Arc<Task>)> {
    let process = {
        let table = PROCESSES.lock();
        let tgid = table.thread_group_of(tid)?;
        table.get(tgid).cloned()?
    };
    let task = process
        .threads
        .lock()
        .iter()
        .find(|t| t.tid() == tid)
        .cloned()?;
    Some((process, task))
}

/// Every process in group `pgid`.
pub fn group_members(pgid: Pid) -> Vec<Arc<Process>> {
    PROCESSES
        .lock()
        .processes()
        .filter(|p| p.pgid() == pgid)
        .cloned()
        .collect()
}

/// Whether no member of group `pgid` has a parent in another group of the
/// same session (POSIX's orphaned process group): nobody is left who could
/// continue it, so the terminal's stop signals pass it by. Init never counts
/// as such a parent, as on Linux.
pub fn is_orphaned_group(pgid: Pid, sid: Pid) -> bool {
    !group_members(pgid).iter().any(|member| {
        !member.is_zombie()
            && member.ppid() != super::lifecycle::INIT_PID
            && lookup(member.ppid())
                .is_some_and(|parent| parent.pgid() != pgid && parent.sid() == sid)
    })
}

/// Every live process.
pub fn all() -> Vec<Arc<Process>> {
    PROCESSES.lock().processes().cloned().collect()
}
