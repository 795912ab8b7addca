//! Timer syscalls: alarm, getitimer and setitimer (ITIMER_REAL), and the
//! POSIX timers (timer_create and the rest). The timers themselves live in
//! [`crate::timer`].

use alloc::sync::{Arc, Weak};

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;
use process::signal::{SigInfo, Signal, SIGALRM};
use vfs::{Errno, Result};

use super::time::{read_timespec_ns, write_timespec};
use super::SysResult;
use crate::task::{group, sched, Task};
use crate::timer::{Clock, Notify, Setting, Timer};
use crate::user;

const NSEC_PER_USEC: u64 = 1_000;
const USEC_PER_SEC: u64 = 1_000_000;
const NSEC_PER_SEC: u64 = 1_000_000_000;

/// Reads a `struct timeval` as nanoseconds; EINVAL when malformed.
fn read_timeval_ns(addr: u64) -> Result<u64> {
    let [sec, usec]: [i64; 2] = user::read(addr)?;
    if sec < 0 || !(0..USEC_PER_SEC as i64).contains(&usec) {
        return Err(Errno::EINVAL.into());
    }
    Ok((sec as u64)
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(usec as u64 * NSEC_PER_USEC))
}

/// A duration as a `struct timeval`; an armed timer never reads as 0.
fn timeval_of(ns: u64) -> [i64; 2] {
    let mut usec = ns / NSEC_PER_USEC;
    if ns > 0 && usec == 0 {
        usec = 1;
    }
    [(usec / USEC_PER_SEC) as i64, (usec % USEC_PER_SEC) as i64]
}

/// Sets ITIMER_REAL of the calling process; returns the previous setting.
fn set_real_timer(value_ns: u64, interval_ns: u64) -> Setting {
    let process = sched::current().process.clone();
    let timer = process.timers.lock().real(&process);
    let deadline = (value_ns != 0).then(|| platform::time::monotonic_ns().saturating_add(value_ns));
    timer.arm(deadline, interval_ns)
}

pub fn sys_alarm(seconds: u64) -> SysResult {
    let seconds = seconds as u32 as u64;
    let old = set_real_timer(seconds * NSEC_PER_SEC, 0);

    // Whole seconds left, rounded to the nearest, but never 0 while armed.
    let [mut left, usec] = timeval_of(old.value_ns);
    if (left == 0 && usec > 0) || usec >= USEC_PER_SEC as i64 / 2 {
        left += 1;
    }
    Ok(left as usize)
}

/// Only ITIMER_REAL exists for now.
// TODO: ITIMER_VIRTUAL and ITIMER_PROF need timers that run on a process's
// CPU time; they fail with EINVAL instead.
fn check_which(which: u64) -> Result<()> {
    if which != raw::ITIMER_REAL as u64 {
        if which == raw::ITIMER_VIRTUAL as u64 || which == raw::ITIMER_PROF as u64 {
            log::warn!("setitimer/getitimer: CPU-time timers are not supported");
        }
        return Err(Errno::EINVAL.into());
    }
    Ok(())
}

/// Writes a `struct itimerval` (interval first, then value).
fn write_itimerval(addr: u64, setting: Setting) -> Result<()> {
    let [interval_sec, interval_usec] = timeval_of(setting.interval_ns);
    let [value_sec, value_usec] = timeval_of(setting.value_ns);
    user::write(addr, &[interval_sec, interval_usec, value_sec, value_usec])
}

pub fn sys_getitimer(which: u64, value: u64) -> SysResult {
    check_which(which)?;
    let setting = sched::current().process.timers.lock().real_setting();
    write_itimerval(value, setting)?;
    Ok(0)
}

pub fn sys_setitimer(which: u64, new: u64, old: u64) -> SysResult {
    check_which(which)?;
    // A null new value disarms, as Linux has long accepted.
    let (interval_ns, value_ns) = if new == 0 {
        (0, 0)
    } else {
        let size = core::mem::size_of::<[i64; 2]>() as u64;
        (read_timeval_ns(new)?, read_timeval_ns(new + size)?)
    };
    let previous = set_real_timer(value_ns, interval_ns);
    if old != 0 {
        write_itimerval(old, previous)?;
    }
    Ok(0)
}

/// The start of `struct sigevent` (64 bytes in all; the rest is padding or
/// for SIGEV_THREAD, which the C library implements).
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct SigEvent {
    value: u64,
    signo: i32,
    notify: i32,
    thread_id: i32,
    _pad: i32,
}

