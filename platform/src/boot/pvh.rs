//! The PVH entry: QEMU's `-kernel` (and other VMMs) start the ELF here.
//!
//! The Xen ELF note `XEN_ELFNOTE_PHYS32_ENTRY` names a 32-bit entry that the
//! VMM jumps to in protected mode, paging off, with `ebx` holding the physical
//! address of an `hvm_start_info` (Xen's `arch-x86/hvm/start_info.h`). The
//! assembly below builds early page tables (identity and direct map of the
//! first 4 GiB, and the kernel window at -2 GiB, all with 2 MiB pages), enters
//! long mode, moves to the higher half and calls [`pvh_main`], which copies the
//! start info into a [`BootInfo`].

use core::arch::global_asm;

use super::{BootCopyBuilder, BootInfo, BootProtocol, MemoryKind, PhysRange};
use crate::mm::KERNEL_VIRT_OFFSET;

/// Direct-map offset of the early page tables (PML4 slot 256).
pub const PVH_HHDM_OFFSET: u64 = 0xffff_8000_0000_0000;
/// The early direct map reaches this far.
const EARLY_MAP_LIMIT: u64 = 4 << 30;
/// Physical address the kernel is linked to load at.
const KERNEL_PHYS_BASE: u64 = 2 << 20;

const XEN_ELFNOTE_PHYS32_ENTRY: u32 = 18;
const HVM_START_MAGIC: u32 = 0x336e_c578;

const PTE_PRESENT: u32 = 1 << 0;
const PTE_WRITABLE: u32 = 1 << 1;
const PTE_HUGE: u32 = 1 << 7;
const CR0_PE: u32 = 1 << 0;
const CR0_WP: u32 = 1 << 16;
const CR0_PG: u32 = 1 << 31;
const CR4_PAE: u32 = 1 << 5;
const MSR_EFER: u32 = 0xc000_0080;
const EFER_LME: u32 = 1 << 8;
const EARLY_CODE_SELECTOR: u32 = 0x08;
const EARLY_DATA_SELECTOR: u32 = 0x10;

// E820 types as used by the PVH memory map.
const E820_RAM: u32 = 1;
const E820_ACPI: u32 = 3;
const E820_NVS: u32 = 4;
const E820_UNUSABLE: u32 = 5;

global_asm!(
    r#"
    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 4
    .long {note_type}
    .asciz "Xen"
    .balign 4
    .long kestrel_pvh_start32 - {offset}
    .balign 4

    .section .bss.pvh, "aw", @nobits
    .balign 4096
pvh_tables:
    .skip 7 * 4096
pvh_start_info:
    .skip 8
pvh_entry_tsc:
    .skip 8

    .section .rodata.pvh, "a"
    .balign 16
pvh_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
pvh_gdt_end:
pvh_gdtr:
    .word pvh_gdt_end - pvh_gdt - 1
    .long pvh_gdt - {offset}

    .section .text.pvh, "ax"
    .code32
    .global kestrel_pvh_start32
kestrel_pvh_start32:
    cli
    cld
    movl %ebx, (pvh_start_info - {offset})
    rdtsc
    movl %eax, (pvh_entry_tsc - {offset})
    movl %edx, (pvh_entry_tsc + 4 - {offset})

    /* Tables: PML4, PDPT low, PDPT high, four PDs. */
    movl $(pvh_tables - {offset}), %edi
    xorl %eax, %eax
    movl $(7 * 1024), %ecx
    rep stosl

    /* 2048 PD entries: 4 GiB in 2 MiB pages. */
    movl $(pvh_tables + 3 * 4096 - {offset}), %edi
    movl ${huge_flags}, %eax
    movl $2048, %ecx
2:  movl %eax, (%edi)
    addl $0x200000, %eax
    addl $8, %edi
    loop 2b

    /* PDPT low: the four PDs. */
    movl $(pvh_tables + 4096 - {offset}), %edi
    movl $(pvh_tables + 3 * 4096 + {table_flags} - {offset}), %eax
    movl $4, %ecx
3:  movl %eax, (%edi)
    addl $4096, %eax
    addl $8, %edi
    loop 3b

    /* PML4: identity (0), direct map (256), kernel window (511). */
    movl $(pvh_tables - {offset}), %edi
    leal (4096 + {table_flags})(%edi), %eax
    movl %eax, (%edi)
    movl %eax, (256 * 8)(%edi)
    leal (2 * 4096 + {table_flags})(%edi), %eax
    movl %eax, (511 * 8)(%edi)
    /* PDPT high slots 510 and 511: physical 0..2 GiB at -2 GiB. */
    leal (3 * 4096 + {table_flags})(%edi), %eax
    movl %eax, (2 * 4096 + 510 * 8)(%edi)
    addl $4096, %eax
    movl %eax, (2 * 4096 + 511 * 8)(%edi)

    movl %edi, %cr3
    movl %cr4, %eax
    orl ${cr4_pae}, %eax
    movl %eax, %cr4
    movl ${msr_efer}, %ecx
    rdmsr
    orl ${efer_lme}, %eax
    wrmsr
    movl %cr0, %eax
    orl ${cr0_bits}, %eax
    movl %eax, %cr0

    lgdt (pvh_gdtr - {offset})
    ljmpl ${code_selector}, $(pvh_start64 - {offset})

    .code64
pvh_start64:
    movl ${data_selector}, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movabsq $pvh_higher_half, %rax
    jmpq *%rax
pvh_higher_half:
    leaq ({stack} + {stack_size})(%rip), %rsp
    xorl %ebp, %ebp
    movl pvh_start_info(%rip), %edi
    movq pvh_entry_tsc(%rip), %rsi
    call {main}
    ud2
    "#,
    note_type = const XEN_ELFNOTE_PHYS32_ENTRY,
    offset = const KERNEL_VIRT_OFFSET,
    huge_flags = const PTE_PRESENT | PTE_WRITABLE | PTE_HUGE,
    table_flags = const PTE_PRESENT | PTE_WRITABLE,
    cr4_pae = const CR4_PAE,
    msr_efer = const MSR_EFER,
    efer_lme = const EFER_LME,
    cr0_bits = const CR0_PE | CR0_WP | CR0_PG,
    code_selector = const EARLY_CODE_SELECTOR,
    data_selector = const EARLY_DATA_SELECTOR,
    stack = sym super::BOOT_STACK,
    stack_size = const super::BOOT_STACK_SIZE,
    main = sym pvh_main,
    options(att_syntax)
);

