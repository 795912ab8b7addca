//! Sending and delivering signals.
//!
//! Senders queue a signal on a thread or on its thread group and wake a
//! thread that can take it. Delivery happens on the way back to user mode:
//! the lowest unblocked pending signal is acted on (ignored, default action,
//! or a handler frame is built on the user stack, see [`frame`]).

pub mod altstack;
pub mod frame;

use alloc::sync::Arc;

use linux_raw_sys::general as raw;
use platform::arch::trap::{TrapFrame, SYSCALL_VECTOR};
use process::signal::{
    DefaultAction, Disposition, PendingSignals, SigInfo, Signal, SIGCONT, SIGKILL, SIGSTOP,
    SIGTSTP, SIGTTIN, SIGTTOU,
};
use process::ExitStatus;
use vfs::Errno;

use crate::task::lifecycle;
use crate::task::{sched, Process, Task, TaskState};

/// Returned by a syscall a signal interrupted: restarted when no handler
/// runs or the handler has SA_RESTART, EINTR otherwise. Never seen by users.
pub const ERESTARTSYS: Errno = Errno::from_raw(512);
/// Restarted only when no handler runs (pause, sigsuspend).
pub const ERESTARTNOHAND: Errno = Errno::from_raw(514);
/// Like ERESTARTNOHAND, but the restart goes through `restart_syscall`,
/// which resumes from what the task saved (a sleep's deadline).
pub const ERESTART_RESTARTBLOCK: Errno = Errno::from_raw(516);

/// The length of the `syscall` instruction, to back up over it on restart.
const SYSCALL_INSN_LEN: u64 = 2;

fn is_stop_signal(signal: Signal) -> bool {
    matches!(signal, SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU)
}

/// Whether `process` would discard `signal` at once (ignored, not blocked).
fn is_ignored(process: &Process, signal: Signal, blocked_everywhere: bool) -> bool {
    if blocked_everywhere || signal.is_unblockable() {
        return false;
    }
    let action = process.sigactions.lock().get(signal);
    matches!(action.disposition(signal), Disposition::Ignore)
}

/// Stop and continue side effects that happen at send time.
fn prepare(process: &Arc<Process>, signal: Signal) {
    if signal == SIGCONT || signal == SIGKILL {
        for stop in [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU] {
            process.shared_pending.lock().discard(stop);
            for task in process.threads.lock().iter() {
                task.signals.lock().pending.discard(stop);
            }
        }
        resume(process);
    } else if is_stop_signal(signal) {
        process.shared_pending.lock().discard(SIGCONT);
    }
}

/// Continues a stopped process (SIGCONT or SIGKILL).
fn resume(process: &Arc<Process>) {
    let was_stopped = {
        let mut life = process.life.lock();
        let was = life.stopped;
        if was {
            life.stopped = false;
            life.stop_report = None;
            life.change = Some(ExitStatus::Continued);
        }
        was
    };
    if !was_stopped {
        return;
    }
    for task in process.threads.lock().iter() {
        if task.state() == TaskState::Stopped {
            sched::enqueue(task.clone());
        }
    }
    lifecycle::notify_parent(process, ExitStatus::Continued);
}

/// Sends `signal` to a whole process (kill).
pub fn send_to_process(process: &Arc<Process>, signal: Signal, info: SigInfo) {
    if process.is_zombie() {
        return;
    }
    prepare(process, signal);
    let blocked_everywhere = process
        .threads
        .lock()
        .iter()
        .all(|t| t.signals.lock().blocked.contains(signal));
    if is_ignored(process, signal, blocked_everywhere) {
        return;
    }
    if signal == SIGCONT && matches!(default_of(process, signal), Disposition::Ignore) {
        return;
    }
    process.shared_pending.lock().push(signal, info);
    wake_a_taker(process, signal);
}

fn default_of(process: &Process, signal: Signal) -> Disposition {
    process.sigactions.lock().get(signal).disposition(signal)
}

/// Sends `signal` to one thread (tgkill, faults).
pub fn send_to_thread(task: &Arc<Task>, signal: Signal, info: SigInfo) {
    let process = task.process.clone();
    if process.is_zombie() {
        return;
    }
    prepare(&process, signal);
    let blocked = task.signals.lock().blocked.contains(signal);
    if is_ignored(&process, signal, blocked) {
        return;
    }
    task.signals.lock().pending.push(signal, info);
    sched::wake(task);
}

