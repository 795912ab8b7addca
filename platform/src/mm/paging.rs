//! The kernel's page tables.
//!
//! At boot the kernel builds its own tables instead of keeping the loader's:
//! the direct map of all RAM (read/write, never executable), the kernel image
//! with per-section permissions (text RX, rodata R, data and bss RW), and all
//! 256 kernel-half PML4 entries allocated up front. Those entries never change
//! afterwards, so a user address space shares the kernel half by copying
//! them. Every TLB invalidation goes through [`flush`] or [`flush_all`].
//!
//! Kernel-half layout:
//! - `hhdm_offset()..+HHDM_MAX_SIZE`: direct map (from `0xffff_8000_0000_0000`)
//! - `HEAP_BASE..+HEAP_MAX_SIZE`: kernel heap
//! - `VMAP_BASE..+VMAP_SIZE`: mappings made with [`map`] (stacks, scratch)
//! - `0xffff_ffff_8000_0000`: the kernel image

use core::ops::Range;

use spin::Once;
use x86_64::registers::control::{Cr3, Cr3Flags, Cr4, Cr4Flags};
use x86_64::structures::paging::mapper::{MapToError, TranslateResult};
use x86_64::structures::paging::page_table::PageTableEntry;
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageSize, PageTable, PageTableFlags, PhysFrame,
    Size2MiB, Size4KiB, Translate,
};
use x86_64::{PhysAddr, VirtAddr};

use super::{frame, hhdm_offset, phys_to_virt};
use crate::boot::BootInfo;
use crate::cpu;
use crate::irq::IrqMutex;

/// Most physical memory the direct map may cover (64 TiB).
pub const HHDM_MAX_SIZE: u64 = 64 << 40;
pub const HEAP_BASE: u64 = 0xffff_c000_0000_0000;
pub const HEAP_MAX_SIZE: u64 = 64 << 30;
pub const VMAP_BASE: u64 = 0xffff_d000_0000_0000;
pub const VMAP_SIZE: u64 = 64 << 30;
/// A page range at the start of the vmap region that nothing but tests map.
pub const SCRATCH_BASE: VirtAddr = VirtAddr::new_truncate(VMAP_BASE);
pub const SCRATCH_PAGES: u64 = 16;
/// [`reserve_kernel_range`] hands out addresses from here on.
const VMAP_ALLOC_START: u64 = VMAP_BASE + (1 << 20);
const KERNEL_HALF_FIRST_ENTRY: usize = 256;
/// Bits of an address below the first page-table index, and bits per index.
const PAGE_SHIFT: u32 = 12;
const TABLE_INDEX_BITS: u32 = 9;
/// The PML4 index starts at bit 39.
const PML4_SHIFT: u32 = PAGE_SHIFT + 3 * TABLE_INDEX_BITS;
/// Bits 63..48 of a kernel-half address, which copy bit 47.
const SIGN_EXTENSION: u64 = 0xffff_0000_0000_0000;
const PAGE_SIZE: u64 = Size4KiB::SIZE;

/// Why a mapping request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The address lies outside the region this call may touch.
    OutsideRegion,
    AlreadyMapped,
    NotMapped,
    /// A huge page covers the address.
    HugePage,
    OutOfFrames,
}

static KERNEL_PML4: Once<PhysFrame> = Once::new();
/// Serializes changes to the kernel half of the page tables.
static TABLES: IrqMutex<()> = IrqMutex::new(());
static VMAP_NEXT: IrqMutex<u64> = IrqMutex::new(VMAP_ALLOC_START);

struct GlobalFrames;

// SAFETY: `frame::alloc_reserved` returns frames nobody else uses.
unsafe impl FrameAllocator<Size4KiB> for GlobalFrames {
    /// Kernel-half tables may come from the reserve: the heap's growth
    /// needs them.
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        frame::alloc_reserved()
    }
}

/// The kernel's PML4.
pub fn kernel_pml4() -> PhysFrame {
    *KERNEL_PML4.get().expect("kernel page tables not built yet")
}

