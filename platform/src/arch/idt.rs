//! The IDT: every vector points at its entry stub in `trap`.

use core::cell::UnsafeCell;
use core::mem::size_of;

use x86_64::instructions::tables::lidt;
use x86_64::structures::DescriptorTablePointer;
use x86_64::VirtAddr;

use super::gdt::{self, KERNEL_CODE_SELECTOR};
use super::trap;

const VECTOR_COUNT: usize = 256;
/// Present, 64-bit interrupt gate (IF cleared on entry).
const GATE_INTERRUPT: u8 = 0x8e;
/// Descriptor privilege level 3: user mode may raise the vector with `int`.
const GATE_DPL_USER: u8 = 3 << 5;

#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    flags: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

impl Gate {
    const MISSING: Gate = Gate {
        offset_low: 0,
        selector: 0,
        ist: 0,
        flags: 0,
        offset_mid: 0,
        offset_high: 0,
        reserved: 0,
    };

    fn new(handler: u64, ist: u8, flags: u8) -> Gate {
        Gate {
            offset_low: handler as u16,
            selector: KERNEL_CODE_SELECTOR.0,
            ist,
            flags,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct Idt(UnsafeCell<[Gate; VECTOR_COUNT]>);

// SAFETY: written once by `init` on the boot CPU before `lidt`, read-only
// afterwards.
unsafe impl Sync for Idt {}

static IDT: Idt = Idt(UnsafeCell::new([Gate::MISSING; VECTOR_COUNT]));

/// Fills the IDT and loads it.
pub fn init() {
    // SAFETY: see `Idt`; no other reference to the table exists yet.
    let table = unsafe { &mut *IDT.0.get() };
    for (vector, gate) in table.iter_mut().enumerate() {
        let vector = vector as u8;
        let ist = match vector {
            trap::DOUBLE_FAULT_VECTOR => gdt::DOUBLE_FAULT_IST,
            trap::NMI_VECTOR => gdt::NMI_IST,
            trap::MACHINE_CHECK_VECTOR => gdt::MACHINE_CHECK_IST,
            _ => 0,
        };
        let flags = match vector {
            trap::BREAKPOINT_VECTOR | trap::OVERFLOW_VECTOR => GATE_INTERRUPT | GATE_DPL_USER,
            _ => GATE_INTERRUPT,
        };
        *gate = Gate::new(trap::stub_address(vector), ist, flags);
    }

    let pointer = DescriptorTablePointer {
        limit: (size_of::<[Gate; VECTOR_COUNT]>() - 1) as u16,
        base: VirtAddr::from_ptr(IDT.0.get()),
    };
    // SAFETY: the table is static and every gate points at a valid stub.
    unsafe { lidt(&pointer) };
}
