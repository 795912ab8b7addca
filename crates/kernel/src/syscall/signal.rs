//! Signal syscalls: actions, masks, sending, waiting, alternate stacks.

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;
use platform::arch::trap::TrapFrame;
use process::signal::{SigAction, SigInfo, SigSet, Signal};
use process::Pid;
use vfs::{Errno, Result};

use super::SysResult;
use crate::signal::{self as sig, ERESTARTNOHAND};
use crate::task::group;
use crate::task::sched::{self, Interrupted};
use crate::user;

/// The kernel's `struct sigaction` for x86_64.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct KernelSigAction {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

/// The size of the kernel's sigset_t: rt_sig* calls must pass exactly this.
const SIGSET_SIZE: u64 = 8;

fn signal_arg(number: u64) -> Result<Signal> {
    Signal::new(number as u32).ok_or(Errno::EINVAL.into())
}

pub fn sys_rt_sigaction(signal: u64, new: u64, old: u64, size: u64) -> SysResult {
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL.into());
    }
    let signal = signal_arg(signal)?;
    let new_action = if new != 0 {
        if signal.is_unblockable() {
            return Err(Errno::EINVAL.into());
        }
        let raw_action: KernelSigAction = user::read(new)?;
        Some(SigAction {
            handler: raw_action.handler,
            flags: raw_action.flags,
            restorer: raw_action.restorer,
            mask: SigSet::from_bits(raw_action.mask).without_unblockable(),
        })
    } else {
        None
    };
    let process = sched::current().process.clone();
    let previous = {
        let mut actions = process.sigactions.lock();
        let previous = actions.get(signal);
        if let Some(action) = new_action {
            actions.set(signal, action);
        }
        previous
    };
    if let Some(action) = new_action {
        // Setting SIG_IGN (or SIG_DFL for a default-ignored signal) drops it.
        if matches!(
            action.disposition(signal),
            process::signal::Disposition::Ignore
        ) {
            process.shared_pending.lock().discard(signal);
            for task in process.threads.lock().iter() {
                task.signals.lock().pending.discard(signal);
            }
        }
    }
    if old != 0 {
        let out = KernelSigAction {
            handler: previous.handler,
            flags: previous.flags,
            restorer: previous.restorer,
            mask: previous.mask.bits(),
        };
        user::write(old, &out)?;
    }
    Ok(0)
}

pub fn sys_rt_sigprocmask(how: u64, new: u64, old: u64, size: u64) -> SysResult {
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL.into());
    }
    let task = sched::current();
    let requested = if new != 0 {
        Some(SigSet::from_bits(user::read::<u64>(new)?))
    } else {
        None
    };
    let previous = task.signals.lock().blocked;
    if let Some(set) = requested {
        let blocked = match how as u32 {
            raw::SIG_BLOCK => previous.union(set),
            raw::SIG_UNBLOCK => previous.difference(set),
            raw::SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL.into()),
        };
        task.signals.lock().blocked = blocked.without_unblockable();
    }
    if old != 0 {
        user::write(old, &previous.bits())?;
    }
    Ok(0)
}

pub fn sys_rt_sigpending(addr: u64, size: u64) -> SysResult {
    if size > SIGSET_SIZE {
        return Err(Errno::EINVAL.into());
    }
    let task = sched::current();
    let signals = task.signals.lock();
    let pending = signals
        .pending
        .set()
        .union(task.process.shared_pending.lock().set());
    let blocked_pending = SigSet::from_bits(pending.bits() & signals.blocked.bits());
    drop(signals);
    user::write(addr, &blocked_pending.bits())?;
    Ok(0)
}

pub fn sys_rt_sigsuspend(mask: u64, size: u64) -> SysResult {
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL.into());
    }
    let mask = SigSet::from_bits(user::read::<u64>(mask)?).without_unblockable();
    let task = sched::current();
    {
        let mut signals = task.signals.lock();
        signals.saved_mask = Some(signals.blocked);
        signals.blocked = mask;
    }
    let _ = sched::wait_until(None, None, true, || None::<()>);
    // The handler frame saves `saved_mask`, so sigreturn restores it.
    Err(ERESTARTNOHAND.into())
}

pub fn sys_pause() -> SysResult {
    let _ = sched::wait_until(None, None, true, || None::<()>);
    Err(ERESTARTNOHAND.into())
}

pub fn sys_rt_sigreturn(frame: &mut TrapFrame) -> SysResult {
    let task = sched::current();
    match sig::frame::sigreturn(frame, &task) {
        Ok(rax) => Ok(rax as usize),
        Err(_) => {
            sig::force(
                process::signal::SIGSEGV,
                SigInfo {
                    signo: raw::SIGSEGV,
                    ..SigInfo::default()
                },
            );
            Ok(frame.rax as usize)
        }
    }
}

