//! Process timers: the ITIMER_REAL timer (which `alarm` also sets) and the
//! POSIX timers of a thread group.
//!
//! Every armed [`Timer`] waits in one queue ordered by its deadline on the
//! monotonic clock. The timer tick calls [`tick`], which takes the expired
//! timers, queues their signals and re-arms the periodic ones, so a timer
//! fires up to one tick late. [`ProcessTimers`] holds the timers of one
//! process, so that exec and exit can drop them; `syscall/timer.rs` holds
//! the syscalls.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicU64, Ordering};

use linux_raw_sys::general as raw;
use platform::arch::irq::IrqMutex;
use process::signal::{SigInfo, Signal, SIGALRM};
use vfs::{Errno, Result};

use crate::signal;
use crate::task::{Process, Task};

/// The clock a POSIX timer measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    Monotonic,
    Realtime,
}

impl Clock {
    /// The monotonic time at which this clock reads `ns` (now, when past).
    ///
    /// The realtime clock only ever advances with the monotonic one (there
    /// is no clock_settime), so converting once at arming time is exact.
    pub fn deadline_at(self, ns: u64) -> u64 {
        match self {
            Clock::Monotonic => ns,
            Clock::Realtime => {
                let monotonic = platform::time::monotonic_ns();
                monotonic.saturating_add(ns.saturating_sub(platform::time::realtime_ns()))
            }
        }
    }
}

/// What an expiry does.
pub enum Notify {
    /// Nothing: the timer is only read through timer_gettime (SIGEV_NONE).
    Nothing,
    /// Queues `info` to the process, or to one of its threads.
    Signal {
        signal: Signal,
        info: SigInfo,
        thread: Option<Weak<Task>>,
    },
}

/// A timer's setting as the syscalls report it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Setting {
    /// Time to the next expiry; 0 when disarmed.
    pub value_ns: u64,
    pub interval_ns: u64,
}

#[derive(Default)]
struct Arming {
    /// The next expiry on the monotonic clock; `None` when disarmed.
    deadline_ns: Option<u64>,
    interval_ns: u64,
    /// Expirations folded into the timer's last queued signal.
    overrun: u32,
}

/// One timer of a process.
pub struct Timer {
    /// Tells apart timers with the same deadline in the queue.
    key: u64,
    process: Weak<Process>,
    pub clock: Clock,
    notify: Notify,
    arming: IrqMutex<Arming>,
}

/// Armed timers by (deadline, key). Lock order: a timer's `arming`, then
/// this queue.
static QUEUE: IrqMutex<BTreeMap<(u64, u64), Arc<Timer>>> = IrqMutex::new(BTreeMap::new());
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

impl Timer {
    pub fn new(process: &Arc<Process>, clock: Clock, notify: Notify) -> Arc<Timer> {
        Arc::new(Timer {
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            process: Arc::downgrade(process),
            clock,
            notify,
            arming: IrqMutex::new(Arming::default()),
        })
    }

    /// Arms the timer to expire at monotonic time `deadline_ns` and then
    /// every `interval_ns` (if not 0), or disarms it (`None`). A disarmed
    /// timer still reports `interval_ns`, as ITIMER_REAL does on Linux.
    /// Returns the previous setting.
    pub fn arm(self: &Arc<Self>, deadline_ns: Option<u64>, interval_ns: u64) -> Setting {
        let now_ns = platform::time::monotonic_ns();
        let mut arming = self.arming.lock();
        let old = setting_of(&arming, now_ns);
        let mut queue = QUEUE.lock();
        if let Some(deadline) = arming.deadline_ns {
            queue.remove(&(deadline, self.key));
        }
        arming.deadline_ns = deadline_ns;
        arming.interval_ns = interval_ns;
        arming.overrun = 0;
        if let Some(deadline) = deadline_ns {
            queue.insert((deadline, self.key), self.clone());
        }
        old
    }

    pub fn disarm(self: &Arc<Self>) {
        self.arm(None, 0);
    }

    pub fn setting(&self) -> Setting {
        setting_of(&self.arming.lock(), platform::time::monotonic_ns())
    }

    /// Expirations that the last queued signal stands for beyond the first
    /// (timer_getoverrun).
    pub fn overrun(&self) -> u32 {
        self.arming.lock().overrun
    }

    /// Runs from the tick once `deadline_ns` has passed: re-arms a periodic
    /// timer past `now_ns`, counting the periods it missed, and notifies.
    fn expire(self: &Arc<Self>, deadline_ns: u64, now_ns: u64) {
        let missed = {
            let mut arming = self.arming.lock();
            if arming.deadline_ns != Some(deadline_ns) {
                // Re-armed or disarmed after the tick took it off the queue.
                return;
            }
            if arming.interval_ns == 0 {
                arming.deadline_ns = None;
                0
            } else {
                let interval = arming.interval_ns;
                let missed = (now_ns - deadline_ns) / interval;
                let next = deadline_ns.saturating_add((missed + 1).saturating_mul(interval));
                arming.deadline_ns = Some(next);
                QUEUE.lock().insert((next, self.key), self.clone());
                missed
            }
        };
        let missed = u32::try_from(missed).unwrap_or(u32::MAX);
        if let Some(overrun) = self.notify(missed) {
            self.arming.lock().overrun = overrun;
        }
    }

