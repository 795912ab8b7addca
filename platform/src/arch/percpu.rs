//! The per-CPU block, reached through the GS segment base.
//!
//! While a CPU runs kernel code, `IA32_GS_BASE` points at its [`PerCpu`] block and
//! `IA32_KERNEL_GS_BASE` holds the user's GS base; every entry from and return to ring 3
//! executes `swapgs`, which exchanges the two. The block starts with a pointer to itself so
//! that Rust code can turn `gs:0` into a normal reference.
//!
//! The FS base (thread pointer of user TLS) is also handled here: with `CR4.FSGSBASE` the
//! `rdfsbase`/`wrfsbase` instructions are used, otherwise the `IA32_FS_BASE` MSR.

use core::mem::offset_of;
use core::sync::atomic::{AtomicBool, Ordering};

use raw_cpuid::CpuId;
use x86_64::registers::control::{Cr4, Cr4Flags};
use x86_64::registers::model_specific::{GsBase, KernelGsBase, Msr};
use x86_64::VirtAddr;

use super::gdt;

/// `IA32_FS_BASE`, the MSR behind the FS segment base (SDM vol. 4, table 2-2).
const IA32_FS_BASE: u32 = 0xc000_0100;

/// The per-CPU block. Fields are read and written only through this module's functions,
/// which address them relative to GS, so the layout is private but fixed (`repr(C)`).
#[repr(C)]
pub struct PerCpu {
    /// Linear address of this block (`gs:0`).
    self_ptr: u64,
    /// Top of the kernel stack of the task running on this CPU; the `syscall` entry
    /// switches to it.
    kernel_stack_top: u64,
    /// Scratch slot: the user stack pointer, saved by the `syscall` entry before it
    /// switches stacks.
    user_rsp: u64,
    /// The task running on this CPU, as an opaque value owned by the kernel.
    current_task: usize,
    /// Index of this CPU, 0 for the boot CPU.
    cpu_id: u64,
}

/// Offset of the kernel stack top inside [`PerCpu`], for the `syscall` entry stub.
pub(crate) const KERNEL_STACK_TOP_OFFSET: usize = offset_of!(PerCpu, kernel_stack_top);
/// Offset of the user stack pointer scratch slot, for the `syscall` entry stub.
pub(crate) const USER_RSP_OFFSET: usize = offset_of!(PerCpu, user_rsp);

/// The boot CPU's block. Later CPUs get theirs from the heap when SMP bring-up exists.
static mut BOOT_CPU: PerCpu = PerCpu {
    self_ptr: 0,
    kernel_stack_top: 0,
    user_rsp: 0,
    current_task: 0,
    cpu_id: 0,
};

/// Whether `CR4.FSGSBASE` was turned on, so `rdfsbase`/`wrfsbase` may run.
static FSGSBASE_ENABLED: AtomicBool = AtomicBool::new(false);

/// Installs the boot CPU's per-CPU block: GS base points at it, the kernel GS base (the
/// user's GS base while in the kernel) is zero. Also enables `CR4.FSGSBASE` when the CPU
/// has it. Run once on the boot CPU, with interrupts disabled, before the first entry to
/// ring 3.
pub fn init_boot_cpu() {
    let block = &raw mut BOOT_CPU;
    let addr = block as u64;
    // SAFETY: runs once on the boot CPU before anything reads the block through GS, so
    // nothing else accesses BOOT_CPU concurrently.
    unsafe { (*block).self_ptr = addr };
    GsBase::write(VirtAddr::new(addr));
    KernelGsBase::write(VirtAddr::zero());

    let has_fsgsbase = CpuId::new()
        .get_extended_feature_info()
        .is_some_and(|f| f.has_fsgsbase());
    if has_fsgsbase {
        // SAFETY: the CPU reports the feature, and turning it on only makes
        // rdfsbase/wrfsbase and friends legal; the entry paths decide whether to swapgs
        // from the saved CS, never from the GS base, so user-written bases are harmless.
        unsafe { Cr4::update(|flags| flags.insert(Cr4Flags::FSGSBASE)) };
        FSGSBASE_ENABLED.store(true, Ordering::Relaxed);
    }
    log::debug!("boot CPU block at {addr:#x}, fsgsbase {has_fsgsbase}");
}