/// Queues a timer's signal, to `thread` or else to the whole process. While
/// an earlier signal of the same timer still waits for delivery, this expiry
/// joins its overrun count instead of queueing another, as POSIX timers do.
/// `info.uid` holds the periods missed before this expiry. Returns the
/// overrun count of the signal that now stands for the expiry.
pub fn send_timer_signal(
    process: &Arc<Process>,
    thread: Option<&Arc<Task>>,
    signal: Signal,
    info: SigInfo,
) -> u32 {
    let folded = match thread {
        Some(task) => fold_overrun(&mut task.signals.lock().pending, &info),
        None => fold_overrun(&mut process.shared_pending.lock(), &info),
    };
    if let Some(overrun) = folded {
        return overrun;
    }
    match thread {
        Some(task) => send_to_thread(task, signal, info),
        None => send_to_process(process, signal, info),
    }
    info.uid
}

/// Adds one expiry and `info.uid` missed periods to the pending signal of
/// the timer `info` comes from, if there is one.
fn fold_overrun(pending: &mut PendingSignals, info: &SigInfo) -> Option<u32> {
    let queued = pending.find_mut(|queued| {
        queued.signo == info.signo && queued.code == info.code && queued.pid == info.pid
    })?;
    // DELAYTIMER_MAX: the count saturates at INT_MAX.
    queued.uid = queued
        .uid
        .saturating_add(1)
        .saturating_add(info.uid)
        .min(i32::MAX as u32);
    Some(queued.uid)
}

fn wake_a_taker(process: &Arc<Process>, signal: Signal) {
    let threads = process.threads.lock().clone();
    let taker = threads
        .iter()
        .find(|t| !t.signals.lock().blocked.contains(signal));
    if let Some(task) = taker.or(threads.first()) {
        sched::wake(task);
    }
}

/// Whether `task` or its process has a SIGKILL waiting.
pub fn kill_pending(task: &Task) -> bool {
    task.signals.lock().pending.set().contains(SIGKILL)
        || task.process.shared_pending.lock().set().contains(SIGKILL)
}

/// Makes another thread of the group exit (exit_group, exec).
pub fn kill_thread(task: &Arc<Task>) {
    let info = SigInfo {
        signo: SIGKILL.number(),
        ..SigInfo::default()
    };
    task.signals.lock().pending.push(SIGKILL, info);
    sched::wake(task);
}

/// A signal raised by the CPU in user mode (SIGSEGV, SIGILL, ...): if it is
/// blocked or ignored, the default action happens anyway, as Linux does.
pub fn force(signal: Signal, info: SigInfo) {
    let task = sched::current();
    {
        let mut actions = task.process.sigactions.lock();
        let mut signals = task.signals.lock();
        let action = actions.get(signal);
        if signals.blocked.contains(signal) || action.handler == process::signal::SIG_IGN {
            signals.blocked.remove(signal);
            actions.set(signal, Default::default());
        }
    }
    task.signals.lock().pending.push(signal, info);
}

/// Like [`force`], but the default action happens whatever the handler.
fn force_default(signal: Signal, info: SigInfo) {
    let task = sched::current();
    task.process
        .sigactions
        .lock()
        .set(signal, Default::default());
    task.signals.lock().blocked.remove(signal);
    task.signals.lock().pending.push(signal, info);
}

/// Takes the next deliverable signal of the current thread.
fn next_signal(task: &Task) -> Option<(Signal, SigInfo)> {
    let mut signals = task.signals.lock();
    let blocked = signals.blocked;
    if let Some(found) = signals.pending.pop(blocked) {
        return Some(found);
    }
    drop(signals);
    task.process.shared_pending.lock().pop(blocked)
}

/// Runs on every return to user mode: acts on pending signals and sets up
/// syscall restarts.
pub fn deliver(frame: &mut TrapFrame) {
    // Nothing of the task is held here: an exit never returns, so whatever
    // this frame still referenced would never be released.
    match deliver_or_exit(frame) {
        Some(Ending::Group(status)) => lifecycle::exit_group(status),
        Some(Ending::Thread) => lifecycle::exit_thread(ExitStatus::Signaled {
            signal: SIGKILL,
            core: false,
        }),
        None => {}
    }
}

/// How a pending signal ends the current thread.
enum Ending {
    /// The whole process, with this status.
    Group(ExitStatus),
    /// This thread alone: another thread's execve replaces the program.
    Thread,
}

