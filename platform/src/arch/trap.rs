//! Trap entry and dispatch: exceptions, device interrupts and (through
//! `syscall`) system calls all arrive as one [`TrapFrame`].
//!
//! Each IDT vector has a 16-byte stub that pushes a zero error code where the
//! CPU pushes none, then the vector number, and jumps to a common path that
//! saves the general registers and calls [`trap_dispatch`]. Entries from user
//! mode swap GS to the kernel's per-CPU base on the way in and back on the
//! way out. The kernel registers its handlers once with [`register`].

use core::arch::{asm, global_asm};
use core::mem::offset_of;
use core::sync::atomic::{AtomicU64, Ordering};

use spin::Once;
use x86_64::registers::control::Cr2;
use x86_64::registers::rflags::RFlags;

use super::{extable, usercopy};
use crate::{apic, power, serial, time};

/// The registers saved on every trap, lowest address first.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    /// The CPU's error code for an exception; for a system call, the number it
    /// was made with (see [`TrapFrame::syscall_number`]).
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Requested privilege level bits of a selector.
const SELECTOR_RPL_MASK: u64 = 0b11;

impl TrapFrame {
    /// The number a system call frame was entered with, kept while `rax` takes
    /// the result (Linux's `orig_ax`), so that an interrupted call can be made
    /// again.
    pub fn syscall_number(&self) -> u64 {
        self.error_code
    }

    /// Whether the trap interrupted user mode.
    pub fn is_user(&self) -> bool {
        self.cs & SELECTOR_RPL_MASK == 3
    }
}

// Exception vectors (Intel SDM vol. 3, table 6-1).
pub const DIVIDE_ERROR_VECTOR: u8 = 0;
pub const DEBUG_VECTOR: u8 = 1;
pub const NMI_VECTOR: u8 = 2;
pub const BREAKPOINT_VECTOR: u8 = 3;
pub const OVERFLOW_VECTOR: u8 = 4;
pub const BOUND_RANGE_VECTOR: u8 = 5;
pub const INVALID_OPCODE_VECTOR: u8 = 6;
pub const DEVICE_NOT_AVAILABLE_VECTOR: u8 = 7;
pub const DOUBLE_FAULT_VECTOR: u8 = 8;
pub const INVALID_TSS_VECTOR: u8 = 10;
pub const SEGMENT_NOT_PRESENT_VECTOR: u8 = 11;
pub const STACK_SEGMENT_VECTOR: u8 = 12;
pub const GENERAL_PROTECTION_VECTOR: u8 = 13;
pub const PAGE_FAULT_VECTOR: u8 = 14;
pub const X87_FLOATING_POINT_VECTOR: u8 = 16;
pub const ALIGNMENT_CHECK_VECTOR: u8 = 17;
pub const MACHINE_CHECK_VECTOR: u8 = 18;
pub const SIMD_FLOATING_POINT_VECTOR: u8 = 19;
pub const VIRTUALIZATION_VECTOR: u8 = 20;
pub const CONTROL_PROTECTION_VECTOR: u8 = 21;
pub const HYPERVISOR_INJECTION_VECTOR: u8 = 28;
pub const VMM_COMMUNICATION_VECTOR: u8 = 29;
pub const SECURITY_VECTOR: u8 = 30;
/// Vectors below this one are exceptions.
pub const FIRST_INTERRUPT_VECTOR: u8 = 32;
/// The local APIC timer.
pub const TIMER_VECTOR: u8 = 0x20;
/// ISA IRQ `n` is routed to vector `ISA_IRQ_BASE_VECTOR + n`.
pub const ISA_IRQ_BASE_VECTOR: u8 = 0x30;
/// Spurious interrupts from the local APIC; they take no EOI.
pub const SPURIOUS_VECTOR: u8 = 0xff;
/// `TrapFrame::vector` of a frame built by the `syscall` entry; no IDT vector.
pub const SYSCALL_VECTOR: u64 = 0x100;

/// A device interrupt, as the kernel sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Irq {
    /// The periodic timer, `time::TICK_HZ` times a second.
    Timer,
    /// COM1 received data; drain it with `serial::read_byte`.
    Serial,
    /// Any other vector.
    Other(u8),
}

/// Page-fault error code bits (SDM vol. 3, 4.7).
pub const PF_PRESENT: u64 = 1 << 0;
const PF_WRITE: u64 = 1 << 1;
const PF_USER: u64 = 1 << 2;
const PF_INSTRUCTION: u64 = 1 << 4;

