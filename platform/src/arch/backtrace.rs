//! Stack walking by frame pointers (the kernel is built with them).
//!
//! Each frame starts with the caller's saved `rbp` followed by the return
//! address. Every read goes through the exception table, so a corrupt chain
//! ends the walk instead of faulting inside a panic.

use super::extable::probe_read_u64;

/// Deepest walk, in case the chain loops.
const MAX_FRAMES: usize = 64;
/// Kernel addresses start here; a frame pointer below it ends the walk.
const KERNEL_HALF_START: u64 = 0xffff_8000_0000_0000;
const FRAME_POINTER_ALIGN: u64 = 8;

/// Calls `f(depth, return_address)` for each frame of the current stack,
/// innermost first.
#[inline(never)]
pub fn walk(f: impl FnMut(usize, u64)) {
    let rbp: u64;
    // SAFETY: reading rbp has no side effects.
    unsafe { core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack)) };
    walk_from(rbp, f);
}

/// Calls `f(depth, return_address)` for each frame of the chain starting at
/// frame pointer `rbp` (of an interrupted context, say).
pub fn walk_from(mut rbp: u64, mut f: impl FnMut(usize, u64)) {
    for depth in 0..MAX_FRAMES {
        if rbp < KERNEL_HALF_START || !rbp.is_multiple_of(FRAME_POINTER_ALIGN) {
            return;
        }
        let Some(return_address) = probe_read_u64(rbp + 8) else {
            return;
        };
        let Some(caller_rbp) = probe_read_u64(rbp) else {
            return;
        };
        if return_address == 0 {
            return;
        }
        f(depth, return_address);
        // Frames grow downwards, so the caller's frame is always higher.
        if caller_rbp <= rbp {
            return;
        }
        rbp = caller_rbp;
    }
}
