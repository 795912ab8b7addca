//! Creating and ending processes: clone/fork, exit, and reaping with wait4.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};

use linux_raw_sys::general as raw;
use platform::arch::irq::IrqMutex;
use platform::arch::switch::{self, KernelStack};
use platform::arch::trap::TrapFrame;
use process::signal::{PendingSignals, SigInfo, SIGCHLD};
use process::{ExitStatus, Pid, Signal};
use spin::Mutex;
use vfs::{Errno, Result};

use super::group::{self, FsContext, LifeState, Process, PROCESSES};
use super::sched;
use super::wait_queue::WaitQueue;
use super::{Task, TaskState};
use crate::signal;
use crate::user;

/// The PID of init, which inherits orphans.
pub const INIT_PID: Pid = 1;

bitflags::bitflags! {
    /// The `clone` flags this kernel understands.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct CloneFlags: u64 {
        const VM = raw::CLONE_VM as u64;
        const FS = raw::CLONE_FS as u64;
        const FILES = raw::CLONE_FILES as u64;
        const SIGHAND = raw::CLONE_SIGHAND as u64;
        const VFORK = raw::CLONE_VFORK as u64;
        const PARENT = raw::CLONE_PARENT as u64;
        const THREAD = raw::CLONE_THREAD as u64;
        const SYSVSEM = raw::CLONE_SYSVSEM as u64;
        const SETTLS = raw::CLONE_SETTLS as u64;
        const PARENT_SETTID = raw::CLONE_PARENT_SETTID as u64;
        const CHILD_CLEARTID = raw::CLONE_CHILD_CLEARTID as u64;
        const DETACHED = raw::CLONE_DETACHED as u64;
        const CHILD_SETTID = raw::CLONE_CHILD_SETTID as u64;
    }
}

/// The low byte of clone's flags: the signal sent to the parent at exit.
const EXIT_SIGNAL_MASK: u64 = 0xff;

/// What `clone` was asked for.
pub struct CloneArgs {
    pub flags: CloneFlags,
    pub exit_signal: u32,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
}

impl CloneArgs {
    /// Decodes the flags word of the `clone` syscall.
    pub fn from_raw(
        raw_flags: u64,
        stack: u64,
        parent_tid: u64,
        child_tid: u64,
        tls: u64,
    ) -> Result<CloneArgs> {
        let known = CloneFlags::from_bits(raw_flags & !EXIT_SIGNAL_MASK).ok_or_else(|| {
            log::warn!(
                "clone: unsupported flags {:#x}",
                raw_flags & !EXIT_SIGNAL_MASK
            );
            vfs::Error::with_reason(Errno::EINVAL, "unsupported clone flags")
        })?;
        Ok(CloneArgs {
            flags: known,
            exit_signal: (raw_flags & EXIT_SIGNAL_MASK) as u32,
            stack,
            parent_tid,
            child_tid,
            tls,
        })
    }
}

/// Creates a process or thread that returns from the syscall with 0.
pub fn clone(frame: &TrapFrame, args: CloneArgs) -> Result<Pid> {
    let flags = args.flags;
    if flags.contains(CloneFlags::THREAD) && !flags.contains(CloneFlags::SIGHAND)
        || flags.contains(CloneFlags::SIGHAND) && !flags.contains(CloneFlags::VM)
    {
        return Err(Errno::EINVAL.into());
    }
    let parent_task = sched::current();
    let parent = parent_task.process.clone();

    super::count::check_room(&parent)?;
    let tid = PROCESSES.lock().allocate_id().ok_or(Errno::EAGAIN)?;
    let created = build_task(&parent_task, &parent, frame, &args, tid);
    let task = match created {
        Ok(task) => task,
        Err(err) => {
            PROCESSES.lock().release_id(tid);
            return Err(err);
        }
    };

    if flags.contains(CloneFlags::PARENT_SETTID) {
        user::write(args.parent_tid, &(tid as i32))?;
    }
    if flags.contains(CloneFlags::CHILD_SETTID) {
        task.set_child_tid.store(args.child_tid, Ordering::Relaxed);
    }
    if flags.contains(CloneFlags::CHILD_CLEARTID) {
        task.clear_child_tid
            .store(args.child_tid, Ordering::Relaxed);
    }

    let child_process = task.process.clone();
    if flags.contains(CloneFlags::VFORK) {
        child_process.vfork_pending.store(1, Ordering::Release);
    }
    sched::enqueue(task);
    if flags.contains(CloneFlags::VFORK) {
        let done = || (child_process.vfork_pending.load(Ordering::Acquire) == 0).then_some(());
        let _ = sched::wait_until(Some(&child_process.vfork_done), None, false, done);
    }
    Ok(tid)
}