/// Invalidates the TLB entry of one page on this CPU.
// TODO: send a shootdown IPI once other CPUs run.
pub fn flush(addr: VirtAddr) {
    x86_64::instructions::tlb::flush(addr);
}

/// Invalidates every non-global TLB entry on this CPU: all of user space,
/// while the kernel's global mappings stay cached.
// TODO: send a shootdown IPI once other CPUs run.
pub fn flush_user() {
    x86_64::instructions::tlb::flush_all();
}

/// Invalidates every TLB entry on this CPU, global ones included.
pub fn flush_all() {
    if cpu::features().pge {
        // SAFETY: toggling PGE flushes the TLB and changes nothing else.
        unsafe {
            Cr4::update(|flags| flags.remove(Cr4Flags::PAGE_GLOBAL));
            Cr4::update(|flags| flags.insert(Cr4Flags::PAGE_GLOBAL));
        }
    } else {
        x86_64::instructions::tlb::flush_all();
    }
}

/// Flags every kernel mapping gets: global when the CPU has global pages.
fn global() -> PageTableFlags {
    if cpu::features().pge {
        PageTableFlags::GLOBAL
    } else {
        PageTableFlags::empty()
    }
}

/// `NO_EXECUTE` when the CPU supports it (setting it otherwise faults).
pub fn no_execute() -> PageTableFlags {
    if cpu::features().nx {
        PageTableFlags::NO_EXECUTE
    } else {
        PageTableFlags::empty()
    }
}

/// A mapper over the page tables rooted at `pml4`.
///
/// # Safety
/// `pml4` must be a page table root reachable through the direct map, and
/// the caller must serialize changes to it (hold `TABLES`).
unsafe fn mapper_for(pml4: PhysFrame) -> OffsetPageTable<'static> {
    let table = phys_to_virt(pml4.start_address()).as_mut_ptr::<PageTable>();
    // SAFETY: per the function contract.
    unsafe { OffsetPageTable::new(&mut *table, VirtAddr::new(hhdm_offset())) }
}

