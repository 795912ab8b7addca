//! Futexes: user-space locks sleep and wake through the kernel here.
//!
//! A futex in a private mapping is named by its address space and virtual
//! address, so copy-on-write moving the word to another frame (a write after
//! fork) does not lose its waiters; one in a MAP_SHARED mapping is named by
//! the physical address of its word, so every mapping of it (across fork,
//! or of the same file) is the same futex. Waiters queue per key, each with
//! its wake bitset. A requeue moves waiters to another key, so each waiter
//! carries the key it is queued under now, and leaving (a timeout, a signal)
//! takes it off that queue, not the one it first slept on.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use spin::mutex::SpinMutex;

use linux_raw_sys::general as raw;
use platform::arch::irq::IrqMutex;
use vfs::{Errno, Result};

pub mod robust;

use crate::signal::ERESTARTSYS;
use crate::task::sched::{self, Interrupted};
use crate::task::Task;
use crate::user;

/// The bitset plain FUTEX_WAIT and FUTEX_WAKE use.
pub const MATCH_ANY: u32 = u32::MAX;

struct Waiter {
    bitset: u32,
    task: Arc<Task>,
    ticket: Arc<Ticket>,
}

/// What a sleeping waiter and the wakers share.
struct Ticket {
    /// Set by the waker that takes the waiter off its queue.
    woken: AtomicBool,
    /// The queue the waiter is on; changed by requeues, read and written
    /// only with [`FUTEXES`] held.
    key: SpinMutex<Key>,
}

/// `(address space, virtual address)` for a private mapping, `(0, physical
/// address)` for a shared one.
type Key = (usize, u64);

static FUTEXES: IrqMutex<BTreeMap<Key, Vec<Waiter>>> = IrqMutex::new(BTreeMap::new());

/// The key of the futex word at `uaddr`. The word is read first so the page
/// is present.
fn key(uaddr: u64) -> Result<Key> {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL.into());
    }
    let _: u32 = user::read(uaddr)?;
    let task = sched::current();
    let mm = task.mm().ok_or(Errno::EFAULT)?;
    let inner = mm.lock();
    if !inner.find(uaddr).is_some_and(|vma| vma.shared) {
        return Ok((Arc::as_ptr(&mm) as usize, uaddr));
    }
    let page = uaddr & !0xfff;
    let (frame, _) = inner.space.translate(page).ok_or(Errno::EFAULT)?;
    Ok((0, frame.start_address().as_u64() + (uaddr & 0xfff)))
}

/// FUTEX_WAIT(_BITSET): sleeps while `*uaddr == expected`.
pub fn wait(uaddr: u64, expected: u32, bitset: u32, deadline_ns: Option<u64>) -> Result<usize> {
    if bitset == 0 {
        return Err(Errno::EINVAL.into());
    }
    let key = key(uaddr)?;
    let ticket = Arc::new(Ticket {
        woken: AtomicBool::new(false),
        key: SpinMutex::new(key),
    });
    {
        let mut futexes = FUTEXES.lock();
        let current: u32 = user::read(uaddr)?;
        if current != expected {
            return Err(Errno::EAGAIN.into());
        }
        let task = sched::current();
        futexes.entry(key).or_default().push(Waiter {
            bitset,
            task,
            ticket: ticket.clone(),
        });
    }
    let outcome = sched::wait_until(None, deadline_ns, true, || {
        ticket.woken.load(Ordering::Acquire).then_some(())
    });
    // A wake that came after the timeout or signal was seen still counts:
    // the waker already spent it on this waiter, as Linux's unqueue does.
    if outcome.is_err() && remove_waiter(&ticket) {
        return match outcome {
            Err(Interrupted::TimedOut) => Err(Errno::ETIMEDOUT.into()),
            _ => Err(ERESTARTSYS.into()),
        };
    }
    Ok(0)
}

/// Takes the waiter holding `ticket` off the queue it is on now; false when
/// a waker took it off first.
fn remove_waiter(ticket: &Arc<Ticket>) -> bool {
    let mut futexes = FUTEXES.lock();
    if ticket.woken.load(Ordering::Acquire) {
        return false;
    }
    let key = *ticket.key.lock();
    if let Some(waiters) = futexes.get_mut(&key) {
        waiters.retain(|w| !Arc::ptr_eq(&w.ticket, ticket));
        if waiters.is_empty() {
            futexes.remove(&key);
        }
    }
    true
}

