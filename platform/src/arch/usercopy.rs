//! The one path through which the kernel reads and writes user memory.
//!
//! Every range is checked to lie entirely below [`USER_ADDR_LIMIT`] without wrapping. The
//! access itself runs in a few assembly routines that open the user window with `stac`
//! and close it with `clac` (when the CPU has SMAP). A page fault inside them first goes
//! to the kernel's `page_fault` handler (demand paging, copy-on-write); if that cannot
//! resolve it, the trap code finds the faulting instruction in the exception table
//! (`__ex_table`) and resumes at its fixup, and the routine reports how much was left.
//!
//! [`cpu_protection_init`] also turns on SMEP, so the kernel never executes user pages.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use raw_cpuid::CpuId;
use x86_64::registers::control::{Cr4, Cr4Flags};

/// The first address above the user half of the address space.
pub const USER_ADDR_LIMIT: u64 = 0x0000_8000_0000_0000;
const PAGE_SIZE: u64 = 4096;
/// Bytes of a user string copied at a time while looking for its NUL.
const CSTR_PIECE: usize = 128;

/// A user address range that is invalid or not (fully) accessible; EFAULT for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault;

/// Why a user string could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CStrError {
    /// The string is not readable (EFAULT).
    Fault,
    /// No NUL within the allowed length (ENAMETOOLONG, or E2BIG for argv and envp).
    TooLong,
}

impl From<Fault> for CStrError {
    fn from(_: Fault) -> Self {
        CStrError::Fault
    }
}

/// Whether `stac`/`clac` exist and must bracket user accesses. Read by the assembly
/// routines as a byte.
static SMAP_ENABLED: AtomicBool = AtomicBool::new(false);

/// Enables SMEP and SMAP when the CPU has them. Run on each CPU before the first user
/// task; from then on only this module's routines can touch user pages.
pub fn cpu_protection_init() {
    let info = CpuId::new().get_extended_feature_info();
    let has_smep = info.as_ref().is_some_and(|f| f.has_smep());
    let has_smap = info.as_ref().is_some_and(|f| f.has_smap());
    if has_smep {
        // SAFETY: the CPU has SMEP; the kernel never runs code from user pages.
        unsafe { Cr4::update(|cr4| cr4.insert(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION)) };
    }
    if has_smap {
        // SAFETY: the CPU has SMAP; every kernel access to user pages goes through this
        // module's routines, which set RFLAGS.AC around it.
        unsafe { Cr4::update(|cr4| cr4.insert(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION)) };
        SMAP_ENABLED.store(true, Ordering::Relaxed);
    }
    log::info!("SMEP {has_smep}, SMAP {has_smap}");
}

/// Whether SMAP is enabled.
pub fn smap_enabled() -> bool {
    SMAP_ENABLED.load(Ordering::Relaxed)
}

/// Checks that `[addr, addr + len)` lies in the user half and does not wrap.
pub fn check_range(addr: u64, len: usize) -> Result<(), Fault> {
    let end = addr.checked_add(len as u64).ok_or(Fault)?;
    if end > USER_ADDR_LIMIT {
        return Err(Fault);
    }
    Ok(())
}

/// Copies `dst.len()` bytes from user address `src` into `dst`.
pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), Fault> {
    if dst.is_empty() {
        return Ok(());
    }
    check_range(src, dst.len())?;
    // SAFETY: `dst` is a writable kernel buffer of that length; the source range is in
    // the user half, and faults there end the copy through the exception table.
    let left = unsafe { copy_user_bytes(dst.as_mut_ptr(), src as *const u8, dst.len()) };
    if left == 0 {
        Ok(())
    } else {
        Err(Fault)
    }
}

/// Copies `src` to user address `dst`.
pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), Fault> {
    if src.is_empty() {
        return Ok(());
    }
    check_range(dst, src.len())?;
    // SAFETY: `src` is a readable kernel buffer of that length; the destination range is
    // in the user half, and faults there end the copy through the exception table.
    let left = unsafe { copy_user_bytes(dst as *mut u8, src.as_ptr(), src.len()) };
    if left == 0 {
        Ok(())
    } else {
        Err(Fault)
    }
}

