//! The alternate signal stack of a thread (sigaltstack(2)).
//!
//! Linux's rules, which `sigaltstack`, frame setup and `rt_sigreturn` all
//! follow: a thread is on the stack when its stack pointer lies in it, and
//! never while SS_AUTODISARM is set (such a stack is cleared whenever a
//! handler starts, so nothing runs on it "armed"); the stack cannot change
//! while the thread runs on it (EPERM); `rt_sigreturn` puts back the stack
//! the frame's `uc_stack` names, through the same checks, and drops any
//! error but a fault.

use linux_raw_sys::general as raw;
use vfs::{Errno, Result};

use super::frame::StackT;
use crate::task::AltStack;

/// Flag bits that may be or-ed into a mode (`SS_FLAG_BITS`).
const FLAG_BITS: u32 = raw::SS_AUTODISARM;

/// Whether `sp` is on `stack`, as the rules above count it.
pub fn is_on(stack: &AltStack, sp: u64) -> bool {
    if stack.flags & raw::SS_AUTODISARM != 0 {
        return false;
    }
    sp > stack.base && sp - stack.base <= stack.size
}

/// Whether a handler with SA_ONSTACK switches to `stack` from `sp`: it is
/// set up and the thread is not on it already.
pub fn should_switch(stack: &AltStack, sp: u64) -> bool {
    stack.size != 0 && !is_on(stack, sp)
}

/// What `sigaltstack` reports for `stack` when the thread is at `sp`.
pub fn describe(stack: &AltStack, sp: u64) -> StackT {
    let state = if stack.size == 0 {
        raw::SS_DISABLE
    } else if is_on(stack, sp) {
        raw::SS_ONSTACK
    } else {
        0
    };
    StackT {
        sp: stack.base,
        flags: (state | (stack.flags & FLAG_BITS)) as i32,
        pad: 0,
        size: stack.size,
    }
}

/// The stack that replaces `current` when a thread at `sp` asks for
/// `requested`.
pub fn change(current: &AltStack, requested: &StackT, sp: u64) -> Result<AltStack> {
    if is_on(current, sp) {
        return Err(Errno::EPERM.into());
    }
    let flags = requested.flags as u32;
    let mode = flags & !FLAG_BITS;
    if mode == raw::SS_DISABLE {
        return Ok(AltStack {
            base: 0,
            size: 0,
            flags,
        });
    }
    // SS_ONSTACK is accepted as a mode and means the same as 0.
    if mode != 0 && mode != raw::SS_ONSTACK {
        return Err(Errno::EINVAL.into());
    }
    if requested.size < raw::MINSIGSTKSZ as u64 {
        return Err(Errno::ENOMEM.into());
    }
    Ok(AltStack {
        base: requested.sp,
        size: requested.size,
        flags,
    })
}

/// The stack an SS_AUTODISARM stack becomes once a handler starts.
pub fn disarmed() -> AltStack {
    AltStack {
        base: 0,
        size: 0,
        flags: raw::SS_DISABLE,
    }
}
