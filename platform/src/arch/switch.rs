//! Kernel stacks and switching between tasks.
//!
//! Every task has a [`KernelStack`] and a [`SwitchContext`]. [`switch`] saves the
//! callee-saved registers, stack pointer and resume address of the running task into one
//! context and resumes another; for user tasks it also saves and restores the FPU/vector
//! state, the FS base and the user GS base, and points the per-CPU kernel stack (syscall
//! entry, `TSS.rsp0`) at the new task's stack.
//!
//! The top [`TrapFrame`]-sized slot of every kernel stack is reserved for the frame of the
//! user context: the syscall entry and interrupts from ring 3 build it there, and
//! [`prepare_user_entry`] writes the first one of a new task there.

use alloc::boxed::Box;
use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicUsize, Ordering};

use super::fpu::FpuState;
use super::percpu;
use super::syscall::{return_to_user_gp, return_to_user_iret, sanitize_user_frame, UserReturn};
use super::trap::TrapFrame;

mod stack;

pub use stack::{KernelStack, OutOfMemory, KERNEL_STACK_SIZE};

/// Where a suspended task resumes, and the state [`switch`] carries besides it.
#[repr(C)]
pub struct SwitchContext {
    rsp: u64,
    rip: u64,
    rbx: u64,
    rbp: u64,
    r12: u64,
    r13: u64,
    r14: u64,
    r15: u64,
    /// Top of the task's kernel stack; 0 for the boot context, which never enters ring 3.
    kernel_stack_top: u64,
    /// Saved FS base (user thread pointer) of a user task.
    fs_base: u64,
    /// Saved user GS base of a user task.
    user_gs_base: u64,
    /// The FPU/vector state of a user task; kernel tasks have none.
    fpu: Option<Box<FpuState>>,
}

/// The hook every new task runs first (see [`set_task_start_hook`]), as a `fn()` address.
static TASK_START_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Registers a function that every new task (user or kernel) runs first, on its own
/// stack, right after the first [`switch`] to it and before interrupts are enabled: the
/// place for the scheduler to finish the switch (release what it held across it).
pub fn set_task_start_hook(hook: fn()) {
    TASK_START_HOOK.store(hook as usize, Ordering::Release);
}

fn run_task_start_hook() {
    let raw = TASK_START_HOOK.load(Ordering::Acquire);
    if raw != 0 {
        // SAFETY: the only non-zero value ever stored is a `fn()` converted to usize by
        // `set_task_start_hook`.
        let hook: fn() = unsafe { core::mem::transmute::<usize, fn()>(raw) };
        hook();
    }
}

impl SwitchContext {
    /// An empty context for the code already running on a CPU (the boot or idle thread):
    /// [`switch`] fills it when that code switches away, so it can be resumed later.
    pub const fn new() -> Self {
        SwitchContext {
            rsp: 0,
            rip: 0,
            rbx: 0,
            rbp: 0,
            r12: 0,
            r13: 0,
            r14: 0,
            r15: 0,
            kernel_stack_top: 0,
            fs_base: 0,
            user_gs_base: 0,
            fpu: None,
        }
    }

    /// The FS base the task will resume with.
    pub fn fs_base(&self) -> u64 {
        self.fs_base
    }

    /// Sets the FS base the task will resume with (`clone` with `CLONE_SETTLS`). The value
    /// must be canonical; a non-canonical one is refused.
    pub fn set_fs_base(&mut self, base: u64) -> Result<(), percpu::NonCanonical> {
        if !percpu::is_canonical(base) {
            return Err(percpu::NonCanonical);
        }
        self.fs_base = base;
        Ok(())
    }

    /// The saved FPU state of a user task while it is not running.
    pub fn fpu(&self) -> Option<&FpuState> {
        self.fpu.as_deref()
    }

    /// The saved FPU state of a user task while it is not running, for changes.
    pub fn fpu_mut(&mut self) -> Option<&mut FpuState> {
        self.fpu.as_deref_mut()
    }

    /// Copies the running task's FS base, user GS base and live FPU state into this (not
    /// yet started) context, as `fork` and `clone` need.
    pub fn inherit_from_current(&mut self) {
        self.fs_base = percpu::fs_base();
        self.user_gs_base = percpu::user_gs_base();
        let mut fpu = Box::new(FpuState::new());
        fpu.save();
        self.fpu = Some(fpu);
    }
}

