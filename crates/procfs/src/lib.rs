//! The /proc filesystem.
//!
//! procfs shows processes and the system the way Linux's /proc does, so
//! `ps`, `top`, `free` and the C library work unchanged. It knows nothing of
//! the kernel's structures: it asks a [`PidSource`] (which the kernel
//! implements over its process table) for snapshots, turns them into text,
//! and keeps nothing that goes stale when a process exits. [`ProcFs`] is the
//! `vfs::FileSystem` to mount; the PID directories in its root are listed by
//! cookies that name the next PID, so a listing survives processes coming
//! and going. Neighbours: `vfs` (the traits implemented here) and the kernel
//! crate (the source).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod access;
mod dir;
mod files;
pub mod format;
mod inode;
mod node;
mod pid_dir;
mod root;
pub mod source;
mod system;

use alloc::sync::Arc;

use linux_raw_sys::general::{NAME_MAX, PROC_SUPER_MAGIC};
use vfs::{DeviceId, FileSystem, InodeRef, Result, StatFs};

pub use node::ROOT_INO;
pub use source::*;

use inode::Context;
use node::Node;

/// Block size `statfs` reports for /proc (Linux reports the page size).
const PROC_STATFS_BLOCK_SIZE: u64 = 4096;

/// A mounted /proc.
pub struct ProcFs {
    ctx: Arc<Context>,
}

impl ProcFs {
    /// A /proc fed by `source`, with device number 0:0 in `stat`.
    pub fn new(source: Arc<dyn PidSource>) -> Arc<ProcFs> {
        ProcFs::with_device(source, DeviceId::default())
    }

    /// A /proc whose inodes report `dev` as their device.
    pub fn with_device(source: Arc<dyn PidSource>, dev: DeviceId) -> Arc<ProcFs> {
        Arc::new(ProcFs {
            ctx: Arc::new(Context { source, dev }),
        })
    }
}

impl FileSystem for ProcFs {
    fn name(&self) -> &str {
        "proc"
    }

    fn root(&self) -> InodeRef {
        self.ctx.inode(Node::Root)
    }

    fn statfs(&self) -> Result<StatFs> {
        Ok(StatFs {
            fs_type: u64::from(PROC_SUPER_MAGIC),
            block_size: PROC_STATFS_BLOCK_SIZE,
            fragment_size: PROC_STATFS_BLOCK_SIZE,
            name_max: u64::from(NAME_MAX),
            ..StatFs::default()
        })
    }
}