fn with_kernel_mapper<R>(f: impl FnOnce(&mut OffsetPageTable<'static>) -> R) -> R {
    let _guard = TABLES.lock();
    // SAFETY: the kernel PML4 is in the direct map and `TABLES` is held.
    let mut mapper = unsafe { mapper_for(kernel_pml4()) };
    f(&mut mapper)
}

/// Builds the kernel page tables and switches to them.
pub(crate) fn init(boot: &BootInfo) {
    let max_phys = boot.memory_map.iter().map(|r| r.end).max().unwrap_or(0);
    if max_phys > HHDM_MAX_SIZE || boot.hhdm_offset + HHDM_MAX_SIZE > HEAP_BASE {
        crate::fatal(format_args!(
            "paging: direct map does not fit the kernel layout"
        ));
    }
    let Some(pml4_frame) = frame::alloc_zeroed() else {
        crate::fatal(format_args!(
            "paging: out of memory for the kernel page tables"
        ));
    };
    // SAFETY: the frame is new and in the direct map; the tables are not
    // active yet, so no other code sees them.
    let mut mapper = unsafe { mapper_for(pml4_frame) };

    let table_flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE;
    for entry in mapper
        .level_4_table_mut()
        .iter_mut()
        .skip(KERNEL_HALF_FIRST_ENTRY)
    {
        let Some(table) = frame::alloc_zeroed() else {
            crate::fatal(format_args!(
                "paging: out of memory for the kernel page tables"
            ));
        };
        entry.set_frame(table, table_flags);
    }

    let direct_flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE;
    let direct_flags = direct_flags | no_execute() | global();
    for region in boot.memory_map.iter().filter(|r| r.kind.is_mapped_ram()) {
        map_direct(&mut mapper, region.start, region.end, direct_flags);
    }
    map_kernel_image(&mut mapper, boot);

    KERNEL_PML4.call_once(|| pml4_frame);
    // SAFETY: the new tables map the kernel image, its stack (in .bss), the
    // direct map and everything else the running code touches.
    unsafe { Cr3::write(pml4_frame, Cr3Flags::empty()) };
    flush_all();
}

/// Maps physical `start..end` into the direct map: 2 MiB pages where
/// alignment allows, 4 KiB pages at the edges. Already mapped parts (the
/// map may overlap itself) are left alone.
fn map_direct(mapper: &mut OffsetPageTable, start: u64, end: u64, flags: PageTableFlags) {
    let mut addr = start & !(PAGE_SIZE - 1);
    while addr < end {
        if addr.is_multiple_of(Size2MiB::SIZE) && end - addr >= Size2MiB::SIZE {
            let page = Page::<Size2MiB>::containing_address(VirtAddr::new(hhdm_offset() + addr));
            let frame = PhysFrame::<Size2MiB>::containing_address(PhysAddr::new(addr));
            // SAFETY: a direct-map address maps its own physical frame.
            let result = unsafe {
                mapper.map_to(
                    page,
                    frame,
                    flags | PageTableFlags::HUGE_PAGE,
                    &mut GlobalFrames,
                )
            };
            match result {
                Ok(flush) => {
                    flush.ignore();
                    addr += Size2MiB::SIZE;
                    continue;
                }
                Err(MapToError::FrameAllocationFailed) => {
                    crate::fatal(format_args!("paging: out of memory for the direct map"))
                }
                // Part of this 2 MiB is mapped already: fall back to 4 KiB.
                Err(_) => {}
            }
        }
        map_direct_4k(mapper, addr, flags);
        addr += PAGE_SIZE;
    }
}

fn map_direct_4k(mapper: &mut OffsetPageTable, addr: u64, flags: PageTableFlags) {
    let page = Page::<Size4KiB>::containing_address(VirtAddr::new(hhdm_offset() + addr));
    let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(addr));
    // SAFETY: a direct-map address maps its own physical frame.
    match unsafe { mapper.map_to(page, frame, flags, &mut GlobalFrames) } {
        Ok(flush) => flush.ignore(),
        Err(MapToError::FrameAllocationFailed) => {
            crate::fatal(format_args!("paging: out of memory for the direct map"))
        }
        Err(_) => {}
    }
}

unsafe extern "C" {
    // Section bounds from the linker script, all page aligned.
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __kernel_end: u8;
}

fn map_kernel_image(mapper: &mut OffsetPageTable, boot: &BootInfo) {
    let sections = [
        (
            core::ptr::addr_of!(__text_start),
            core::ptr::addr_of!(__text_end),
            false,
            true,
        ),
        (
            core::ptr::addr_of!(__rodata_start),
            core::ptr::addr_of!(__rodata_end),
            false,
            false,
        ),
        (
            core::ptr::addr_of!(__data_start),
            core::ptr::addr_of!(__kernel_end),
            true,
            false,
        ),
    ];
    for (start, end, writable, executable) in sections {
        let mut flags = PageTableFlags::PRESENT | global();
        if writable {
            flags |= PageTableFlags::WRITABLE;
        }
        if !executable {
            flags |= no_execute();
        }
        let (start, end) = (start as u64, end as u64);
        for virt in (start..end).step_by(PAGE_SIZE as usize) {
            let phys = virt - boot.kernel_virt_base + boot.kernel_phys_base;
            let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virt));
            let frame = PhysFrame::containing_address(PhysAddr::new(phys));
            // SAFETY: the kernel image pages map to where the loader put them.
            match unsafe { mapper.map_to(page, frame, flags, &mut GlobalFrames) } {
                Ok(flush) => flush.ignore(),
                Err(error) => crate::fatal(format_args!(
                    "paging: cannot map kernel page {virt:#x}: {error:?}"
                )),
            }
        }
    }
}

/// The kernel image's sections, as the linker script bounds them (page
/// aligned): text, read-only data (with the exception table), and data with
/// bss.
#[derive(Clone, Debug)]
pub struct KernelSections {
    pub text: Range<u64>,
    pub rodata: Range<u64>,
    pub data: Range<u64>,
}

