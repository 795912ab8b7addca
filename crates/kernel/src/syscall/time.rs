//! Time syscalls: clocks, sleeping, times.

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;
use vfs::{Errno, Result};

use super::SysResult;
use crate::signal::ERESTART_RESTARTBLOCK;
use crate::task::{exec, sched, SleepRestart};
use crate::user;

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// Reads a `struct timespec` as nanoseconds; EINVAL when malformed.
pub fn read_timespec_ns(addr: u64) -> Result<u64> {
    let [sec, nsec]: [i64; 2] = user::read(addr)?;
    if sec < 0 || !(0..NSEC_PER_SEC as i64).contains(&nsec) {
        return Err(Errno::EINVAL.into());
    }
    Ok((sec as u64)
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(nsec as u64))
}

pub fn write_timespec(addr: u64, ns: u64) -> Result<()> {
    user::write(
        addr,
        &[(ns / NSEC_PER_SEC) as i64, (ns % NSEC_PER_SEC) as i64],
    )
}

/// The reading of clock `id` in nanoseconds.
fn clock_ns(id: u32) -> Result<u64> {
    match id {
        raw::CLOCK_REALTIME | raw::CLOCK_REALTIME_COARSE | raw::CLOCK_TAI => {
            Ok(platform::time::realtime_ns())
        }
        raw::CLOCK_MONOTONIC
        | raw::CLOCK_MONOTONIC_RAW
        | raw::CLOCK_MONOTONIC_COARSE
        | raw::CLOCK_BOOTTIME => Ok(platform::time::monotonic_ns()),
        raw::CLOCK_PROCESS_CPUTIME_ID => {
            let (utime, stime) = sched::current().process.times();
            Ok((utime + stime) * (NSEC_PER_SEC / exec::USER_HZ))
        }
        raw::CLOCK_THREAD_CPUTIME_ID => {
            let task = sched::current();
            let ticks = task.utime.load(core::sync::atomic::Ordering::Relaxed)
                + task.stime.load(core::sync::atomic::Ordering::Relaxed);
            Ok(ticks * (NSEC_PER_SEC / exec::USER_HZ))
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

pub fn sys_clock_gettime(id: u64, addr: u64) -> SysResult {
    write_timespec(addr, clock_ns(id as u32)?)?;
    Ok(0)
}

pub fn sys_clock_getres(id: u64, addr: u64) -> SysResult {
    clock_ns(id as u32)?;
    if addr != 0 {
        write_timespec(addr, 1)?;
    }
    Ok(0)
}

pub fn sys_gettimeofday(tv: u64, _tz: u64) -> SysResult {
    if tv != 0 {
        let ns = platform::time::realtime_ns();
        user::write(
            tv,
            &[
                (ns / NSEC_PER_SEC) as i64,
                ((ns % NSEC_PER_SEC) / 1000) as i64,
            ],
        )?;
    }
    Ok(0)
}

pub fn sys_time(addr: u64) -> SysResult {
    let seconds = platform::time::realtime_ns() / NSEC_PER_SEC;
    if addr != 0 {
        user::write(addr, &(seconds as i64))?;
    }
    Ok(seconds as usize)
}

/// Sleeps `ns`; on a signal writes the time left to `remaining`.
fn sleep_for(ns: u64, remaining: u64) -> SysResult {
    let deadline = platform::time::monotonic_ns().saturating_add(ns);
    sleep_to(SleepRestart {
        deadline_ns: deadline,
        remaining,
    })
}

/// Sleeps to `sleep.deadline_ns`. A signal ends the sleep with EINTR when a
/// handler runs; otherwise `restart_syscall` sleeps on to the same deadline
/// (as after a stop and SIGCONT), never from the start again.
fn sleep_to(sleep: SleepRestart) -> SysResult {
    if sched::sleep_until(sleep.deadline_ns).is_ok() {
        return Ok(0);
    }
    if sleep.remaining != 0 {
        let left = sleep
            .deadline_ns
            .saturating_sub(platform::time::monotonic_ns());
        write_timespec(sleep.remaining, left)?;
    }
    *sched::current().restart.lock() = Some(sleep);
    Err(ERESTART_RESTARTBLOCK.into())
}

/// Resumes the interrupted sleep; EINTR when there is none, as on Linux.
pub fn sys_restart_syscall() -> SysResult {
    // Taken out first: the lock must not be held while sleeping, as an
    // interrupted sleep stores its restart there again.
    let saved = sched::current().restart.lock().take();
    match saved {
        Some(sleep) => sleep_to(sleep),
        None => Err(Errno::EINTR.into()),
    }
}

pub fn sys_nanosleep(request: u64, remaining: u64) -> SysResult {
    sleep_for(read_timespec_ns(request)?, remaining)
}

pub fn sys_clock_nanosleep(id: u64, flags: u64, request: u64, remaining: u64) -> SysResult {
    let id = id as u32;
    let now = clock_ns(id)?;
    if matches!(
        id,
        raw::CLOCK_THREAD_CPUTIME_ID | raw::CLOCK_PROCESS_CPUTIME_ID
    ) {
        return Err(Errno::EINVAL.into());
    }
    let request_ns = read_timespec_ns(request)?;
    if flags as u32 & raw::TIMER_ABSTIME != 0 {
        let ns = request_ns.saturating_sub(now);
        return sleep_for(ns, 0);
    }
    sleep_for(request_ns, remaining)
}

/// `struct tms`.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct Tms {
    utime: i64,
    stime: i64,
    cutime: i64,
    cstime: i64,
}

pub fn sys_times(addr: u64) -> SysResult {
    let process = sched::current().process.clone();
    if addr != 0 {
        let (utime, stime) = process.times();
        let tms = Tms {
            utime: utime as i64,
            stime: stime as i64,
            cutime: process
                .children_utime
                .load(core::sync::atomic::Ordering::Relaxed) as i64,
            cstime: process
                .children_stime
                .load(core::sync::atomic::Ordering::Relaxed) as i64,
        };
        user::write(addr, &tms)?;
    }
    Ok(crate::time::ticks() as usize)
}
