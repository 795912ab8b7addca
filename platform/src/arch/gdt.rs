//! The GDT and TSS.
//!
//! Descriptor order is fixed by `syscall`/`sysret` (STAR): kernel code then
//! kernel data, user data then user code, so `sysret` derives the user
//! selectors from one base. Interrupt stack table slots give the double
//! fault, NMI and machine check handlers stacks of their own.

use core::cell::UnsafeCell;

use spin::Once;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, FS, GS, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::registers::segmentation::SegmentSelector;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::{PrivilegeLevel, VirtAddr};

pub const KERNEL_CODE_SELECTOR: SegmentSelector = SegmentSelector::new(1, PrivilegeLevel::Ring0);
pub const KERNEL_DATA_SELECTOR: SegmentSelector = SegmentSelector::new(2, PrivilegeLevel::Ring0);
pub const USER_DATA_SELECTOR: SegmentSelector = SegmentSelector::new(3, PrivilegeLevel::Ring3);
pub const USER_CODE_SELECTOR: SegmentSelector = SegmentSelector::new(4, PrivilegeLevel::Ring3);
pub const TSS_SELECTOR: SegmentSelector = SegmentSelector::new(5, PrivilegeLevel::Ring0);

/// IST slots (1-based, as the IDT names them).
pub const DOUBLE_FAULT_IST: u8 = 1;
pub const NMI_IST: u8 = 2;
pub const MACHINE_CHECK_IST: u8 = 3;
const IST_COUNT: usize = 3;
const IST_STACK_SIZE: usize = 16 * 1024;

#[repr(C, align(16))]
struct IstStack([u8; IST_STACK_SIZE]);

struct IstStacks(UnsafeCell<[IstStack; IST_COUNT]>);

// SAFETY: the stacks are only used by the CPU on exception entry, never
// through Rust references.
unsafe impl Sync for IstStacks {}

static IST_STACKS: IstStacks = IstStacks(UnsafeCell::new(
    [const { IstStack([0; IST_STACK_SIZE]) }; IST_COUNT],
));

struct TssCell(UnsafeCell<TaskStateSegment>);

// SAFETY: the TSS is written only by `init` (before it is loaded) and by
// `set_kernel_stack`, which the scheduler calls with interrupts disabled on
// the one CPU that owns it.
unsafe impl Sync for TssCell {}

static TSS: TssCell = TssCell(UnsafeCell::new(TaskStateSegment::new()));
static GDT: Once<GlobalDescriptorTable> = Once::new();

/// Builds and loads the GDT and TSS and reloads every segment register.
pub fn init() {
    let stacks = IST_STACKS.0.get() as *mut IstStack;
    // SAFETY: `init` runs once on the boot CPU before the TSS is loaded, so
    // nothing else accesses it.
    let tss = unsafe { &mut *TSS.0.get() };
    for slot in 0..IST_COUNT {
        // SAFETY: `slot < IST_COUNT`, inside the array.
        let stack = unsafe { stacks.add(slot) };
        let top = VirtAddr::from_ptr(stack) + IST_STACK_SIZE as u64;
        tss.interrupt_stack_table[slot] = top;
    }

    let gdt = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let selectors = [
            gdt.append(Descriptor::kernel_code_segment()),
            gdt.append(Descriptor::kernel_data_segment()),
            gdt.append(Descriptor::user_data_segment()),
            gdt.append(Descriptor::user_code_segment()),
            // SAFETY: the TSS is a static, so it outlives the GDT.
            gdt.append(unsafe { Descriptor::tss_segment_unchecked(TSS.0.get()) }),
        ];
        assert_eq!(
            selectors,
            [
                KERNEL_CODE_SELECTOR,
                KERNEL_DATA_SELECTOR,
                USER_DATA_SELECTOR,
                USER_CODE_SELECTOR,
                TSS_SELECTOR
            ]
        );
        gdt
    });
    gdt.load();

    let null = SegmentSelector(0);
    // SAFETY: the selectors name valid descriptors of the GDT just loaded.
    unsafe {
        CS::set_reg(KERNEL_CODE_SELECTOR);
        SS::set_reg(KERNEL_DATA_SELECTOR);
        DS::set_reg(null);
        ES::set_reg(null);
        FS::set_reg(null);
        GS::set_reg(null);
    }
    // SAFETY: TSS_SELECTOR names the available TSS descriptor appended above.
    unsafe { load_tss(TSS_SELECTOR) };
}

/// Sets the stack the CPU switches to on an interrupt from user mode
/// (TSS.RSP0).
pub fn set_kernel_stack(top: u64) {
    crate::irq::without_interrupts(|| {
        // SAFETY: see `TssCell`; the CPU reads rsp0 only on a privilege change,
        // which cannot happen while interrupts are off in kernel mode.
        unsafe { (*TSS.0.get()).privilege_stack_table[0] = VirtAddr::new(top) };
    });
}