/// `struct hvm_start_info`.
#[repr(C)]
#[derive(Clone, Copy)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    nr_modules: u32,
    modlist_paddr: u64,
    cmdline_paddr: u64,
    rsdp_paddr: u64,
    // Version 1 and later.
    memmap_paddr: u64,
    memmap_entries: u32,
    reserved: u32,
}

/// `struct hvm_modlist_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
struct ModlistEntry {
    paddr: u64,
    size: u64,
    cmdline_paddr: u64,
    reserved: u64,
}

/// `struct hvm_memmap_table_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
struct MemmapEntry {
    addr: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}

/// Reads a `T` at physical `addr` through the early direct map, if it lies
/// inside it.
fn read_phys<T: Copy>(addr: u64) -> Option<T> {
    let end = addr.checked_add(core::mem::size_of::<T>() as u64)?;
    if addr == 0 || end > EARLY_MAP_LIMIT {
        return None;
    }
    let ptr = (PVH_HHDM_OFFSET + addr) as *const T;
    // SAFETY: the early page tables map the first 4 GiB at PVH_HHDM_OFFSET and
    // the range was checked to lie inside it; unaligned reads are allowed.
    Some(unsafe { ptr.read_unaligned() })
}

/// Bytes of a NUL-terminated string at physical `addr` (without the NUL).
fn phys_cstr(addr: u64, max: usize) -> &'static [u8] {
    if addr == 0 || addr >= EARLY_MAP_LIMIT {
        return &[];
    }
    let max = max.min((EARLY_MAP_LIMIT - addr) as usize);
    let start = (PVH_HHDM_OFFSET + addr) as *const u8;
    // SAFETY: `start..start + max` lies inside the early direct map (checked
    // above); the loader's data there is not written while boot runs.
    let bytes = unsafe { core::slice::from_raw_parts(start, max) };
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(max);
    &bytes[..len]
}

extern "C" fn pvh_main(start_info_paddr: u64, entry_tsc: u64) -> ! {
    crate::early_init();

    let Some(info) = read_phys::<StartInfo>(start_info_paddr) else {
        crate::fatal(format_args!("pvh: no start info at {start_info_paddr:#x}"));
    };
    if info.magic != HVM_START_MAGIC {
        crate::fatal(format_args!("pvh: bad start info magic {:#x}", info.magic));
    }

    let mut copy = BootCopyBuilder::new();
    copy.set_cmdline(phys_cstr(info.cmdline_paddr, super::MAX_CMDLINE_LEN + 1));
    if info.version >= 1 && info.memmap_paddr != 0 && info.memmap_entries != 0 {
        copy_memmap(&mut copy, &info);
    } else {
        // TODO: read the E820 map through the VMM's own interface when the
        // start info carries none; until then such a boot stops here.
        crate::fatal(format_args!(
            "pvh: start info v{} has no memory map",
            info.version
        ));
    }

    let initrd = first_module(&info);
    let (memory_map, cmdline) = copy.finish();
    let boot = BootInfo {
        protocol: BootProtocol::Pvh,
        memory_map,
        hhdm_offset: PVH_HHDM_OFFSET,
        kernel_phys_base: KERNEL_PHYS_BASE,
        kernel_virt_base: KERNEL_VIRT_OFFSET + KERNEL_PHYS_BASE,
        cmdline,
        initrd,
        rsdp: (info.rsdp_paddr != 0).then_some(info.rsdp_paddr),
        framebuffer: None,
        entry_tsc,
        main_tsc: 0,
    };
    super::enter_kernel(boot)
}

fn copy_memmap(copy: &mut BootCopyBuilder, info: &StartInfo) {
    let entry_size = core::mem::size_of::<MemmapEntry>() as u64;
    for index in 0..u64::from(info.memmap_entries) {
        let Some(entry) = read_phys::<MemmapEntry>(info.memmap_paddr + index * entry_size) else {
            log::warn!("memory map entry {index} out of reach");
            break;
        };
        let kind = match entry.kind {
            E820_RAM => MemoryKind::Usable,
            E820_ACPI => MemoryKind::AcpiReclaimable,
            E820_NVS => MemoryKind::AcpiNvs,
            E820_UNUSABLE => MemoryKind::BadMemory,
            _ => MemoryKind::Reserved,
        };
        copy.push_region(entry.addr, entry.size, kind);
    }
}

fn first_module(info: &StartInfo) -> Option<PhysRange> {
    if info.nr_modules == 0 {
        return None;
    }
    if info.nr_modules > 1 {
        log::warn!(
            "{} modules given, only the first is the initramfs",
            info.nr_modules
        );
    }
    let module = read_phys::<ModlistEntry>(info.modlist_paddr)?;
    if module.size == 0 {
        return None;
    }
    Some(PhysRange {
        start: module.paddr,
        len: module.size,
    })
}
