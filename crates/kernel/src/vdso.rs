//! The vDSO: `clock_gettime`, `gettimeofday` and `time` that run in user
//! space.
//!
//! `build.rs` compiles `vdso/vdso.c` into a small shared object with one flat
//! segment. At boot it is copied into pages that every process maps, after
//! the vvar page, which holds the TSC-to-nanoseconds conversion of
//! `platform::time` (see `vdso/vvar.h`). Both mappings are private: a process
//! that makes its vDSO writable writes to its own copy, and the vvar page can
//! never be made writable. Exec passes the image's address in
//! `AT_SYSINFO_EHDR`, where musl and glibc look for it.

use alloc::sync::Arc;
use alloc::vec::Vec;

use bytemuck::{Pod, Zeroable};
use elf::abi::{ET_DYN, PT_LOAD};
use elf::endian::LittleEndian;
use elf::ElfBytes;
use platform::mm::page::Page;
use spin::Once;

use crate::mm::shared::SharedPages;
use crate::mm::{self, Backing, MmInner, Prot, Vma, VmaRole, PAGE_SIZE};

/// The shared object `build.rs` made.
static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/vdso.so"));

/// Where the vvar page goes in every process: between the mmap area and the
/// stack, with the image right after it.
const VVAR_ADDR: u64 = mm::STACK_TOP - mm::STACK_SIZE - 0x100_0000;

/// `clock_mode` values (`vdso/vvar.h`).
const VCLOCK_NONE: u32 = 0;
const VCLOCK_TSC: u32 = 1;

/// The vvar page's layout, as `struct vvar` in `vdso/vvar.h`.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct Vvar {
    seq: u32,
    clock_mode: u32,
    boot_tsc: u64,
    tsc_mult: u64,
    realtime_base_ns: u64,
    realtime_at_ns: u64,
}

struct Vdso {
    /// Page 0 is the vvar page, pages 1.. the image.
    pages: Arc<SharedPages>,
    image_pages: u64,
}

static VDSO: Once<Vdso> = Once::new();

/// Builds the vDSO pages; run once the clock is calibrated. Without them
/// (a bad image, no memory) processes run without a vDSO and their C library
/// makes system calls instead.
pub fn init() {
    if let Err(why) = check_image(IMAGE) {
        log::error!("vDSO image rejected: {why}; processes get none");
        return;
    }
    let image_pages = (IMAGE.len() as u64).div_ceil(PAGE_SIZE);
    let mut pages = Vec::new();
    for _ in 0..=image_pages {
        let Some(page) = Page::alloc_zeroed() else {
            log::error!("no memory for the vDSO; processes get none");
            return;
        };
        pages.push(page);
    }
    let vvar = vvar_contents();
    pages[0].write(0, bytemuck::bytes_of(&vvar));
    for (page, chunk) in pages[1..].iter().zip(IMAGE.chunks(PAGE_SIZE as usize)) {
        page.write(0, chunk);
    }
    VDSO.call_once(|| Vdso {
        pages: Arc::new(SharedPages::fixed(pages)),
        image_pages,
    });
    log::info!(
        "vDSO: {} bytes, clocks read {}",
        IMAGE.len(),
        if vvar.clock_mode == VCLOCK_TSC {
            "from the TSC"
        } else {
            "through system calls"
        }
    );
}

/// What the vDSO needs of the clock. Written once, before the first process;
/// a kernel that could set the clock would bump `seq` to odd around changes.
fn vvar_contents() -> Vvar {
    let (realtime_base_ns, realtime_at_ns) = platform::time::realtime_base();
    let mut vvar = Vvar {
        clock_mode: VCLOCK_NONE,
        realtime_base_ns,
        realtime_at_ns,
        ..Vvar::default()
    };
    if let Some(tsc) = platform::time::tsc_clock() {
        vvar.clock_mode = VCLOCK_TSC;
        vvar.boot_tsc = tsc.boot_tsc;
        vvar.tsc_mult = tsc.mult;
    }
    vvar
}

/// The image must be what the kernel maps as is: a shared object whose one
/// loadable segment starts at offset and address 0 and lies in the file.
fn check_image(image: &[u8]) -> Result<(), &'static str> {
    let file = ElfBytes::<LittleEndian>::minimal_parse(image).map_err(|_| "not an ELF file")?;
    if file.ehdr.e_type != ET_DYN {
        return Err("not a shared object");
    }
    let segments = file.segments().ok_or("no program headers")?;
    let mut loads = segments.iter().filter(|phdr| phdr.p_type == PT_LOAD);
    let text = loads.next().ok_or("no loadable segment")?;
    if loads.next().is_some() {
        return Err("more than one loadable segment");
    }
    if text.p_offset != 0 || text.p_vaddr != 0 || text.p_filesz > image.len() as u64 {
        return Err("the segment is not the file as laid out");
    }
    Ok(())
}

/// Maps the vvar page and the image into a fresh address space; returns the
/// image's address for `AT_SYSINFO_EHDR`, or `None` without a vDSO.
pub fn map(mm: &mut MmInner) -> Option<u64> {
    let vdso = VDSO.get()?;
    let image_addr = VVAR_ADDR + PAGE_SIZE;
    let special = |start: u64, end: u64, prot: Prot, role: VmaRole, first_index: u64| Vma {
        start,
        end,
        prot,
        shared: false,
        backing: Backing::Shared {
            pages: vdso.pages.clone(),
            first_index,
        },
        role,
    };
    mm::insert_vma(
        mm,
        special(VVAR_ADDR, image_addr, Prot::READ, VmaRole::Vvar, 0),
    );
    let image_end = image_addr + vdso.image_pages * PAGE_SIZE;
    let prot = Prot::READ | Prot::EXEC;
    mm::insert_vma(mm, special(image_addr, image_end, prot, VmaRole::Vdso, 1));
    Some(image_addr)
}
