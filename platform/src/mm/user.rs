//! User address spaces: one PML4 per process whose upper half is the kernel's.
//!
//! The kernel-half PML4 entries (256..511) are allocated at boot and never replaced, so a
//! new space copies them once and shares every later kernel mapping. The lower half holds
//! 4 KiB user pages only. The frames mapped there belong to the caller (the process layer
//! counts references for copy-on-write); an [`AddressSpace`] owns only its page-table
//! frames and frees them when dropped. TLB invalidation goes through
//! [`paging::flush`]/[`paging::flush_all`], the single path a cross-CPU shootdown will use.

use x86_64::registers::control::Cr3;
use x86_64::structures::paging::mapper::{MapToError, UnmapError};
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PhysFrame, Size4KiB,
};
use x86_64::VirtAddr;

pub use x86_64::structures::paging::PageTableFlags;

use super::{frame, paging, phys_to_virt};

/// First address above the mappable user range. The top page of the lower half stays
/// unmapped, so a `syscall` in user code can never leave a non-canonical return address.
pub const USER_SPACE_END: u64 = 0x0000_7fff_ffff_f000;
/// Size of a user page.
pub const PAGE_SIZE: u64 = 4096;
/// PML4 entries of the user half.
const USER_PML4_ENTRIES: usize = 256;
/// Past this many changed pages, one flush of every user entry costs less
/// than a flush per page (Linux's ceiling is 33).
const FLUSH_PAGES_MAX: usize = 32;
/// Bytes of address space one entry covers, by level (1 = page table).
const LEVEL_SPAN: [u64; 5] = [0, 1 << 12, 1 << 21, 1 << 30, 1 << 39];
/// The flags a caller may ask for on a user page. PRESENT and USER_ACCESSIBLE are always
/// added; the BIT_9..BIT_11 and BIT_52.. bits are free for the kernel's own bookkeeping
/// (a copy-on-write mark, for instance).
const ALLOWED_FLAGS: PageTableFlags = PageTableFlags::WRITABLE
    .union(PageTableFlags::NO_EXECUTE)
    .union(PageTableFlags::ACCESSED)
    .union(PageTableFlags::DIRTY)
    .union(PageTableFlags::BIT_9)
    .union(PageTableFlags::BIT_10)
    .union(PageTableFlags::BIT_11)
    .union(PageTableFlags::BIT_52)
    .union(PageTableFlags::BIT_53)
    .union(PageTableFlags::BIT_54)
    .union(PageTableFlags::BIT_55)
    .union(PageTableFlags::BIT_56)
    .union(PageTableFlags::BIT_57)
    .union(PageTableFlags::BIT_58)
    .union(PageTableFlags::BIT_59)
    .union(PageTableFlags::BIT_60)
    .union(PageTableFlags::BIT_61)
    .union(PageTableFlags::BIT_62);
/// Flags of the intermediate tables: the leaf entry alone decides the access rights.
const TABLE_FLAGS: PageTableFlags = PageTableFlags::PRESENT
    .union(PageTableFlags::WRITABLE)
    .union(PageTableFlags::USER_ACCESSIBLE);

/// Why a mapping request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// The address is not page-aligned or not in the user range.
    InvalidAddress,
    /// The page is already mapped.
    AlreadyMapped,
    /// The page is not mapped.
    NotMapped,
    /// No frame for a page table.
    OutOfMemory,
}

/// A user address space.
pub struct AddressSpace {
    pml4: PhysFrame,
    /// Leaf entries present: kept by `map`, `unmap` and `clear`, the only
    /// methods that add or remove one, so the resident set needs no walk.
    mapped_pages: u64,
}

/// Hands page-table frames to the `x86_64` crate's mapper.
struct TableFrames;

// SAFETY: frames from `frame::alloc` are unused until freed, and each is returned once.
unsafe impl FrameAllocator<Size4KiB> for TableFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame> {
        frame::alloc()
    }
}

/// The page table in `frame`, through the direct map.
///
/// # Safety
///
/// `frame` holds a page table, and no other reference to it is used while the result
/// lives.
unsafe fn table_mut<'a>(frame: PhysFrame) -> &'a mut PageTable {
    // SAFETY: the direct map covers all RAM; the caller vouches for the contents and
    // exclusivity.
    unsafe { &mut *phys_to_virt(frame.start_address()).as_mut_ptr::<PageTable>() }
}

