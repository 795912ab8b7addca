//! The scheduler: one run queue per CPU, round robin with nice-weighted
//! slices, preemption on the timer tick, and sleeping with wake-ups.
//!
//! The kernel is not preemptible: a task gives up the CPU only in
//! [`schedule`], called when it blocks, yields, or returns to user mode with
//! its slice used up.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use platform::arch::irq::{self, IrqMutex};
use platform::arch::switch;
use process::sched::{slice_ticks, RunQueue};
use vfs::{Errno, Result};

use super::wait_queue::WaitQueue;
use super::{Task, TaskState};

/// A task in a run queue, compared by identity.
#[derive(Clone)]
struct Runnable(Arc<Task>);

impl PartialEq for Runnable {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

struct Cpu {
    current: Option<Arc<Task>>,
    /// The task switched away from, kept alive until the switch completes.
    previous: Option<Arc<Task>>,
    idle: Option<Arc<Task>>,
    run_queue: RunQueue<Runnable>,
    /// Context switches so far (/proc/stat `ctxt`).
    switches: u64,
    ticks: CpuTicks,
}

/// Timer ticks a CPU spent, by what it was running (/proc/stat's cpu lines).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTicks {
    /// In user mode, tasks with nice <= 0.
    pub user: u64,
    /// In user mode, tasks with nice > 0.
    pub nice: u64,
    /// In the kernel on behalf of a task.
    pub system: u64,
    /// In the idle task.
    pub idle: u64,
}

impl CpuTicks {
    const ZERO: CpuTicks = CpuTicks {
        user: 0,
        nice: 0,
        system: 0,
        idle: 0,
    };
}

// TODO: one entry per CPU once application processors are started; every
// function here already goes through `this_cpu`.
static CPU: IrqMutex<Cpu> = IrqMutex::new(Cpu {
    current: None,
    previous: None,
    idle: None,
    run_queue: RunQueue::new(),
    switches: 0,
    ticks: CpuTicks::ZERO,
});

/// Set by the tick when the running task should give up the CPU. Read on
/// every return to user mode, so it lives outside the CPU lock.
// TODO: one per CPU, with `CPU`.
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);

/// Sleepers with a deadline, by (deadline, task id).
static TIMERS: IrqMutex<BTreeMap<(u64, u32), Arc<Task>>> = IrqMutex::new(BTreeMap::new());

fn this_cpu() -> &'static IrqMutex<Cpu> {
    &CPU
}

/// The running task once more, for the readers in task context: every system
/// call looks it up, and this lock, unlike the CPU's, leaves the interrupt flag
/// alone. Interrupt handlers never wait for it (see [`current`]); `schedule`
/// changes it with `Cpu::current`, with interrupts off.
// TODO: one per CPU, with `CPU`.
static RUNNING: spin::Mutex<Option<Arc<Task>>> = spin::Mutex::new(None);

/// Installs the boot context as the idle task and the current task.
pub fn init(idle: Arc<Task>) {
    let mut cpu = this_cpu().lock();
    cpu.idle = Some(idle.clone());
    *RUNNING.lock() = Some(idle.clone());
    cpu.current = Some(idle);
    switch::set_task_start_hook(finish_switch);
}

/// The task running on this CPU.
pub fn current() -> Arc<Task> {
    // Taken only for a clone, so it is busy only when an interrupt handler
    // runs on top of that clone; the handler then asks the CPU lock instead.
    if let Some(task) = RUNNING.try_lock().and_then(|running| running.clone()) {
        return task;
    }
    this_cpu()
        .lock()
        .current
        .clone()
        .expect("the scheduler runs before any task needs it")
}

/// The task running on this CPU, if the scheduler is up.
pub fn try_current() -> Option<Arc<Task>> {
    this_cpu().lock().current.clone()
}

/// Makes a new or woken task runnable.
pub fn enqueue(task: Arc<Task>) {
    task.set_state(TaskState::Running);
    let mut cpu = this_cpu().lock();
    let is_idle = cpu
        .idle
        .as_ref()
        .is_some_and(|idle| Arc::ptr_eq(idle, &task));
    if !is_idle {
        cpu.run_queue.push(Runnable(task));
    }
}

/// Wakes a sleeping task; running or dead tasks are left alone.
pub fn wake(task: &Arc<Task>) {
    if task.state() == TaskState::Sleeping {
        enqueue(task.clone());
    }
}

/// Gives up the CPU to the next runnable task.
pub fn schedule() {
    let was_enabled = irq::are_enabled();
    irq::disable();
    let (prev_ctx, next_ctx) = {
        let mut cpu = this_cpu().lock();
        let prev = cpu.current.take().expect("schedule runs on a task");
        NEED_RESCHED.store(false, Ordering::Relaxed);
        let is_idle =
            |cpu: &Cpu, t: &Arc<Task>| cpu.idle.as_ref().is_some_and(|i| Arc::ptr_eq(i, t));
        if prev.state() == TaskState::Running && !is_idle(&cpu, &prev) {
            cpu.run_queue.push(Runnable(prev.clone()));
        }
        let next = match cpu.run_queue.pop() {
            Some(Runnable(task)) => task,
            None => cpu.idle.clone().expect("an idle task exists"),
        };
        if Arc::ptr_eq(&prev, &next) {
            cpu.current = Some(prev);
            drop(cpu);
            if was_enabled {
                irq::enable();
            }
            return;
        }
        next.reset_slice(slice_ticks(next.nice()));
        cpu.switches += 1;
        let contexts = (prev.context_ptr(), next.context_ptr());
        next.activate_mm();
        // Nothing holds it: interrupts are off and no task is inside `current`.
        *RUNNING.lock() = Some(next.clone());
        cpu.current = Some(next);
        cpu.previous = Some(prev);
        contexts
    };
    switch::switch(prev_ctx, next_ctx);
    finish_switch();
    if was_enabled {
        irq::enable();
    }
}

