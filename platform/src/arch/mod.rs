//! x86_64 CPU structures: descriptor tables, traps, interrupt masking.

pub mod backtrace;
pub mod cpu;
pub mod extable;
pub mod fpu;
pub mod gdt;
pub mod idt;
pub mod irq;
pub mod percpu;
pub mod switch;
pub mod syscall;
pub mod trap;
pub mod usercopy;

pub use percpu::{fs_base, set_fs_base};

/// Loads the GDT, TSS and IDT and sets the CPU control bits the kernel
/// relies on. Runs first thing in both boot entries.
pub(crate) fn init_early() {
    gdt::init();
    idt::init();
    cpu::init();
}
