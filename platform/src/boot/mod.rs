//! What the boot loader tells the kernel, in one shape for both entries.
//!
//! The PVH entry (`pvh`) and the Limine entry (`limine`) each copy what they
//! were handed into [`BootInfo`] before anything else runs, so the memory the
//! loader kept its own data in can be reused afterwards. Both then call the
//! kernel's `kernel_main`, registered with [`entry_point!`](crate::entry_point).

mod limine;
pub mod memmap;
mod pvh;

use core::fmt;

use spin::Once;

pub use memmap::{MemoryKind, MemoryRegion};

/// Most memory map entries kept; firmware maps are far shorter.
pub const MAX_MEMORY_REGIONS: usize = 128;
/// Longest command line kept, in bytes; the rest is cut off with a warning.
pub const MAX_CMDLINE_LEN: usize = 4096;

/// Size of the stack both entries switch to before running Rust code; the
/// kernel keeps running on it as its first thread.
pub const BOOT_STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(16))]
pub(crate) struct BootStack([u8; BOOT_STACK_SIZE]);

/// The boot stack. Only the entry assembly names it (to load `rsp`).
pub(crate) static mut BOOT_STACK: BootStack = BootStack([0; BOOT_STACK_SIZE]);

/// Which protocol started the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootProtocol {
    /// QEMU (or another VMM) through the Xen PVH ELF note.
    Pvh,
    /// The Limine boot protocol.
    Limine,
}

/// A range of physical memory, `start..start + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRange {
    pub start: u64,
    pub len: u64,
}

impl PhysRange {
    pub fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// A linear framebuffer set up by the loader.
#[derive(Clone, Copy, Debug)]
pub struct Framebuffer {
    pub phys_addr: u64,
    pub width: u64,
    pub height: u64,
    pub pitch: u64,
    pub bpp: u16,
}

/// Everything the kernel learns from its loader. All slices point into
/// platform-owned copies, so they stay valid after loader memory is reclaimed.
#[derive(Clone, Copy)]
pub struct BootInfo {
    pub protocol: BootProtocol,
    /// The memory map as the loader gave it (sorted, not yet normalized).
    pub memory_map: &'static [MemoryRegion],
    /// Virtual address of physical address 0.
    pub hhdm_offset: u64,
    pub kernel_phys_base: u64,
    pub kernel_virt_base: u64,
    pub cmdline: &'static str,
    /// The initramfs (the first module), in physical memory the frame
    /// allocator never hands out.
    pub initrd: Option<PhysRange>,
    /// Physical address of the ACPI RSDP.
    pub rsdp: Option<u64>,
    pub framebuffer: Option<Framebuffer>,
    /// TSC value at the first instruction of the entry.
    pub entry_tsc: u64,
    /// TSC value when `kernel_main` was called.
    pub main_tsc: u64,
}

impl BootInfo {
    /// The initramfs bytes, read through the direct map.
    pub fn initrd_bytes(&self) -> Option<&'static [u8]> {
        let range = self.initrd?;
        let start = self.hhdm_offset + range.start;
        // SAFETY: the loader placed the initramfs in RAM covered by the direct
        // map; the frame allocator excludes it, so nothing writes to it.
        Some(unsafe { core::slice::from_raw_parts(start as *const u8, range.len as usize) })
    }
}

impl fmt::Debug for BootInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootInfo")
            .field("protocol", &self.protocol)
            .field("regions", &self.memory_map.len())
            .field("hhdm_offset", &format_args!("{:#x}", self.hhdm_offset))
            .field(
                "kernel_phys_base",
                &format_args!("{:#x}", self.kernel_phys_base),
            )
            .field("cmdline", &self.cmdline)
            .field("initrd", &self.initrd)
            .field("rsdp", &self.rsdp)
            .finish()
    }
}

/// Loader data copied into kernel memory.
struct BootCopy {
    regions: [MemoryRegion; MAX_MEMORY_REGIONS],
    region_count: usize,
    cmdline: [u8; MAX_CMDLINE_LEN],
    cmdline_len: usize,
}

static BOOT_COPY: Once<BootCopy> = Once::new();

/// Builder the entries fill while they read their loader's structures.
pub(crate) struct BootCopyBuilder {
    copy: BootCopy,
    dropped_regions: usize,
}

impl BootCopyBuilder {
    pub(crate) fn new() -> Self {
        let empty = MemoryRegion {
            start: 0,
            end: 0,
            kind: MemoryKind::Reserved,
        };
        Self {
            copy: BootCopy {
                regions: [empty; MAX_MEMORY_REGIONS],
                region_count: 0,
                cmdline: [0; MAX_CMDLINE_LEN],
                cmdline_len: 0,
            },
            dropped_regions: 0,
        }
    }

    pub(crate) fn push_region(&mut self, start: u64, len: u64, kind: MemoryKind) {
        let Some(end) = start.checked_add(len) else {
            self.dropped_regions += 1;
            return;
        };
        if len == 0 {
            return;
        }
        let copy = &mut self.copy;
        if copy.region_count == MAX_MEMORY_REGIONS {
            self.dropped_regions += 1;
            return;
        }
        copy.regions[copy.region_count] = MemoryRegion { start, end, kind };
        copy.region_count += 1;
    }

    /// Copies a command line, stopping at the first NUL and keeping only
    /// valid UTF-8.
    pub(crate) fn set_cmdline(&mut self, bytes: &[u8]) {
        let bytes = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
        let mut len = bytes.len().min(MAX_CMDLINE_LEN);
        if len < bytes.len() {
            log::warn!("command line longer than {MAX_CMDLINE_LEN} bytes, cut");
        }
        while core::str::from_utf8(&bytes[..len]).is_err() {
            len -= 1;
        }
        self.copy.cmdline[..len].copy_from_slice(&bytes[..len]);
        self.copy.cmdline_len = len;
    }

    /// Stores the copy for good and returns the slices pointing into it.
    pub(crate) fn finish(self) -> (&'static [MemoryRegion], &'static str) {
        if self.dropped_regions > 0 {
            log::warn!("{} memory map entries ignored", self.dropped_regions);
        }
        let mut copy = self.copy;
        copy.regions[..copy.region_count].sort_unstable_by_key(|r| r.start);
        let stored = BOOT_COPY.call_once(|| copy);
        let cmdline = core::str::from_utf8(&stored.cmdline[..stored.cmdline_len]).unwrap_or("");
        (&stored.regions[..stored.region_count], cmdline)
    }
}

// Defined by the kernel binary through `entry_point!`.
unsafe extern "Rust" {
    fn kestrel_kernel_main(info: BootInfo) -> !;
}

/// Hands over to the kernel. Both entries end here.
pub(crate) fn enter_kernel(mut info: BootInfo) -> ! {
    info.main_tsc = crate::time::read_tsc();
    // SAFETY: `kestrel_kernel_main` is defined by `entry_point!` in the kernel
    // binary with exactly this signature.
    unsafe { kestrel_kernel_main(info) }
}

/// Declares the kernel's main function, `fn(BootInfo) -> !`, which both boot
/// entries call once the platform's early setup is done.
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        #[unsafe(export_name = "kestrel_kernel_main")]
        fn __kestrel_kernel_main(info: $crate::boot::BootInfo) -> ! {
            let main: fn($crate::boot::BootInfo) -> ! = $main;
            main(info)
        }
    };
}
