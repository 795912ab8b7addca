//! The Linux syscall layer: one table from syscall numbers to handlers
//! ([`table`]), handler families in the sibling modules, and the one place
//! where an error becomes a negative errno ([`dispatch`]).

mod fs;
mod fs_at;
mod futex;
mod mm;
mod mremap;
mod names;
mod process;
mod signal;
pub mod system;
mod table;
mod time;
mod timer;

use alloc::collections::BTreeSet;

use platform::arch::irq::IrqMutex;
use platform::arch::trap::TrapFrame;
use vfs::{Errno, Result};

/// What a handler returns: the value for `rax`, or an error.
pub type SysResult = Result<usize>;

/// The six argument registers, in ABI order.
pub struct Args([u64; 6]);

impl Args {
    pub fn get(&self, index: usize) -> u64 {
        self.0[index]
    }
}

/// Entered from the platform's syscall entry with the user registers.
pub fn dispatch(frame: &mut TrapFrame) {
    let nr = frame.rax;
    let args = Args([
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ]);
    let result = table::call(nr, &args, frame);
    frame.rax = match result {
        Ok(value) => value as u64,
        Err(err) => {
            if err.errno == Errno::ENOSYS {
                report_unimplemented(nr);
            }
            log::debug!("syscall {} -> {:?}", names::name(nr).unwrap_or("?"), err);
            err.errno.as_syscall_return() as u64
        }
    };
}

/// Syscalls that returned ENOSYS, each logged once.
static UNIMPLEMENTED: IrqMutex<BTreeSet<u64>> = IrqMutex::new(BTreeSet::new());

fn report_unimplemented(nr: u64) {
    if UNIMPLEMENTED.lock().insert(nr) {
        log::warn!(
            "syscall {} ({nr}) is not implemented: ENOSYS",
            names::name(nr).unwrap_or("unknown")
        );
    }
}

/// The names of the syscalls that returned ENOSYS so far.
pub fn unimplemented_names() -> alloc::vec::Vec<&'static str> {
    UNIMPLEMENTED
        .lock()
        .iter()
        .map(|&nr| names::name(nr).unwrap_or("unknown"))
        .collect()
}

/// Converts a user-supplied fd argument (EBADF when negative).
pub fn fd_arg(value: u64) -> Result<u32> {
    let fd = value as i32;
    if fd < 0 {
        return Err(Errno::EBADF.into());
    }
    Ok(fd as u32)
}

/// futex(uaddr, op, val, timeout/val2, uaddr2, val3).
fn futex_call(uaddr: u64, op: u64, val: u64, timeout: u64, uaddr2: u64, val3: u64) -> SysResult {
    use linux_raw_sys::general as raw;
    let op = op as u32;
    let command = op & !(raw::FUTEX_PRIVATE_FLAG | raw::FUTEX_CLOCK_REALTIME);
    let deadline = |absolute: bool| -> Result<Option<u64>> {
        if timeout == 0 {
            return Ok(None);
        }
        let ns = time::read_timespec_ns(timeout)?;
        let now = platform::time::monotonic_ns();
        Ok(Some(if absolute {
            // Absolute times are on the clock the flags name.
            let clock_now = if op & raw::FUTEX_CLOCK_REALTIME != 0 {
                platform::time::realtime_ns()
            } else {
                now
            };
            now + ns.saturating_sub(clock_now)
        } else {
            now.saturating_add(ns)
        }))
    };
    match command {
        raw::FUTEX_WAIT => {
            crate::futex::wait(uaddr, val as u32, crate::futex::MATCH_ANY, deadline(false)?)
        }
        raw::FUTEX_WAIT_BITSET => {
            crate::futex::wait(uaddr, val as u32, val3 as u32, deadline(true)?)
        }
        raw::FUTEX_WAKE => Ok(crate::futex::wake(uaddr, val as usize)),
        raw::FUTEX_WAKE_BITSET => crate::futex::wake_bitset(uaddr, val as usize, val3 as u32),
        raw::FUTEX_REQUEUE => {
            crate::futex::requeue(uaddr, val as usize, timeout as usize, uaddr2, None)
        }
        raw::FUTEX_CMP_REQUEUE => crate::futex::requeue(
            uaddr,
            val as usize,
            timeout as usize,
            uaddr2,
            Some(val3 as u32),
        ),
        raw::FUTEX_WAKE_OP => {
            crate::futex::wake_op(uaddr, val as usize, timeout as usize, uaddr2, val3 as u32)
        }
        _ => Err(Errno::ENOSYS.into()),
    }
}