fn user_page(va: u64) -> Result<Page, MapError> {
    if !va.is_multiple_of(PAGE_SIZE) || va >= USER_SPACE_END {
        return Err(MapError::InvalidAddress);
    }
    Ok(Page::containing_address(VirtAddr::new(va)))
}

fn leaf_flags(flags: PageTableFlags) -> PageTableFlags {
    (flags & ALLOWED_FLAGS) | PageTableFlags::PRESENT | PageTableFlags::USER_ACCESSIBLE
}

impl AddressSpace {
    /// An empty user half with the kernel half shared; `None` when out of memory.
    pub fn new() -> Option<Self> {
        let pml4 = frame::alloc_zeroed()?;
        // SAFETY: the fresh frame is ours alone; the kernel PML4 is only read, and its
        // upper entries never change after boot.
        let (table, kernel) = unsafe { (table_mut(pml4), table_mut(paging::kernel_pml4())) };
        for index in USER_PML4_ENTRIES..512 {
            table[index] = kernel[index].clone();
        }
        Some(AddressSpace {
            pml4,
            mapped_pages: 0,
        })
    }

    /// The PML4 frame (what CR3 holds while this space is active).
    pub fn pml4(&self) -> PhysFrame {
        self.pml4
    }

    fn mapper(&mut self) -> OffsetPageTable<'_> {
        let offset = VirtAddr::new(super::hhdm_offset());
        // SAFETY: `pml4` is this space's PML4, exclusively borrowed through `&mut self`,
        // and every RAM frame is mapped at the HHDM offset.
        unsafe { OffsetPageTable::new(table_mut(self.pml4), offset) }
    }

    /// Maps the user page at `va` to `frame`. `flags` may hold WRITABLE, NO_EXECUTE and the
    /// kernel's own bits; the page is always present and user-accessible.
    pub fn map(
        &mut self,
        va: u64,
        frame: PhysFrame,
        flags: PageTableFlags,
    ) -> Result<(), MapError> {
        let page = user_page(va)?;
        let flags = leaf_flags(flags);
        // SAFETY: the page is in the user half, which holds no kernel data; the caller
        // owns `frame` and decides what it shares.
        let result = unsafe {
            self.mapper()
                .map_to_with_table_flags(page, frame, flags, TABLE_FLAGS, &mut TableFrames)
        };
        match result {
            // A page that was not present is in no TLB.
            Ok(flush) => {
                flush.ignore();
                self.mapped_pages += 1;
                Ok(())
            }
            Err(MapToError::PageAlreadyMapped(_)) => Err(MapError::AlreadyMapped),
            Err(MapToError::FrameAllocationFailed) => Err(MapError::OutOfMemory),
            Err(MapToError::ParentEntryHugePage) => Err(MapError::InvalidAddress),
        }
    }

    /// Unmaps the user page at `va` and returns its frame (which the caller now frees or
    /// keeps); `None` if nothing was mapped there.
    pub fn unmap(&mut self, va: u64) -> Option<PhysFrame> {
        let page = user_page(va).ok()?;
        match self.mapper().unmap(page) {
            Ok((frame, flush)) => {
                flush.ignore();
                paging::flush(page.start_address());
                self.mapped_pages -= 1;
                Some(frame)
            }
            Err(UnmapError::PageNotMapped | UnmapError::ParentEntryHugePage) => None,
            Err(UnmapError::InvalidFrameAddress(_)) => None,
        }
    }

    /// Changes the flags of the mapped user page at `va` (same rules as [`Self::map`]).
    pub fn protect(&mut self, va: u64, flags: PageTableFlags) -> Result<(), MapError> {
        let page = user_page(va)?;
        // SAFETY: only the access rights of a user page change; the frame stays.
        let result = unsafe { self.mapper().update_flags(page, leaf_flags(flags)) };
        let flush = result.map_err(|_| MapError::NotMapped)?;
        flush.ignore();
        paging::flush(page.start_address());
        Ok(())
    }

    /// The frame and flags mapped at the user page containing `va`.
    pub fn translate(&self, va: u64) -> Option<(PhysFrame, PageTableFlags)> {
        if va >= USER_SPACE_END {
            return None;
        }
        let mut table = self.pml4;
        for level in (2..=4).rev() {
            // SAFETY: `table` is a page table of this space, read while `&self` prevents
            // changes through it.
            let entry = unsafe { &table_mut(table)[entry_index(va, level)] };
            if !entry.flags().contains(PageTableFlags::PRESENT)
                || entry.flags().contains(PageTableFlags::HUGE_PAGE)
            {
                return None;
            }
            table = PhysFrame::containing_address(entry.addr());
        }
        // SAFETY: as above, for the level-1 table.
        let entry = unsafe { &table_mut(table)[entry_index(va, 1)] };
        let flags = entry.flags();
        flags
            .contains(PageTableFlags::PRESENT)
            .then(|| (PhysFrame::containing_address(entry.addr()), flags))
    }

    /// Copies `data` into this space's pages from `va` on, through the direct map, so the
    /// space need not be active (loading a program). Every page must be mapped; write
    /// permission is not required. Fails with nothing or part written otherwise.
    pub fn write_bytes(&mut self, va: u64, data: &[u8]) -> Result<(), MapError> {
        self.for_each_piece(va, data.len(), |offset, bytes| {
            bytes.copy_from_slice(&data[offset..offset + bytes.len()]);
        })
    }

    /// Copies from this space's pages at `va` into `buf`, through the direct map.
    pub fn read_bytes(&mut self, va: u64, buf: &mut [u8]) -> Result<(), MapError> {
        self.for_each_piece(va, buf.len(), |offset, bytes| {
            let len = bytes.len();
            buf[offset..offset + len].copy_from_slice(bytes);
        })
    }

    /// Calls `f(offset, bytes)` for the piece of `[va, va + len)` inside each page.
    fn for_each_piece(
        &mut self,
        va: u64,
        len: usize,
        mut f: impl FnMut(usize, &mut [u8]),
    ) -> Result<(), MapError> {
        let end = va.checked_add(len as u64).ok_or(MapError::InvalidAddress)?;
        if end > USER_SPACE_END {
            return Err(MapError::InvalidAddress);
        }
        let mut addr = va;
        while addr < end {
            let (frame, _) = self.translate(addr).ok_or(MapError::NotMapped)?;
            let in_page = addr % PAGE_SIZE;
            let piece = (PAGE_SIZE - in_page).min(end - addr) as usize;
            // SAFETY: the frame is a user page of this space, which holds no kernel data,
            // and `&mut self` keeps it mapped while the slice lives.
            let bytes = unsafe { frame_bytes(frame) };
            f(
                (addr - va) as usize,
                &mut bytes[in_page as usize..in_page as usize + piece],
            );
            addr += piece as u64;
        }
        Ok(())
    }

    /// Loads this space into CR3 on this CPU.
    pub fn activate(&self) {
        // SAFETY: the kernel half is the kernel's own, so kernel code keeps running, and
        // `Drop` moves the CPU off this PML4 before freeing it.
        unsafe { Cr3::write(self.pml4, Cr3::read().1) };
    }

    /// Whether this space is the one loaded on this CPU.
    pub fn is_active(&self) -> bool {
        Cr3::read().0 == self.pml4
    }

    /// Calls `f(va, frame, flags)` for every mapped user page in `[start, end)`, in address
    /// order. `f` returns the flags to keep (the same, or changed, e.g. write access
    /// removed for copy-on-write); changed entries are flushed from the TLB at the end.
    pub fn walk(
        &mut self,
        start: u64,
        end: u64,
        mut f: impl FnMut(u64, PhysFrame, PageTableFlags) -> PageTableFlags,
    ) {
        let end = end.min(USER_SPACE_END);
        if start >= end {
            return;
        }
        let mut changed = 0;
        walk_table(self.pml4, 4, 0, start, end, &mut |va, entry| {
            let flags = entry.flags();
            let frame = PhysFrame::containing_address(entry.addr());
            let new_flags = leaf_flags(f(va, frame, flags));
            if new_flags != flags {
                entry.set_flags(new_flags);
                changed += 1;
                if changed <= FLUSH_PAGES_MAX {
                    paging::flush(VirtAddr::new(va));
                }
            }
        });
        if changed > FLUSH_PAGES_MAX {
            paging::flush_user();
        }
    }

    /// Unmaps every user page, handing each `(va, frame)` to `f` (for `execve` and exit),
    /// and frees the user half's page tables.
    pub fn clear(&mut self, mut f: impl FnMut(u64, PhysFrame)) {
        walk_table(self.pml4, 4, 0, 0, USER_SPACE_END, &mut |va, entry| {
            f(va, PhysFrame::containing_address(entry.addr()));
            entry.set_unused();
        });
        free_user_tables(self.pml4);
        self.mapped_pages = 0;
        paging::flush_user();
    }

    /// How many user pages are mapped (the resident set).
    pub fn mapped_pages(&self) -> u64 {
        self.mapped_pages
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        if self.is_active() {
            // SAFETY: the kernel PML4 maps the kernel exactly as this space's upper half.
            unsafe { Cr3::write(paging::kernel_pml4(), Cr3::read().1) };
        }
        free_user_tables(self.pml4);
        frame::free(self.pml4);
    }
}