/// This CPU's block.
fn this_cpu() -> *mut PerCpu {
    let ptr: u64;
    // SAFETY: GS points at an installed PerCpu block whenever kernel code runs (the
    // swapgs discipline guarantees it), and its first field is its own address.
    unsafe {
        core::arch::asm!(
            "mov {}, gs:[{off}]",
            out(reg) ptr,
            off = const offset_of!(PerCpu, self_ptr),
            options(nostack, preserves_flags, readonly, pure),
        )
    };
    ptr as *mut PerCpu
}

/// Sets the kernel stack used when this CPU enters the kernel from ring 3: both the
/// `syscall` entry's stack (per-CPU block) and `TSS.rsp0` (interrupts and exceptions).
/// The scheduler calls it when it switches tasks; [`super::switch::switch`] does it for
/// contexts that carry a stack.
pub fn set_kernel_stack(top: u64) {
    // SAFETY: only this CPU writes its own block, and the syscall entry (which reads the
    // field) cannot run on this CPU while kernel code is running.
    unsafe { (*this_cpu()).kernel_stack_top = top };
    gdt::set_kernel_stack(top);
}

/// The kernel stack top set by [`set_kernel_stack`].
pub fn kernel_stack_top() -> u64 {
    // SAFETY: a plain read of this CPU's own block.
    unsafe { (*this_cpu()).kernel_stack_top }
}

/// Records the task running on this CPU (an opaque value chosen by the kernel).
pub fn set_current_task(task: usize) {
    // SAFETY: only this CPU writes its own block.
    unsafe { (*this_cpu()).current_task = task };
}

/// The value last given to [`set_current_task`] on this CPU, 0 before the first.
pub fn current_task() -> usize {
    // SAFETY: a plain read of this CPU's own block.
    unsafe { (*this_cpu()).current_task }
}

/// Index of the CPU this code runs on (0 for the boot CPU).
pub fn cpu_id() -> u32 {
    // SAFETY: a plain read of this CPU's own block; the field never changes after init.
    unsafe { (*this_cpu()).cpu_id as u32 }
}

/// A segment base that is not a canonical address; the CPU would refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonCanonical;

/// Sets the FS segment base of the current context (the user thread pointer while a task
/// runs; `arch_prctl(ARCH_SET_FS)`). [`super::switch::switch`] saves and restores it.
pub fn set_fs_base(base: u64) -> Result<(), NonCanonical> {
    if !is_canonical(base) {
        return Err(NonCanonical);
    }
    if FSGSBASE_ENABLED.load(Ordering::Relaxed) {
        // SAFETY: CR4.FSGSBASE is on and the value is canonical; the kernel does not use
        // FS, so changing its base cannot break kernel code.
        unsafe { core::arch::asm!("wrfsbase {}", in(reg) base, options(nostack, preserves_flags)) };
    } else {
        // SAFETY: as above; writing IA32_FS_BASE is what wrfsbase does.
        unsafe { Msr::new(IA32_FS_BASE).write(base) };
    }
    Ok(())
}

/// The FS segment base of the current context.
pub fn fs_base() -> u64 {
    if FSGSBASE_ENABLED.load(Ordering::Relaxed) {
        let base: u64;
        // SAFETY: CR4.FSGSBASE is on, so rdfsbase is legal; it has no side effects.
        unsafe {
            core::arch::asm!("rdfsbase {}", out(reg) base, options(nostack, preserves_flags))
        };
        base
    } else {
        // SAFETY: reading IA32_FS_BASE has no side effects.
        unsafe { Msr::new(IA32_FS_BASE).read() }
    }
}

/// Sets the user's GS base (`arch_prctl(ARCH_SET_GS)`). While the kernel runs, the user
/// value lives in `IA32_KERNEL_GS_BASE` and the next `swapgs` to ring 3 installs it.
pub fn set_user_gs_base(base: u64) -> Result<(), NonCanonical> {
    let base = VirtAddr::try_new(base).map_err(|_| NonCanonical)?;
    KernelGsBase::write(base);
    Ok(())
}

/// The user's GS base, as set by [`set_user_gs_base`] or by user code with `wrgsbase`.
pub fn user_gs_base() -> u64 {
    KernelGsBase::read().as_u64()
}

/// Whether `addr` is canonical with 48-bit virtual addresses (bits 63..47 all equal).
pub(crate) fn is_canonical(addr: u64) -> bool {
    let upper = addr >> 47;
    upper == 0 || upper == (1 << 17) - 1
}
