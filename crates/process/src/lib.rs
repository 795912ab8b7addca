//! The process core: what a process is, independent of the hardware.
//!
//! `process` owns PID allocation ([`PidAllocator`]), the process table
//! ([`ProcessTable`], with [`ProcessTable::list_pids`] and the O(log n)
//! [`ProcessTable::next_pid`] that /proc listings use), signal bookkeeping
//! ([`signal`]), wait statuses ([`ExitStatus`]), resource limits and the
//! scheduling policy ([`RunQueue`], nice-weighted slices). The kernel crate
//! puts these together with the platform's stacks and address spaces; this
//! crate knows neither, so all of it is tested on the host.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod limits;
pub mod pid;
pub mod sched;
pub mod signal;
pub mod table;
pub mod wait;

pub use limits::{Limit, ResourceLimits};
pub use pid::{Pid, PidAllocator};
pub use sched::RunQueue;
pub use signal::{SigAction, SigInfo, SigSet, Signal};
pub use table::ProcessTable;
pub use wait::ExitStatus;