fn build_task(
    parent_task: &Arc<Task>,
    parent: &Arc<Process>,
    frame: &TrapFrame,
    args: &CloneArgs,
    tid: Pid,
) -> Result<Arc<Task>> {
    let flags = args.flags;
    let parent_mm = parent_task.mm().ok_or(Errno::EINVAL)?;
    let mm = if flags.contains(CloneFlags::VM) {
        parent_mm
    } else {
        parent_mm.fork()?
    };

    let mut child_frame = *frame;
    child_frame.rax = 0;
    if args.stack != 0 {
        child_frame.rsp = args.stack;
    }
    let mut stack = KernelStack::new().map_err(|_| Errno::ENOMEM)?;
    let mut context = switch::prepare_user_entry(&mut stack, &child_frame);
    context.inherit_from_current();
    if flags.contains(CloneFlags::SETTLS) && context.set_fs_base(args.tls).is_err() {
        return Err(Errno::EPERM.into());
    }

    // A SIGKILL that reached the parent during the fork (`kill -9 -1` of a
    // fork bomb) must not miss the child: as Linux, the fork fails instead.
    if signal::kill_pending(parent_task) {
        return Err(Errno::EINTR.into());
    }
    let process = if flags.contains(CloneFlags::THREAD) {
        parent.clone()
    } else {
        let process = Arc::new(new_process_from(parent, tid, args)?);
        let real_parent = if flags.contains(CloneFlags::PARENT) {
            group::lookup(process.ppid()).ok_or(Errno::EINVAL)?
        } else {
            parent.clone()
        };
        PROCESSES.lock().insert_process(tid, process.clone());
        real_parent.children.lock().push(tid);
        process
    };
    let task = Arc::new(Task::build(
        tid,
        process.clone(),
        context,
        Some(stack),
        Some(mm),
    ));
    {
        let parent_signals = parent_task.signals.lock();
        let mut signals = task.signals.lock();
        signals.blocked = parent_signals.blocked;
        // Linux copies the whole thread state, last fault included.
        signals.last_fault = parent_signals.last_fault;
        // A new thread has a stack of its own to set up; a forked child (or
        // a vfork child, which borrows its parent's stack) keeps the
        // alternate stack too, as on Linux.
        let shares_memory = flags.contains(CloneFlags::VM) && !flags.contains(CloneFlags::VFORK);
        if !shares_memory {
            signals.altstack = parent_signals.altstack;
        }
    }
    if flags.contains(CloneFlags::THREAD) {
        PROCESSES.lock().insert_thread(tid, process.pid);
    }
    process.threads.lock().push(task.clone());
    Ok(task)
}

fn new_process_from(parent: &Arc<Process>, pid: Pid, args: &CloneArgs) -> Result<Process> {
    let flags = args.flags;
    let fs = if flags.contains(CloneFlags::FS) {
        parent.fs.clone()
    } else {
        let fs = parent.fs.lock();
        Arc::new(Mutex::new(FsContext {
            root: fs.root.clone(),
            cwd: fs.cwd.clone(),
            umask: fs.umask,
        }))
    };
    let files = if flags.contains(CloneFlags::FILES) {
        parent.files.clone()
    } else {
        Arc::new(Mutex::new(parent.files.lock().clone()))
    };
    let sigactions = if flags.contains(CloneFlags::SIGHAND) {
        parent.sigactions.clone()
    } else {
        Arc::new(IrqMutex::new(parent.sigactions.lock().clone()))
    };
    // A CLONE_PARENT child is its caller's sibling, and its parent hears of its
    // exit by the signal the caller itself would send (clone(2)), not one of
    // the caller's choosing. Init has no parent to give.
    let (ppid, exit_signal) = if flags.contains(CloneFlags::PARENT) {
        if parent.pid == INIT_PID {
            return Err(Errno::EINVAL.into());
        }
        (parent.ppid(), parent.exit_signal.load(Ordering::Relaxed))
    } else {
        (parent.pid, args.exit_signal)
    };
    let process = blank_process(pid, fs, files, sigactions, exit_signal);
    process.forked_not_execed.store(true, Ordering::Relaxed);
    process.ppid.store(ppid, Ordering::Relaxed);
    process.pgid.store(parent.pgid(), Ordering::Relaxed);
    process.sid.store(parent.sid(), Ordering::Relaxed);
    *process.creds.lock() = parent.creds.lock().clone();
    *process.comm.lock() = parent.comm();
    *process.exe.lock() = parent.exe.lock().clone();
    *process.limits.lock() = parent.limits.lock().clone();
    process
        .nice
        .store(parent.nice.load(Ordering::Relaxed), Ordering::Relaxed);
    Ok(process)
}