/// Runs on the new task after every switch: releases the task switched away
/// from (freeing it, stack included, when it was dead).
fn finish_switch() {
    let previous = this_cpu().lock().previous.take();
    drop(previous);
}

/// Accounts one timer tick to the running task and wakes expired sleepers.
pub fn tick(from_user: bool, now_ns: u64) {
    {
        let mut cpu = this_cpu().lock();
        if let Some(current) = cpu.current.clone() {
            current.account_tick(from_user);
            let is_idle = cpu.idle.as_ref().is_some_and(|i| Arc::ptr_eq(i, &current));
            let counter = match (is_idle, from_user) {
                (true, _) => &mut cpu.ticks.idle,
                (false, true) if current.nice() > 0 => &mut cpu.ticks.nice,
                (false, true) => &mut cpu.ticks.user,
                (false, false) => &mut cpu.ticks.system,
            };
            *counter += 1;
            if is_idle || current.consume_slice() {
                NEED_RESCHED.store(!cpu.run_queue.is_empty() || is_idle, Ordering::Relaxed);
            }
        }
    }
    wake_expired(now_ns);
}

fn wake_expired(now_ns: u64) {
    loop {
        let task = {
            let mut timers = TIMERS.lock();
            match timers.first_key_value() {
                Some((&(deadline, _), _)) if deadline <= now_ns => timers.pop_first().map(|e| e.1),
                _ => None,
            }
        };
        match task {
            Some(task) => wake(&task),
            None => break,
        }
    }
}

/// Whether the running task should give up the CPU at its next chance.
pub fn need_resched() -> bool {
    NEED_RESCHED.load(Ordering::Relaxed)
}

/// Context switches so far.
pub fn context_switches() -> u64 {
    this_cpu().lock().switches
}

/// Ticks spent by each CPU since boot, indexed by CPU number.
pub fn cpu_ticks() -> Vec<CpuTicks> {
    alloc::vec![this_cpu().lock().ticks]
}

/// Tasks on a CPU or waiting in a run queue, idle tasks not counted.
pub fn running_count() -> usize {
    let cpu = this_cpu().lock();
    let busy = match (&cpu.current, &cpu.idle) {
        (Some(current), Some(idle)) => !Arc::ptr_eq(current, idle),
        (current, _) => current.is_some(),
    };
    cpu.run_queue.len() + usize::from(busy)
}

/// Tasks waiting in run queues.
pub fn runnable_count() -> usize {
    this_cpu().lock().run_queue.len()
}

/// Why a wait ended without its condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// A signal arrived (the syscall returns EINTR or restarts).
    Signal,
    /// The deadline passed.
    TimedOut,
}

/// Sleeps until `condition` returns `Some`, `queue` (if any) is woken, a
/// signal arrives (when `interruptible`) or the monotonic clock reaches
/// `deadline_ns`.
pub fn wait_until<T>(
    queue: Option<&WaitQueue>,
    deadline_ns: Option<u64>,
    interruptible: bool,
    mut condition: impl FnMut() -> Option<T>,
) -> core::result::Result<T, Interrupted> {
    let task = current();
    loop {
        if let Some(value) = condition() {
            return Ok(value);
        }
        if interruptible && task.has_deliverable_signal() {
            return Err(Interrupted::Signal);
        }
        if deadline_ns.is_some_and(|deadline| platform::time::monotonic_ns() >= deadline) {
            return Err(Interrupted::TimedOut);
        }

        task.set_state(TaskState::Sleeping);
        if let Some(queue) = queue {
            queue.add(&task);
        }
        if let Some(deadline) = deadline_ns {
            TIMERS.lock().insert((deadline, task.tid()), task.clone());
        }
        // A wake-up may have raced with the checks above; look once more.
        if let Some(value) = condition() {
            cancel_sleep(&task, queue, deadline_ns);
            return Ok(value);
        }
        if !(interruptible && task.has_deliverable_signal()) {
            schedule();
        }
        cancel_sleep(&task, queue, deadline_ns);
    }
}

fn cancel_sleep(task: &Arc<Task>, queue: Option<&WaitQueue>, deadline_ns: Option<u64>) {
    task.set_state(TaskState::Running);
    if let Some(queue) = queue {
        queue.remove(task);
    }
    if let Some(deadline) = deadline_ns {
        TIMERS.lock().remove(&(deadline, task.tid()));
    }
}

/// Sleeps until the monotonic clock reaches `deadline_ns`; EINTR-style
/// `Err` when a signal cuts it short.
pub fn sleep_until(deadline_ns: u64) -> Result<()> {
    match wait_until(None, Some(deadline_ns), true, || None::<()>) {
        Ok(()) | Err(Interrupted::TimedOut) => Ok(()),
        Err(Interrupted::Signal) => Err(Errno::EINTR.into()),
    }
}

/// The idle loop: halt until an interrupt, then run whatever became runnable.
pub fn idle_loop() -> ! {
    loop {
        platform::arch::cpu::idle();
        if need_resched() || runnable_count() > 0 {
            schedule();
        }
    }
}

/// Whether this CPU is running its idle task.
pub fn is_idle() -> bool {
    let cpu = this_cpu().lock();
    match (&cpu.current, &cpu.idle) {
        (Some(current), Some(idle)) => Arc::ptr_eq(current, idle),
        _ => true,
    }
}