/// What a faulting access was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultAccess {
    pub write: bool,
    pub exec: bool,
    pub user: bool,
    /// The page was present (a protection fault, not a missing page).
    pub present: bool,
}

impl FaultAccess {
    fn from_error_code(code: u64) -> Self {
        Self {
            write: code & PF_WRITE != 0,
            exec: code & PF_INSTRUCTION != 0,
            user: code & PF_USER != 0,
            present: code & PF_PRESENT != 0,
        }
    }
}

/// The kernel's trap handlers.
pub struct TrapHandlers {
    pub syscall: fn(&mut TrapFrame),
    /// Page fault at `addr`; return true if the kernel resolved it (demand
    /// paging, copy on write).
    pub page_fault: fn(frame: &mut TrapFrame, addr: u64, access: FaultAccess) -> bool,
    /// Any other exception raised in user mode (#UD, #DE, #GP, #BR, ...), and
    /// user page faults `page_fault` did not resolve.
    pub user_exception: fn(frame: &mut TrapFrame, vector: u8),
    /// A device interrupt (timer tick, serial receive), already acknowledged.
    pub irq: fn(frame: &mut TrapFrame, irq: Irq),
    /// Called last whenever the frame returns to user mode: signal delivery
    /// and rescheduling go here.
    pub return_to_user: fn(&mut TrapFrame),
}

static HANDLERS: Once<TrapHandlers> = Once::new();

/// Installs the kernel's handlers. Only the first call has an effect.
pub fn register(handlers: TrapHandlers) {
    if HANDLERS.is_completed() {
        log::warn!("handlers already registered");
    }
    HANDLERS.call_once(|| handlers);
}

/// The registered handlers, if the kernel registered them yet.
pub fn handlers() -> Option<&'static TrapHandlers> {
    HANDLERS.get()
}

const STUB_SIZE: u64 = 16;
const CS_ABOVE_VECTOR: usize = offset_of!(TrapFrame, cs) - offset_of!(TrapFrame, vector);

// The 256 stubs, generated by nested `.irp` so each vector is a literal.
// Vectors 8, 10-14, 17, 21, 29 and 30 come with an error code from the CPU.
global_asm!(
    r#"
    .section .text.trap, "ax"
    .balign 16
    .global kestrel_trap_stubs
kestrel_trap_stubs:
    .irp hi, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .irp lo, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .balign {stub_size}
    .set stub_vector, \hi * 16 + \lo
    .if (stub_vector == 8) || (stub_vector >= 10 && stub_vector <= 14) || (stub_vector == 17)
    .elseif (stub_vector == 21) || (stub_vector == 29) || (stub_vector == 30)
    .else
    pushq $0
    .endif
    pushq $(\hi * 16 + \lo)
    jmp kestrel_trap_common
    .endr
    .endr

kestrel_trap_common:
    testb $3, {cs_above_vector}(%rsp)
    jz 2f
    swapgs
2:  pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    cld
    call {dispatch}

    .global kestrel_trap_return
kestrel_trap_return:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    testb $3, {cs_above_vector}(%rsp)
    jz 3f
    swapgs
3:  addq $16, %rsp
    iretq
    "#,
    stub_size = const STUB_SIZE,
    cs_above_vector = const CS_ABOVE_VECTOR,
    dispatch = sym trap_dispatch,
    options(att_syntax)
);

unsafe extern "C" {
    static kestrel_trap_stubs: u8;
    fn kestrel_trap_return();
}

/// Address of the entry stub of `vector`.
pub(crate) fn stub_address(vector: u8) -> u64 {
    let base = core::ptr::addr_of!(kestrel_trap_stubs) as u64;
    base + u64::from(vector) * STUB_SIZE
}

/// Address of the trap exit path: jumped to with `rsp` pointing at a
/// [`TrapFrame`], it restores that frame and returns with `iretq` (swapping
/// GS first when the frame is a user one). New tasks start through it.
pub fn trap_return_address() -> u64 {
    kestrel_trap_return as *const () as u64
}

extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    match vector {
        PAGE_FAULT_VECTOR => page_fault(frame),
        0..FIRST_INTERRUPT_VECTOR => exception(frame, vector),
        SPURIOUS_VECTOR => {}
        _ => interrupt(frame, vector),
    }
    if frame.is_user() {
        if let Some(handlers) = HANDLERS.get() {
            (handlers.return_to_user)(frame);
        }
    }
}