pub fn kernel_sections() -> KernelSections {
    KernelSections {
        text: core::ptr::addr_of!(__text_start) as u64..core::ptr::addr_of!(__text_end) as u64,
        rodata: core::ptr::addr_of!(__rodata_start) as u64
            ..core::ptr::addr_of!(__rodata_end) as u64,
        data: core::ptr::addr_of!(__data_start) as u64..core::ptr::addr_of!(__kernel_end) as u64,
    }
}

/// Walks the kernel half of the kernel page tables and returns the first
/// page (of any size) that is both writable and executable, counting the
/// flags of every level as the MMU does; `None` when W^X holds everywhere.
pub fn find_writable_executable() -> Option<VirtAddr> {
    let _guard = TABLES.lock();
    let table = |frame: PhysAddr| -> &'static PageTable {
        // SAFETY: page tables are in the direct map, and `TABLES` keeps the
        // kernel half from changing while they are read.
        unsafe { &*phys_to_virt(frame).as_ptr::<PageTable>() }
    };
    let pml4 = table(kernel_pml4().start_address());
    pml4.iter()
        .enumerate()
        .skip(KERNEL_HALF_FIRST_ENTRY)
        .find_map(|(index, entry)| {
            let base = SIGN_EXTENSION | ((index as u64) << PML4_SHIFT);
            walk_level(table, entry, base, 3, entry.flags())
        })
}

/// Looks below one entry, with `depth` levels of tables under it (3 for a
/// PML4 entry, 0 for a page-table entry), for a writable and executable
/// page; `flags` has WRITABLE only if every level so far has it, and
/// NO_EXECUTE if any level has it.
fn walk_level(
    table: impl Fn(PhysAddr) -> &'static PageTable + Copy,
    entry: &PageTableEntry,
    base: u64,
    depth: u32,
    flags: PageTableFlags,
) -> Option<VirtAddr> {
    if !entry.flags().contains(PageTableFlags::PRESENT) {
        return None;
    }
    let is_leaf = depth == 0 || entry.flags().contains(PageTableFlags::HUGE_PAGE);
    if is_leaf {
        let writable = flags.contains(PageTableFlags::WRITABLE);
        let executable = !flags.contains(PageTableFlags::NO_EXECUTE);
        return (writable && executable).then(|| VirtAddr::new_truncate(base));
    }
    let next = table(entry.addr());
    for (index, child) in next.iter().enumerate() {
        let child_flags = child.flags();
        let mut combined = flags | (child_flags & PageTableFlags::NO_EXECUTE);
        if !child_flags.contains(PageTableFlags::WRITABLE) {
            combined.remove(PageTableFlags::WRITABLE);
        }
        let child_base = base | ((index as u64) << (PAGE_SHIFT + TABLE_INDEX_BITS * (depth - 1)));
        if let Some(page) = walk_level(table, child, child_base, depth - 1, combined) {
            return Some(page);
        }
    }
    None
}

/// The physical address `addr` maps to in the kernel page tables.
pub fn translate(addr: VirtAddr) -> Option<PhysAddr> {
    with_kernel_mapper(|mapper| mapper.translate_addr(addr))
}

/// The flags of the page mapping `addr` (any page size).
pub fn flags(addr: VirtAddr) -> Option<PageTableFlags> {
    with_kernel_mapper(|mapper| match mapper.translate(addr) {
        TranslateResult::Mapped { flags, .. } => Some(flags),
        _ => None,
    })
}

fn check_region(page: VirtAddr, base: u64, size: u64) -> Result<Page, MapError> {
    let addr = page.as_u64();
    if addr < base || addr >= base + size || !page.is_aligned(PAGE_SIZE) {
        return Err(MapError::OutsideRegion);
    }
    Ok(Page::containing_address(page))
}