/// A process with default state: root credentials, no parent, no threads.
fn blank_process(
    pid: Pid,
    fs: Arc<Mutex<FsContext>>,
    files: Arc<Mutex<vfs::fdtable::FdTable>>,
    sigactions: Arc<IrqMutex<process::signal::SignalActions>>,
    exit_signal: u32,
) -> Process {
    Process {
        pid,
        ppid: AtomicU32::new(0),
        pgid: AtomicU32::new(pid),
        sid: AtomicU32::new(pid),
        creds: Mutex::new(vfs::cred::Credentials::root()),
        fs,
        files,
        sigactions,
        shared_pending: IrqMutex::new(PendingSignals::default()),
        threads: IrqMutex::new(Vec::new()),
        children: Mutex::new(Vec::new()),
        life: IrqMutex::new(LifeState::default()),
        child_wait: WaitQueue::new(),
        thread_exit: WaitQueue::new(),
        comm: Mutex::new(String::new()),
        exe: Mutex::new(String::new()),
        limits: Mutex::new(Default::default()),
        nice: AtomicI32::new(0),
        start_ticks: crate::time::ticks(),
        children_utime: AtomicU64::new(0),
        children_stime: AtomicU64::new(0),
        dead_utime: AtomicU64::new(0),
        dead_stime: AtomicU64::new(0),
        exit_signal: AtomicU32::new(exit_signal),
        vfork_done: WaitQueue::new(),
        vfork_pending: AtomicU32::new(0),
        forked_not_execed: AtomicBool::new(false),
        timers: Mutex::new(Default::default()),
        kernel_charge: Arc::default(),
    }
}

/// The idle task of the boot CPU: the boot context, in a process of its own
/// (PID 0, never in the process table, as Linux's swapper).
pub fn create_idle(fs: FsContext) -> Arc<Task> {
    let files = vfs::fdtable::FdTable::new(0);
    let process = blank_process(
        0,
        Arc::new(Mutex::new(fs)),
        Arc::new(Mutex::new(files)),
        Arc::new(IrqMutex::new(Default::default())),
        0,
    );
    *process.comm.lock() = String::from("swapper/0");
    Task::idle(Arc::new(process))
}