/// Entry for the `syscall` path: `frame` was built by the syscall stub with
/// `vector == SYSCALL_VECTOR`. Entered and left with interrupts disabled.
pub fn syscall_dispatch(frame: &mut TrapFrame) {
    let Some(handlers) = HANDLERS.get() else {
        oops(
            frame,
            "system call before the kernel registered its handlers",
        );
    };
    // SFMASK masked interrupts for the entry; the call itself may block or run long.
    x86_64::instructions::interrupts::enable();
    (handlers.syscall)(frame);
    // The way out runs with interrupts off, as it does after an interrupt or
    // exception: its locks then cost no interrupt-flag changes, and nothing
    // can make work for it between its checks and the return.
    x86_64::instructions::interrupts::disable();
    (handlers.return_to_user)(frame);
}

/// Whether a kernel-mode page fault is SMAP refusing an access to a present
/// user page outside the user-copy routines (which run with RFLAGS.AC set).
/// No page-table change can make such an access legal, so it goes straight
/// to the exception table (or stops the kernel) instead of being retried.
fn is_smap_violation(frame: &TrapFrame, addr: u64, access: FaultAccess) -> bool {
    !frame.is_user()
        && !access.user
        && access.present
        && addr < usercopy::USER_ADDR_LIMIT
        && usercopy::smap_enabled()
        && frame.rflags & RFlags::ALIGNMENT_CHECK.bits() == 0
}

fn page_fault(frame: &mut TrapFrame) {
    let addr = Cr2::read_raw();
    let access = FaultAccess::from_error_code(frame.error_code);
    if is_smap_violation(frame, addr, access) {
        log::error!("SMAP refused a kernel access to user address {addr:#x}");
    } else if let Some(handlers) = HANDLERS.get() {
        if (handlers.page_fault)(frame, addr, access) {
            return;
        }
    }
    if frame.is_user() {
        user_exception(frame, PAGE_FAULT_VECTOR);
    } else if let Some(fixup) = extable::search(frame.rip) {
        frame.rip = fixup;
    } else {
        oops(frame, "page fault in kernel mode");
    }
}

fn exception(frame: &mut TrapFrame, vector: u8) {
    if frame.is_user() {
        user_exception(frame, vector);
        return;
    }
    // A general protection fault in a user copy (a non-canonical pointer)
    // recovers through the exception table like a page fault.
    if vector == GENERAL_PROTECTION_VECTOR {
        if let Some(fixup) = extable::search(frame.rip) {
            frame.rip = fixup;
            return;
        }
    }
    oops(frame, "exception in kernel mode");
}

fn user_exception(frame: &mut TrapFrame, vector: u8) {
    match HANDLERS.get() {
        Some(handlers) => (handlers.user_exception)(frame, vector),
        None => oops(frame, "user-mode exception with no handler registered"),
    }
}

/// Interrupts taken per vector, since boot.
static INTERRUPT_COUNTS: [AtomicU64; 256] = [const { AtomicU64::new(0) }; 256];

/// How many interrupts arrived on `vector` since boot.
pub fn interrupt_count(vector: u8) -> u64 {
    INTERRUPT_COUNTS[usize::from(vector)].load(Ordering::Relaxed)
}

fn interrupt(frame: &mut TrapFrame, vector: u8) {
    INTERRUPT_COUNTS[usize::from(vector)].fetch_add(1, Ordering::Relaxed);
    let irq = match vector {
        TIMER_VECTOR => Irq::Timer,
        v if v == ISA_IRQ_BASE_VECTOR + serial::COM1_IRQ => Irq::Serial,
        v => Irq::Other(v),
    };
    if irq == Irq::Timer {
        time::on_tick();
    }
    // Acknowledge first: the handler may switch to another task.
    apic::end_of_interrupt();
    match HANDLERS.get() {
        Some(handlers) => (handlers.irq)(frame, irq),
        None => default_irq(irq),
    }
}

/// Interrupt handling before the kernel registered its own.
fn default_irq(irq: Irq) {
    match irq {
        Irq::Timer => {}
        Irq::Serial => while serial::read_byte().is_some() {},
        Irq::Other(vector) => log::warn!("unexpected interrupt on vector {vector}"),
    }
}