/// Loads the kernel's own PML4 (no user mappings) on this CPU, for kernel tasks.
pub fn activate_kernel_space() {
    // SAFETY: the kernel PML4 maps the kernel as every user space's upper half does.
    unsafe { Cr3::write(paging::kernel_pml4(), Cr3::read().1) };
}

/// Copies the contents of user frame `src` into user frame `dst` (copy-on-write, fork).
/// Both must be frames the caller owns for user pages, never kernel data.
pub fn copy_frame(dst: PhysFrame, src: PhysFrame) {
    if dst == src {
        return;
    }
    // SAFETY: two distinct frames, reached through the direct map; the caller owns them as
    // user page frames.
    let (to, from) = unsafe { (frame_bytes(dst), frame_bytes(src)) };
    to.copy_from_slice(from);
}

/// The 4 KiB of a frame, through the direct map.
///
/// # Safety
///
/// The frame holds no Rust object and no other reference to its bytes is used while the
/// result lives.
unsafe fn frame_bytes<'a>(frame: PhysFrame) -> &'a mut [u8] {
    let virt = phys_to_virt(frame.start_address());
    // SAFETY: the direct map covers the whole frame; the caller vouches for exclusivity.
    unsafe { core::slice::from_raw_parts_mut(virt.as_mut_ptr::<u8>(), PAGE_SIZE as usize) }
}