    /// Queues the timer's signal; returns the overrun count of the signal
    /// that now stands for this expiry, `None` when nothing was sent.
    fn notify(&self, missed: u32) -> Option<u32> {
        let Notify::Signal {
            signal,
            info,
            thread,
        } = &self.notify
        else {
            return None;
        };
        let process = self.process.upgrade()?;
        let thread = match thread {
            Some(weak) => Some(weak.upgrade()?),
            None => None,
        };
        let info = SigInfo {
            uid: missed,
            ..*info
        };
        Some(signal::send_timer_signal(
            &process,
            thread.as_ref(),
            *signal,
            info,
        ))
    }
}

fn setting_of(arming: &Arming, now_ns: u64) -> Setting {
    // An armed timer whose expiry is being handled reads as 1 ns away, not
    // as disarmed.
    let value_ns = arming
        .deadline_ns
        .map_or(0, |deadline| deadline.saturating_sub(now_ns).max(1));
    Setting {
        value_ns,
        interval_ns: arming.interval_ns,
    }
}

/// Called from the timer tick: fires every timer whose deadline passed.
pub fn tick(now_ns: u64) {
    loop {
        let expired = {
            let mut queue = QUEUE.lock();
            match queue.first_key_value() {
                Some((&(deadline, _), _)) if deadline <= now_ns => queue.pop_first(),
                _ => None,
            }
        };
        let Some(((deadline, _), timer)) = expired else {
            break;
        };
        timer.expire(deadline, now_ns);
    }
}

/// POSIX timers one process may have at once (Linux bounds them by
/// RLIMIT_SIGPENDING, whose default is of this order).
const MAX_POSIX_TIMERS: usize = 4096;

/// The timers of one process. Fork starts with none; exec keeps only
/// ITIMER_REAL; exit drops them all.
#[derive(Default)]
pub struct ProcessTimers {
    /// ITIMER_REAL, shared with alarm; made on first use.
    real: Option<Arc<Timer>>,
    posix: BTreeMap<i32, Arc<Timer>>,
    next_id: i32,
}

impl ProcessTimers {
    /// The ITIMER_REAL timer of `process` (whose timers these are).
    pub fn real(&mut self, process: &Arc<Process>) -> Arc<Timer> {
        self.real
            .get_or_insert_with(|| {
                let info = SigInfo {
                    signo: SIGALRM.number(),
                    code: raw::SI_KERNEL as i32,
                    ..SigInfo::default()
                };
                let notify = Notify::Signal {
                    signal: SIGALRM,
                    info,
                    thread: None,
                };
                Timer::new(process, Clock::Monotonic, notify)
            })
            .clone()
    }

    /// The setting of ITIMER_REAL, without making the timer.
    pub fn real_setting(&self) -> Setting {
        self.real.as_ref().map(|t| t.setting()).unwrap_or_default()
    }

    /// Adds the POSIX timer `make` builds from its new id, lowest free id
    /// from where the last search stopped, as Linux numbers them.
    pub fn add_posix(&mut self, make: impl FnOnce(i32) -> Arc<Timer>) -> Result<i32> {
        if self.posix.len() >= MAX_POSIX_TIMERS {
            return Err(Errno::EAGAIN.into());
        }
        let mut id = self.next_id;
        while self.posix.contains_key(&id) {
            id = id.checked_add(1).unwrap_or(0);
        }
        self.next_id = id.checked_add(1).unwrap_or(0);
        self.posix.insert(id, make(id));
        Ok(id)
    }

    pub fn posix(&self, id: i32) -> Result<Arc<Timer>> {
        self.posix
            .get(&id)
            .cloned()
            .ok_or_else(|| Errno::EINVAL.into())
    }

    /// Deletes a POSIX timer, disarmed first.
    pub fn remove_posix(&mut self, id: i32) -> Result<()> {
        let timer = self.posix.remove(&id).ok_or(Errno::EINVAL)?;
        timer.disarm();
        Ok(())
    }

    /// Exec deletes the POSIX timers; ITIMER_REAL carries on.
    pub fn clear_for_exec(&mut self) {
        for (_, timer) in core::mem::take(&mut self.posix) {
            timer.disarm();
        }
    }

    /// Exit disarms and drops every timer.
    pub fn clear_all(&mut self) {
        self.clear_for_exec();
        if let Some(real) = self.real.take() {
            real.disarm();
        }
    }
}