/// Name of an exception vector.
pub fn exception_name(vector: u8) -> &'static str {
    match vector {
        DIVIDE_ERROR_VECTOR => "divide error (#DE)",
        DEBUG_VECTOR => "debug (#DB)",
        NMI_VECTOR => "non-maskable interrupt",
        BREAKPOINT_VECTOR => "breakpoint (#BP)",
        OVERFLOW_VECTOR => "overflow (#OF)",
        BOUND_RANGE_VECTOR => "bound range exceeded (#BR)",
        INVALID_OPCODE_VECTOR => "invalid opcode (#UD)",
        DEVICE_NOT_AVAILABLE_VECTOR => "device not available (#NM)",
        DOUBLE_FAULT_VECTOR => "double fault (#DF)",
        INVALID_TSS_VECTOR => "invalid TSS (#TS)",
        SEGMENT_NOT_PRESENT_VECTOR => "segment not present (#NP)",
        STACK_SEGMENT_VECTOR => "stack-segment fault (#SS)",
        GENERAL_PROTECTION_VECTOR => "general protection fault (#GP)",
        PAGE_FAULT_VECTOR => "page fault (#PF)",
        X87_FLOATING_POINT_VECTOR => "x87 floating-point error (#MF)",
        ALIGNMENT_CHECK_VECTOR => "alignment check (#AC)",
        MACHINE_CHECK_VECTOR => "machine check (#MC)",
        SIMD_FLOATING_POINT_VECTOR => "SIMD floating-point exception (#XM)",
        VIRTUALIZATION_VECTOR => "virtualization exception (#VE)",
        CONTROL_PROTECTION_VECTOR => "control protection (#CP)",
        HYPERVISOR_INJECTION_VECTOR => "hypervisor injection (#HV)",
        VMM_COMMUNICATION_VECTOR => "VMM communication (#VC)",
        SECURITY_VECTOR => "security exception (#SX)",
        _ => "reserved exception",
    }
}

/// Reports an unrecoverable trap and stops the machine.
fn oops(frame: &TrapFrame, why: &str) -> ! {
    serial::bypass_lock();
    let vector = frame.vector as u8;
    let mode = if frame.is_user() { "user" } else { "kernel" };
    log::error!("oops: {why}: {} (vector {vector})", exception_name(vector));
    log::error!(
        "  error code {:#x}  rip {:#018x}  rsp {:#018x}  cr2 {:#018x}  mode {mode}",
        frame.error_code,
        frame.rip,
        frame.rsp,
        Cr2::read_raw()
    );
    log::error!(
        "  rax {:#018x} rbx {:#018x} rcx {:#018x} rdx {:#018x}",
        frame.rax,
        frame.rbx,
        frame.rcx,
        frame.rdx
    );
    log::error!(
        "  rsi {:#018x} rdi {:#018x} rbp {:#018x} rflags {:#x} cs {:#x} ss {:#x}",
        frame.rsi,
        frame.rdi,
        frame.rbp,
        frame.rflags,
        frame.cs,
        frame.ss
    );
    if !frame.is_user() {
        log::error!("backtrace:");
        log::error!("  #0  {:#018x}", frame.rip);
        super::backtrace::walk_from(frame.rbp, |depth, address| {
            log::error!("  #{:<2} {address:#018x}", depth + 1);
        });
    }
    power::exit_qemu(power::QemuExitCode::Failure)
}

/// An exception raised on purpose, to check how the kernel reports one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliberateFault {
    /// A read of an unmapped kernel page, outside the exception table.
    PageFault,
    /// `ud2`.
    InvalidOpcode,
    /// `int3` in kernel mode.
    Breakpoint,
}

/// Raises `fault` in kernel mode. None of them is recoverable, so this
/// reports the oops and stops the machine.
pub fn raise(fault: DeliberateFault) -> ! {
    let unmapped = crate::mm::paging::SCRATCH_BASE.as_u64();
    match fault {
        // SAFETY: the scratch page is not mapped; the read faults and the
        // oops path stops the machine, so nothing observes a value.
        DeliberateFault::PageFault => unsafe {
            asm!("mov {tmp}, qword ptr [{addr}]", addr = in(reg) unmapped, tmp = out(reg) _);
        },
        // SAFETY: raises #UD, which stops the machine.
        DeliberateFault::InvalidOpcode => unsafe { asm!("ud2") },
        // SAFETY: raises #BP, which stops the machine in kernel mode.
        DeliberateFault::Breakpoint => unsafe { asm!("int3") },
    }
    unreachable!("a deliberate {fault:?} returned")
}
