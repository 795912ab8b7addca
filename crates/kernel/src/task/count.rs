//! How many tasks may exist: RLIMIT_NPROC for each user, and a cap for the
//! whole system.
//!
//! Linux counts tasks, threads as well as processes, by real user id, and
//! a zombie counts until it is reaped. Root is exempt from RLIMIT_NPROC (it
//! holds CAP_SYS_RESOURCE), so a root fork bomb is stopped by the system
//! cap instead, Linux's `threads-max`: no more tasks than would let kernel
//! stacks take an eighth of memory. Both failures are EAGAIN.

use linux_raw_sys::general as raw;
use platform::arch::switch::KERNEL_STACK_SIZE;
use process::limits::INFINITY;
use vfs::{Errno, Result};

use super::group::{self, Process, PROCESSES};

/// Linux's bounds on `threads-max`: at least 20, at most what a futex word
/// can name.
const MIN_TASKS: u64 = 20;
const MAX_TASKS: u64 = raw::FUTEX_TID_MASK as u64;
/// Kernel stacks may take this share of memory, as on Linux.
const STACK_SHARE: u64 = 8;
const PAGE_SIZE: u64 = 4096;

/// The system-wide task cap, from the memory there is.
pub fn max_tasks() -> u64 {
    let memory = platform::mm::frame::stats().total.saturating_mul(PAGE_SIZE);
    (memory / (STACK_SHARE * KERNEL_STACK_SIZE as u64)).clamp(MIN_TASKS, MAX_TASKS)
}

/// Whether `parent` may create one more task (a process or a thread).
pub fn check_room(parent: &Process) -> Result<()> {
    let uid = parent.creds.lock().uid;
    let limit = parent
        .limits
        .lock()
        .get(raw::RLIMIT_NPROC)
        .map_or(INFINITY, |limit| limit.soft);
    let tasks = PROCESSES.lock().thread_count() as u64;
    room(tasks, max_tasks(), uid, limit, || tasks_of(uid))
}

/// The decision of [`check_room`]: `tasks` exist in all, the cap is
/// `max`, and `user_tasks` counts those of `uid`, whose RLIMIT_NPROC is
/// `limit`.
fn room(
    tasks: u64,
    max: u64,
    uid: u32,
    limit: u64,
    user_tasks: impl FnOnce() -> u64,
) -> Result<()> {
    if tasks >= max {
        return Err(vfs::Error::with_reason(
            Errno::EAGAIN,
            "threads-max reached",
        ));
    }
    if uid == vfs::cred::ROOT_UID || limit == INFINITY {
        return Ok(());
    }
    if user_tasks() >= limit {
        return Err(vfs::Error::with_reason(
            Errno::EAGAIN,
            "RLIMIT_NPROC reached",
        ));
    }
    Ok(())
}

/// The tasks of user `uid`: each live thread, and one for each zombie.
/// This walks every process; it runs only for users with a finite limit.
fn tasks_of(uid: u32) -> u64 {
    group::all()
        .iter()
        .filter(|process| process.creds.lock().uid == uid)
        .map(|process| process.threads.lock().len().max(1) as u64)
        .sum()
}

pub const TESTS: &[crate::ktest::Test] = &[
    (
        "task_limit_counts_users_below_root",
        user_limit_applies_below_root,
    ),
    ("task_limit_system_cap_binds_root", system_cap_binds_root),
    ("task_limit_bounds", cap_stays_in_linux_bounds),
];

fn is_eagain(result: Result<()>) -> bool {
    matches!(result, Err(err) if err.errno == Errno::EAGAIN)
}

fn user_limit_applies_below_root() -> crate::ktest::TestResult {
    crate::ensure!(
        room(10, 100, 1000, 5, || 4).is_ok(),
        "below the limit refused"
    );
    crate::ensure!(
        is_eagain(room(10, 100, 1000, 5, || 5)),
        "at the limit allowed"
    );
    crate::ensure!(
        room(10, 100, 0, 5, || 50).is_ok(),
        "root held to RLIMIT_NPROC"
    );
    crate::ensure!(
        room(10, 100, 1000, INFINITY, || unreachable!(
            "no count without a limit"
        ))
        .is_ok(),
        "unlimited user refused"
    );
    Ok(())
}

fn system_cap_binds_root() -> crate::ktest::TestResult {
    crate::ensure!(
        is_eagain(room(100, 100, 0, INFINITY, || 0)),
        "root passed threads-max"
    );
    crate::ensure!(
        is_eagain(room(100, 100, 1000, 5, || 0)),
        "user passed threads-max"
    );
    Ok(())
}

fn cap_stays_in_linux_bounds() -> crate::ktest::TestResult {
    let max = max_tasks();
    crate::ensure!(
        (MIN_TASKS..=MAX_TASKS).contains(&max),
        "threads-max {max} out of bounds"
    );
    crate::ensure!(
        max > PROCESSES.lock().thread_count() as u64,
        "threads-max {max} leaves no room for the tasks running now"
    );
    Ok(())
}
