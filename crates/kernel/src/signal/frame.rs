//! Signal frames: what a handler finds on its stack, and `rt_sigreturn`.
//!
//! The layout is Linux's x86_64 `rt_sigframe`: the return address (the
//! `sa_restorer` trampoline), a `ucontext` with the interrupted registers and
//! signal mask, the `siginfo`, and the FPU/vector state, 64-byte aligned.

use alloc::vec;

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;
use platform::arch::fpu::{self, FpuState};
use platform::arch::gdt::{USER_CODE_SELECTOR, USER_DATA_SELECTOR};
use platform::arch::trap::TrapFrame;
use process::signal::{SigAction, SigInfo, SigSet, Signal};
use vfs::{Errno, Result};

use super::altstack;
use crate::task::Task;
use crate::user;

/// `struct sigcontext` (x86_64).
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
pub struct SigContext {
    r8: u64,
    r9: u64,
    r10: u64,
    r11: u64,
    r12: u64,
    r13: u64,
    r14: u64,
    r15: u64,
    rdi: u64,
    rsi: u64,
    rbp: u64,
    rbx: u64,
    rdx: u64,
    rax: u64,
    rcx: u64,
    rsp: u64,
    rip: u64,
    eflags: u64,
    /// cs, gs, fs and ss, 16 bits each.
    segments: u64,
    err: u64,
    trapno: u64,
    oldmask: u64,
    cr2: u64,
    fpstate: u64,
    reserved: [u64; 8],
}

/// `stack_t`.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
pub struct StackT {
    pub sp: u64,
    pub flags: i32,
    pub pad: u32,
    pub size: u64,
}

/// `struct ucontext` as the kernel writes it (8-byte signal mask).
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct UContext {
    flags: u64,
    link: u64,
    stack: StackT,
    mcontext: SigContext,
    sigmask: u64,
}

/// `siginfo_t`: 128 bytes.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub struct SigInfoRaw {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    pad: i32,
    pub fields: [u64; 14],
}

impl SigInfoRaw {
    /// Lays out `info` as the union member its signal and code select.
    pub fn from_info(info: &SigInfo) -> SigInfoRaw {
        let mut raw_info = SigInfoRaw::zeroed();
        raw_info.signo = info.signo as i32;
        raw_info.errno = info.errno;
        raw_info.code = info.code;
        let is_fault = info.code > 0
            && matches!(
                info.signo,
                raw::SIGSEGV | raw::SIGBUS | raw::SIGILL | raw::SIGFPE | raw::SIGTRAP
            );
        if is_fault {
            raw_info.fields[0] = info.addr;
        } else {
            raw_info.fields[0] = info.pid as u64 | ((info.uid as u64) << 32);
            raw_info.fields[1] = info.value;
        }
        raw_info
    }
}

/// `uc_flags`: the frame saved SS and wants it restored strictly.
const UC_SIGCONTEXT_SS: u64 = 0x2;
const UC_STRICT_RESTORE_SS: u64 = 0x4;
/// Bytes below the interrupted stack pointer a handler must not touch.
const RED_ZONE: u64 = 128;
const FPU_ALIGN: u64 = 64;

/// RFLAGS bits a signal frame may change: CF PF AF ZF SF TF DF OF RF AC
/// (Linux's FIX_EFLAGS); IOPL, NT, VM and the rest stay the kernel's.
const USER_RFLAGS_MASK: u64 = 0x0005_0dd5;
const RFLAGS_IF: u64 = 0x200;
const RFLAGS_RESERVED1: u64 = 0x2;

