//! Kernel stacks: frames from the frame allocator, mapped into the kernel's vmap region
//! with an unmapped guard page below each stack.
//!
//! Vmap address ranges are never given back to the paging code, so ranges of freed stacks
//! are kept here and reused. A mapping in the kernel half is visible in every address
//! space, so a stack serves its task whichever address space is active.

use alloc::vec::Vec;

use x86_64::structures::paging::PageTableFlags;
use x86_64::VirtAddr;

use crate::arch::irq::IrqMutex;
use crate::mm::{frame, paging};

/// Bytes of usable stack per task.
pub const KERNEL_STACK_SIZE: usize = 32 * 1024;
const PAGE_SIZE: u64 = 4096;

/// Bottoms of stack ranges whose stacks were freed; their guard pages stay unmapped.
static FREE_RANGES: IrqMutex<Vec<u64>> = IrqMutex::new(Vec::new());

/// A task's kernel stack. Dropping it unmaps the pages and frees the frames, so it must
/// outlive every context suspended on it.
pub struct KernelStack {
    bottom: u64,
}

/// Not enough memory (frames, page tables or address space) for a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

impl KernelStack {
    /// Allocates and maps a stack of [`KERNEL_STACK_SIZE`] bytes with a guard page below.
    pub fn new() -> Result<Self, OutOfMemory> {
        let reused = FREE_RANGES.lock().pop();
        let bottom = match reused {
            Some(bottom) => bottom,
            None => paging::reserve_kernel_range(KERNEL_STACK_SIZE as u64)
                .ok_or(OutOfMemory)?
                .as_u64(),
        };
        // From here on, dropping `stack` unmaps whatever was mapped and recycles the range.
        let stack = KernelStack { bottom };
        let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | paging::no_execute();
        for page in stack.pages() {
            let frame = frame::alloc().ok_or(OutOfMemory)?;
            if paging::map(VirtAddr::new(page), frame, flags).is_err() {
                frame::free(frame);
                return Err(OutOfMemory);
            }
        }
        Ok(stack)
    }

    /// The address just above the stack (16-aligned); the stack grows down from it.
    pub fn top(&self) -> u64 {
        self.bottom + KERNEL_STACK_SIZE as u64
    }

    /// The lowest mapped address of the stack; the page below it is the guard.
    pub fn bottom(&self) -> u64 {
        self.bottom
    }

    fn pages(&self) -> impl Iterator<Item = u64> {
        (self.bottom..self.top()).step_by(PAGE_SIZE as usize)
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        for page in self.pages() {
            if let Ok(frame) = paging::unmap(VirtAddr::new(page)) {
                frame::free(frame);
            }
        }
        FREE_RANGES.lock().push(self.bottom);
    }
}
