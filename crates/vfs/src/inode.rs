//! The inode and filesystem traits every filesystem implements.
//!
//! One trait covers files, directories and symlinks; each method has a default
//! that fails with the errno Linux gives when the operation does not apply to
//! that kind of inode, so a filesystem implements only what it supports.

use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;

use crate::errno::{Errno, Result};
use crate::page::DataPage;
use crate::types::{
    DeviceId, DirEntry, FileType, OpenFlags, Permissions, PollEvents, Stat, StatFs, Timespec,
};

/// A shared handle to an inode.
pub type InodeRef = Arc<dyn Inode>;

/// Where a `readdir` sends entries. Returns `false` when it has no room for
/// `entry`; the listing then stops and `entry` counts as not consumed.
pub type DirSink<'a> = dyn FnMut(DirEntry) -> bool + 'a;

/// The owner and extra data a new inode is created with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreateOptions {
    /// Permission bits after the caller's umask was applied.
    pub permissions: Permissions,
    pub uid: u32,
    pub gid: u32,
    /// Device number, for character and block device nodes.
    pub rdev: DeviceId,
}

/// Attribute changes for `chmod`, `chown`, `truncate` and `utimensat`; `None`
/// leaves a field unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    pub permissions: Option<Permissions>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<Timespec>,
    pub mtime: Option<Timespec>,
}

/// `renameat2` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenameFlags {
    pub no_replace: bool,
    pub exchange: bool,
}

/// Per-open state a filesystem may attach to an open file (a snapshot of a
/// generated file, a pipe end, a terminal). Offsets are the open file's
/// position; stream-like objects ignore them.
pub trait FileOps: Send + Sync {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    fn write_at(&self, _offset: u64, _buf: &[u8]) -> Result<usize> {
        Err(Errno::EBADF.into())
    }

    fn poll(&self) -> PollEvents {
        PollEvents::IN | PollEvents::OUT
    }

    fn ioctl(&self, _cmd: u32, _arg: usize) -> Result<usize> {
        Err(Errno::ENOTTY.into())
    }

    /// Whether `lseek` is meaningful (false for pipes and terminals: ESPIPE).
    fn is_seekable(&self) -> bool {
        true
    }

    /// The size `SEEK_END` is relative to, when it differs from `stat`'s.
    fn size(&self) -> Option<u64> {
        None
    }
}

/// An inode: a file, directory, symlink or special file of some filesystem.
pub trait Inode: Send + Sync + Any {
    /// Everything `stat` reports.
    fn stat(&self) -> Result<Stat>;

    /// The inode's kind; must agree with `stat().mode`.
    fn file_type(&self) -> FileType;

    /// The inode as `Any`, so a filesystem can recognise its own inodes in
    /// `link` and `rename` (anything else is `EXDEV`).
    fn as_any(&self) -> &dyn Any;

    /// Changes attributes (`chmod`, `chown`, `truncate`, `utimensat`).
    fn set_attr(&self, _attr: SetAttr) -> Result<()> {
        Err(Errno::EPERM.into())
    }

    /// Called on every `open`. A filesystem returns `Some` to give the open
    /// file its own state; `None` sends reads and writes to the inode.
    fn open(&self, _flags: OpenFlags) -> Result<Option<Arc<dyn FileOps>>> {
        Ok(None)
    }

    // Files.

    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(self.not_a_file())
    }

    fn write_at(&self, _offset: u64, _buf: &[u8]) -> Result<usize> {
        Err(self.not_a_file())
    }

    fn poll(&self) -> PollEvents {
        PollEvents::IN | PollEvents::OUT
    }

    fn ioctl(&self, _cmd: u32, _arg: usize) -> Result<usize> {
        Err(Errno::ENOTTY.into())
    }

    /// Flushes the inode to its backing store (`fsync`); nothing to do in memory.
    fn sync(&self) -> Result<()> {
        Ok(())
    }

    /// For a `MAP_SHARED` mapping: hands `f` page `index` of the file's data
    /// itself, so that stores through a mapping of it are the file's data.
    /// A hole gets a fresh zeroed page (ENOSPC when the filesystem is full);
    /// a page wholly past the end of the file is ENXIO. Filesystems that do
    /// not keep their data in pages say ENODEV.
    fn shared_page(&self, _index: u64, _f: &mut dyn FnMut(&dyn DataPage)) -> Result<()> {
        Err(Errno::ENODEV.into())
    }

    // Directories.

    /// Finds `name` in this directory. `.` and `..` are handled by path
    /// resolution, never passed here.
    fn lookup(&self, _name: &str) -> Result<InodeRef> {
        Err(Errno::ENOTDIR.into())
    }

    /// Creates a regular file, directory, device node, fifo or socket.
    fn create(&self, _name: &str, _kind: FileType, _opts: CreateOptions) -> Result<InodeRef> {
        Err(self.not_a_dir_or(Errno::EPERM))
    }

    fn symlink(&self, _name: &str, _target: &str, _opts: CreateOptions) -> Result<InodeRef> {
        Err(self.not_a_dir_or(Errno::EPERM))
    }

    /// Adds a hard link `name` to `target`, an inode of the same filesystem.
    fn link(&self, _name: &str, _target: &InodeRef) -> Result<()> {
        Err(self.not_a_dir_or(Errno::EPERM))
    }

    /// Removes a non-directory entry.
    fn unlink(&self, _name: &str) -> Result<()> {
        Err(self.not_a_dir_or(Errno::EPERM))
    }

    /// Removes an empty directory.
    fn rmdir(&self, _name: &str) -> Result<()> {
        Err(self.not_a_dir_or(Errno::EPERM))
    }

    /// Moves `old_name` of this directory to `new_name` of `new_dir`.
    fn rename(
        &self,
        _old_name: &str,
        _new_dir: &InodeRef,
        _new_name: &str,
        _flags: RenameFlags,
    ) -> Result<()> {
        Err(self.not_a_dir_or(Errno::EPERM))
    }

    /// Lists entries from `cookie` (0 is the start) into `sink`, including
    /// `.` and `..`, until the sink is full or the directory ends. Each entry
    /// carries the cookie that resumes just after it.
    fn readdir(&self, _cookie: u64, _sink: &mut DirSink<'_>) -> Result<()> {
        Err(Errno::ENOTDIR.into())
    }

    // Symlinks.

    fn readlink(&self) -> Result<String> {
        Err(Errno::EINVAL.into())
    }

    // Helpers for the defaults above.

    #[doc(hidden)]
    fn not_a_file(&self) -> crate::errno::Error {
        match self.file_type() {
            FileType::Directory => Errno::EISDIR.into(),
            _ => Errno::EINVAL.into(),
        }
    }

    #[doc(hidden)]
    fn not_a_dir_or(&self, errno: Errno) -> crate::errno::Error {
        if self.file_type().is_dir() {
            errno.into()
        } else {
            Errno::ENOTDIR.into()
        }
    }
}

/// A mounted filesystem instance.
pub trait FileSystem: Send + Sync {
    /// The type name `/proc/mounts` shows (`tmpfs`, `proc`, `devtmpfs`).
    fn name(&self) -> &str;

    fn root(&self) -> InodeRef;

    fn statfs(&self) -> Result<StatFs>;
}

/// The wall clock filesystems stamp times from; the kernel provides it.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timespec;
}
