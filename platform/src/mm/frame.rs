//! The physical frame allocator (4 KiB frames).
//!
//! Free memory is a list of page-aligned ranges, handed out from the lowest
//! address up, plus a stack of freed frames linked through their first word
//! (via the direct map). Both operations are O(1) in the common case.
//! Low-first matters at boot: on the PVH path only the first 4 GiB are mapped
//! until the kernel's page tables are built, and those are built from frames.
//!
//! The last few frames are a reserve for the kernel heap. [`alloc`], which
//! serves user pages, file data, page tables and kernel stacks, refuses to
//! take them, so a program that uses up memory gets ENOMEM or dies of its
//! page fault while the kernel can still allocate what a system call in
//! flight needs. Only the heap draws on the reserve ([`alloc_reserved`]);
//! when it does, [`reserve_in_use`] says so, and the kernel reclaims memory
//! by killing a process before the reserve runs dry.

use core::sync::atomic::{AtomicBool, Ordering};

use x86_64::structures::paging::{PhysFrame, Size4KiB};
use x86_64::PhysAddr;

use super::phys_to_virt;
use crate::boot::memmap::{FreeRange, RangeList};
use crate::irq::IrqMutex;

pub const FRAME_SIZE: u64 = 4096;
/// Marks the end of the freed-frame stack (no frame lives at address 0).
const NO_FRAME: u64 = 0;
/// The heap's reserve: a thirty-second of memory, within these bounds.
const RESERVE_SHARE: u64 = 32;
const RESERVE_MIN: u64 = (2 << 20) / FRAME_SIZE;
const RESERVE_MAX: u64 = (32 << 20) / FRAME_SIZE;

/// Frame counts (in 4 KiB frames).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameStats {
    pub total: u64,
    /// Free frames, the reserve among them.
    pub free: u64,
    /// How many of the free frames only the heap may take.
    pub reserve: u64,
}

struct FrameAllocator {
    /// Never-used memory, sorted; exhausted ranges are dropped.
    ranges: RangeList,
    /// Top of the stack of freed frames.
    freed_top: u64,
    freed_count: u64,
    total: u64,
    untouched: u64,
    /// Frames only [`alloc_reserved`] may take.
    reserve: u64,
}

impl FrameAllocator {
    fn free_count(&self) -> u64 {
        self.untouched + self.freed_count
    }
}

static FRAMES: IrqMutex<FrameAllocator> = IrqMutex::new(FrameAllocator {
    ranges: RangeList::new_const(),
    freed_top: NO_FRAME,
    freed_count: 0,
    total: 0,
    untouched: 0,
    reserve: 0,
});

/// Set while fewer free frames than the reserve remain.
static RESERVE_IN_USE: AtomicBool = AtomicBool::new(false);

/// Adds free memory. The ranges must be page aligned and not overlap memory
/// already managed or in use.
pub(crate) fn add_ranges(ranges: &[FreeRange]) {
    let mut frames = FRAMES.lock();
    for range in ranges {
        let count = (range.end - range.start) / FRAME_SIZE;
        if count == 0 {
            continue;
        }
        if frames.ranges.try_push(*range).is_err() {
            log::warn!(
                "too many ranges, {:#x}..{:#x} unused",
                range.start,
                range.end
            );
            continue;
        }
        frames.total += count;
        frames.untouched += count;
    }
    frames.ranges.sort_unstable_by_key(|r| r.start);
}

/// Sets the heap's reserve from the memory there is; called once the
/// boot-time memory is all added.
pub(crate) fn set_reserve() {
    let mut frames = FRAMES.lock();
    frames.reserve = (frames.total / RESERVE_SHARE).clamp(RESERVE_MIN, RESERVE_MAX);
}

/// Takes a frame (its contents are whatever was there), leaving the
/// reserve alone: `None` once only the reserve is left.
pub fn alloc() -> Option<PhysFrame> {
    let mut frames = FRAMES.lock();
    if frames.free_count() <= frames.reserve {
        return None;
    }
    take(&mut frames)
}

/// Takes a frame, from the reserve if need be: for the kernel heap and the
/// page tables that map it, whose failure the kernel cannot survive.
pub fn alloc_reserved() -> Option<PhysFrame> {
    let mut frames = FRAMES.lock();
    let frame = take(&mut frames)?;
    if frames.free_count() < frames.reserve {
        RESERVE_IN_USE.store(true, Ordering::Relaxed);
    }
    Some(frame)
}

/// Whether the heap has taken frames from the reserve that are not back.
/// One atomic load: cheap enough for every return to user mode.
pub fn reserve_in_use() -> bool {
    RESERVE_IN_USE.load(Ordering::Relaxed)
}

/// Lowers the [`reserve_in_use`] flag once the kernel judged memory to be
/// sufficient again; the heap's next draw on the reserve raises it.
pub fn forget_reserve_use() {
    RESERVE_IN_USE.store(false, Ordering::Relaxed);
}

fn take(frames: &mut FrameAllocator) -> Option<PhysFrame> {
    if frames.freed_top != NO_FRAME {
        let top = frames.freed_top;
        // SAFETY: `top` is a free frame owned by the allocator; its first word
        // holds the next entry, written by `free`.
        let next = unsafe { phys_to_virt(PhysAddr::new(top)).as_ptr::<u64>().read() };
        frames.freed_top = next;
        frames.freed_count -= 1;
        return Some(PhysFrame::containing_address(PhysAddr::new(top)));
    }
    let range = frames.ranges.first_mut()?;
    let addr = range.start;
    range.start += FRAME_SIZE;
    if range.start == range.end {
        frames.ranges.remove(0);
    }
    frames.untouched -= 1;
    Some(PhysFrame::containing_address(PhysAddr::new(addr)))
}

/// Takes a frame filled with zeros.
pub fn alloc_zeroed() -> Option<PhysFrame> {
    let frame = alloc()?;
    let ptr = phys_to_virt(frame.start_address()).as_mut_ptr::<u8>();
    // SAFETY: the frame was just allocated, so nothing else uses it, and the
    // direct map covers it.
    unsafe { core::ptr::write_bytes(ptr, 0, FRAME_SIZE as usize) };
    Some(frame)
}

/// Returns a frame. The caller must hold no mapping or reference to it
/// afterwards; it may be handed out again at once.
pub fn free(frame: PhysFrame<Size4KiB>) {
    let addr = frame.start_address().as_u64();
    let mut frames = FRAMES.lock();
    if addr == NO_FRAME || addr == frames.freed_top {
        log::error!("bad or double free of {addr:#x} ignored");
        return;
    }
    let link = phys_to_virt(frame.start_address()).as_mut_ptr::<u64>();
    // SAFETY: the caller gave the frame up, so the allocator owns it; the
    // direct map covers all RAM.
    unsafe { link.write(frames.freed_top) };
    frames.freed_top = addr;
    frames.freed_count += 1;
    if frames.free_count() >= frames.reserve && reserve_in_use() {
        RESERVE_IN_USE.store(false, Ordering::Relaxed);
    }
}

/// How many frames exist and are free.
pub fn stats() -> FrameStats {
    let frames = FRAMES.lock();
    FrameStats {
        total: frames.total,
        free: frames.free_count(),
        reserve: frames.reserve,
    }
}