/// Writes `len` zero bytes at user address `dst`.
pub fn clear_user(dst: u64, len: usize) -> Result<(), Fault> {
    if len == 0 {
        return Ok(());
    }
    check_range(dst, len)?;
    // SAFETY: the range is in the user half; faults end the loop through the exception
    // table.
    let left = unsafe { clear_user_bytes(dst as *mut u8, len) };
    if left == 0 {
        Ok(())
    } else {
        Err(Fault)
    }
}

/// Reads a NUL-terminated string at user address `src`. `max` counts the bytes before the
/// NUL; the result excludes the NUL. A string that is unreadable before its NUL is a
/// [`CStrError::Fault`], one with no NUL in its first `max + 1` bytes is
/// [`CStrError::TooLong`].
pub fn copy_cstr_from_user(src: u64, max: usize) -> Result<Vec<u8>, CStrError> {
    let mut bytes = Vec::with_capacity(CSTR_PIECE);
    let mut addr = src;
    let limit = max.saturating_add(1);
    // Read in small pieces that never cross a page: a string ending just before an
    // unmapped page is fine, and a short path costs a short copy, not a page's worth.
    loop {
        let page_left = (PAGE_SIZE - addr % PAGE_SIZE) as usize;
        let wanted = page_left.min(CSTR_PIECE).min(limit - bytes.len());
        let start = bytes.len();
        bytes.resize(start + wanted, 0);
        copy_from_user(&mut bytes[start..], addr)?;
        if let Some(nul) = bytes[start..].iter().position(|&b| b == 0) {
            bytes.truncate(start + nul);
            return Ok(bytes);
        }
        if bytes.len() > max {
            return Err(CStrError::TooLong);
        }
        addr += wanted as u64;
    }
}

/// Reads a native-endian `u32` at user address `addr`.
pub fn read_u32(addr: u64) -> Result<u32, Fault> {
    let mut raw = [0; 4];
    copy_from_user(&mut raw, addr)?;
    Ok(u32::from_ne_bytes(raw))
}

/// Writes a native-endian `u32` at user address `addr`.
pub fn write_u32(addr: u64, value: u32) -> Result<(), Fault> {
    copy_to_user(addr, &value.to_ne_bytes())
}

/// Reads a native-endian `u64` at user address `addr`.
pub fn read_u64(addr: u64) -> Result<u64, Fault> {
    let mut raw = [0; 8];
    copy_from_user(&mut raw, addr)?;
    Ok(u64::from_ne_bytes(raw))
}

/// Writes a native-endian `u64` at user address `addr`.
pub fn write_u64(addr: u64, value: u64) -> Result<(), Fault> {
    copy_to_user(addr, &value.to_ne_bytes())
}

/// Atomically compares the `u32` at user address `addr` with `expected` and, if equal,
/// stores `new`; returns the value found (futex operations). `addr` must be 4-aligned.
pub fn cmpxchg_user_u32(addr: u64, expected: u32, new: u32) -> Result<u32, Fault> {
    if !addr.is_multiple_of(4) {
        return Err(Fault);
    }
    check_range(addr, 4)?;
    // SAFETY: the aligned word is in the user half; a fault ends the instruction through
    // the exception table.
    let result = unsafe { cmpxchg_user_word(addr as *mut u32, expected, new) };
    if result & CMPXCHG_FAULTED != 0 {
        Err(Fault)
    } else {
        Ok(result as u32)
    }
}

/// Set in the result of `cmpxchg_user_word` when the access faulted.
const CMPXCHG_FAULTED: u64 = 1 << 32;

// The routines below share one shape: open the user window, run the access whose address
// is listed in `__ex_table`, close the window. Each exception-table entry is a pair of
// 64-bit addresses: the instruction that may fault and where to resume.

