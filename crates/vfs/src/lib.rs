//! The virtual filesystem layer.
//!
//! `vfs` defines what every filesystem implements ([`Inode`], [`FileSystem`])
//! and what the kernel builds on top of them: Linux errno values ([`Errno`]),
//! directory listings resumable by cookie, path resolution across mounts, open
//! file descriptions and fd tables. It knows no hardware and no processes, so
//! it and the filesystems written against it (tmpfs, devfs, procfs) are
//! tested on the host with `cargo test`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod errno;
pub mod inode;
pub mod types;

pub use errno::{Errno, Error, Result};
pub use inode::{
    Clock, CreateOptions, DirSink, FileOps, FileSystem, Inode, InodeRef, RenameFlags, SetAttr,
};
pub use types::{
    DeviceId, DirEntry, FileType, OpenFlags, Permissions, PollEvents, Stat, StatFs, Timespec,
};