/// Builds the handler frame and points `frame` at the handler.
pub fn setup(
    frame: &mut TrapFrame,
    task: &Task,
    signal: Signal,
    info: &SigInfo,
    action: &SigAction,
) -> Result<()> {
    let (old_mask, altstack, last_fault) = {
        let signals = task.signals.lock();
        (
            signals.saved_mask.unwrap_or(signals.blocked),
            signals.altstack,
            signals.last_fault,
        )
    };

    let mut sp = frame.rsp;
    let was_on_altstack = altstack::is_on(&altstack, sp);
    if action.has_flag(raw::SA_ONSTACK) && altstack::should_switch(&altstack, sp) {
        sp = altstack.base.wrapping_add(altstack.size);
    } else {
        sp = sp.wrapping_sub(RED_ZONE);
    }

    let mut fpu_state = FpuState::new();
    fpu_state.save();
    let fpu_bytes = fpu_state.as_bytes();
    let fpu_addr = sp.wrapping_sub(fpu_bytes.len() as u64) & !(FPU_ALIGN - 1);
    let frame_size =
        (8 + core::mem::size_of::<UContext>() + core::mem::size_of::<SigInfoRaw>()) as u64;
    // After the handler's `call`-like entry, (rsp + 8) is 16-byte aligned.
    // The stack pointer is the user's: a wild one wraps, and the writes below
    // then fail with EFAULT.
    let frame_addr = (fpu_addr.wrapping_sub(frame_size) & !15).wrapping_sub(8);
    let uc_addr = frame_addr.wrapping_add(8);
    let info_addr = uc_addr.wrapping_add(core::mem::size_of::<UContext>() as u64);
    // A frame that would run off the bottom of the alternate stack the
    // thread is on is not written below it: the thread gets SIGSEGV.
    if was_on_altstack && !altstack::is_on(&altstack, frame_addr) {
        return Err(Errno::EFAULT.into());
    }

    let context = UContext {
        flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
        link: 0,
        stack: StackT {
            sp: altstack.base,
            flags: altstack.flags as i32,
            pad: 0,
            size: altstack.size,
        },
        mcontext: SigContext {
            r8: frame.r8,
            r9: frame.r9,
            r10: frame.r10,
            r11: frame.r11,
            r12: frame.r12,
            r13: frame.r13,
            r14: frame.r14,
            r15: frame.r15,
            rdi: frame.rdi,
            rsi: frame.rsi,
            rbp: frame.rbp,
            rbx: frame.rbx,
            rdx: frame.rdx,
            rax: frame.rax,
            rcx: frame.rcx,
            rsp: frame.rsp,
            rip: frame.rip,
            eflags: frame.rflags,
            segments: frame.cs | (frame.ss << 48),
            // The thread's last exception, not whatever entered the kernel
            // this time (a system call or an interrupt).
            err: last_fault.error_code,
            trapno: last_fault.trapno,
            oldmask: old_mask.bits(),
            cr2: last_fault.cr2,
            fpstate: fpu_addr,
            reserved: [0; 8],
        },
        sigmask: old_mask.bits(),
    };
    user::write_bytes(fpu_addr, fpu_bytes)?;
    user::write(frame_addr, &action.restorer)?;
    user::write(uc_addr, &context)?;
    user::write(info_addr, &SigInfoRaw::from_info(info))?;

    {
        let mut signals = task.signals.lock();
        signals.saved_mask = None;
        if altstack.flags & raw::SS_AUTODISARM != 0 {
            signals.altstack = altstack::disarmed();
        }
        let mut blocked = signals.blocked.union(action.mask);
        if !action.has_flag(raw::SA_NODEFER) {
            blocked.insert(signal);
        }
        signals.blocked = blocked.without_unblockable();
    }
    if action.has_flag(raw::SA_RESETHAND) {
        task.process
            .sigactions
            .lock()
            .set(signal, SigAction::default());
    }

    frame.rsp = frame_addr;
    frame.rip = action.handler;
    frame.rdi = signal.number() as u64;
    frame.rsi = info_addr;
    frame.rdx = uc_addr;
    frame.rax = 0;
    frame.rflags &= !(0x100 | 0x400); // TF and DF clear in the handler.
    fpu::reset_registers();
    Ok(())
}

/// `rt_sigreturn`: restores what [`setup`] saved, trusting nothing: the code
/// and stack selectors are forced to user ones, only user RFLAGS bits are
/// taken, and a malformed FPU image is refused with SIGSEGV.
pub fn sigreturn(frame: &mut TrapFrame, task: &Task) -> Result<u64> {
    let uc_addr = frame.rsp;
    // The stack pointer `sigaltstack` would see here, after the handler's
    // `ret` popped the restorer's address.
    let sp_at_return = frame.rsp;
    let context: UContext = user::read(uc_addr)?;
    let saved = &context.mcontext;

    if saved.fpstate != 0 {
        let mut image = vec![0u8; fpu::state_size()];
        user::read_into(saved.fpstate, &mut image)?;
        let mut state = FpuState::new();
        state.load_from_bytes(&image).map_err(|_| Errno::EFAULT)?;
        state.restore();
    } else {
        fpu::reset_registers();
    }

    frame.r8 = saved.r8;
    frame.r9 = saved.r9;
    frame.r10 = saved.r10;
    frame.r11 = saved.r11;
    frame.r12 = saved.r12;
    frame.r13 = saved.r13;
    frame.r14 = saved.r14;
    frame.r15 = saved.r15;
    frame.rdi = saved.rdi;
    frame.rsi = saved.rsi;
    frame.rbp = saved.rbp;
    frame.rbx = saved.rbx;
    frame.rdx = saved.rdx;
    frame.rcx = saved.rcx;
    frame.rsp = saved.rsp;
    frame.rip = saved.rip;
    frame.rflags = (saved.eflags & USER_RFLAGS_MASK) | RFLAGS_IF | RFLAGS_RESERVED1;
    frame.cs = USER_CODE_SELECTOR.0 as u64;
    frame.ss = USER_DATA_SELECTOR.0 as u64;
    // Not a syscall return any more: no restart logic applies to it.
    frame.vector = 0;

    let mut signals = task.signals.lock();
    signals.blocked = SigSet::from_bits(context.sigmask).without_unblockable();
    // As sigaltstack(2) would, so a change refused there (EPERM while on the
    // stack, a bad size) leaves the stack as it is, silently.
    if let Ok(stack) = altstack::change(&signals.altstack, &context.stack, sp_at_return) {
        signals.altstack = stack;
    }
    Ok(saved.rax)
}