// The bulk of a copy or clear moves eight bytes an instruction (`rep movsq`, `rep stosq`)
// and only the tail one byte at a time: `rep movsb` is fast only on CPUs with ERMS, and
// emulators without it (QEMU's TCG) run it a byte per iteration.

/// Copies `len` bytes; returns how many were not copied (0 on success).
///
/// # Safety
///
/// `dst` and `src` are valid for `len` bytes, except user addresses, which may fault.
#[unsafe(naked)]
unsafe extern "C" fn copy_user_bytes(dst: *mut u8, src: *const u8, len: usize) -> usize {
    core::arch::naked_asm!(
        "cmp byte ptr [rip + {smap}], 0",
        "je 2f",
        "stac",
        "2:",
        "mov rcx, rdx",
        "shr rcx, 3",
        "and edx, 7",
        "3:",
        "rep movsq",
        "mov rcx, rdx",
        // A fault in the tail leaves RCX at the bytes still to copy, so its fixup is
        // simply the next instruction.
        "4:",
        "rep movsb",
        "5:",
        "mov rax, rcx",
        "cmp byte ptr [rip + {smap}], 0",
        "je 6f",
        "clac",
        "6:",
        "ret",
        // A fault in the bulk leaves RCX at the quadwords still to copy.
        "7:",
        "lea rcx, [rdx + rcx * 8]",
        "jmp 5b",
        ".pushsection __ex_table, \"a\"",
        ".balign 8",
        ".quad 3b, 7b",
        ".quad 4b, 5b",
        ".popsection",
        smap = sym SMAP_ENABLED,
    );
}

/// Zeroes `len` bytes; returns how many were not cleared (0 on success).
///
/// # Safety
///
/// `dst` is valid for `len` bytes, except user addresses, which may fault.
#[unsafe(naked)]
unsafe extern "C" fn clear_user_bytes(dst: *mut u8, len: usize) -> usize {
    core::arch::naked_asm!(
        "cmp byte ptr [rip + {smap}], 0",
        "je 2f",
        "stac",
        "2:",
        "mov rcx, rsi",
        "shr rcx, 3",
        "and esi, 7",
        "xor eax, eax",
        "3:",
        "rep stosq",
        "mov rcx, rsi",
        "4:",
        "rep stosb",
        "5:",
        "mov rax, rcx",
        "cmp byte ptr [rip + {smap}], 0",
        "je 6f",
        "clac",
        "6:",
        "ret",
        "7:",
        "lea rcx, [rsi + rcx * 8]",
        "jmp 5b",
        ".pushsection __ex_table, \"a\"",
        ".balign 8",
        ".quad 3b, 7b",
        ".quad 4b, 5b",
        ".popsection",
        smap = sym SMAP_ENABLED,
    );
}

/// `lock cmpxchg` on a user word; returns the old value, or [`CMPXCHG_FAULTED`] set.
///
/// # Safety
///
/// `word` is 4-aligned; a user address may fault.
#[unsafe(naked)]
unsafe extern "C" fn cmpxchg_user_word(word: *mut u32, expected: u32, new: u32) -> u64 {
    core::arch::naked_asm!(
        "cmp byte ptr [rip + {smap}], 0",
        "je 2f",
        "stac",
        "2:",
        "mov eax, esi",
        "3:",
        "lock cmpxchg dword ptr [rdi], edx",
        // EAX holds the old value, zero-extended into RAX by the 32-bit write.
        "4:",
        "cmp byte ptr [rip + {smap}], 0",
        "je 5f",
        "clac",
        "5:",
        "ret",
        "6:",
        "mov rax, {faulted}",
        "jmp 4b",
        ".pushsection __ex_table, \"a\"",
        ".balign 8",
        ".quad 3b, 6b",
        ".popsection",
        smap = sym SMAP_ENABLED,
        faulted = const CMPXCHG_FAULTED,
    );
}
