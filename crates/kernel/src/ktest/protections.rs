//! Tests of what keeps the kernel apart from user code: the CPU protection
//! bits, W^X in the kernel's own page tables, and SMAP refusing a kernel
//! access to a user page outside the user-copy routines.

use alloc::boxed::Box;

use platform::arch::switch::KernelStack;
use platform::arch::{extable, usercopy};
use platform::mm::paging::{self, kernel_sections, SCRATCH_BASE};
use platform::mm::user::{self as user_mm, AddressSpace};
use platform::mm::{frame, phys_to_virt};
use raw_cpuid::CpuId;
use x86_64::registers::control::{Cr4, Cr4Flags};
use x86_64::registers::model_specific::{Efer, EferFlags};
use x86_64::structures::paging::PageTableFlags;
use x86_64::VirtAddr;

use super::{Test, TestResult};
use crate::ensure;

pub const TESTS: &[Test] = &[
    ("protections", protections),
    ("smap_blocks_kernel_access", smap_blocks_kernel_access),
];

/// A user address for the SMAP test, in an address space of its own.
const USER_PAGE_VA: u64 = 0x70_0000;
const PAGE_SIZE: u64 = 4096;

/// What a kernel page may do, as its flags say.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Access {
    writable: bool,
    executable: bool,
}

fn access_of(addr: u64) -> Result<Access, alloc::string::String> {
    let flags = paging::flags(VirtAddr::new(addr))
        .ok_or_else(|| alloc::format!("{addr:#x} is not mapped"))?;
    Ok(Access {
        writable: flags.contains(PageTableFlags::WRITABLE),
        executable: !flags.contains(PageTableFlags::NO_EXECUTE),
    })
}

/// Every page of `range` has exactly the access `want`.
fn check_range(what: &str, range: core::ops::Range<u64>, want: Access) -> TestResult {
    ensure!(!range.is_empty(), "{what} is empty");
    for page in range.step_by(PAGE_SIZE as usize) {
        let got = access_of(page)?;
        ensure!(
            got == want,
            "{what} page {page:#x} is {got:?}, want {want:?}"
        );
    }
    Ok(())
}

fn protections() -> TestResult {
    // The control bits: SMEP and SMAP whenever the CPU has them, NX always.
    let features = CpuId::new().get_extended_feature_info();
    let cr4 = Cr4::read();
    if features.as_ref().is_some_and(|f| f.has_smep()) {
        ensure!(
            cr4.contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION),
            "the CPU has SMEP but CR4.SMEP is clear"
        );
    }
    if features.as_ref().is_some_and(|f| f.has_smap()) {
        ensure!(
            cr4.contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION),
            "the CPU has SMAP but CR4.SMAP is clear"
        );
    }
    ensure!(platform::cpu::features().nx, "the CPU has no NX bit");
    ensure!(
        Efer::read().contains(EferFlags::NO_EXECUTE_ENABLE),
        "EFER.NXE is clear"
    );

    // The kernel image, section by section.
    let sections = kernel_sections();
    let text = Access {
        writable: false,
        executable: true,
    };
    let read_only = Access {
        writable: false,
        executable: false,
    };
    let data = Access {
        writable: true,
        executable: false,
    };
    check_range("text", sections.text, text)?;
    check_range("rodata", sections.rodata, read_only)?;
    check_range("data and bss", sections.data, data)?;

    // The heap, a kernel stack and the direct map.
    let boxed = Box::new(0u64);
    check_range("the heap", page_of(&*boxed as *const u64 as u64), data)?;
    let stack = KernelStack::new().map_err(|_| "no memory for a kernel stack")?;
    check_range("a kernel stack", stack.bottom()..stack.top(), data)?;
    let here = 0u64;
    check_range("this stack", page_of(&here as *const u64 as u64), data)?;
    let frame = frame::alloc().ok_or("out of frames")?;
    let direct = phys_to_virt(frame.start_address()).as_u64();
    frame::free(frame);
    check_range("the direct map", page_of(direct), data)?;

    // And everything the kernel half maps, whatever it is.
    if let Some(page) = paging::find_writable_executable() {
        return Err(alloc::format!("{page:?} is writable and executable"));
    }
    walk_finds_a_planted_page()
}

/// The walk does see a writable and executable page: one is mapped in the
/// scratch range for a moment.
fn walk_finds_a_planted_page() -> TestResult {
    let frame = frame::alloc().ok_or("out of frames")?;
    let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE;
    paging::map(SCRATCH_BASE, frame, flags).map_err(|_| "cannot map the scratch page")?;
    let found = paging::find_writable_executable();
    if let Ok(frame) = paging::unmap(SCRATCH_BASE) {
        frame::free(frame);
    }
    ensure!(
        found == Some(SCRATCH_BASE),
        "the walk found {found:?}, not the planted page {SCRATCH_BASE:?}"
    );
    Ok(())
}

fn page_of(addr: u64) -> core::ops::Range<u64> {
    let start = addr & !(PAGE_SIZE - 1);
    start..start + PAGE_SIZE
}

/// A plain kernel read of a present user page faults under SMAP and resumes
/// through the exception table; the user-copy routines still read it.
fn smap_blocks_kernel_access() -> TestResult {
    if !usercopy::smap_enabled() {
        log::info!("ktest smap_blocks_kernel_access: the CPU has no SMAP, nothing to check");
        return Ok(());
    }
    let mut space = AddressSpace::new().ok_or("no frame for a PML4")?;
    let page = frame::alloc_zeroed().ok_or("out of frames")?;
    let flags = PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
    space
        .map(USER_PAGE_VA, page, flags)
        .map_err(|_| "cannot map the user page")?;
    space.activate();

    let value = 0x5eed_f00d_u64;
    let copied = usercopy::copy_to_user(USER_PAGE_VA, &value.to_ne_bytes());
    let probed = extable::probe_read_u64(USER_PAGE_VA);
    let mut back = [0u8; 8];
    let copied_back = usercopy::copy_from_user(&mut back, USER_PAGE_VA);

    user_mm::activate_kernel_space();
    space.clear(|_, frame| frame::free(frame));
    ensure!(copied.is_ok(), "copy_to_user failed");
    ensure!(
        probed.is_none(),
        "a plain kernel read of a user page succeeded"
    );
    ensure!(
        copied_back.is_ok(),
        "copy_from_user failed after the refused read"
    );
    ensure!(
        u64::from_ne_bytes(back) == value,
        "copy_from_user read the wrong value"
    );
    Ok(())
}
