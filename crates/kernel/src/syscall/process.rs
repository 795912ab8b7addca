//! Process syscalls: fork, clone, exec, exit, wait, ids, sessions, limits.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;
use platform::arch::trap::TrapFrame;
use process::{ExitStatus, Limit, Pid};
use vfs::{Errno, Result};

use super::{fs_at, SysResult};
use crate::task::exec::{self, Executable};
use crate::task::group::{self, PROCESSES};
use crate::task::lifecycle::{self, CloneArgs, WaitTarget};
use crate::task::sched;
use crate::user;

pub fn sys_fork(frame: &TrapFrame) -> SysResult {
    let args = CloneArgs::from_raw(raw::SIGCHLD as u64, 0, 0, 0, 0)?;
    Ok(lifecycle::clone(frame, args)? as usize)
}

pub fn sys_vfork(frame: &TrapFrame) -> SysResult {
    let flags = (raw::CLONE_VM | raw::CLONE_VFORK | raw::SIGCHLD) as u64;
    let args = CloneArgs::from_raw(flags, 0, 0, 0, 0)?;
    Ok(lifecycle::clone(frame, args)? as usize)
}

/// x86_64's argument order: flags, stack, parent_tid, child_tid, tls.
pub fn sys_clone(
    frame: &TrapFrame,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> SysResult {
    let args = CloneArgs::from_raw(flags, stack, parent_tid, child_tid, tls)?;
    Ok(lifecycle::clone(frame, args)? as usize)
}

/// `struct clone_args` of clone3 (the first 64 bytes).
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct Clone3Args {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

pub fn sys_clone3(frame: &TrapFrame, addr: u64, size: u64) -> SysResult {
    if (size as usize) < core::mem::size_of::<Clone3Args>() {
        return Err(Errno::EINVAL.into());
    }
    let args: Clone3Args = user::read(addr)?;
    if args.exit_signal > 0xff || args.flags & 0xff != 0 {
        return Err(Errno::EINVAL.into());
    }
    // A stack is an address and a size, both or neither; clone3 takes its lowest
    // address, the CPU wants its top.
    let stack = match (args.stack, args.stack_size) {
        (0, 0) => 0,
        (0, _) | (_, 0) => return Err(Errno::EINVAL.into()),
        (low, size) => low
            .checked_add(size)
            .filter(|&top| top <= platform::arch::usercopy::USER_ADDR_LIMIT)
            .ok_or(Errno::EINVAL)?,
    };
    let flags = args.flags | args.exit_signal;
    let clone = CloneArgs::from_raw(flags, stack, args.parent_tid, args.child_tid, args.tls)?;
    Ok(lifecycle::clone(frame, clone)? as usize)
}

pub fn sys_execve(frame: &mut TrapFrame, path: u64, argv: u64, envp: u64) -> SysResult {
    let path = user::read_path(path)?;
    if path.is_empty() {
        return Err(Errno::ENOENT.into());
    }
    let argv = user::read_string_array(argv)?;
    let envp = user::read_string_array(envp)?;
    exec::execve(frame, Executable::resolve(&path)?, argv, envp)?;
    Ok(0)
}

/// The flags execveat(2) knows.
const EXECVEAT_FLAGS: u32 = raw::AT_EMPTY_PATH | raw::AT_SYMLINK_NOFOLLOW;

pub fn sys_execveat(
    frame: &mut TrapFrame,
    dirfd: u64,
    path: u64,
    argv: u64,
    envp: u64,
    flags: u64,
) -> SysResult {
    let flags = flags as u32;
    if flags & !EXECVEAT_FLAGS != 0 {
        return Err(Errno::EINVAL.into());
    }
    let path = user::read_path(path)?;
    if path.is_empty() && flags & raw::AT_EMPTY_PATH == 0 {
        return Err(Errno::ENOENT.into());
    }
    let argv = user::read_string_array(argv)?;
    let envp = user::read_string_array(envp)?;
    let follow = flags & raw::AT_SYMLINK_NOFOLLOW == 0;
    let executable = execveat_target(dirfd, &path, follow)?;
    exec::execve(frame, executable, argv, envp)?;
    Ok(0)
}

/// What execveat runs, and under which name: Linux names a program run from a
/// descriptor `/dev/fd/N` (AT_EMPTY_PATH) or `/dev/fd/N/<path>`, and takes its comm
/// from the file itself.
fn execveat_target(dirfd: u64, path: &str, follow: bool) -> Result<Executable> {
    let node = fs_at::resolve_at(dirfd, path, follow)?;
    let fd = dirfd as i32;
    if fd == raw::AT_FDCWD || path.starts_with('/') {
        return Ok(Executable {
            node,
            name: String::from(path),
            comm_from_file: false,
        });
    }
    let name = if path.is_empty() {
        format!("/dev/fd/{fd}")
    } else {
        format!("/dev/fd/{fd}/{path}")
    };
    Ok(Executable {
        node,
        name,
        comm_from_file: true,
    })
}

pub fn sys_exit(code: u64) -> SysResult {
    lifecycle::exit_thread(ExitStatus::Exited(code as u8))
}

pub fn sys_exit_group(code: u64) -> SysResult {
    lifecycle::exit_group(ExitStatus::Exited(code as u8))
}

fn wait_target(pid: i32) -> WaitTarget {
    match pid {
        -1 => WaitTarget::Any,
        0 => WaitTarget::Group(sched::current().process.pgid()),
        p if p < 0 => WaitTarget::Group(p.unsigned_abs()),
        p => WaitTarget::Pid(p as Pid),
    }
}

/// `struct rusage`: times filled, the rest zero.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    rest: [i64; 14],
}

fn ticks_to_timeval(ticks: u64) -> [i64; 2] {
    let us = ticks * (1_000_000 / exec::USER_HZ);
    [(us / 1_000_000) as i64, (us % 1_000_000) as i64]
}

pub fn sys_wait4(pid: u64, status: u64, options: u64, rusage: u64) -> SysResult {
    let options = options as u32;
    let known = raw::WNOHANG
        | raw::WUNTRACED
        | raw::WCONTINUED
        | raw::__WALL
        | raw::__WCLONE
        | raw::__WNOTHREAD;
    if options & !known != 0 {
        return Err(Errno::EINVAL.into());
    }
    let Some(reaped) = lifecycle::wait_child(wait_target(pid as i32), options | raw::WEXITED)?
    else {
        return Ok(0);
    };
    if status != 0 {
        user::write(status, &reaped.status.wait_status())?;
    }
    if rusage != 0 {
        let usage = Rusage {
            utime: ticks_to_timeval(reaped.utime),
            stime: ticks_to_timeval(reaped.stime),
            ..Rusage::default()
        };
        user::write(rusage, &usage)?;
    }
    Ok(reaped.pid as usize)
}

pub fn sys_waitid(idtype: u64, id: u64, infop: u64, options: u64) -> SysResult {
    let options = options as u32;
    let known = raw::WNOHANG
        | raw::WNOWAIT
        | raw::WEXITED
        | raw::WSTOPPED
        | raw::WCONTINUED
        | raw::__WALL
        | raw::__WCLONE
        | raw::__WNOTHREAD;
    if options & !known != 0 || options & (raw::WEXITED | raw::WSTOPPED | raw::WCONTINUED) == 0 {
        return Err(Errno::EINVAL.into());
    }
    let target = match idtype as u32 {
        raw::P_ALL => WaitTarget::Any,
        raw::P_PID => WaitTarget::Pid(id as Pid),
        raw::P_PGID if id == 0 => WaitTarget::Group(sched::current().process.pgid()),
        raw::P_PGID => WaitTarget::Group(id as Pid),
        _ => return Err(Errno::EINVAL.into()),
    };
    let reaped = lifecycle::wait_child(target, options)?;
    if infop != 0 {
        let mut info = crate::signal::frame::SigInfoRaw::from_info(&Default::default());
        if let Some(reaped) = &reaped {
            let (code, value) = match reaped.status {
                ExitStatus::Exited(code) => (raw::CLD_EXITED, code as u64),
                ExitStatus::Signaled {
                    signal,
                    core: false,
                } => (raw::CLD_KILLED, signal.number() as u64),
                ExitStatus::Signaled { signal, core: true } => {
                    (raw::CLD_DUMPED, signal.number() as u64)
                }
                ExitStatus::Stopped(signal) => (raw::CLD_STOPPED, signal.number() as u64),
                ExitStatus::Continued => (raw::CLD_CONTINUED, raw::SIGCONT as u64),
            };
            info.signo = raw::SIGCHLD as i32;
            info.code = code as i32;
            info.fields[0] = reaped.pid as u64 | ((reaped.uid as u64) << 32);
            info.fields[1] = value;
        }
        user::write(infop, &info)?;
    }
    Ok(0)
}

pub fn sys_getpid() -> SysResult {
    Ok(sched::current().process.pid as usize)
}

pub fn sys_gettid() -> SysResult {
    Ok(sched::current().tid() as usize)
}

pub fn sys_getppid() -> SysResult {
    Ok(sched::current().process.ppid() as usize)
}

pub fn sys_set_tid_address(addr: u64) -> SysResult {
    let task = sched::current();
    task.clear_child_tid.store(addr, Ordering::Relaxed);
    Ok(task.tid() as usize)
}

fn process_or_self(pid: u64) -> Result<alloc::sync::Arc<crate::task::Process>> {
    match pid as i32 {
        0 => Ok(sched::current().process.clone()),
        p if p < 0 => Err(Errno::EINVAL.into()),
        p => group::lookup(p as Pid).ok_or(Errno::ESRCH.into()),
    }
}

pub fn sys_getpgid(pid: u64) -> SysResult {
    Ok(process_or_self(pid)?.pgid() as usize)
}

pub fn sys_getsid(pid: u64) -> SysResult {
    Ok(process_or_self(pid)?.sid() as usize)
}

pub fn sys_setpgid(pid: u64, pgid: u64) -> SysResult {
    let caller = sched::current().process.clone();
    let target = process_or_self(pid)?;
    let pgid = pgid as i32;
    if pgid < 0 {
        return Err(Errno::EINVAL.into());
    }
    let pgid = if pgid == 0 { target.pid } else { pgid as Pid };
    if target.pid != caller.pid && target.ppid() != caller.pid {
        return Err(Errno::ESRCH.into());
    }
    if target.sid() != caller.sid() {
        return Err(Errno::EPERM.into());
    }
    if target.pid == target.sid() {
        return Err(Errno::EPERM.into());
    }
    if pgid != target.pid
        && !group::group_members(pgid)
            .iter()
            .any(|p| p.sid() == caller.sid())
    {
        return Err(Errno::EPERM.into());
    }
    target.pgid.store(pgid, Ordering::Relaxed);
    Ok(0)
}

pub fn sys_setsid() -> SysResult {
    let process = sched::current().process.clone();
    if process.pgid() == process.pid || !group::group_members(process.pid).is_empty() {
        return Err(Errno::EPERM.into());
    }
    process.sid.store(process.pid, Ordering::Relaxed);
    process.pgid.store(process.pid, Ordering::Relaxed);
    crate::tty::on_new_session(&process);
    Ok(process.pid as usize)
}

pub fn sys_getuid() -> SysResult {
    Ok(sched::current().process.creds.lock().uid as usize)
}

pub fn sys_getgid() -> SysResult {
    Ok(sched::current().process.creds.lock().gid as usize)
}

/// setuid/setgid and friends: root may become anyone; the kernel keeps one
/// id for real, effective and saved.
pub fn sys_setid(id: u64, group: bool) -> SysResult {
    let process = sched::current().process.clone();
    let mut creds = process.creds.lock();
    let id = id as u32;
    let current = if group { creds.gid } else { creds.uid };
    if !creds.is_root() && id != current {
        return Err(Errno::EPERM.into());
    }
    if group {
        creds.gid = id;
    } else {
        creds.uid = id;
    }
    Ok(0)
}

pub fn sys_getresid(ruid: u64, euid: u64, suid: u64, group: bool) -> SysResult {
    let creds = sched::current().process.creds.lock().clone();
    let id = if group { creds.gid } else { creds.uid };
    for addr in [ruid, euid, suid] {
        user::write(addr, &id)?;
    }
    Ok(0)
}

pub fn sys_setresid(real: u64, effective: u64, saved: u64, group: bool) -> SysResult {
    // The three ids are kept as one; -1 leaves it, anything else sets it.
    let wanted = [real, effective, saved]
        .into_iter()
        .map(|v| v as u32)
        .find(|&v| v != u32::MAX);
    match wanted {
        Some(id) => sys_setid(id as u64, group),
        None => Ok(0),
    }
}

pub fn sys_getgroups(size: u64, list: u64) -> SysResult {
    let groups = sched::current().process.creds.lock().groups.clone();
    if size == 0 {
        return Ok(groups.len());
    }
    if (size as usize) < groups.len() {
        return Err(Errno::EINVAL.into());
    }
    for (i, gid) in groups.iter().enumerate() {
        user::write(list + i as u64 * 4, gid)?;
    }
    Ok(groups.len())
}

pub fn sys_setgroups(size: u64, list: u64) -> SysResult {
    const NGROUPS_MAX: u64 = 65536;
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL.into());
    }
    let process = sched::current().process.clone();
    if !process.creds.lock().is_root() {
        return Err(Errno::EPERM.into());
    }
    let mut groups = Vec::new();
    for i in 0..size {
        groups.push(user::read::<u32>(list + i * 4)?);
    }
    process.creds.lock().groups = groups;
    Ok(0)
}

