//! The overcommit heuristic: Linux's default (`vm.overcommit_memory = 0`).
//!
//! Memory is promised freely, since most of it is never touched, but a
//! single request for more than there could ever be fails at once, with
//! ENOMEM, rather than later with the process killed at a fault. "Could ever
//! be" is all of RAM: there is no swap. Only what Linux counts is checked:
//! private writable mappings (anonymous or file) and shared anonymous ones
//! made without `MAP_NORESERVE`, brk growth, and mremap growth of a private
//! writable mapping; each request on its own, not the sum of what was
//! promised before (that is the strict mode, `overcommit_memory = 2`).

use vfs::{Errno, Result};

use super::PAGE_SIZE;

/// Fails with ENOMEM when `len` bytes is more than all of RAM.
pub fn check(len: u64) -> Result<()> {
    let total_bytes = platform::mm::frame::stats().total.saturating_mul(PAGE_SIZE);
    if len > total_bytes {
        return Err(Errno::ENOMEM.into());
    }
    Ok(())
}
