//! The kernel heap: the global allocator, growing from frames on demand.
//!
//! `talc` manages one contiguous heap starting at `HEAP_BASE`. When it runs
//! out, [`FrameSource::acquire`] maps more frames at the heap's end and
//! extends it, drawing on the frame allocator's reserve if need be; when
//! the top of the heap comes free, its frames go back. Free memory below
//! the top stays with the heap (a known gap: a fragmented heap keeps what
//! it grew to; allocations can reuse it, user pages cannot). When no
//! frame is left the allocation returns null, so `try_reserve` and other
//! fallible paths see the error.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};

use talc::base::binning::Binning;
use talc::base::Talc;
use talc::source::Source;
use talc::DefaultBinning;
use x86_64::VirtAddr;

use super::frame;
use super::paging::{self, HEAP_BASE, HEAP_MAX_SIZE};
use crate::irq::IrqMutex;

const PAGE_SIZE: usize = 4096;
/// Smallest growth step, to keep page-table work off most allocations.
const HEAP_GROW_MIN: usize = 256 * 1024;
/// The heap gives frames back only when this much at its top is free.
const HEAP_SHRINK_MIN: u64 = 256 * 1024;
/// Room for talc's chunk tags around an allocation.
const HEAP_GROW_SLACK: usize = 256;

/// Where new heap memory comes from.
#[derive(Debug)]
struct FrameSource {
    /// End of the heap as talc knows it (None before the first claim).
    heap_end: Option<NonNull<u8>>,
    /// End of the mapped part of the heap region.
    mapped_end: u64,
}

// SAFETY: the pointer is only an address in the heap region; the source is
// used only under the heap lock.
unsafe impl Send for FrameSource {}

impl FrameSource {
    /// Maps up to `len` more bytes at the end of the mapped heap; returns
    /// how many were mapped.
    fn grow(&mut self, len: usize) -> usize {
        let limit = HEAP_BASE + HEAP_MAX_SIZE;
        let mut mapped = 0;
        while mapped < len && self.mapped_end < limit {
            let Some(frame) = frame::alloc_reserved() else {
                break;
            };
            if paging::map_heap_page(VirtAddr::new(self.mapped_end), frame).is_err() {
                frame::free(frame);
                break;
            }
            self.mapped_end += PAGE_SIZE as u64;
            mapped += PAGE_SIZE;
        }
        mapped
    }
}

// SAFETY: `acquire` only maps fresh memory and hands it to `talc` through the
// given reference, and `resize` only unmaps what talc says is free; neither
// allocates from the global allocator.
unsafe impl Source for FrameSource {
    const TRACK_HEAP_END: bool = true;

    /// Gives the frames of a free stretch at the top of the heap back,
    /// beyond one growth step kept for the next allocations.
    unsafe fn resize(
        &mut self,
        chunk_base: *mut u8,
        heap_end: *mut u8,
        is_heap_base: bool,
    ) -> *mut u8 {
        let keep_end =
            (chunk_base as u64 + HEAP_GROW_MIN as u64).next_multiple_of(PAGE_SIZE as u64);
        if is_heap_base
            || heap_end as u64 > self.mapped_end
            || keep_end + HEAP_SHRINK_MIN > self.mapped_end
        {
            return heap_end;
        }
        while self.mapped_end > keep_end {
            self.mapped_end -= PAGE_SIZE as u64;
            if let Ok(frame) = paging::unmap_heap_page(VirtAddr::new(self.mapped_end)) {
                frame::free(frame);
            }
        }
        let end = self.mapped_end as *mut u8;
        self.heap_end = NonNull::new(end);
        end
    }

    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let wanted = layout
            .size()
            .saturating_add(layout.align())
            .saturating_add(HEAP_GROW_SLACK);
        let wanted = wanted.max(HEAP_GROW_MIN).next_multiple_of(PAGE_SIZE);
        // Refuse at once what cannot fit, rather than mapping every free
        // frame into the heap before failing.
        let frames_free = frame::stats().free.saturating_mul(PAGE_SIZE as u64);
        let room = HEAP_BASE + HEAP_MAX_SIZE - talc.source.mapped_end;
        if wanted as u64 > frames_free.min(room) {
            return Err(());
        }
        let old_end = talc.source.mapped_end;
        if talc.source.grow(wanted) == 0 {
            return Err(());
        }
        let new_end = talc.source.mapped_end as *mut u8;
        let heap_end = match talc.source.heap_end {
            // SAFETY: the range was just mapped and belongs to nobody else.
            None => unsafe { talc.claim(old_end as *mut u8, new_end as usize - old_end as usize) },
            // SAFETY: the heap ends at `end` and the memory after it up to
            // `new_end` was just mapped for it.
            Some(end) => Some(unsafe { talc.extend(end, new_end) }),
        };
        match heap_end {
            Some(end) => {
                talc.source.heap_end = Some(end);
                Ok(())
            }
            None => Err(()),
        }
    }
}

struct KernelHeap {
    talc: IrqMutex<Talc<FrameSource, DefaultBinning>>,
}

#[global_allocator]
static HEAP: KernelHeap = KernelHeap {
    talc: IrqMutex::new(Talc::new(FrameSource {
        heap_end: None,
        mapped_end: HEAP_BASE,
    })),
};

// SAFETY: talc upholds the `GlobalAlloc` contract; every access goes through
// the lock, with interrupts off so handlers may allocate too.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut talc = self.talc.lock();
        // SAFETY: `GlobalAlloc` callers never pass a zero-sized layout.
        unsafe { talc.allocate(layout) }.map_or(null_mut(), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller passes a pointer this allocator returned for
        // `layout`.
        unsafe { self.talc.lock().deallocate(ptr, layout) };
    }
}

/// Bytes of the heap region backed by frames.
pub fn mapped_bytes() -> u64 {
    HEAP.talc.lock().source.mapped_end - HEAP_BASE
}

/// Bytes the heap can still hand out without new frames: its free chunks as
/// talc counts them, after chunk tags (less what fragmentation wastes for
/// large requests).
pub fn unused_bytes() -> u64 {
    HEAP.talc.lock().counters().available_bytes as u64
}