impl Default for SwitchContext {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds the context of a new user task: on its first [`switch`] it runs the task-start
/// hook and enters ring 3 with exactly that frame (the kernel's `return_to_user` hook is
/// not run for this first entry) (its `cs`, `ss` and privileged RFLAGS bits are forced to user
/// values). FS and GS bases start at zero and the FPU in its clean state; use
/// [`SwitchContext::inherit_from_current`] and friends to change that.
///
/// Overwrites the reserved top slot of `stack`; the stack must not hold a suspended
/// context that is still to be resumed (the exclusive borrow makes the caller own it).
pub fn prepare_user_entry(stack: &mut KernelStack, frame: &TrapFrame) -> SwitchContext {
    let top = stack.top();
    let frame_addr = top - size_of::<TrapFrame>() as u64;
    // SAFETY: the top TrapFrame slot of a kernel stack is reserved for the user frame and
    // never holds anything else (kernel tasks start below it), the slot is inside the
    // stack's mapped, 16-aligned range, and `&mut` means no task is running on it.
    unsafe { (frame_addr as *mut TrapFrame).write(*frame) };

    SwitchContext {
        rsp: frame_addr,
        rip: user_task_trampoline as *const () as u64,
        kernel_stack_top: top,
        fpu: Some(Box::new(FpuState::new())),
        ..SwitchContext::new()
    }
}

/// Builds the context of a new kernel task (idle loop, kernel thread): on its first
/// [`switch`] it runs the task-start hook, enables interrupts and calls `entry(arg)`.
pub fn prepare_kernel_entry(
    stack: &mut KernelStack,
    entry: fn(usize) -> !,
    arg: usize,
) -> SwitchContext {
    SwitchContext {
        // Start below the reserved user frame slot; the slot size keeps 16-alignment.
        rsp: stack.top() - size_of::<TrapFrame>() as u64,
        rip: kernel_task_trampoline as *const () as u64,
        r12: entry as usize as u64,
        r13: arg as u64,
        kernel_stack_top: stack.top(),
        ..SwitchContext::new()
    }
}

/// Suspends the running task into `prev` and resumes `next`; returns when some later
/// `switch` resumes `prev`.
///
/// The scheduler must guarantee, although the signature cannot: both pointers are valid
/// and distinct; `prev` stays valid and untouched until it is resumed; `next` was filled by
/// an earlier `switch` or built by `prepare_*` and is resumed on one CPU only; `next`'s
/// kernel stack and address space are still alive; interrupts are disabled.
#[allow(clippy::not_unsafe_ptr_arg_deref)] // The signature is the platform contract.
pub fn switch(prev: *mut SwitchContext, next: *const SwitchContext) {
    // SAFETY: the caller guarantees both pointers are valid and distinct (see above).
    let (prev_ctx, next_ctx) = unsafe { (&mut *prev, &*next) };

    if let Some(fpu) = prev_ctx.fpu.as_mut() {
        fpu.save();
        prev_ctx.fs_base = percpu::fs_base();
        prev_ctx.user_gs_base = percpu::user_gs_base();
    }
    if let Some(fpu) = next_ctx.fpu.as_ref() {
        fpu.restore();
        // Both values were canonical when saved or set.
        let _ = percpu::set_fs_base(next_ctx.fs_base);
        let _ = percpu::set_user_gs_base(next_ctx.user_gs_base);
    }
    if next_ctx.kernel_stack_top != 0 {
        percpu::set_kernel_stack(next_ctx.kernel_stack_top);
    }

    // SAFETY: per the contract above, `next` holds a resumable register state on a live
    // stack; `switch_registers` saves ours into `prev` first.
    unsafe { switch_registers(prev, next) };
}

/// Saves the callee-saved registers, RSP and the return address into `prev`, loads those
/// of `next` and jumps to its resume address.
#[unsafe(naked)]
unsafe extern "C" fn switch_registers(prev: *mut SwitchContext, next: *const SwitchContext) {
    core::arch::naked_asm!(
        "mov rax, [rsp]",
        "mov [rdi + {rip}], rax",
        "lea rax, [rsp + 8]",
        "mov [rdi + {rsp}], rax",
        "mov [rdi + {rbx}], rbx",
        "mov [rdi + {rbp}], rbp",
        "mov [rdi + {r12}], r12",
        "mov [rdi + {r13}], r13",
        "mov [rdi + {r14}], r14",
        "mov [rdi + {r15}], r15",
        // Reload SS with the kernel data selector: an interrupt may have left it null,
        // and AMD CPUs then carry unusable SS attributes through a later sysret.
        "mov eax, {kernel_ss}",
        "mov ss, eax",
        "mov rbx, [rsi + {rbx}]",
        "mov rbp, [rsi + {rbp}]",
        "mov r12, [rsi + {r12}]",
        "mov r13, [rsi + {r13}]",
        "mov r14, [rsi + {r14}]",
        "mov r15, [rsi + {r15}]",
        "mov rsp, [rsi + {rsp}]",
        "jmp qword ptr [rsi + {rip}]",
        rip = const offset_of!(SwitchContext, rip),
        rsp = const offset_of!(SwitchContext, rsp),
        rbx = const offset_of!(SwitchContext, rbx),
        rbp = const offset_of!(SwitchContext, rbp),
        r12 = const offset_of!(SwitchContext, r12),
        r13 = const offset_of!(SwitchContext, r13),
        r14 = const offset_of!(SwitchContext, r14),
        r15 = const offset_of!(SwitchContext, r15),
        kernel_ss = const super::gdt::KERNEL_DATA_SELECTOR.0,
    );
}

/// First code of a new user task; RSP points at its TrapFrame.
#[unsafe(naked)]
unsafe extern "C" fn user_task_trampoline() {
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "call {start}",
        "cmp al, {iret}",
        "je {iret_path}",
        "jmp {gp_path}",
        start = sym user_task_start,
        iret = const UserReturn::Iret as u8,
        iret_path = sym return_to_user_iret,
        gp_path = sym return_to_user_gp,
    );
}

extern "C" fn user_task_start(frame: &mut TrapFrame) -> UserReturn {
    run_task_start_hook();
    x86_64::instructions::interrupts::disable();
    sanitize_user_frame(frame)
}

/// First code of a new kernel task; R12 holds the entry function, R13 its argument.
#[unsafe(naked)]
unsafe extern "C" fn kernel_task_trampoline() {
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, r12",
        "mov rsi, r13",
        "call {start}",
        "ud2",
        start = sym kernel_task_start,
    );
}

extern "C" fn kernel_task_start(entry: usize, arg: usize) -> ! {
    run_task_start_hook();
    x86_64::instructions::interrupts::enable();
    // SAFETY: `prepare_kernel_entry` stored a `fn(usize) -> !` as this usize.
    let entry: fn(usize) -> ! = unsafe { core::mem::transmute::<usize, fn(usize) -> !>(entry) };
    entry(arg)
}
