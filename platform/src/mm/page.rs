//! Reference-counted physical pages for user memory.
//!
//! A [`Page`] is one counted reference to a 4 KiB frame. Page tables hold
//! references too: [`Page::into_frame`] hands one over to a mapping and
//! [`Page::from_mapped`] takes it back when the mapping goes. Copy-on-write
//! fork clones references instead of copying bytes, and a write fault copies
//! only when [`Page::is_shared`] says another reference exists.
//!
//! Page contents are reached through the direct map by raw copies, never by
//! Rust references: the same frame may be mapped into user space, where other
//! threads write to it at any time.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use spin::Once;
use x86_64::structures::paging::{PhysFrame, Size4KiB};
use x86_64::PhysAddr;

use super::{frame, phys_to_virt};

pub const PAGE_SIZE: usize = 4096;

/// One counter per physical frame, indexed by frame number.
static REF_COUNTS: Once<Vec<AtomicU32>> = Once::new();

/// Sizes the reference-count table for physical memory up to `max_phys`.
/// Called once after the heap exists; pages cannot be allocated before.
pub fn init(max_phys: u64) {
    REF_COUNTS.call_once(|| {
        let frames = max_phys.div_ceil(PAGE_SIZE as u64) as usize;
        (0..frames).map(|_| AtomicU32::new(0)).collect()
    });
}

fn counter(frame: PhysFrame) -> &'static AtomicU32 {
    let counts = REF_COUNTS
        .get()
        .expect("page::init runs before any page is allocated");
    &counts[(frame.start_address().as_u64() / PAGE_SIZE as u64) as usize]
}

/// One counted reference to a physical page.
#[derive(Debug)]
pub struct Page {
    frame: PhysFrame,
}

impl Page {
    /// A fresh zero-filled page, or `None` when memory is exhausted.
    pub fn alloc_zeroed() -> Option<Page> {
        let frame = frame::alloc_zeroed()?;
        counter(frame).store(1, Ordering::Release);
        Some(Page { frame })
    }

    /// A fresh page holding a copy of `source`.
    pub fn copy_of(source: &Page) -> Option<Page> {
        let frame = frame::alloc()?;
        counter(frame).store(1, Ordering::Release);
        let page = Page { frame };
        // SAFETY: both frames are whole 4 KiB RAM frames reached through the
        // direct map; they are distinct, and no Rust reference to either exists.
        unsafe {
            core::ptr::copy_nonoverlapping(source.as_ptr(), page.as_mut_ptr(), PAGE_SIZE);
        }
        Some(page)
    }

    /// Takes back the reference a page table entry held (on unmap).
    ///
    /// `frame` must have come from [`Page::into_frame`]; anything else is
    /// refused by returning `None` (a frame with no references).
    pub fn from_mapped(frame: PhysFrame) -> Option<Page> {
        (counter(frame).load(Ordering::Acquire) > 0).then_some(Page { frame })
    }

    /// A new reference to a page a page table maps (fork's sharing).
    pub fn share_mapped(frame: PhysFrame) -> Option<Page> {
        let count = counter(frame);
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n > 0).then_some(n + 1)
            })
            .ok()
            .map(|_| Page { frame })
    }

    /// Hands this reference to a page table entry.
    pub fn into_frame(self) -> PhysFrame {
        let frame = self.frame;
        core::mem::forget(self);
        frame
    }

    pub fn frame(&self) -> PhysFrame {
        self.frame
    }

    pub fn phys_addr(&self) -> PhysAddr {
        self.frame.start_address()
    }

    /// Whether another reference (a mapping in another process) exists.
    pub fn is_shared(&self) -> bool {
        counter(self.frame).load(Ordering::Acquire) > 1
    }

    /// Copies `data` into the page at `offset`; panics on a range past the
    /// page end, which callers compute from validated sizes.
    pub fn write(&self, offset: usize, data: &[u8]) {
        assert!(offset
            .checked_add(data.len())
            .is_some_and(|end| end <= PAGE_SIZE));
        // SAFETY: the range lies inside this page's direct-map window.
        unsafe {
            core::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.as_mut_ptr().add(offset),
                data.len(),
            );
        }
    }

    /// Copies bytes out of the page at `offset`.
    pub fn read(&self, offset: usize, out: &mut [u8]) {
        assert!(offset
            .checked_add(out.len())
            .is_some_and(|end| end <= PAGE_SIZE));
        // SAFETY: the range lies inside this page's direct-map window.
        unsafe {
            core::ptr::copy_nonoverlapping(self.as_ptr().add(offset), out.as_mut_ptr(), out.len());
        }
    }

    /// Zeroes `len` bytes at `offset`.
    pub fn zero(&self, offset: usize, len: usize) {
        assert!(offset.checked_add(len).is_some_and(|end| end <= PAGE_SIZE));
        // SAFETY: the range lies inside this page's direct-map window.
        unsafe { core::ptr::write_bytes(self.as_mut_ptr().add(offset), 0, len) };
    }

    fn as_ptr(&self) -> *const u8 {
        phys_to_virt(self.frame.start_address()).as_ptr()
    }

    fn as_mut_ptr(&self) -> *mut u8 {
        phys_to_virt(self.frame.start_address()).as_mut_ptr()
    }
}

impl Clone for Page {
    fn clone(&self) -> Page {
        counter(self.frame).fetch_add(1, Ordering::AcqRel);
        Page { frame: self.frame }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        if counter(self.frame).fetch_sub(1, Ordering::AcqRel) == 1 {
            frame::free(self.frame);
        }
    }
}

/// A frame type alias kept for callers that name the size explicitly.
pub type Frame = PhysFrame<Size4KiB>;

/// Whether the page a page table maps at `frame` has another reference.
pub fn is_shared(frame: PhysFrame) -> bool {
    counter(frame).load(Ordering::Acquire) > 1
}
