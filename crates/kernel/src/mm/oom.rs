//! The out-of-memory killer.
//!
//! User pages, file data, page tables and kernel stacks leave the frame
//! allocator's reserve alone, so running out of them costs a program its
//! allocation (ENOMEM) or its life (a page fault with no frame is SIGKILL).
//! The kernel heap may draw on the reserve, because most of its callers
//! cannot fail; but a program can still make the heap grow without bound
//! (mappings, open files, pipes), and once half the reserve is gone the
//! kernel takes memory back the way Linux does: it kills the process that
//! holds the most, one at a time, and waits for it to die before choosing
//! another. Init is never chosen.
//!
//! Known gaps: the reserve only has to outlast one system call's heap use,
//! so a single allocation that cannot fail and is larger than what is left
//! of the reserve (a few MiB) would still panic; none is known. The
//! footprint that picks the victim is an estimate (mappings and open files
//! at 256 bytes each).
//!
//! [`check`] runs before every return to user mode and costs one atomic
//! load unless the heap has drawn on the reserve since memory was last
//! found sufficient.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use platform::mm::{frame, heap};
use process::signal::{SigInfo, SIGKILL};

use super::PAGE_SIZE;
use crate::signal;
use crate::task::group::{self, Process};
use crate::task::sched;

/// Memory a process made the kernel hold that its own page counts do not
/// show: the pages of the pipes it made. Shared (`Arc`) with what it
/// charges for, which may outlive the process.
#[derive(Debug, Default)]
pub struct KernelCharge(AtomicU64);

impl KernelCharge {
    pub fn add(&self, bytes: usize) {
        self.0.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn sub(&self, bytes: usize) {
        self.0.fetch_sub(bytes as u64, Ordering::Relaxed);
    }

    pub fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The process last killed, until it is gone (0: none).
static VICTIM: AtomicU32 = AtomicU32::new(0);
/// How long a task waits for a victim to die before it goes on anyway.
const MAX_WAIT_NS: u64 = 1_000_000_000;

/// Kills a process if the kernel's memory is running low, and makes the
/// caller wait until the victim is gone, so that it does not eat the rest
/// of the reserve before the victim gets to run and die.
pub fn check() {
    if !frame::reserve_in_use() {
        return;
    }
    reclaim_until(|| !is_low());
    // The heap may keep frames it no longer uses (it gives back only its
    // top), so the reserve can stay short for good; the next time the heap
    // grows into it raises the flag again, and until then this costs no
    // more than the load above.
    if !is_low() {
        frame::forget_reserve_use();
    }
}

/// A page fault of the current process found no free frame. Frees memory
/// by killing the process that holds the most and waiting for it to go;
/// returns whether the fault should be retried. False means the faulting
/// process is the one to die (it holds the most, or nothing else can go).
pub fn reclaim_for_fault() -> bool {
    reclaim_until(|| {
        let stats = frame::stats();
        stats.free > stats.reserve
    })
}

/// Kills one process after another, each time waiting for the last victim
/// to be gone, until `enough` holds. Returns true when it does, or when a
/// second went by; false when the caller itself is the victim or nothing
/// is left to kill.
fn reclaim_until(enough: impl Fn() -> bool) -> bool {
    let current = sched::current().process.pid;
    let started = platform::time::monotonic_ns();
    while !enough() {
        let pending = VICTIM.load(Ordering::Relaxed);
        let alive = pending != 0 && group::lookup(pending).is_some_and(|p| !p.is_zombie());
        if !alive && !kill_one() {
            return false;
        }
        // The victim dies on its way back to user mode; anyone else waits.
        if VICTIM.load(Ordering::Relaxed) == current {
            return false;
        }
        if platform::time::monotonic_ns() - started > MAX_WAIT_NS {
            return true;
        }
        sched::schedule();
    }
    true
}

/// Whether the heap is more than halfway into the reserve, counting what
/// it holds unused.
fn is_low() -> bool {
    let stats = frame::stats();
    stats.free + heap::unused_bytes() / PAGE_SIZE < stats.reserve / 2
}

/// Sends SIGKILL to the process that holds the most; false when there is
/// none to kill.
fn kill_one() -> bool {
    let Some((victim, footprint)) = choose() else {
        VICTIM.store(0, Ordering::Relaxed);
        return false;
    };
    let stats = frame::stats();
    log::warn!(
        "out of memory: {} free frames, {} in reserve; killing pid {} ({}), footprint {} pages",
        stats.free,
        stats.reserve,
        victim.pid,
        victim.comm(),
        footprint
    );
    VICTIM.store(victim.pid, Ordering::Relaxed);
    let info = SigInfo {
        signo: SIGKILL.number(),
        ..SigInfo::default()
    };
    signal::send_to_process(&victim, SIGKILL, info);
    true
}

/// The live process, init aside, that holds the most memory.
fn choose() -> Option<(Arc<Process>, u64)> {
    group::all()
        .into_iter()
        .filter(|process| process.pid > 1 && !process.is_zombie())
        .map(|process| {
            let footprint = footprint(&process);
            (process, footprint)
        })
        .max_by_key(|(_, footprint)| *footprint)
}

/// What a process costs, in pages: its resident set, its mappings, open
/// files and threads' kernel stacks, and its [`KernelCharge`]. Locks that
/// are taken are skipped rather than waited for.
fn footprint(process: &Process) -> u64 {
    /// Heap bytes a mapping or an open file costs, roughly.
    const OBJECT_BYTES: u64 = 256;
    const STACK_PAGES: u64 = platform::arch::switch::KERNEL_STACK_SIZE as u64 / PAGE_SIZE;

    let threads = process.threads.lock().clone();
    let mut pages = threads.len() as u64 * STACK_PAGES;
    pages += process.kernel_charge.bytes() / PAGE_SIZE;
    if let Some(mm) = threads.first().and_then(|task| task.mm()) {
        if let Some(mut inner) = mm.try_lock() {
            pages += inner.resident_pages();
            pages += inner.vmas.len() as u64 * OBJECT_BYTES / PAGE_SIZE;
        }
    }
    if let Some(files) = process.files.try_lock() {
        pages += files.len() as u64 * OBJECT_BYTES / PAGE_SIZE;
    }
    pages
}