/// Index into a table of `level` (4 = PML4, 1 = page table) for `va`.
fn entry_index(va: u64, level: usize) -> usize {
    ((va >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Visits the present leaf entries below `table` (a table of `level` covering addresses
/// from `base`) whose page lies in `[start, end)`.
fn walk_table(
    table: PhysFrame,
    level: usize,
    base: u64,
    start: u64,
    end: u64,
    f: &mut dyn FnMut(u64, &mut x86_64::structures::paging::page_table::PageTableEntry),
) {
    let span = LEVEL_SPAN[level];
    let entries = if level == 4 { USER_PML4_ENTRIES } else { 512 };
    // Only the entries that overlap [start, end), found by arithmetic rather than by
    // looking at all 512.
    let first = (start.saturating_sub(base) / span) as usize;
    let last = (end.saturating_sub(base).div_ceil(span) as usize).min(entries);
    // SAFETY: `table` is a user-half page table of a space the caller borrows mutably.
    let table = unsafe { table_mut(table) };
    for index in first..last {
        let entry = &mut table[index];
        if entry.is_unused() {
            continue;
        }
        let entry_base = base + index as u64 * span;
        let flags = entry.flags();
        if !flags.contains(PageTableFlags::PRESENT) {
            continue;
        }
        if level == 1 {
            f(entry_base, entry);
        } else if !flags.contains(PageTableFlags::HUGE_PAGE) {
            let next = PhysFrame::containing_address(entry.addr());
            walk_table(next, level - 1, entry_base, start, end, f);
        }
    }
}

/// Frees the page tables of the user half (not the frames they map) and clears the user
/// PML4 entries.
fn free_user_tables(pml4: PhysFrame) {
    // SAFETY: the caller owns the space mutably (clear or drop).
    let table = unsafe { table_mut(pml4) };
    for entry in table.iter_mut().take(USER_PML4_ENTRIES) {
        if entry.flags().contains(PageTableFlags::PRESENT) {
            free_table(PhysFrame::containing_address(entry.addr()), 3);
            entry.set_unused();
        }
    }
}

fn free_table(table: PhysFrame, level: usize) {
    if level > 1 {
        // SAFETY: a page table of a user half being torn down, owned by the caller.
        let entries = unsafe { table_mut(table) };
        for entry in entries.iter() {
            let flags = entry.flags();
            if flags.contains(PageTableFlags::PRESENT) && !flags.contains(PageTableFlags::HUGE_PAGE)
            {
                free_table(PhysFrame::containing_address(entry.addr()), level - 1);
            }
        }
    }
    frame::free(table);
}
