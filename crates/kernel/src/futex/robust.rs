//! Robust futex lists: the locks a thread still holds when it dies.
//!
//! A thread library registers, per thread, the head of a user-space list of
//! the robust mutexes the thread holds (`set_robust_list`). When the thread
//! exits or execs, the kernel walks that list and, for each futex word whose
//! owner field is the thread's id, sets FUTEX_OWNER_DIED and wakes one
//! waiter, who then gets EOWNERDEAD from its lock call. Everything read
//! here is user memory the dying program may have trashed: the walk stops
//! at the first unreadable link and after ROBUST_LIST_LIMIT entries, so a
//! looped list cannot hold the kernel.

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;

use crate::task::Task;
use crate::user;

/// `struct robust_list_head`.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct RobustListHead {
    /// The first link; the list ends where a link points back at the head.
    next: u64,
    /// From a link to the futex word of its mutex.
    futex_offset: i64,
    /// A link being added or removed right now, which may not be on the
    /// list yet (or any more).
    pending: u64,
}

/// The only length `set_robust_list` accepts.
pub const HEAD_SIZE: u64 = core::mem::size_of::<RobustListHead>() as u64;

/// Bit 0 of a link marks a priority-inheritance futex.
const PI_BIT: u64 = 1;

/// A link's address and whether it is a PI futex.
fn split(link: u64) -> (u64, bool) {
    (link & !PI_BIT, link & PI_BIT != 0)
}

/// Releases every robust futex `task` (the current task, with its address
/// space still in place) holds, and forgets its list.
pub fn release_all(task: &Task) {
    let head_addr = task
        .robust_list
        .swap(0, core::sync::atomic::Ordering::Relaxed);
    if head_addr == 0 {
        return;
    }
    let Ok(head) = user::read::<RobustListHead>(head_addr) else {
        return;
    };
    let tid = task.tid();
    let futex_of = |link: u64| link.wrapping_add_signed(head.futex_offset);
    let (pending, pending_pi) = split(head.pending);

    let (mut link, mut is_pi) = split(head.next);
    for _ in 0..raw::ROBUST_LIST_LIMIT {
        if link == head_addr {
            break;
        }
        // The next link is read before this futex is released: once it
        // is, a waiter may take the mutex and unlink it.
        let next = user::read::<u64>(link);
        if link != pending {
            owner_died(futex_of(link), tid, is_pi, false);
        }
        let Ok(next) = next else {
            return;
        };
        (link, is_pi) = split(next);
    }
    if pending != 0 {
        owner_died(futex_of(pending), tid, pending_pi, true);
    }
}

/// Marks the futex word at `uaddr` as left behind by `tid` and wakes one
/// waiter. `is_pending` says the owner died in the middle of a lock or
/// unlock: a word with no owner then only needs its waiter woken, since
/// the unlock got as far as clearing it.
fn owner_died(uaddr: u64, tid: u32, is_pi: bool, is_pending: bool) {
    if !uaddr.is_multiple_of(4) {
        return;
    }
    let Ok(word) = user::read::<u32>(uaddr) else {
        return;
    };
    let owner = word & raw::FUTEX_TID_MASK;
    if is_pending && !is_pi && owner == 0 {
        super::wake(uaddr, 1);
        return;
    }
    if owner != tid {
        return;
    }
    // TODO: a user-space compare-and-exchange, once other CPUs can run this
    // program's threads; on one CPU nothing runs between the read and the
    // write, since the kernel is not preempted.
    let marked = (word & raw::FUTEX_WAITERS) | raw::FUTEX_OWNER_DIED;
    if user::write(uaddr, &marked).is_err() {
        return;
    }
    // PI futexes hand over through their PI state, which this kernel does
    // not have (FUTEX_LOCK_PI is ENOSYS); nothing else is owed to them.
    if !is_pi && word & raw::FUTEX_WAITERS != 0 {
        super::wake(uaddr, 1);
    }
}