/// Handles pending signals until one runs a handler; says how the thread
/// ends when a signal ends it (or its process is already ending).
fn deliver_or_exit(frame: &mut TrapFrame) -> Option<Ending> {
    let task = sched::current();
    let mut handled = false;
    loop {
        // Another thread's stop signal stops this one too.
        if task.process.life.lock().stopped {
            join_group_stop(&task);
        }
        let Some((signal, info)) = next_signal(&task) else {
            break;
        };
        if task.exec_victim.load(core::sync::atomic::Ordering::Acquire) {
            return Some(Ending::Thread);
        }
        if let Some(status) = task.process.life.lock().group_exit {
            return Some(Ending::Group(status));
        }
        let action = task.process.sigactions.lock().get(signal);
        match action.disposition(signal) {
            Disposition::Ignore | Disposition::Default(DefaultAction::Continue) => {}
            Disposition::Default(DefaultAction::Ignore) => {}
            // The wait status tells of a core dump only when one was written,
            // as on Linux (where RLIMIT_CORE is 0 by default).
            // TODO: core dumps are never written, so SIGSEGV and the other
            // core signals terminate like SIGTERM does.
            Disposition::Default(DefaultAction::Terminate | DefaultAction::Core) => {
                return Some(Ending::Group(ExitStatus::Signaled {
                    signal,
                    core: false,
                }));
            }
            Disposition::Default(DefaultAction::Stop) => {
                // SIGTSTP, SIGTTIN and SIGTTOU are dropped for an orphaned
                // process group, which no shell would ever continue.
                let process = &task.process;
                if signal != SIGSTOP
                    && crate::task::group::is_orphaned_group(process.pgid(), process.sid())
                {
                    continue;
                }
                stop(&task, signal)
            }
            Disposition::Handler(action) => {
                restart_syscall(frame, &task, Some(action.has_flag(raw::SA_RESTART)));
                handled = true;
                if frame::setup(frame, &task, signal, &info, &action).is_err() {
                    // No room for the frame: the process dies of SIGSEGV as
                    // on Linux, even if it has a handler for it, since that
                    // handler would need a frame too.
                    force_default(
                        process::signal::SIGSEGV,
                        SigInfo {
                            signo: process::signal::SIGSEGV.number(),
                            code: raw::SI_KERNEL as i32,
                            ..SigInfo::default()
                        },
                    );
                    continue;
                }
                break;
            }
        }
    }
    if !handled {
        restart_syscall(frame, &task, None);
        // sigsuspend and ppoll left their caller's mask for a handler frame
        // to save; with no handler run (a stop, an ignored signal) it comes
        // back now, before the call restarts and sets its own mask again.
        let mut signals = task.signals.lock();
        if let Some(mask) = signals.saved_mask.take() {
            signals.blocked = mask;
        }
    }
    None
}

/// Turns a pending restart code into a restart or EINTR. `with_handler` is
/// `Some(sa_restart)` when a handler is about to run.
fn restart_syscall(frame: &mut TrapFrame, task: &Task, with_handler: Option<bool>) {
    if frame.vector != SYSCALL_VECTOR {
        return;
    }
    let code = frame.rax as i64;
    let through_block = code == ERESTART_RESTARTBLOCK.as_syscall_return() as i64;
    let restart = if code == ERESTARTSYS.as_syscall_return() as i64 {
        with_handler.unwrap_or(true)
    } else if code == ERESTARTNOHAND.as_syscall_return() as i64 || through_block {
        with_handler.is_none()
    } else {
        return;
    };
    if restart {
        frame.rax = if through_block {
            raw::__NR_restart_syscall as u64
        } else {
            frame.syscall_number()
        };
        frame.rip -= SYSCALL_INSN_LEN;
    } else {
        frame.rax = Errno::EINTR.as_syscall_return() as u64;
        if through_block {
            // The handler ends the sleep for good; nothing is left to resume.
            task.restart.lock().take();
        }
    }
    // Only once per syscall: a second pass must not rewind again.
    frame.vector = 0;
}

/// Default action of a stop signal: the whole process stops until SIGCONT.
/// The other threads are woken so that each stops on its way back to user
/// mode (see [`deliver_or_exit`]); the parent hears once all have.
fn stop(task: &Arc<Task>, signal: Signal) {
    let process = task.process.clone();
    {
        let mut life = process.life.lock();
        life.stopped = true;
        life.stop_report = Some(signal);
    }
    let others = process.other_threads(task);
    for other in &others {
        sched::wake(other);
    }
    drop(others);
    join_group_stop(task);
}

/// Holds the current thread while its process is stopped.
fn join_group_stop(task: &Arc<Task>) {
    let process = task.process.clone();
    while process.life.lock().stopped {
        task.set_state(TaskState::Stopped);
        if !process.life.lock().stopped {
            task.set_state(TaskState::Running);
            break;
        }
        report_stop_when_complete(&process);
        sched::schedule();
    }
}

/// Tells the parent of a group stop once no thread of `process` runs any
/// more (each is stopped, or dead).
fn report_stop_when_complete(process: &Arc<Process>) {
    let threads = process.threads.lock().clone();
    let all_stopped = threads
        .iter()
        .all(|t| matches!(t.state(), TaskState::Stopped | TaskState::Dead));
    drop(threads);
    if !all_stopped {
        return;
    }
    let signal = {
        let mut life = process.life.lock();
        let signal = life.stop_report.take();
        if let Some(signal) = signal {
            life.change = Some(ExitStatus::Stopped(signal));
        }
        signal
    };
    if let Some(signal) = signal {
        lifecycle::notify_parent(process, ExitStatus::Stopped(signal));
    }
}
