//! The kernel's answers to traps: syscalls, page faults, CPU exceptions,
//! device interrupts, and the work done on every return to user mode.

use core::sync::atomic::Ordering;

use linux_raw_sys::general as raw;
use platform::arch::trap::{self, FaultAccess, Irq, TrapFrame, TrapHandlers, PF_PRESENT};
use process::signal::{SigInfo, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP};
use process::Signal;

use crate::mm::{self, Access, FaultKind};
use crate::signal;
use crate::task::sched;

pub fn init() {
    trap::register(TrapHandlers {
        syscall: crate::syscall::dispatch,
        page_fault,
        user_exception,
        irq,
        return_to_user,
    });
}

/// Demand paging and copy-on-write for user addresses; anything else is
/// left to the exception table (kernel mode) or becomes a signal (user mode).
fn page_fault(frame: &mut TrapFrame, addr: u64, access: FaultAccess) -> bool {
    if addr >= platform::mm::user::USER_SPACE_END {
        // Kernel addresses look unmapped to user code, as on Linux.
        if access.user {
            record_fault(addr, FaultKind::Unmapped);
        }
        return false;
    }
    let Some(task) = sched::try_current() else {
        return false;
    };
    let Some(memory) = task.mm() else {
        return false;
    };
    let result = mm::handle_page_fault(
        &memory,
        addr,
        Access {
            write: access.write,
            exec: access.exec,
        },
    );
    match result {
        Ok(()) => true,
        Err(kind) => {
            if access.user || frame.is_user() {
                record_fault(addr, kind);
            }
            false
        }
    }
}

/// The last unresolved user page fault, for the signal that follows.
static LAST_FAULT: platform::arch::irq::IrqMutex<(u64, Option<FaultKind>)> =
    platform::arch::irq::IrqMutex::new((0, None));

fn record_fault(addr: u64, kind: FaultKind) {
    *LAST_FAULT.lock() = (addr, Some(kind));
}

fn fault_signal(signal: Signal, code: u32, addr: u64) {
    let info = SigInfo {
        signo: signal.number(),
        code: code as i32,
        addr,
        ..SigInfo::default()
    };
    signal::force(signal, info);
}

/// Keeps what signal frames report about this exception (see
/// [`crate::task::FaultState`]).
/// A page fault on a kernel-half address always claims the page was present,
/// as Linux does, so the error code does not reveal which kernel pages exist.
fn remember_fault(frame: &TrapFrame, vector: u8, fault_addr: Option<u64>) {
    let task = sched::current();
    let mut signals = task.signals.lock();
    let last = &mut signals.last_fault;
    last.trapno = u64::from(vector);
    last.error_code = frame.error_code;
    if let Some(addr) = fault_addr {
        if addr >= platform::mm::user::USER_SPACE_END {
            last.error_code |= PF_PRESENT;
        }
        last.cr2 = addr;
    }
}

/// An exception in user mode becomes the signal Linux sends for it.
fn user_exception(frame: &mut TrapFrame, vector: u8) {
    let page_fault =
        (vector == trap::PAGE_FAULT_VECTOR).then(|| core::mem::take(&mut *LAST_FAULT.lock()));
    remember_fault(frame, vector, page_fault.map(|(addr, _)| addr));
    match vector {
        trap::PAGE_FAULT_VECTOR => {
            let (addr, kind) = page_fault.unwrap_or_default();
            match kind {
                Some(FaultKind::Forbidden) => fault_signal(SIGSEGV, raw::SEGV_ACCERR, addr),
                Some(FaultKind::Io) => fault_signal(SIGBUS, raw::BUS_ADRERR, addr),
                // Another process may die for the memory; then the
                // instruction runs again.
                Some(FaultKind::OutOfMemory) if crate::mm::oom::reclaim_for_fault() => {}
                Some(FaultKind::OutOfMemory) => {
                    log::warn!(
                        "out of memory: killing pid {}, whose page fault found no frame",
                        sched::current().process.pid
                    );
                    fault_signal(process::signal::SIGKILL, 0, addr)
                }
                _ => fault_signal(SIGSEGV, raw::SEGV_MAPERR, addr),
            }
        }
        trap::DIVIDE_ERROR_VECTOR => fault_signal(SIGFPE, raw::FPE_INTDIV, frame.rip),
        trap::INVALID_OPCODE_VECTOR => fault_signal(SIGILL, raw::ILL_ILLOPN, frame.rip),
        // int3 is an ordinary trap to Linux: SI_KERNEL, no address.
        trap::BREAKPOINT_VECTOR => fault_signal(SIGTRAP, raw::SI_KERNEL, 0),
        trap::DEBUG_VECTOR => fault_signal(SIGTRAP, raw::TRAP_BRKPT, frame.rip),
        trap::X87_FLOATING_POINT_VECTOR | trap::SIMD_FLOATING_POINT_VECTOR => {
            fault_signal(SIGFPE, raw::FPE_FLTINV, frame.rip)
        }
        trap::ALIGNMENT_CHECK_VECTOR => fault_signal(SIGBUS, raw::BUS_ADRALN, frame.rip),
        // #GP, #SS, #BR, #OF and the rest: SIGSEGV with SI_KERNEL, as Linux.
        _ => fault_signal(SIGSEGV, raw::SI_KERNEL, 0),
    }
}

fn irq(frame: &mut TrapFrame, irq: Irq) {
    match irq {
        Irq::Timer => {
            let now = platform::time::monotonic_ns();
            sched::tick(frame.is_user(), now);
            crate::timer::tick(now);
            crate::load::tick(now);
        }
        Irq::Serial => crate::tty::on_serial_input(),
        Irq::Other(vector) => log::trace!("unexpected interrupt vector {vector}"),
    }
}

/// Runs before every return to ring 3.
fn return_to_user(frame: &mut TrapFrame) {
    crate::mm::oom::check();
    if sched::need_resched() {
        sched::schedule();
    }
    let task = sched::current();
    let child_tid = task.set_child_tid.swap(0, Ordering::Relaxed);
    if child_tid != 0 {
        let _ = crate::user::write(child_tid, &(task.tid() as i32));
    }
    drop(task);
    signal::deliver(frame);
}