fn sender_info(signal: Signal, code: i32) -> SigInfo {
    let process = sched::current().process.clone();
    let uid = process.creds.lock().uid;
    SigInfo {
        signo: signal.number(),
        code,
        pid: process.pid,
        uid,
        ..SigInfo::default()
    }
}

/// SI_USER: sent by kill.
const SI_USER: i32 = 0;
/// SI_TKILL: sent by tkill/tgkill.
const SI_TKILL: i32 = -6;

pub fn sys_kill(pid: u64, signal: u64) -> SysResult {
    let pid = pid as i32;
    let number = signal as u32;
    let signal = if number == 0 {
        None
    } else {
        Some(signal_arg(signal)?)
    };
    let targets = match pid {
        p if p > 0 => alloc::vec![group::lookup(p as Pid).ok_or(Errno::ESRCH)?],
        0 => group::group_members(sched::current().process.pgid()),
        -1 => {
            let me = sched::current().process.pid;
            group::all()
                .into_iter()
                .filter(|p| p.pid != 1 && p.pid != me)
                .collect()
        }
        p => group::group_members(p.unsigned_abs()),
    };
    if targets.is_empty() {
        return Err(Errno::ESRCH.into());
    }
    if let Some(signal) = signal {
        for target in targets {
            sig::send_to_process(&target, signal, sender_info(signal, SI_USER));
        }
    }
    Ok(0)
}

pub fn sys_tgkill(tgid: u64, tid: u64, signal: u64) -> SysResult {
    let (tgid, tid) = (tgid as i32, tid as i32);
    if tid <= 0 || (tgid <= 0 && tgid != -1) {
        return Err(Errno::EINVAL.into());
    }
    let (process, task) = group::lookup_thread(tid as Pid).ok_or(Errno::ESRCH)?;
    if tgid > 0 && process.pid != tgid as Pid {
        return Err(Errno::ESRCH.into());
    }
    if signal != 0 {
        let signal = signal_arg(signal)?;
        sig::send_to_thread(&task, signal, sender_info(signal, SI_TKILL));
    }
    Ok(0)
}

pub fn sys_rt_sigqueueinfo(pid: u64, signal: u64, info: u64) -> SysResult {
    let signal = signal_arg(signal)?;
    let raw_info: sig::frame::SigInfoRaw = user::read(info)?;
    // Only the kernel may claim kernel codes (si_code >= 0) for others.
    if raw_info.code >= 0 && pid as Pid != sched::current().process.pid {
        return Err(Errno::EPERM.into());
    }
    let process = group::lookup(pid as Pid).ok_or(Errno::ESRCH)?;
    let sender = sched::current().process.clone();
    let info = SigInfo {
        signo: signal.number(),
        code: raw_info.code,
        pid: sender.pid,
        uid: sender.creds.lock().uid,
        value: raw_info.fields[1],
        ..SigInfo::default()
    };
    sig::send_to_process(&process, signal, info);
    Ok(0)
}

pub fn sys_rt_sigtimedwait(set: u64, info: u64, timeout: u64, size: u64) -> SysResult {
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL.into());
    }
    let wanted = SigSet::from_bits(user::read::<u64>(set)?).without_unblockable();
    let deadline = if timeout != 0 {
        Some(platform::time::monotonic_ns().saturating_add(super::time::read_timespec_ns(timeout)?))
    } else {
        None
    };
    let task = sched::current();
    let take = || {
        let mut signals = task.signals.lock();
        let not_wanted = SigSet::from_bits(!wanted.bits());
        if let Some(found) = signals.pending.pop(not_wanted) {
            return Some(found);
        }
        drop(signals);
        task.process.shared_pending.lock().pop(not_wanted)
    };
    // The waited-for signals must not interrupt the wait as handlers would,
    // so they are checked first each time round.
    match sched::wait_until(None, deadline, true, take) {
        Ok((signal, found)) => {
            if info != 0 {
                user::write(info, &sig::frame::SigInfoRaw::from_info(&found))?;
            }
            Ok(signal.number() as usize)
        }
        Err(Interrupted::TimedOut) => Err(Errno::EAGAIN.into()),
        Err(Interrupted::Signal) => Err(Errno::EINTR.into()),
    }
}

/// `sigaltstack`; `sp` is the caller's stack pointer, which decides
/// whether it runs on the alternate stack.
pub fn sys_sigaltstack(new: u64, old: u64, sp: u64) -> SysResult {
    let task = sched::current();
    let requested: Option<sig::frame::StackT> = if new != 0 {
        Some(user::read(new)?)
    } else {
        None
    };
    let previous = {
        let mut signals = task.signals.lock();
        let previous = sig::altstack::describe(&signals.altstack, sp);
        if let Some(requested) = requested {
            signals.altstack = sig::altstack::change(&signals.altstack, &requested, sp)?;
        }
        previous
    };
    if old != 0 {
        user::write(old, &previous)?;
    }
    Ok(0)
}
