//! The virtual filesystem layer.
//!
//! `vfs` defines what every filesystem implements ([`Inode`], [`FileSystem`])
//! and what the kernel builds on top of them: Linux errno values ([`Errno`]),
//! directory listings resumable by cookie ([`dirent`]), a mount namespace
//! with path resolution ([`Vfs`], [`PathNode`], [`Caller`]), the operations
//! the syscall layer calls (`open`, `mkdir`, `rename`, `stat`, ...,
//! permission checks by [`Credentials`]), open file descriptions
//! ([`OpenFile`]) and fd tables ([`FdTable`]), and the pages in-memory
//! filesystems keep file data in ([`page`]). It knows no hardware and no
//! processes, so it and the filesystems written against it (tmpfs, devfs,
//! procfs) are tested on the host with `cargo test`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod attr;
pub mod cred;
pub mod dirent;
pub mod errno;
pub mod fdtable;
pub mod file;
pub mod inode;
pub mod mount;
mod namespace;
mod node;
mod open;
mod ops;
pub mod page;
pub mod path;
pub mod types;

#[cfg(test)]
mod testfs;
#[cfg(test)]
mod tests;

pub use attr::TimeUpdate;
pub use cred::{Access, Credentials};
pub use dirent::{emit_dots, DirIndex, COOKIE_DOTDOT, COOKIE_FIRST_ENTRY, COOKIE_START};
pub use errno::{Errno, Error, Result};
pub use fdtable::{Fd, FdTable};
pub use file::{OpenFile, OpenFileRef};
pub use inode::{
    Clock, CreateOptions, DirSink, FileOps, FileSystem, Inode, InodeRef, RenameFlags, SetAttr,
};
pub use mount::{Mount, MountFlags, MountInfo};
pub use namespace::Vfs;
pub use node::PathNode;
pub use page::{DataPage, HeapPages, PageSource};
pub use path::{Caller, LastComponent, ParentPath};
pub use types::{
    DeviceId, DirEntry, FileType, OpenFlags, Permissions, PollEvents, Stat, StatFs, Timespec,
};
