//! Tasks (threads) and processes (thread groups), and how they run.
//!
//! A [`Task`] is what the scheduler runs: a kernel stack, a saved register
//! context and an address space. A [`Process`] is what users see: a PID, a
//! parent, files, credentials, signal handlers, and one or more tasks.

pub mod count;
pub mod exec;
pub mod group;
pub mod lifecycle;
pub mod sched;
pub mod wait_queue;

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};

use platform::arch::irq::IrqMutex;
use platform::arch::switch::{KernelStack, SwitchContext};
use process::signal::PendingSignals;
use process::{Pid, SigSet};
use spin::mutex::SpinMutex;

use crate::mm::Mm;
pub use group::Process;
pub use wait_queue::WaitQueue;

/// What a task is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TaskState {
    /// On a CPU or in a run queue.
    Running = 0,
    /// Waiting for an event.
    Sleeping = 1,
    /// Stopped by a signal, until SIGCONT.
    Stopped = 2,
    /// Exited; freed once switched away from and no longer referenced.
    Dead = 3,
}

/// The signal stack set with `sigaltstack`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub base: u64,
    pub size: u64,
    pub flags: u32,
}

/// What the thread's last exception in user mode left behind, as Linux keeps
/// it per thread: every later signal frame shows it in `sigcontext` (trapno,
/// err, cr2) until the next exception replaces it. A thread that never
/// faulted shows zeros, never the vector of whatever entered the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultState {
    pub trapno: u64,
    pub error_code: u64,
    /// The address of the last page fault.
    pub cr2: u64,
}

/// Per-thread signal state.
#[derive(Default)]
pub struct TaskSignals {
    pub blocked: SigSet,
    pub pending: PendingSignals,
    pub altstack: AltStack,
    /// The mask to restore after `rt_sigsuspend`/`ppoll` return through a handler.
    pub saved_mask: Option<SigSet>,
    pub last_fault: FaultState,
}

/// A sleep cut short by a signal that ran no handler (a stop, then
/// SIGCONT): `restart_syscall` sleeps on to the same deadline.
#[derive(Clone, Copy, Debug)]
pub struct SleepRestart {
    /// On the monotonic clock.
    pub deadline_ns: u64,
    /// Where to write the time left if a handled signal comes next; 0: nowhere.
    pub remaining: u64,
}

/// A thread of execution.
pub struct Task {
    /// The thread id; it changes once, when a thread other than the leader
    /// calls execve and takes over the process id.
    tid: AtomicU32,
    pub process: Arc<Process>,
    context: SpinMutex<SwitchContext>,
    /// `None` for the boot CPU's idle task, which runs on the boot stack.
    _stack: Option<KernelStack>,
    mm: SpinMutex<Option<Arc<Mm>>>,
    state: AtomicU8,
    pub signals: IrqMutex<TaskSignals>,
    /// `set_tid_address` / CLONE_CHILD_CLEARTID: zeroed and futex-woken at exit.
    pub clear_child_tid: AtomicU64,
    /// CLONE_CHILD_SETTID: where to store the tid on the first return to user.
    pub set_child_tid: AtomicU64,
    /// `set_robust_list`: the user address of this thread's robust futex
    /// list head, walked at exit and exec; 0 for none.
    pub robust_list: AtomicU64,
    /// Set by another thread's execve: this thread ends at its next return
    /// to user mode, alone, not with the whole group.
    pub exec_victim: AtomicBool,
    /// What `restart_syscall` resumes.
    pub restart: IrqMutex<Option<SleepRestart>>,
    slice: AtomicU32,
    /// Clock ticks spent in user and kernel mode.
    pub utime: AtomicU64,
    pub stime: AtomicU64,
}

impl Task {
    /// The task for the boot context, which becomes this CPU's idle loop.
    pub fn idle(process: Arc<Process>) -> Arc<Task> {
        Arc::new(Task::build(0, process, SwitchContext::new(), None, None))
    }

    pub(crate) fn build(
        tid: Pid,
        process: Arc<Process>,
        context: SwitchContext,
        stack: Option<KernelStack>,
        mm: Option<Arc<Mm>>,
    ) -> Task {
        Task {
            tid: AtomicU32::new(tid),
            process,
            context: SpinMutex::new(context),
            _stack: stack,
            mm: SpinMutex::new(mm),
            state: AtomicU8::new(TaskState::Running as u8),
            signals: IrqMutex::new(TaskSignals::default()),
            clear_child_tid: AtomicU64::new(0),
            set_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            exec_victim: AtomicBool::new(false),
            restart: IrqMutex::new(None),
            slice: AtomicU32::new(0),
            utime: AtomicU64::new(0),
            stime: AtomicU64::new(0),
        }
    }

    pub fn tid(&self) -> Pid {
        self.tid.load(Ordering::Relaxed)
    }

    /// Exec by a thread other than the leader: it becomes the leader.
    pub(super) fn set_tid(&self, tid: Pid) {
        self.tid.store(tid, Ordering::Relaxed);
    }

    pub fn state(&self) -> TaskState {
        match self.state.load(Ordering::Acquire) {
            0 => TaskState::Running,
            1 => TaskState::Sleeping,
            2 => TaskState::Stopped,
            _ => TaskState::Dead,
        }
    }

    pub fn set_state(&self, state: TaskState) {
        self.state.store(state as u8, Ordering::Release);
    }

    /// The address space, `None` for kernel-only tasks.
    pub fn mm(&self) -> Option<Arc<Mm>> {
        self.mm.lock().clone()
    }

    /// Installs a new address space (exec) and makes it current when this
    /// task is running; returns the old one.
    pub fn replace_mm(&self, mm: Arc<Mm>) -> Option<Arc<Mm>> {
        mm.activate();
        self.mm.lock().replace(mm)
    }

    /// Drops the address space at exit.
    pub fn take_mm(&self) -> Option<Arc<Mm>> {
        platform::mm::user::activate_kernel_space();
        self.mm.lock().take()
    }

    fn activate_mm(&self) {
        if let Some(mm) = self.mm.lock().as_ref() {
            mm.activate();
        }
    }

    fn context_ptr(&self) -> *mut SwitchContext {
        self.context.as_mut_ptr()
    }

    /// Sets the FS base (thread pointer) of this task; it must be running.
    pub fn set_fs_base(&self, base: u64) -> bool {
        platform::arch::percpu::set_fs_base(base).is_ok()
    }

    pub fn nice(&self) -> i32 {
        self.process.nice.load(Ordering::Relaxed)
    }

    fn reset_slice(&self, ticks: u32) {
        self.slice.store(ticks, Ordering::Relaxed);
    }

    /// Uses one tick of the slice; true when it ran out.
    fn consume_slice(&self) -> bool {
        let left = self.slice.load(Ordering::Relaxed).saturating_sub(1);
        self.slice.store(left, Ordering::Relaxed);
        left == 0
    }

    fn account_tick(&self, from_user: bool) {
        let counter = if from_user { &self.utime } else { &self.stime };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether a signal is pending that this task does not block, or its
    /// process is stopping and this task has yet to stop with it.
    pub fn has_deliverable_signal(&self) -> bool {
        if self.process.life.lock().stopped {
            return true;
        }
        let signals = self.signals.lock();
        let shared = self.process.shared_pending.lock().set();
        !signals
            .pending
            .set()
            .union(shared)
            .difference(signals.blocked)
            .is_empty()
    }
}