/// Wakes up to `count` waiters on the futex `key`.
fn wake_key(key: Key, count: usize, bitset: u32) -> usize {
    let mut woken = 0;
    {
        let mut futexes = FUTEXES.lock();
        let Some(waiters) = futexes.get_mut(&key) else {
            return 0;
        };
        waiters.retain(|waiter| {
            if woken < count && waiter.bitset & bitset != 0 {
                waiter.ticket.woken.store(true, Ordering::Release);
                sched::wake(&waiter.task);
                woken += 1;
                false
            } else {
                true
            }
        });
        if waiters.is_empty() {
            futexes.remove(&key);
        }
    }
    woken
}

/// FUTEX_WAKE(_BITSET) on the word at `uaddr`.
pub fn wake(uaddr: u64, count: usize) -> usize {
    key(uaddr)
        .map(|key| wake_key(key, count, MATCH_ANY))
        .unwrap_or(0)
}

pub fn wake_bitset(uaddr: u64, count: usize, bitset: u32) -> Result<usize> {
    if bitset == 0 {
        return Err(Errno::EINVAL.into());
    }
    Ok(wake_key(key(uaddr)?, count, bitset))
}

/// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes `count` waiters of `uaddr` and
/// moves up to `requeue` more to `uaddr2`.
pub fn requeue(
    uaddr: u64,
    count: usize,
    requeue: usize,
    uaddr2: u64,
    expected: Option<u32>,
) -> Result<usize> {
    let from = key(uaddr)?;
    let to = key(uaddr2)?;
    if let Some(expected) = expected {
        let current: u32 = user::read(uaddr)?;
        if current != expected {
            return Err(Errno::EAGAIN.into());
        }
    }
    let woken = wake_key(from, count, MATCH_ANY);
    let mut futexes = FUTEXES.lock();
    let mut moved = Vec::new();
    if let Some(waiters) = futexes.get_mut(&from) {
        let n = requeue.min(waiters.len());
        moved.extend(waiters.drain(..n));
        if waiters.is_empty() {
            futexes.remove(&from);
        }
    }
    let requeued = moved.len();
    if !moved.is_empty() {
        for waiter in &moved {
            *waiter.ticket.key.lock() = to;
        }
        futexes.entry(to).or_default().extend(moved);
    }
    Ok(woken + requeued)
}

/// FUTEX_WAKE_OP: `*uaddr2 = op(*uaddr2)`, wake on `uaddr`, and wake on
/// `uaddr2` too when the old value passes the comparison.
pub fn wake_op(
    uaddr: u64,
    count: usize,
    count2: usize,
    uaddr2: u64,
    encoded: u32,
) -> Result<usize> {
    let op = (encoded >> 28) & 0x7;
    let shift_arg = encoded & (raw::FUTEX_OP_OPARG_SHIFT << 28) != 0;
    let cmp = (encoded >> 24) & 0xf;
    // Both arguments are signed 12-bit fields: -1 is 0xfff.
    let mut oparg = sign_extend_12((encoded >> 12) & 0xfff);
    let cmparg = sign_extend_12(encoded & 0xfff);
    if shift_arg {
        // Linux takes an out-of-range shift modulo 32 rather than failing.
        oparg = 1u32 << (oparg & 31);
    }

    let old: u32 = user::read(uaddr2)?;
    let new = match op {
        raw::FUTEX_OP_SET => oparg,
        raw::FUTEX_OP_ADD => old.wrapping_add(oparg),
        raw::FUTEX_OP_OR => old | oparg,
        raw::FUTEX_OP_ANDN => old & !oparg,
        raw::FUTEX_OP_XOR => old ^ oparg,
        _ => return Err(Errno::ENOSYS.into()),
    };
    user::write(uaddr2, &new)?;

    let mut woken = wake_key(key(uaddr)?, count, MATCH_ANY);
    let passes = match cmp {
        raw::FUTEX_OP_CMP_EQ => old == cmparg,
        raw::FUTEX_OP_CMP_NE => old != cmparg,
        raw::FUTEX_OP_CMP_LT => (old as i32) < cmparg as i32,
        raw::FUTEX_OP_CMP_LE => (old as i32) <= cmparg as i32,
        raw::FUTEX_OP_CMP_GT => (old as i32) > cmparg as i32,
        raw::FUTEX_OP_CMP_GE => (old as i32) >= cmparg as i32,
        _ => return Err(Errno::ENOSYS.into()),
    };
    if passes {
        woken += wake_key(key(uaddr2)?, count2, MATCH_ANY);
    }
    Ok(woken)
}

/// The 32-bit value of a two's-complement 12-bit field.
fn sign_extend_12(field: u32) -> u32 {
    (((field << 20) as i32) >> 20) as u32
}
