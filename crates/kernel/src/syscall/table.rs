//! The syscall table: each Linux x86_64 syscall number and its handler.
//! Numbers not listed return ENOSYS (logged once by name).

use linux_raw_sys::general as raw;
use platform::arch::trap::TrapFrame;
use vfs::Errno;

use super::fs_at::AT_FDCWD_ARG;
use super::{fs, fs_at, futex, mm, process, signal, system, time, timer, Args, SysResult};

pub fn call(nr: u64, args: &Args, frame: &mut TrapFrame) -> SysResult {
    let a = |i| args.get(i);
    let Ok(nr) = u32::try_from(nr) else {
        return Err(Errno::ENOSYS.into());
    };
    match nr {
        // Files.
        raw::__NR_read => fs::sys_read(a(0), a(1), a(2)),
        raw::__NR_write => fs::sys_write(a(0), a(1), a(2)),
        raw::__NR_readv => fs::sys_readv(a(0), a(1), a(2), None),
        raw::__NR_writev => fs::sys_writev(a(0), a(1), a(2), None),
        raw::__NR_preadv => fs::sys_readv(a(0), a(1), a(2), Some(a(3) as i64)),
        raw::__NR_pwritev => fs::sys_writev(a(0), a(1), a(2), Some(a(3) as i64)),
        raw::__NR_pread64 => fs::sys_pread64(a(0), a(1), a(2), a(3)),
        raw::__NR_pwrite64 => fs::sys_pwrite64(a(0), a(1), a(2), a(3)),
        raw::__NR_open => fs_at::sys_openat(AT_FDCWD_ARG, a(0), a(1), a(2)),
        raw::__NR_creat => fs_at::sys_openat(
            AT_FDCWD_ARG,
            a(0),
            (raw::O_CREAT | raw::O_WRONLY | raw::O_TRUNC) as u64,
            a(1),
        ),
        raw::__NR_openat => fs_at::sys_openat(a(0), a(1), a(2), a(3)),
        raw::__NR_close => fs::sys_close(a(0)),
        raw::__NR_close_range => fs::sys_close_range(a(0), a(1), a(2)),
        raw::__NR_lseek => fs::sys_lseek(a(0), a(1), a(2)),
        raw::__NR_sendfile => fs::sys_sendfile(a(0), a(1), a(2), a(3)),
        raw::__NR_dup => fs::sys_dup(a(0)),
        raw::__NR_dup2 => fs::sys_dup2(a(0), a(1)),
        raw::__NR_dup3 => fs::sys_dup3(a(0), a(1), a(2)),
        raw::__NR_fcntl => fs::sys_fcntl(a(0), a(1), a(2)),
        raw::__NR_pipe => fs::sys_pipe2(a(0), 0),
        raw::__NR_pipe2 => fs::sys_pipe2(a(0), a(1)),
        raw::__NR_ioctl => fs::sys_ioctl(a(0), a(1), a(2)),
        raw::__NR_fstat => fs::sys_fstat(a(0), a(1)),
        raw::__NR_stat => fs_at::sys_stat(a(0), a(1), true),
        raw::__NR_lstat => fs_at::sys_stat(a(0), a(1), false),
        raw::__NR_newfstatat => fs_at::sys_newfstatat(a(0), a(1), a(2), a(3)),
        raw::__NR_statx => fs_at::sys_statx(a(0), a(1), a(2), a(3), a(4)),
        raw::__NR_getdents64 => fs::sys_getdents64(a(0), a(1), a(2)),
        raw::__NR_ftruncate => fs::sys_ftruncate(a(0), a(1)),
        raw::__NR_truncate => fs_at::sys_truncate(a(0), a(1)),
        raw::__NR_fsync | raw::__NR_fdatasync => fs::sys_fsync(a(0)),
        raw::__NR_sync | raw::__NR_syncfs => Ok(0),
        raw::__NR_poll => {
            let timeout = a(2) as i32;
            let timeout_ns = (timeout >= 0).then(|| timeout as u64 * 1_000_000);
            fs::do_poll(a(0), a(1), timeout_ns)
        }
        raw::__NR_ppoll => {
            let timeout_ns = if a(2) == 0 {
                None
            } else {
                Some(time::read_timespec_ns(a(2))?)
            };
            with_temporary_mask(a(3), a(4), || fs::do_poll(a(0), a(1), timeout_ns))
        }
        raw::__NR_select => {
            let timeout_ns = if a(4) == 0 {
                None
            } else {
                Some(read_timeval_ns(a(4))?)
            };
            fs::do_select(a(0), a(1), a(2), a(3), timeout_ns)
        }
        raw::__NR_pselect6 => {
            let timeout_ns = if a(4) == 0 {
                None
            } else {
                Some(time::read_timespec_ns(a(4))?)
            };
            let (mask, size) = if a(5) == 0 {
                (0, 8)
            } else {
                crate::user::read::<[u64; 2]>(a(5)).map(|m| (m[0], m[1]))?
            };
            with_temporary_mask(mask, size, || {
                fs::do_select(a(0), a(1), a(2), a(3), timeout_ns)
            })
        }
        raw::__NR_mkdir => fs_at::sys_mkdirat(AT_FDCWD_ARG, a(0), a(1)),
        raw::__NR_mkdirat => fs_at::sys_mkdirat(a(0), a(1), a(2)),
        raw::__NR_mknod => fs_at::sys_mknodat(AT_FDCWD_ARG, a(0), a(1), a(2)),
        raw::__NR_mknodat => fs_at::sys_mknodat(a(0), a(1), a(2), a(3)),
        raw::__NR_unlink => fs_at::sys_unlinkat(AT_FDCWD_ARG, a(0), 0),
        raw::__NR_rmdir => fs_at::sys_unlinkat(AT_FDCWD_ARG, a(0), raw::AT_REMOVEDIR as u64),
        raw::__NR_unlinkat => fs_at::sys_unlinkat(a(0), a(1), a(2)),
        raw::__NR_rename => fs_at::sys_renameat2(AT_FDCWD_ARG, a(0), AT_FDCWD_ARG, a(1), 0),
        raw::__NR_renameat => fs_at::sys_renameat2(a(0), a(1), a(2), a(3), 0),
        raw::__NR_renameat2 => fs_at::sys_renameat2(a(0), a(1), a(2), a(3), a(4)),
        raw::__NR_symlink => fs_at::sys_symlinkat(a(0), AT_FDCWD_ARG, a(1)),
        raw::__NR_symlinkat => fs_at::sys_symlinkat(a(0), a(1), a(2)),
        raw::__NR_link => fs_at::sys_linkat(AT_FDCWD_ARG, a(0), AT_FDCWD_ARG, a(1), 0),
        raw::__NR_linkat => fs_at::sys_linkat(a(0), a(1), a(2), a(3), a(4)),
        raw::__NR_readlink => fs_at::sys_readlinkat(AT_FDCWD_ARG, a(0), a(1), a(2)),
        raw::__NR_readlinkat => fs_at::sys_readlinkat(a(0), a(1), a(2), a(3)),
        raw::__NR_access => fs_at::sys_faccessat2(AT_FDCWD_ARG, a(0), a(1), 0),
        raw::__NR_faccessat => fs_at::sys_faccessat2(a(0), a(1), a(2), 0),
        raw::__NR_faccessat2 => fs_at::sys_faccessat2(a(0), a(1), a(2), a(3)),
        raw::__NR_chmod => fs_at::sys_fchmodat(AT_FDCWD_ARG, a(0), a(1)),
        raw::__NR_fchmodat => fs_at::sys_fchmodat(a(0), a(1), a(2)),
        raw::__NR_fchmod => fs_at::sys_fchmod(a(0), a(1)),
        raw::__NR_chown => fs_at::sys_fchownat(AT_FDCWD_ARG, a(0), a(1), a(2), 0),
        raw::__NR_lchown => fs_at::sys_fchownat(
            AT_FDCWD_ARG,
            a(0),
            a(1),
            a(2),
            raw::AT_SYMLINK_NOFOLLOW as u64,
        ),
        raw::__NR_fchownat => fs_at::sys_fchownat(a(0), a(1), a(2), a(3), a(4)),
        raw::__NR_fchown => fs_at::sys_fchown(a(0), a(1), a(2)),
        raw::__NR_utimensat => fs_at::sys_utimensat(a(0), a(1), a(2), a(3)),
        raw::__NR_chdir => fs_at::sys_chdir(a(0)),
        raw::__NR_fchdir => fs_at::sys_fchdir(a(0)),
        raw::__NR_chroot => fs_at::sys_chroot(a(0)),
        raw::__NR_getcwd => fs_at::sys_getcwd(a(0), a(1)),
        raw::__NR_umask => fs_at::sys_umask(a(0)),
        raw::__NR_statfs => fs_at::sys_statfs(a(0), a(1)),
        raw::__NR_fstatfs => fs_at::sys_fstatfs(a(0), a(1)),
        raw::__NR_mount => fs_at::sys_mount(a(0), a(1), a(2), a(3), a(4)),
        raw::__NR_umount2 => fs_at::sys_umount2(a(0), a(1)),

        // Processes.
        raw::__NR_fork => process::sys_fork(frame),
        raw::__NR_vfork => process::sys_vfork(frame),
        raw::__NR_clone => process::sys_clone(frame, a(0), a(1), a(2), a(3), a(4)),
        raw::__NR_clone3 => process::sys_clone3(frame, a(0), a(1)),
        raw::__NR_execve => process::sys_execve(frame, a(0), a(1), a(2)),
        raw::__NR_execveat => process::sys_execveat(frame, a(0), a(1), a(2), a(3), a(4)),
        raw::__NR_exit => process::sys_exit(a(0)),
        raw::__NR_exit_group => process::sys_exit_group(a(0)),
        raw::__NR_wait4 => process::sys_wait4(a(0), a(1), a(2), a(3)),
        raw::__NR_waitid => process::sys_waitid(a(0), a(1), a(2), a(3)),
        raw::__NR_getpid => process::sys_getpid(),
        raw::__NR_gettid => process::sys_gettid(),
        raw::__NR_getppid => process::sys_getppid(),
        raw::__NR_set_tid_address => process::sys_set_tid_address(a(0)),
        raw::__NR_getpgid => process::sys_getpgid(a(0)),
        raw::__NR_getpgrp => process::sys_getpgid(0),
        raw::__NR_setpgid => process::sys_setpgid(a(0), a(1)),
        raw::__NR_getsid => process::sys_getsid(a(0)),
        raw::__NR_setsid => process::sys_setsid(),
        raw::__NR_getuid | raw::__NR_geteuid => process::sys_getuid(),
        raw::__NR_getgid | raw::__NR_getegid => process::sys_getgid(),
        raw::__NR_setuid | raw::__NR_setfsuid => process::sys_setid(a(0), false),
        raw::__NR_setgid | raw::__NR_setfsgid => process::sys_setid(a(0), true),
        raw::__NR_setreuid => process::sys_setresid(a(0), a(1), u32::MAX as u64, false),
        raw::__NR_setregid => process::sys_setresid(a(0), a(1), u32::MAX as u64, true),
        raw::__NR_setresuid => process::sys_setresid(a(0), a(1), a(2), false),
        raw::__NR_setresgid => process::sys_setresid(a(0), a(1), a(2), true),
        raw::__NR_getresuid => process::sys_getresid(a(0), a(1), a(2), false),
        raw::__NR_getresgid => process::sys_getresid(a(0), a(1), a(2), true),
        raw::__NR_getgroups => process::sys_getgroups(a(0), a(1)),
        raw::__NR_setgroups => process::sys_setgroups(a(0), a(1)),
        raw::__NR_prlimit64 => process::sys_prlimit64(a(0), a(1), a(2), a(3)),
        raw::__NR_getrlimit => process::sys_getrlimit(a(0), a(1)),
        raw::__NR_setrlimit => process::sys_setrlimit(a(0), a(1)),
        raw::__NR_getpriority => process::sys_getpriority(a(0), a(1)),
        raw::__NR_setpriority => process::sys_setpriority(a(0), a(1), a(2)),
        raw::__NR_set_robust_list => futex::sys_set_robust_list(a(0), a(1)),
        raw::__NR_get_robust_list => futex::sys_get_robust_list(a(0), a(1), a(2)),
        raw::__NR_futex => super::futex_call(a(0), a(1), a(2), a(3), a(4), a(5)),

        // Memory.
        raw::__NR_brk => mm::sys_brk(a(0)),
        raw::__NR_mmap => mm::sys_mmap(a(0), a(1), a(2), a(3), a(4), a(5)),
        raw::__NR_munmap => mm::sys_munmap(a(0), a(1)),
        raw::__NR_mprotect => mm::sys_mprotect(a(0), a(1), a(2)),
        raw::__NR_mremap => mm::sys_mremap(a(0), a(1), a(2), a(3), a(4)),
        raw::__NR_madvise => mm::sys_madvise(a(0), a(1), a(2)),
        raw::__NR_msync => mm::sys_msync(a(0), a(1), a(2)),

        // Signals.
        raw::__NR_rt_sigaction => signal::sys_rt_sigaction(a(0), a(1), a(2), a(3)),
        raw::__NR_rt_sigprocmask => signal::sys_rt_sigprocmask(a(0), a(1), a(2), a(3)),
        raw::__NR_rt_sigpending => signal::sys_rt_sigpending(a(0), a(1)),
        raw::__NR_rt_sigsuspend => signal::sys_rt_sigsuspend(a(0), a(1)),
        raw::__NR_rt_sigreturn => signal::sys_rt_sigreturn(frame),
        raw::__NR_rt_sigtimedwait => signal::sys_rt_sigtimedwait(a(0), a(1), a(2), a(3)),
        raw::__NR_rt_sigqueueinfo => signal::sys_rt_sigqueueinfo(a(0), a(1), a(2)),
        raw::__NR_kill => signal::sys_kill(a(0), a(1)),
        raw::__NR_tkill => signal::sys_tgkill(u32::MAX as u64, a(0), a(1)),
        raw::__NR_tgkill => signal::sys_tgkill(a(0), a(1), a(2)),
        raw::__NR_sigaltstack => signal::sys_sigaltstack(a(0), a(1), frame.rsp),
        raw::__NR_pause => signal::sys_pause(),

        // Time.
        raw::__NR_clock_gettime => time::sys_clock_gettime(a(0), a(1)),
        raw::__NR_clock_getres => time::sys_clock_getres(a(0), a(1)),
        raw::__NR_gettimeofday => time::sys_gettimeofday(a(0), a(1)),
        raw::__NR_time => time::sys_time(a(0)),
        raw::__NR_nanosleep => time::sys_nanosleep(a(0), a(1)),
        raw::__NR_clock_nanosleep => time::sys_clock_nanosleep(a(0), a(1), a(2), a(3)),
        raw::__NR_times => time::sys_times(a(0)),
        raw::__NR_restart_syscall => time::sys_restart_syscall(),
        raw::__NR_alarm => timer::sys_alarm(a(0)),
        raw::__NR_getitimer => timer::sys_getitimer(a(0), a(1)),
        raw::__NR_setitimer => timer::sys_setitimer(a(0), a(1), a(2)),
        raw::__NR_timer_create => timer::sys_timer_create(a(0), a(1), a(2)),
        raw::__NR_timer_settime => timer::sys_timer_settime(a(0), a(1), a(2), a(3)),
        raw::__NR_timer_gettime => timer::sys_timer_gettime(a(0), a(1)),
        raw::__NR_timer_getoverrun => timer::sys_timer_getoverrun(a(0)),
        raw::__NR_timer_delete => timer::sys_timer_delete(a(0)),

        // System.
        raw::__NR_uname => system::sys_uname(a(0)),
        raw::__NR_sethostname => system::sys_sethostname(a(0), a(1)),
        raw::__NR_setdomainname => system::sys_setdomainname(a(0), a(1)),
        raw::__NR_sysinfo => system::sys_sysinfo(a(0)),
        raw::__NR_getrandom => system::sys_getrandom(a(0), a(1), a(2)),
        raw::__NR_reboot => system::sys_reboot(a(0), a(1), a(2)),
        raw::__NR_arch_prctl => system::sys_arch_prctl(a(0), a(1)),
        raw::__NR_prctl => system::sys_prctl(a(0), a(1)),
        raw::__NR_sched_getaffinity => system::sys_sched_getaffinity(a(0), a(1), a(2)),
        raw::__NR_sched_yield => system::sys_sched_yield(),
        _ => Err(Errno::ENOSYS.into()),
    }
}

