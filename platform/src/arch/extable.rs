//! The exception table: instructions allowed to fault, and where to resume.
//!
//! Code that may touch a bad address (user copies, probes) records pairs
//! `(faulting instruction, fixup)` in the `__ex_table` linker section:
//!
//! ```text
//! .pushsection __ex_table, "a"
//! .balign 8
//! .quad 2b, 4f
//! .popsection
//! ```
//!
//! A kernel-mode page fault (or general protection fault) at a listed
//! instruction resumes at its fixup instead of stopping the kernel.

use core::arch::asm;

/// One `__ex_table` entry.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ExceptionTableEntry {
    pub fault_rip: u64,
    pub fixup_rip: u64,
}

unsafe extern "C" {
    // Bounds of `__ex_table`, defined by the kernel's linker script.
    static __ex_table_start: ExceptionTableEntry;
    static __ex_table_end: ExceptionTableEntry;
}

fn entries() -> &'static [ExceptionTableEntry] {
    // SAFETY: the linker script places every `__ex_table` input section,
    // made of 16-byte entries, between these two symbols.
    unsafe {
        let start = core::ptr::addr_of!(__ex_table_start);
        let end = core::ptr::addr_of!(__ex_table_end);
        let len = (end as usize - start as usize) / core::mem::size_of::<ExceptionTableEntry>();
        core::slice::from_raw_parts(start, len)
    }
}

/// The fixup for a fault at `rip`, if the instruction is listed.
pub fn search(rip: u64) -> Option<u64> {
    entries()
        .iter()
        .find(|entry| entry.fault_rip == rip)
        .map(|entry| entry.fixup_rip)
}

/// Number of entries in the table.
pub fn len() -> usize {
    entries().len()
}

/// Reads a `u64` at `addr`, returning `None` if the read faults. Used to
/// check the fault-and-fixup path itself; `addr` must not be memory with
/// read side effects (device registers).
pub fn probe_read_u64(addr: u64) -> Option<u64> {
    let value: u64;
    let failed: u64;
    // SAFETY: the load either succeeds or faults; a fault at label 2 resumes
    // at label 4 through the exception table, which sets `failed`.
    unsafe {
        asm!(
            "xor {failed:e}, {failed:e}",
            "2: mov {value}, qword ptr [{addr}]",
            "3:",
            ".pushsection .text.fixup, \"ax\"",
            "4: mov {failed:e}, 1",
            "xor {value:e}, {value:e}",
            "jmp 3b",
            ".popsection",
            ".pushsection __ex_table, \"a\"",
            ".balign 8",
            ".quad 2b, 4b",
            ".popsection",
            addr = in(reg) addr,
            value = out(reg) value,
            failed = out(reg) failed,
            options(nostack, readonly),
        );
    }
    (failed == 0).then_some(value)
}

/// Checks that a faulting kernel read resumes at its fixup: reads an
/// unmapped page and a mapped one.
pub fn check_fixup() -> Result<(), &'static str> {
    let unmapped = crate::mm::paging::SCRATCH_BASE.as_u64();
    if crate::mm::paging::translate(crate::mm::paging::SCRATCH_BASE).is_some() {
        return Err("scratch page unexpectedly mapped");
    }
    if probe_read_u64(unmapped).is_some() {
        return Err("read of an unmapped page did not fault");
    }
    let mapped: u64 = 0x1234_5678_9abc_def0;
    match probe_read_u64(core::ptr::addr_of!(mapped) as u64) {
        Some(value) if value == mapped => Ok(()),
        Some(_) => Err("probe of a mapped value read the wrong value"),
        None => Err("probe of a mapped value faulted"),
    }
}