pub fn sys_prlimit64(pid: u64, resource: u64, new: u64, old: u64) -> SysResult {
    let process = process_or_self(pid)?;
    let resource = resource as u32;
    let mut limits = process.limits.lock();
    let current = limits.get(resource).ok_or(Errno::EINVAL)?;
    if new != 0 {
        let [soft, hard]: [u64; 2] = user::read(new)?;
        limits
            .set(resource, Limit { soft, hard })
            .ok_or(Errno::EINVAL)?;
        if resource == raw::RLIMIT_NOFILE {
            process
                .files
                .lock()
                .set_limit(soft.min(u32::MAX as u64) as usize);
        }
    }
    if old != 0 {
        user::write(old, &[current.soft, current.hard])?;
    }
    Ok(0)
}

pub fn sys_getrlimit(resource: u64, addr: u64) -> SysResult {
    sys_prlimit64(0, resource, 0, addr)
}

pub fn sys_setrlimit(resource: u64, addr: u64) -> SysResult {
    sys_prlimit64(0, resource, addr, 0)
}

pub fn sys_getpriority(which: u64, who: u64) -> SysResult {
    let process = priority_target(which, who)?;
    // The kernel ABI returns 20 - nice so the value is never negative.
    Ok((20 - process.nice.load(Ordering::Relaxed)) as usize)
}

pub fn sys_setpriority(which: u64, who: u64, nice: u64) -> SysResult {
    let process = priority_target(which, who)?;
    let nice = (nice as i32).clamp(process::sched::NICE_MIN, process::sched::NICE_MAX);
    process.nice.store(nice, Ordering::Relaxed);
    Ok(0)
}

fn priority_target(which: u64, who: u64) -> Result<alloc::sync::Arc<crate::task::Process>> {
    match which as u32 {
        raw::PRIO_PROCESS => process_or_self(who),
        raw::PRIO_PGRP | raw::PRIO_USER => {
            // TODO: process groups and users as priority targets.
            Err(Errno::EINVAL.into())
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

/// The number of live processes, for sysinfo.
pub fn process_count() -> usize {
    PROCESSES.lock().process_count()
}
