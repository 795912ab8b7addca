//! The `syscall` instruction's entry and the return to ring 3.
//!
//! `syscall` lands in [`syscall_entry`] with interrupts masked (SFMASK), the user RIP in
//! RCX, the user RFLAGS in R11 and the user stack still in RSP. The stub swaps GS to the
//! per-CPU block, moves to the task's kernel stack, builds a [`TrapFrame`] with
//! `vector = SYSCALL_VECTOR` and hands it to the kernel's `syscall` handler and then its
//! `return_to_user` hook (through [`trap::syscall_dispatch`]). It leaves with `sysretq`
//! when the frame allows it (RCX/R11 equal RIP/RFLAGS and RIP is a canonical user
//! address), otherwise with `iretq`, which restores every register exactly (after
//! `rt_sigreturn`, for instance).
//!
//! A brand-new user task leaves through the same `iretq` path (see
//! [`super::switch::prepare_user_entry`]).

use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::registers::model_specific::{Efer, EferFlags, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;
use x86_64::VirtAddr;

use super::gdt::{
    KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR, USER_CODE_SELECTOR, USER_DATA_SELECTOR,
};
use super::percpu::{self, KERNEL_STACK_TOP_OFFSET, USER_RSP_OFFSET};
use super::trap::{self, TrapFrame, GENERAL_PROTECTION_VECTOR, SYSCALL_VECTOR};

/// End of the user half: user RIPs lie below it.
const USER_ADDR_LIMIT: u64 = 0x0000_8000_0000_0000;
/// RFLAGS bit 1 is reserved and always set.
const RFLAGS_RESERVED_ONE: u64 = 1 << 1;
/// The RFLAGS bits user code may hold; anything else (IOPL, NT, VM, VIF, VIP) is cleared
/// before returning to ring 3, so a forged frame cannot raise privileges or make `iretq`
/// fault.
const USER_RFLAGS_MASK: u64 = RFlags::CARRY_FLAG.bits()
    | RFlags::PARITY_FLAG.bits()
    | RFlags::AUXILIARY_CARRY_FLAG.bits()
    | RFlags::ZERO_FLAG.bits()
    | RFlags::SIGN_FLAG.bits()
    | RFlags::TRAP_FLAG.bits()
    | RFlags::DIRECTION_FLAG.bits()
    | RFlags::OVERFLOW_FLAG.bits()
    | RFlags::RESUME_FLAG.bits()
    | RFlags::ALIGNMENT_CHECK.bits()
    | RFlags::ID.bits();

/// Enables `syscall`/`sysret` on this CPU: EFER.SCE, the selectors in STAR (kernel base
/// 0x08, user base 0x10), the entry point in LSTAR and the RFLAGS bits cleared on entry
/// (interrupts, direction, trap, alignment check, nested task and IOPL). Also turns on
/// EFER.NXE so user pages can be mapped non-executable.
pub fn init() {
    // SAFETY: SCE only makes `syscall` legal, and LSTAR/STAR/SFMASK below are set before
    // any ring-3 code runs. NXE makes bit 63 of page-table entries mean no-execute; the
    // kernel's own tables are built for long mode with it allowed.
    unsafe {
        Efer::update(|efer| {
            efer.insert(EferFlags::SYSTEM_CALL_EXTENSIONS | EferFlags::NO_EXECUTE_ENABLE)
        })
    };
    Star::write(
        USER_CODE_SELECTOR,
        USER_DATA_SELECTOR,
        KERNEL_CODE_SELECTOR,
        KERNEL_DATA_SELECTOR,
    )
    .expect("GDT order matches what syscall/sysret require");
    LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
    SFMask::write(
        RFlags::INTERRUPT_FLAG
            | RFlags::DIRECTION_FLAG
            | RFlags::TRAP_FLAG
            | RFlags::ALIGNMENT_CHECK
            | RFlags::NESTED_TASK
            | RFlags::IOPL_LOW
            | RFlags::IOPL_HIGH,
    );
    GP_STUB.store(
        trap::stub_address(GENERAL_PROTECTION_VECTOR),
        Ordering::Relaxed,
    );
    log::debug!("entry at {:#x}", syscall_entry as *const () as usize);
}

/// The `syscall` entry. See the module documentation for the register state on entry.
#[unsafe(naked)]
unsafe extern "C" fn syscall_entry() {
    core::arch::naked_asm!(
        "swapgs",
        "mov gs:[{user_rsp}], rsp",
        "mov rsp, gs:[{stack_top}]",
        "sub rsp, {frame_size}",
        "mov [rsp + {rax}], rax",
        "mov [rsp + {rbx}], rbx",
        "mov [rsp + {rcx}], rcx",
        "mov [rsp + {rdx}], rdx",
        "mov [rsp + {rsi}], rsi",
        "mov [rsp + {rdi}], rdi",
        "mov [rsp + {rbp}], rbp",
        "mov [rsp + {r8}], r8",
        "mov [rsp + {r9}], r9",
        "mov [rsp + {r10}], r10",
        "mov [rsp + {r11}], r11",
        "mov [rsp + {r12}], r12",
        "mov [rsp + {r13}], r13",
        "mov [rsp + {r14}], r14",
        "mov [rsp + {r15}], r15",
        "mov qword ptr [rsp + {vector}], {syscall_vector}",
        // The number stays in the error-code slot when RAX holds the result.
        "mov [rsp + {error_code}], rax",
        "mov [rsp + {rip}], rcx",
        "mov qword ptr [rsp + {cs}], {user_cs}",
        "mov [rsp + {rflags}], r11",
        "mov rax, gs:[{user_rsp}]",
        "mov [rsp + {rsp_slot}], rax",
        "mov qword ptr [rsp + {ss}], {user_ss}",
        // No caller frame above this one, for backtraces.
        "xor ebp, ebp",
        "mov rdi, rsp",
        "call {dispatch}",
        "cmp al, {sysret}",
        "je 2f",
        "cmp al, {iret}",
        "je {iret_path}",
        "jmp {gp_path}",
        "2:",
        "mov rcx, [rsp + {rip}]",
        "mov r11, [rsp + {rflags}]",
        "mov rax, [rsp + {rax}]",
        "mov rbx, [rsp + {rbx}]",
        "mov rdx, [rsp + {rdx}]",
        "mov rsi, [rsp + {rsi}]",
        "mov rdi, [rsp + {rdi}]",
        "mov rbp, [rsp + {rbp}]",
        "mov r8, [rsp + {r8}]",
        "mov r9, [rsp + {r9}]",
        "mov r10, [rsp + {r10}]",
        "mov r12, [rsp + {r12}]",
        "mov r13, [rsp + {r13}]",
        "mov r14, [rsp + {r14}]",
        "mov r15, [rsp + {r15}]",
        "mov rsp, [rsp + {rsp_slot}]",
        "swapgs",
        "sysretq",
        user_rsp = const USER_RSP_OFFSET,
        stack_top = const KERNEL_STACK_TOP_OFFSET,
        frame_size = const size_of::<TrapFrame>(),
        rax = const offset_of!(TrapFrame, rax),
        rbx = const offset_of!(TrapFrame, rbx),
        rcx = const offset_of!(TrapFrame, rcx),
        rdx = const offset_of!(TrapFrame, rdx),
        rsi = const offset_of!(TrapFrame, rsi),
        rdi = const offset_of!(TrapFrame, rdi),
        rbp = const offset_of!(TrapFrame, rbp),
        r8 = const offset_of!(TrapFrame, r8),
        r9 = const offset_of!(TrapFrame, r9),
        r10 = const offset_of!(TrapFrame, r10),
        r11 = const offset_of!(TrapFrame, r11),
        r12 = const offset_of!(TrapFrame, r12),
        r13 = const offset_of!(TrapFrame, r13),
        r14 = const offset_of!(TrapFrame, r14),
        r15 = const offset_of!(TrapFrame, r15),
        vector = const offset_of!(TrapFrame, vector),
        error_code = const offset_of!(TrapFrame, error_code),
        rip = const offset_of!(TrapFrame, rip),
        cs = const offset_of!(TrapFrame, cs),
        rflags = const offset_of!(TrapFrame, rflags),
        rsp_slot = const offset_of!(TrapFrame, rsp),
        ss = const offset_of!(TrapFrame, ss),
        syscall_vector = const SYSCALL_VECTOR,
        user_cs = const USER_CODE_SELECTOR.0,
        user_ss = const USER_DATA_SELECTOR.0,
        dispatch = sym syscall_dispatch,
        sysret = const UserReturn::Sysret as u8,
        iret = const UserReturn::Iret as u8,
        iret_path = sym return_to_user_iret,
        gp_path = sym return_to_user_gp,
    );
}

/// Leaves for ring 3 through `iretq` with RSP pointing at a complete [`TrapFrame`] for a
/// user context. Entered by a jump with interrupts disabled and GS still the kernel's.
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn return_to_user_iret() {
    core::arch::naked_asm!(
        "mov rax, [rsp + {rax}]",
        "mov rbx, [rsp + {rbx}]",
        "mov rcx, [rsp + {rcx}]",
        "mov rdx, [rsp + {rdx}]",
        "mov rsi, [rsp + {rsi}]",
        "mov rdi, [rsp + {rdi}]",
        "mov rbp, [rsp + {rbp}]",
        "mov r8, [rsp + {r8}]",
        "mov r9, [rsp + {r9}]",
        "mov r10, [rsp + {r10}]",
        "mov r11, [rsp + {r11}]",
        "mov r12, [rsp + {r12}]",
        "mov r13, [rsp + {r13}]",
        "mov r14, [rsp + {r14}]",
        "mov r15, [rsp + {r15}]",
        "add rsp, {rip}",
        "swapgs",
        "iretq",
        rax = const offset_of!(TrapFrame, rax),
        rbx = const offset_of!(TrapFrame, rbx),
        rcx = const offset_of!(TrapFrame, rcx),
        rdx = const offset_of!(TrapFrame, rdx),
        rsi = const offset_of!(TrapFrame, rsi),
        rdi = const offset_of!(TrapFrame, rdi),
        rbp = const offset_of!(TrapFrame, rbp),
        r8 = const offset_of!(TrapFrame, r8),
        r9 = const offset_of!(TrapFrame, r9),
        r10 = const offset_of!(TrapFrame, r10),
        r11 = const offset_of!(TrapFrame, r11),
        r12 = const offset_of!(TrapFrame, r12),
        r13 = const offset_of!(TrapFrame, r13),
        r14 = const offset_of!(TrapFrame, r14),
        r15 = const offset_of!(TrapFrame, r15),
        rip = const offset_of!(TrapFrame, rip),
    );
}

/// Like [`return_to_user_iret`], but instead of `iretq` enters the #GP handler with the
/// frame as if the CPU had raised #GP in ring 3 (see [`UserReturn`]).
#[unsafe(naked)]
pub(crate) unsafe extern "C" fn return_to_user_gp() {
    core::arch::naked_asm!(
        "mov rax, [rsp + {rax}]",
        "mov rbx, [rsp + {rbx}]",
        "mov rcx, [rsp + {rcx}]",
        "mov rdx, [rsp + {rdx}]",
        "mov rsi, [rsp + {rsi}]",
        "mov rdi, [rsp + {rdi}]",
        "mov rbp, [rsp + {rbp}]",
        "mov r8, [rsp + {r8}]",
        "mov r9, [rsp + {r9}]",
        "mov r10, [rsp + {r10}]",
        "mov r11, [rsp + {r11}]",
        "mov r12, [rsp + {r12}]",
        "mov r13, [rsp + {r13}]",
        "mov r14, [rsp + {r14}]",
        "mov r15, [rsp + {r15}]",
        "add rsp, {rip}",
        // GS goes back to the user's: the trap entry swaps it again, seeing a user CS.
        "swapgs",
        // The error code #GP pushes; the stub then pushes the vector.
        "push 0",
        "jmp qword ptr [rip + {gp_stub}]",
        rax = const offset_of!(TrapFrame, rax),
        rbx = const offset_of!(TrapFrame, rbx),
        rcx = const offset_of!(TrapFrame, rcx),
        rdx = const offset_of!(TrapFrame, rdx),
        rsi = const offset_of!(TrapFrame, rsi),
        rdi = const offset_of!(TrapFrame, rdi),
        rbp = const offset_of!(TrapFrame, rbp),
        r8 = const offset_of!(TrapFrame, r8),
        r9 = const offset_of!(TrapFrame, r9),
        r10 = const offset_of!(TrapFrame, r10),
        r11 = const offset_of!(TrapFrame, r11),
        r12 = const offset_of!(TrapFrame, r12),
        r13 = const offset_of!(TrapFrame, r13),
        r14 = const offset_of!(TrapFrame, r14),
        r15 = const offset_of!(TrapFrame, r15),
        rip = const offset_of!(TrapFrame, rip),
        gp_stub = sym GP_STUB,
    );
}

// The iretq path pops rip, cs, rflags, rsp and ss in this order, directly from the frame.
const _: () = {
    assert!(offset_of!(TrapFrame, cs) == offset_of!(TrapFrame, rip) + 8);
    assert!(offset_of!(TrapFrame, rflags) == offset_of!(TrapFrame, rip) + 16);
    assert!(offset_of!(TrapFrame, rsp) == offset_of!(TrapFrame, rip) + 24);
    assert!(offset_of!(TrapFrame, ss) == offset_of!(TrapFrame, rip) + 32);
    assert!(size_of::<TrapFrame>() == offset_of!(TrapFrame, ss) + 8);
    // The #GP path pushes the error code right below rip.
    assert!(offset_of!(TrapFrame, error_code) + 8 == offset_of!(TrapFrame, rip));
    // Kernel stack tops are 16-aligned, and the frame sits right below the top.
    assert!(size_of::<TrapFrame>().is_multiple_of(16));
};

/// How a return to ring 3 leaves, decided in Rust and acted on by the assembly.
#[repr(u8)]
#[derive(Clone, Copy)]
pub(crate) enum UserReturn {
    /// `iretq` with the whole frame.
    Iret = 0,
    /// `sysretq`: the frame's RCX and R11 equal its RIP and RFLAGS.
    Sysret = 1,
    /// The RIP is not canonical, so `iretq` would fault in ring 0: enter the #GP handler
    /// as if the first user instruction had faulted, which is what the CPU does on a
    /// jump to such an address.
    RaiseGeneralProtection = 2,
}

/// Address of the IDT entry stub for #GP, used by [`UserReturn::RaiseGeneralProtection`].
static GP_STUB: AtomicU64 = AtomicU64::new(0);

/// Runs a system call for the frame built by [`syscall_entry`] and decides how to return.
/// Called with interrupts disabled; returns with them disabled.
extern "C" fn syscall_dispatch(frame: &mut TrapFrame) -> UserReturn {
    trap::syscall_dispatch(frame);
    match sanitize_user_frame(frame) {
        UserReturn::Iret if can_sysret(frame) => UserReturn::Sysret,
        other => other,
    }
}

/// Makes `frame` safe to return to ring 3 with `iretq`: user selectors, no privileged
/// RFLAGS bits (IOPL, NT, VM, VIF, VIP), interrupts enabled. Returns `Iret`, or
/// `RaiseGeneralProtection` for a non-canonical RIP.
pub(crate) fn sanitize_user_frame(frame: &mut TrapFrame) -> UserReturn {
    frame.cs = u64::from(USER_CODE_SELECTOR.0);
    frame.ss = u64::from(USER_DATA_SELECTOR.0);
    frame.rflags =
        (frame.rflags & USER_RFLAGS_MASK) | RFlags::INTERRUPT_FLAG.bits() | RFLAGS_RESERVED_ONE;
    if percpu::is_canonical(frame.rip) {
        UserReturn::Iret
    } else {
        UserReturn::RaiseGeneralProtection
    }
}

/// Whether `sysretq` restores this frame exactly: it loads RIP from RCX and RFLAGS from
/// R11, and faults in ring 0 on a non-canonical RIP. A set TF or RF would also not
/// survive it faithfully.
fn can_sysret(frame: &TrapFrame) -> bool {
    let awkward_flags = RFlags::TRAP_FLAG.bits() | RFlags::RESUME_FLAG.bits();
    frame.rip < USER_ADDR_LIMIT
        && frame.rcx == frame.rip
        && frame.r11 == frame.rflags
        && frame.rflags & awkward_flags == 0
}
