//! The Limine entry.
//!
//! Limine finds the requests below in the kernel ELF (between the start and
//! end markers), fills in their responses, maps the kernel where it is linked
//! and jumps to the ELF entry point in long mode. We ask for base revision 2:
//! it gives everything used here and is the oldest revision Limine 8.x and
//! later accept. Responses live in bootloader-reclaimable memory, so they are
//! copied into [`BootInfo`] at once. Addresses Limine returns as pointers are
//! direct-map addresses and are turned back into physical ones.

use core::arch::global_asm;

use limine::memory_map::EntryType;
use limine::request::{
    ExecutableAddressRequest, ExecutableFileRequest, FramebufferRequest, HhdmRequest,
    MemoryMapRequest, ModuleRequest, RequestsEndMarker, RequestsStartMarker, RsdpRequest,
};
use limine::BaseRevision;

use super::{BootCopyBuilder, BootInfo, BootProtocol, Framebuffer, MemoryKind, PhysRange};

/// The base revision requested (see the module comment).
const LIMINE_BASE_REVISION: u64 = 2;

#[used]
#[unsafe(link_section = ".requests_start_marker")]
static REQUESTS_START: RequestsStartMarker = RequestsStartMarker::new();

#[used]
#[unsafe(link_section = ".requests")]
static BASE_REVISION: BaseRevision = BaseRevision::with_revision(LIMINE_BASE_REVISION);

#[used]
#[unsafe(link_section = ".requests")]
static HHDM: HhdmRequest = HhdmRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static MEMORY_MAP: MemoryMapRequest = MemoryMapRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static EXECUTABLE_ADDRESS: ExecutableAddressRequest = ExecutableAddressRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static EXECUTABLE_FILE: ExecutableFileRequest = ExecutableFileRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static MODULES: ModuleRequest = ModuleRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static RSDP: RsdpRequest = RsdpRequest::new();

#[used]
#[unsafe(link_section = ".requests")]
static FRAMEBUFFER: FramebufferRequest = FramebufferRequest::new();

#[used]
#[unsafe(link_section = ".requests_end_marker")]
static REQUESTS_END: RequestsEndMarker = RequestsEndMarker::new();

// The ELF entry point. Limine's stack is in reclaimable memory, so the first
// thing is to move to the kernel's own boot stack.
global_asm!(
    r#"
    .section .text.limine, "ax"
    .global kestrel_limine_entry
kestrel_limine_entry:
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    movq %rax, %rdi
    leaq ({stack} + {stack_size})(%rip), %rsp
    xorl %ebp, %ebp
    call {main}
    ud2
    "#,
    stack = sym super::BOOT_STACK,
    stack_size = const super::BOOT_STACK_SIZE,
    main = sym limine_main,
    options(att_syntax)
);

extern "C" fn limine_main(entry_tsc: u64) -> ! {
    crate::early_init();

    if !BASE_REVISION.is_supported() {
        crate::fatal(format_args!(
            "limine: this loader does not support base revision {LIMINE_BASE_REVISION}; \
             boot with Limine 8.x or later"
        ));
    }
    let Some(hhdm) = HHDM.get_response() else {
        crate::fatal(format_args!("limine: no HHDM response"));
    };
    let Some(memory_map) = MEMORY_MAP.get_response() else {
        crate::fatal(format_args!("limine: no memory map response"));
    };
    let Some(executable) = EXECUTABLE_ADDRESS.get_response() else {
        crate::fatal(format_args!("limine: no executable address response"));
    };
    let hhdm_offset = hhdm.offset();
    let to_phys = |addr: u64| {
        if addr >= hhdm_offset {
            addr - hhdm_offset
        } else {
            addr
        }
    };

    let mut copy = BootCopyBuilder::new();
    for entry in memory_map.entries() {
        copy.push_region(entry.base, entry.length, memory_kind(entry.entry_type));
    }
    if let Some(file) = EXECUTABLE_FILE.get_response() {
        copy.set_cmdline(file.file().string().to_bytes());
    }

    let initrd = MODULES.get_response().and_then(|modules| {
        let module = modules.modules().first()?;
        if modules.modules().len() > 1 {
            log::warn!(
                "{} modules given, only the first is the initramfs",
                modules.modules().len()
            );
        }
        Some(PhysRange {
            start: to_phys(module.addr() as u64),
            len: module.size(),
        })
    });
    // Before base revision 3 the RSDP address is a direct-map pointer.
    let rsdp = RSDP
        .get_response()
        .map(|rsdp| to_phys(rsdp.address() as u64));
    let framebuffer = FRAMEBUFFER.get_response().and_then(|response| {
        let fb = response.framebuffers().next()?;
        Some(Framebuffer {
            phys_addr: to_phys(fb.addr() as u64),
            width: fb.width(),
            height: fb.height(),
            pitch: fb.pitch(),
            bpp: fb.bpp(),
        })
    });

    let (memory_map, cmdline) = copy.finish();
    let boot = BootInfo {
        protocol: BootProtocol::Limine,
        memory_map,
        hhdm_offset,
        kernel_phys_base: executable.physical_base(),
        kernel_virt_base: executable.virtual_base(),
        cmdline,
        initrd: initrd.filter(|range| range.len > 0),
        rsdp: rsdp.filter(|&addr| addr != 0),
        framebuffer,
        entry_tsc,
        main_tsc: 0,
    };
    super::enter_kernel(boot)
}

fn memory_kind(entry_type: EntryType) -> MemoryKind {
    match entry_type {
        EntryType::USABLE => MemoryKind::Usable,
        EntryType::BOOTLOADER_RECLAIMABLE => MemoryKind::BootloaderReclaimable,
        EntryType::ACPI_RECLAIMABLE => MemoryKind::AcpiReclaimable,
        EntryType::ACPI_NVS => MemoryKind::AcpiNvs,
        EntryType::BAD_MEMORY => MemoryKind::BadMemory,
        EntryType::EXECUTABLE_AND_MODULES => MemoryKind::KernelAndModules,
        EntryType::FRAMEBUFFER => MemoryKind::Framebuffer,
        _ => MemoryKind::Reserved,
    }
}
