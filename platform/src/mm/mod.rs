//! Physical memory, the kernel's page tables and its heap.
//!
//! All RAM is reachable through the higher-half direct map (HHDM): physical
//! address `p` is mapped at `hhdm_offset() + p`. Frames come from [`frame`],
//! which is built from the normalized boot memory map; [`paging`] owns the
//! kernel page tables; [`heap`] is the global allocator, growing from frames.

pub mod frame;
pub mod heap;
pub mod page;
pub mod paging;
pub mod user;

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::{PhysAddr, VirtAddr};

use crate::boot::memmap::{self, MemoryKind};
use crate::boot::{BootInfo, PhysRange};

/// The kernel image is linked at `KERNEL_VIRT_OFFSET + physical address`.
pub const KERNEL_VIRT_OFFSET: u64 = 0xffff_ffff_8000_0000;
/// Physical memory below this is never handed out (real-mode structures, a
/// future application-processor trampoline).
const LOW_MEMORY_END: u64 = 1 << 20;

static HHDM_OFFSET: AtomicU64 = AtomicU64::new(0);
static TOTAL_RAM: AtomicU64 = AtomicU64::new(0);

/// Offset of the direct map.
pub fn hhdm_offset() -> u64 {
    HHDM_OFFSET.load(Ordering::Relaxed)
}

/// The direct-map address of `addr`.
pub fn phys_to_virt(addr: PhysAddr) -> VirtAddr {
    VirtAddr::new(hhdm_offset() + addr.as_u64())
}

/// The physical address behind a direct-map address.
pub fn hhdm_virt_to_phys(addr: VirtAddr) -> Option<PhysAddr> {
    let offset = addr.as_u64().checked_sub(hhdm_offset())?;
    (offset < paging::HHDM_MAX_SIZE).then(|| PhysAddr::new(offset))
}

/// How much memory there is.
#[derive(Clone, Copy, Debug)]
pub struct MemorySummary {
    /// All RAM in the memory map (usable, loader, ACPI, kernel, modules).
    pub total_bytes: u64,
    /// RAM the frame allocator manages.
    pub usable_bytes: u64,
    /// Of that, free now.
    pub free_bytes: u64,
}

/// The current memory summary.
pub fn summary() -> MemorySummary {
    let stats = frame::stats();
    MemorySummary {
        total_bytes: TOTAL_RAM.load(Ordering::Relaxed),
        usable_bytes: stats.total * frame::FRAME_SIZE,
        free_bytes: stats.free * frame::FRAME_SIZE,
    }
}

unsafe extern "C" {
    // Bounds of the kernel image, from the linker script.
    static __kernel_start: u8;
    static __kernel_end: u8;
}

/// Physical range of the loaded kernel image.
fn kernel_image(boot: &BootInfo) -> PhysRange {
    let start = core::ptr::addr_of!(__kernel_start) as u64;
    let end = core::ptr::addr_of!(__kernel_end) as u64;
    let start_phys = start - boot.kernel_virt_base + boot.kernel_phys_base;
    PhysRange {
        start: start_phys,
        len: end - start,
    }
}

/// Builds the frame allocator, switches to the kernel's own page tables and
/// then reclaims the loader's memory.
pub(crate) fn init(boot: &BootInfo) {
    HHDM_OFFSET.store(boot.hhdm_offset, Ordering::Relaxed);
    let total: u64 = boot
        .memory_map
        .iter()
        .filter(|r| r.kind.is_mapped_ram() && r.kind != MemoryKind::Framebuffer)
        .map(|r| r.end - r.start)
        .sum();
    TOTAL_RAM.store(total, Ordering::Relaxed);

    let mut exclude = [
        PhysRange {
            start: 0,
            len: LOW_MEMORY_END,
        },
        kernel_image(boot),
        PhysRange { start: 0, len: 0 },
    ];
    if let Some(initrd) = boot.initrd {
        exclude[2] = initrd;
    }
    frame::add_ranges(&memmap::free_ranges(
        boot.memory_map,
        MemoryKind::Usable,
        &exclude,
    ));
    paging::init(boot);

    let reclaimable =
        memmap::free_ranges(boot.memory_map, MemoryKind::BootloaderReclaimable, &exclude);
    if !reclaimable.is_empty() {
        log::debug!(
            "reclaimed {} KiB of loader memory",
            memmap::total_bytes(&reclaimable) / 1024
        );
        frame::add_ranges(&reclaimable);
    }
    frame::set_reserve();
}