fn timer_clock(id: u32) -> Result<Clock> {
    match id {
        raw::CLOCK_MONOTONIC | raw::CLOCK_BOOTTIME => Ok(Clock::Monotonic),
        raw::CLOCK_REALTIME | raw::CLOCK_TAI => Ok(Clock::Realtime),
        raw::CLOCK_PROCESS_CPUTIME_ID | raw::CLOCK_THREAD_CPUTIME_ID => {
            // TODO: timers on CPU-time clocks; they fail with EINVAL instead.
            log::warn!("timer_create: CPU-time clocks are not supported");
            Err(Errno::EINVAL.into())
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

/// Whom a new timer signals, and with what.
struct Target {
    signal: Signal,
    /// The `sigval`; `None` for the timer's own id.
    value: Option<u64>,
    thread: Option<Weak<Task>>,
}

/// Reads a sigevent: `Ok(None)` for SIGEV_NONE; a null one means SIGALRM
/// carrying the timer id.
fn read_sigevent(addr: u64) -> Result<Option<Target>> {
    if addr == 0 {
        return Ok(Some(Target {
            signal: SIGALRM,
            value: None,
            thread: None,
        }));
    }
    let event: SigEvent = user::read(addr)?;
    let thread = match event.notify as u32 {
        raw::SIGEV_NONE => return Ok(None),
        // SIGEV_THREAD reaches the kernel only from a C library that does not
        // emulate it; Linux then treats it as SIGEV_SIGNAL.
        raw::SIGEV_SIGNAL | raw::SIGEV_THREAD => None,
        raw::SIGEV_THREAD_ID => {
            let current = sched::current();
            let (process, task) =
                group::lookup_thread(event.thread_id as u32).ok_or(Errno::EINVAL)?;
            if !Arc::ptr_eq(&process, &current.process) {
                return Err(Errno::EINVAL.into());
            }
            Some(Arc::downgrade(&task))
        }
        _ => return Err(Errno::EINVAL.into()),
    };
    let signal = Signal::new(event.signo as u32).ok_or(Errno::EINVAL)?;
    Ok(Some(Target {
        signal,
        value: Some(event.value),
        thread,
    }))
}

fn notify_for(target: Option<Target>, id: i32) -> Notify {
    let Some(target) = target else {
        return Notify::Nothing;
    };
    let info = SigInfo {
        signo: target.signal.number(),
        code: raw::SI_TIMER,
        pid: id as u32,
        value: target.value.unwrap_or(id as u32 as u64),
        ..SigInfo::default()
    };
    Notify::Signal {
        signal: target.signal,
        info,
        thread: target.thread,
    }
}

pub fn sys_timer_create(clock_id: u64, event: u64, id_out: u64) -> SysResult {
    let clock = timer_clock(clock_id as u32)?;
    let target = read_sigevent(event)?;
    let process = sched::current().process.clone();

    let id = process
        .timers
        .lock()
        .add_posix(|id| Timer::new(&process, clock, notify_for(target, id)))?;
    if let Err(err) = user::write(id_out, &id) {
        process.timers.lock().remove_posix(id)?;
        return Err(err);
    }
    Ok(0)
}

/// A `timer_t` argument: the kernel's is an int.
fn timer_id(arg: u64) -> i32 {
    arg as u32 as i32
}

fn posix_timer(id: u64) -> Result<Arc<Timer>> {
    sched::current().process.timers.lock().posix(timer_id(id))
}

/// Writes a `struct itimerspec` (interval first, then value).
fn write_itimerspec(addr: u64, setting: Setting) -> Result<()> {
    write_timespec(addr, setting.interval_ns)?;
    write_timespec(addr + 16, setting.value_ns)
}

pub fn sys_timer_settime(id: u64, flags: u64, new: u64, old: u64) -> SysResult {
    let timer = posix_timer(id)?;
    if new == 0 {
        return Err(Errno::EINVAL.into());
    }
    let interval_ns = read_timespec_ns(new)?;
    let value_ns = read_timespec_ns(new + 16)?;

    // A zero value disarms, and a disarmed POSIX timer has no interval.
    let (deadline, interval_ns) = if value_ns == 0 {
        (None, 0)
    } else if flags as u32 & raw::TIMER_ABSTIME != 0 {
        (Some(timer.clock.deadline_at(value_ns)), interval_ns)
    } else {
        let now = platform::time::monotonic_ns();
        (Some(now.saturating_add(value_ns)), interval_ns)
    };
    let previous = timer.arm(deadline, interval_ns);
    if old != 0 {
        write_itimerspec(old, previous)?;
    }
    Ok(0)
}

pub fn sys_timer_gettime(id: u64, value: u64) -> SysResult {
    let timer = posix_timer(id)?;
    write_itimerspec(value, timer.setting())?;
    Ok(0)
}

pub fn sys_timer_getoverrun(id: u64) -> SysResult {
    Ok(posix_timer(id)?.overrun() as usize)
}

pub fn sys_timer_delete(id: u64) -> SysResult {
    sched::current()
        .process
        .timers
        .lock()
        .remove_posix(timer_id(id))?;
    Ok(0)
}