fn map_page(page: Page, frame: PhysFrame, flags: PageTableFlags) -> Result<(), MapError> {
    with_kernel_mapper(|mapper| {
        // SAFETY: the page lies in a kernel region reserved for such mappings
        // and was unmapped; the frame is owned by the caller.
        match unsafe { mapper.map_to(page, frame, flags | global(), &mut GlobalFrames) } {
            Ok(flush) => {
                flush.flush();
                Ok(())
            }
            Err(MapToError::PageAlreadyMapped(_)) => Err(MapError::AlreadyMapped),
            Err(MapToError::ParentEntryHugePage) => Err(MapError::HugePage),
            Err(MapToError::FrameAllocationFailed) => Err(MapError::OutOfFrames),
        }
    })
}

/// Maps `page` (in the vmap region) to `frame`. The caller owns the frame.
pub fn map(page: VirtAddr, frame: PhysFrame, flags: PageTableFlags) -> Result<(), MapError> {
    map_page(check_region(page, VMAP_BASE, VMAP_SIZE)?, frame, flags)
}

/// Unmaps `page` (in the vmap region) and returns its frame to the caller.
pub fn unmap(page: VirtAddr) -> Result<PhysFrame, MapError> {
    unmap_page(check_region(page, VMAP_BASE, VMAP_SIZE)?)
}

/// Unmaps a page of the heap region (when the heap shrinks).
pub(crate) fn unmap_heap_page(page: VirtAddr) -> Result<PhysFrame, MapError> {
    unmap_page(check_region(page, HEAP_BASE, HEAP_MAX_SIZE)?)
}

fn unmap_page(page: Page) -> Result<PhysFrame, MapError> {
    with_kernel_mapper(|mapper| match mapper.unmap(page) {
        Ok((frame, flush)) => {
            flush.flush();
            Ok(frame)
        }
        Err(_) => Err(MapError::NotMapped),
    })
}

/// Changes the flags of a mapped `page` (in the vmap region).
pub fn protect(page: VirtAddr, flags: PageTableFlags) -> Result<(), MapError> {
    let page = check_region(page, VMAP_BASE, VMAP_SIZE)?;
    with_kernel_mapper(|mapper| {
        // SAFETY: the vmap region holds no Rust objects whose validity depends
        // on the permission change; callers own their mappings there.
        match unsafe { mapper.update_flags(page, flags | PageTableFlags::PRESENT | global()) } {
            Ok(flush) => {
                flush.flush();
                Ok(())
            }
            Err(_) => Err(MapError::NotMapped),
        }
    })
}

/// Reserves `len` bytes (rounded up to pages, plus one unmapped guard page
/// below) of vmap address space, for the caller to [`map`]. Never returned.
pub fn reserve_kernel_range(len: u64) -> Option<VirtAddr> {
    let pages = len.div_ceil(PAGE_SIZE) + 1;
    let mut next = VMAP_NEXT.lock();
    let start = *next;
    let end = start.checked_add(pages * PAGE_SIZE)?;
    if end > VMAP_BASE + VMAP_SIZE {
        return None;
    }
    *next = end;
    Some(VirtAddr::new(start + PAGE_SIZE))
}

/// Maps one heap page; only the heap calls this.
pub(crate) fn map_heap_page(page: VirtAddr, frame: PhysFrame) -> Result<(), MapError> {
    let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | no_execute();
    map_page(check_region(page, HEAP_BASE, HEAP_MAX_SIZE)?, frame, flags)
}

/// Makes device memory `phys..phys + len` reachable through the direct map
/// (uncached where it was not mapped as RAM) and returns its address there.
pub fn map_mmio(phys: PhysAddr, len: u64) -> VirtAddr {
    let flags = PageTableFlags::PRESENT
        | PageTableFlags::WRITABLE
        | PageTableFlags::NO_CACHE
        | PageTableFlags::WRITE_THROUGH
        | no_execute()
        | global();
    let start = phys.align_down(PAGE_SIZE).as_u64();
    let end = (phys.as_u64() + len.max(1)).next_multiple_of(PAGE_SIZE);
    with_kernel_mapper(|mapper| {
        for addr in (start..end).step_by(PAGE_SIZE as usize) {
            if mapper
                .translate_addr(VirtAddr::new(hhdm_offset() + addr))
                .is_none()
            {
                map_direct_4k(mapper, addr, flags);
            }
        }
    });
    phys_to_virt(phys)
}
