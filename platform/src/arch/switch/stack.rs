//! Kernel stacks: frames from the frame allocator, mapped into a region of the kernel half
//! reserved for them, with an unmapped guard page below each stack.
//!
//! The region is one PML4 slot (512 GiB) cut into fixed slots. Its PML4 entry is allocated
//! at boot like every kernel-half entry, so a mapping made here is visible in every address
//! space. Only this module changes the tables below that entry; slot numbers are handed
//! out under a lock, and each slot's page-table entries belong to the stack that owns it.

use alloc::vec::Vec;

use x86_64::structures::paging::page_table::PageTableEntry;
use x86_64::structures::paging::{PageTable, PageTableFlags, PageTableIndex, PhysFrame};
use x86_64::VirtAddr;

use crate::arch::irq::IrqMutex;
use crate::mm::{self, frame, paging};

/// Bytes of usable stack per task.
pub const KERNEL_STACK_SIZE: usize = 32 * 1024;
/// Bytes of address space per slot: the stack plus at least one unmapped guard page below
/// it, rounded so slots never share a page.
const SLOT_SIZE: u64 = 64 * 1024;
const PAGE_SIZE: u64 = 4096;
/// First address of the stack region: PML4 slot 0x1f0 of the kernel half.
const REGION_BASE: u64 = 0xffff_f800_0000_0000;
/// PML4 index of the region.
const REGION_PML4_INDEX: u16 = 0x1f0;
/// Number of slots in the region (512 GiB of address space).
const SLOT_COUNT: u64 = (512 << 30) / SLOT_SIZE;

const _: () = assert!((REGION_BASE >> 39) & 0x1ff == REGION_PML4_INDEX as u64);
const _: () = assert!(KERNEL_STACK_SIZE as u64 + PAGE_SIZE <= SLOT_SIZE);

/// Slot bookkeeping: slots below `next_unused` were handed out once; `free` holds those
/// returned since.
struct Slots {
    next_unused: u64,
    free: Vec<u64>,
}

static SLOTS: IrqMutex<Slots> = IrqMutex::new(Slots {
    next_unused: 0,
    free: Vec::new(),
});

/// A task's kernel stack. Dropping it unmaps the pages and frees the frames, so it must
/// outlive every context suspended on it.
pub struct KernelStack {
    slot: u64,
}

/// Not enough frames for a stack or its page tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

impl KernelStack {
    /// Allocates and maps a stack of [`KERNEL_STACK_SIZE`] bytes with a guard page below.
    pub fn new() -> Result<Self, OutOfMemory> {
        let mut slots = SLOTS.lock();
        let slot = slots.take().ok_or(OutOfMemory)?;
        let stack = KernelStack { slot };
        for page in stack.pages() {
            let mapped = leaf_entry(&mut slots, page, true).and_then(|entry| {
                let frame = frame::alloc()?;
                let flags =
                    PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
                entry.set_frame(frame, flags);
                Some(())
            });
            if mapped.is_none() {
                // Dropping the stack unmaps and frees whatever was mapped so far.
                drop(slots);
                return Err(OutOfMemory);
            }
        }
        Ok(stack)
    }

    /// The address just above the stack (16-aligned); the stack grows down from it.
    pub fn top(&self) -> u64 {
        REGION_BASE + (self.slot + 1) * SLOT_SIZE
    }

    /// The lowest mapped address of the stack; the page below it is the guard.
    pub fn bottom(&self) -> u64 {
        self.top() - KERNEL_STACK_SIZE as u64
    }

    fn pages(&self) -> impl Iterator<Item = u64> {
        (self.bottom()..self.top()).step_by(PAGE_SIZE as usize)
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        let mut slots = SLOTS.lock();
        for page in self.pages() {
            let Some(entry) = leaf_entry(&mut slots, page, false) else {
                continue;
            };
            if entry.flags().contains(PageTableFlags::PRESENT) {
                let frame = PhysFrame::containing_address(entry.addr());
                entry.set_unused();
                paging::flush(VirtAddr::new(page));
                frame::free(frame);
            }
        }
        slots.free.push(self.slot);
    }
}

impl Slots {
    fn take(&mut self) -> Option<u64> {
        if let Some(slot) = self.free.pop() {
            return Some(slot);
        }
        if self.next_unused == SLOT_COUNT {
            return None;
        }
        self.next_unused += 1;
        Some(self.next_unused - 1)
    }
}

/// The page table holding `entry`'s target, creating it when `create` is set.
fn next_table(entry: &mut PageTableEntry, create: bool) -> Option<&'static mut PageTable> {
    if entry.is_unused() {
        if !create {
            return None;
        }
        let table = frame::alloc_zeroed()?;
        entry.set_frame(table, PageTableFlags::PRESENT | PageTableFlags::WRITABLE);
    }
    let virt = mm::phys_to_virt(entry.addr());
    // SAFETY: a present non-leaf entry of the stack region points at a page table, reached
    // through the direct map; only this module touches tables below the region's PML4
    // entry, and only with the SLOTS lock held (see `leaf_entry`).
    Some(unsafe { &mut *virt.as_mut_ptr::<PageTable>() })
}

/// The level-1 entry mapping the stack page at `addr`. Taking the locked slot table proves
/// the caller holds the lock that serializes every change below the region's PML4 entry.
fn leaf_entry(_locked: &mut Slots, addr: u64, create: bool) -> Option<&mut PageTableEntry> {
    let addr = VirtAddr::new(addr);
    let pml4 = mm::phys_to_virt(paging::kernel_pml4().start_address());
    // SAFETY: the kernel PML4 lives for the whole run; only the region's entry is read,
    // and that entry never changes after boot.
    let kernel_pml4 = unsafe { &mut *pml4.as_mut_ptr::<PageTable>() };
    let region_entry = &mut kernel_pml4[PageTableIndex::new(REGION_PML4_INDEX)];
    if region_entry.is_unused() {
        // Kernel-half PML4 entries exist from boot on; without it nothing can be shared.
        return None;
    }
    let pdpt = next_table(region_entry, false)?;
    let pd = next_table(&mut pdpt[addr.p3_index()], create)?;
    let pt = next_table(&mut pd[addr.p2_index()], create)?;
    Some(&mut pt[addr.p1_index()])
}