fn read_timeval_ns(addr: u64) -> vfs::Result<u64> {
    let [sec, usec]: [i64; 2] = crate::user::read(addr)?;
    if sec < 0 || !(0..1_000_000).contains(&usec) {
        return Err(Errno::EINVAL.into());
    }
    // A timeout past the year 2554 is as good as none.
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(usec as u64 * 1000))
}

/// ppoll and pselect6: run `f` with a temporary signal mask.
fn with_temporary_mask(mask_addr: u64, size: u64, f: impl FnOnce() -> SysResult) -> SysResult {
    if mask_addr == 0 {
        return f();
    }
    if size != 8 {
        return Err(Errno::EINVAL.into());
    }
    let mask: u64 = crate::user::read(mask_addr)?;
    let task = crate::task::sched::current();
    let previous = {
        let mut signals = task.signals.lock();
        let previous = signals.blocked;
        signals.blocked = ::process::SigSet::from_bits(mask).without_unblockable();
        previous
    };
    let result = f();
    let mut signals = task.signals.lock();
    if result
        .as_ref()
        .is_err_and(|e| e.errno == crate::signal::ERESTARTNOHAND)
    {
        // A handler runs with the temporary mask; sigreturn restores this.
        signals.saved_mask = Some(previous);
    } else {
        signals.blocked = previous;
    }
    result
}