/// Starts the first user process (PID 1) running `path`.
pub fn spawn_init(
    fs: FsContext,
    files: vfs::fdtable::FdTable,
    path: &str,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<Pid> {
    let pid = PROCESSES.lock().allocate_id().ok_or(Errno::EAGAIN)?;
    let process = Arc::new(blank_process(
        pid,
        Arc::new(Mutex::new(fs)),
        Arc::new(Mutex::new(files)),
        Arc::new(IrqMutex::new(Default::default())),
        SIGCHLD.number(),
    ));
    // As on Linux, init starts in the kernel's process group and session,
    // numbered 0, until it calls setsid.
    process.pgid.store(0, Ordering::Relaxed);
    process.sid.store(0, Ordering::Relaxed);
    PROCESSES.lock().insert_process(pid, process.clone());
    let (mm, frame) = match super::exec::load(&process, path, argv, envp) {
        Ok(loaded) => loaded,
        Err(err) => {
            PROCESSES.lock().remove_process(pid);
            return Err(err);
        }
    };
    let mut stack = KernelStack::new().map_err(|_| Errno::ENOMEM)?;
    let context = switch::prepare_user_entry(&mut stack, &frame);
    let task = Arc::new(Task::build(
        pid,
        process.clone(),
        context,
        Some(stack),
        Some(mm),
    ));
    process.threads.lock().push(task.clone());
    sched::enqueue(task);
    Ok(pid)
}

/// Ends the calling thread; the process ends with it when it was the last.
pub fn exit_thread(status: ExitStatus) -> ! {
    let task = sched::current();
    let process = task.process.clone();

    // While the address space is still there: robust futexes, then the
    // clear-tid word, in Linux's order.
    crate::futex::robust::release_all(&task);
    let clear_tid = task.clear_child_tid.swap(0, Ordering::Relaxed);
    if clear_tid != 0 && user::write(clear_tid, &0u32).is_ok() {
        crate::futex::wake(clear_tid, i32::MAX as usize);
    }

    let last = {
        let mut threads = process.threads.lock();
        threads.retain(|t| !Arc::ptr_eq(t, &task));
        threads.is_empty()
    };
    process
        .dead_utime
        .fetch_add(task.utime.load(Ordering::Relaxed), Ordering::Relaxed);
    process
        .dead_stime
        .fetch_add(task.stime.load(Ordering::Relaxed), Ordering::Relaxed);
    if task.tid() != process.pid {
        PROCESSES.lock().remove_thread(task.tid());
    }
    drop(task.take_mm());
    finish_vfork(&process);
    process.thread_exit.wake_all();

    if last {
        let status = process.life.lock().group_exit.unwrap_or(status);
        exit_process(&process, status);
    }
    task.set_state(TaskState::Dead);
    drop(task);
    drop(process);
    sched::schedule();
    unreachable!("a dead task was scheduled again");
}

/// `exit_group`: every thread of the process ends with `status`.
pub fn exit_group(status: ExitStatus) -> ! {
    let task = sched::current();
    task.process.life.lock().group_exit.get_or_insert(status);
    for other in task.process.other_threads(&task) {
        signal::kill_thread(&other);
    }
    drop(task);
    exit_thread(status)
}

/// Wakes a vfork parent waiting for this child to exec or exit.
pub fn finish_vfork(process: &Process) {
    if process.vfork_pending.swap(0, Ordering::AcqRel) != 0 {
        process.vfork_done.wake_all();
    }
}

fn exit_process(process: &Arc<Process>, status: ExitStatus) {
    // As on Linux, the system cannot go on without init.
    if process.pid == INIT_PID {
        panic!("init (pid 1) ended: {status:?}");
    }
    process.timers.lock().clear_all();
    let files: Vec<_> = {
        let mut table = process.files.lock();
        table.close_range(0, u32::MAX, 0).unwrap_or_default()
    };
    drop(files);

    // Orphans go to init, which reaps them.
    let children = core::mem::take(&mut *process.children.lock());
    if !children.is_empty() {
        if let Some(init) = group::lookup(INIT_PID) {
            for &child in &children {
                if let Some(child) = group::lookup(child) {
                    // Init is not to be slain by an orphan's chosen exit signal.
                    child.ppid.store(INIT_PID, Ordering::Relaxed);
                    child.exit_signal.store(SIGCHLD.number(), Ordering::Relaxed);
                }
            }
            init.children.lock().extend(children);
            init.child_wait.wake_all();
        }
    }

    process.life.lock().exit = Some(status);
    crate::tty::on_process_exit(process);
    notify_parent(process, status);
}

/// Tells the parent about a child's exit, stop or continue: SIGCHLD and a
/// wake-up of its wait4. A parent that ignores SIGCHLD reaps exits at once.
pub fn notify_parent(child: &Arc<Process>, status: ExitStatus) {
    let Some(parent) = group::lookup(child.ppid()) else {
        return;
    };
    let action = parent.sigactions.lock().get(SIGCHLD);
    let auto_reap = matches!(status, ExitStatus::Exited(_) | ExitStatus::Signaled { .. })
        && (action.handler == process::signal::SIG_IGN || action.has_flag(raw::SA_NOCLDWAIT));
    if auto_reap {
        reap(&parent, child);
    } else if let Some(signal) = Signal::new(child.exit_signal.load(Ordering::Relaxed)) {
        let is_stop_change = matches!(status, ExitStatus::Stopped(_) | ExitStatus::Continued);
        if !(is_stop_change && action.has_flag(raw::SA_NOCLDSTOP)) {
            let (code, value) = child_code(status);
            let info = SigInfo {
                signo: signal.number(),
                code,
                pid: child.pid,
                value,
                ..SigInfo::default()
            };
            signal::send_to_process(&parent, signal, info);
        }
    }
    parent.child_wait.wake_all();
}

/// `si_code` and `si_status` of a SIGCHLD.
fn child_code(status: ExitStatus) -> (i32, u64) {
    match status {
        ExitStatus::Exited(code) => (raw::CLD_EXITED as i32, code as u64),
        ExitStatus::Signaled {
            signal,
            core: false,
        } => (raw::CLD_KILLED as i32, signal.number() as u64),
        ExitStatus::Signaled { signal, core: true } => {
            (raw::CLD_DUMPED as i32, signal.number() as u64)
        }
        ExitStatus::Stopped(signal) => (raw::CLD_STOPPED as i32, signal.number() as u64),
        ExitStatus::Continued => (raw::CLD_CONTINUED as i32, SIGCHLD.number() as u64),
    }
}

/// Removes a zombie child for good, folding its times into the parent's.
fn reap(parent: &Process, child: &Arc<Process>) {
    parent.children.lock().retain(|&pid| pid != child.pid);
    let (utime, stime) = child.times();
    parent.children_utime.fetch_add(
        utime + child.children_utime.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    parent.children_stime.fetch_add(
        stime + child.children_stime.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    PROCESSES.lock().remove_process(child.pid);
}

/// Which children a wait call is about.
#[derive(Clone, Copy, Debug)]
pub enum WaitTarget {
    Any,
    Pid(Pid),
    Group(Pid),
}

/// What wait4/waitid collected.
pub struct Reaped {
    pub pid: Pid,
    pub status: ExitStatus,
    pub uid: u32,
    pub utime: u64,
    pub stime: u64,
}

/// Finds a child state change matching `target` and `options` (WNOHANG,
/// WUNTRACED, WCONTINUED, WNOWAIT, WEXITED); sleeps until one happens unless
/// WNOHANG. `Ok(None)` is WNOHANG with nothing to report.
pub fn wait_child(target: WaitTarget, options: u32) -> Result<Option<Reaped>> {
    let parent = sched::current().process.clone();
    let check = || -> Option<Result<Option<Reaped>>> {
        let children: Vec<Arc<Process>> = parent
            .children
            .lock()
            .iter()
            .filter_map(|&pid| group::lookup(pid))
            .collect();
        let matching: Vec<&Arc<Process>> = children
            .iter()
            .filter(|child| match target {
                WaitTarget::Any => true,
                WaitTarget::Pid(pid) => child.pid == pid,
                WaitTarget::Group(pgid) => child.pgid() == pgid,
            })
            .filter(|child| is_waited_kind(child, options))
            .collect();
        if matching.is_empty() {
            return Some(Err(Errno::ECHILD.into()));
        }
        for child in matching {
            if let Some(reaped) = collect(&parent, child, options) {
                return Some(Ok(Some(reaped)));
            }
        }
        (options & raw::WNOHANG != 0).then_some(Ok(None))
    };
    match sched::wait_until(Some(&parent.child_wait), None, true, check) {
        Ok(result) => result,
        Err(_) => Err(crate::signal::ERESTARTSYS.into()),
    }
}

/// wait4(2): a child whose exit signal is not SIGCHLD is a "clone" child,
/// waited for only with __WCLONE; __WALL waits for both kinds.
fn is_waited_kind(child: &Process, options: u32) -> bool {
    let is_clone_child = child.exit_signal.load(Ordering::Relaxed) != SIGCHLD.number();
    options & raw::__WALL != 0 || is_clone_child == (options & raw::__WCLONE != 0)
}

fn collect(parent: &Process, child: &Arc<Process>, options: u32) -> Option<Reaped> {
    let keep = options & raw::WNOWAIT != 0;
    let wants_exit = options & (raw::WEXITED | raw::WUNTRACED | raw::WCONTINUED) == 0
        || options & raw::WEXITED != 0;
    let mut life = child.life.lock();
    let status = if let (Some(status), true) = (life.exit, wants_exit) {
        drop(life);
        if !keep {
            reap(parent, child);
        }
        status
    } else {
        let wanted = match life.change {
            Some(ExitStatus::Stopped(_)) => options & raw::WUNTRACED != 0,
            Some(ExitStatus::Continued) => options & raw::WCONTINUED != 0,
            _ => false,
        };
        if !wanted {
            return None;
        }
        let status = life.change?;
        if !keep {
            life.change = None;
        }
        status
    };
    let (utime, stime) = child.times();
    Some(Reaped {
        pid: child.pid,
        status,
        uid: child.creds.lock().uid,
        utime,
        stime,
    })
}
