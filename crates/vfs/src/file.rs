//! Open file descriptions: what `open` returns and fds point to.
//!
//! An [`OpenFile`] is shared (through `Arc`) by every fd that `dup` or
//! `fork` made from the same `open`, and so are its position and status
//! flags, as POSIX requires.

use alloc::sync::Arc;
use core::fmt;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use linux_raw_sys::general as raw;
use spin::Mutex;

use crate::dirent::encode_dirent64;
use crate::errno::{Errno, Error, Result};
use crate::inode::{FileOps, InodeRef, SetAttr};
use crate::node::PathNode;
use crate::types::{DirEntry, FileType, OpenFlags, PollEvents, Stat};

/// `lseek` whence values.
pub const SEEK_SET: u32 = raw::SEEK_SET;
pub const SEEK_CUR: u32 = raw::SEEK_CUR;
pub const SEEK_END: u32 = raw::SEEK_END;
pub const SEEK_DATA: u32 = raw::SEEK_DATA;
pub const SEEK_HOLE: u32 = raw::SEEK_HOLE;

/// The status flags `fcntl(F_SETFL)` may change; the access mode and the
/// creation flags are fixed at open.
pub const SETTABLE_STATUS_FLAGS: OpenFlags = OpenFlags::APPEND
    .union(OpenFlags::NONBLOCK)
    .union(OpenFlags::ASYNC)
    .union(OpenFlags::DIRECT)
    .union(OpenFlags::NOATIME);

/// Flags that only matter while opening and are not kept (`F_GETFL` does
/// not report them; `O_CLOEXEC` belongs to the fd).
const OPEN_ONLY_FLAGS: OpenFlags = OpenFlags::CREAT
    .union(OpenFlags::EXCL)
    .union(OpenFlags::NOCTTY)
    .union(OpenFlags::TRUNC)
    .union(OpenFlags::CLOEXEC);

/// A shared handle to an open file description.
pub type OpenFileRef = Arc<OpenFile>;

/// One open file description.
pub struct OpenFile {
    node: Arc<PathNode>,
    ops: Option<Arc<dyn FileOps>>,
    flags: AtomicU32,
    /// The file position; for a directory, the readdir cookie.
    position: Mutex<u64>,
    /// The position after the last completed operation, readable without
    /// the lock: /proc/<pid>/fdinfo asks for it while a getdents64 on the
    /// very same description (listing /proc/self/fd) holds the lock.
    published: AtomicU64,
}

impl fmt::Debug for OpenFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenFile")
            .field("node", &self.node)
            .field("flags", &self.flags())
            .finish_non_exhaustive()
    }
}

impl OpenFile {
    /// An open file of `node`, with the state the inode's `open` returned.
    pub fn new(node: Arc<PathNode>, ops: Option<Arc<dyn FileOps>>, flags: OpenFlags) -> Self {
        OpenFile {
            node,
            ops,
            flags: AtomicU32::new(flags.difference(OPEN_ONLY_FLAGS).bits()),
            position: Mutex::new(0),
            published: AtomicU64::new(0),
        }
    }

    pub fn node(&self) -> &Arc<PathNode> {
        &self.node
    }

    pub fn inode(&self) -> &InodeRef {
        self.node.inode()
    }

    pub fn ops(&self) -> Option<&Arc<dyn FileOps>> {
        self.ops.as_ref()
    }

    /// Access mode and status flags, as `F_GETFL` reports them.
    pub fn flags(&self) -> OpenFlags {
        OpenFlags::from_bits_truncate(self.flags.load(Ordering::Relaxed))
    }

    /// `F_SETFL`: changes the settable status flags, ignoring the rest as
    /// Linux does.
    pub fn set_status_flags(&self, flags: OpenFlags) {
        let keep = self.flags().difference(SETTABLE_STATUS_FLAGS);
        let new = keep.union(flags.intersection(SETTABLE_STATUS_FLAGS));
        self.flags.store(new.bits(), Ordering::Relaxed);
    }

    pub fn is_nonblocking(&self) -> bool {
        self.flags().contains(OpenFlags::NONBLOCK)
    }

    /// Opened with `O_PATH`: only usable as a place, not for I/O.
    pub fn is_path_only(&self) -> bool {
        self.flags().contains(OpenFlags::PATH)
    }

    /// Whether the position means anything (`ESPIPE` otherwise).
    pub fn is_seekable(&self) -> bool {
        match &self.ops {
            Some(ops) => ops.is_seekable(),
            None => !matches!(self.node.file_type(), FileType::Fifo | FileType::Socket),
        }
    }

    /// The current position (the readdir cookie for a directory).
    pub fn position(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    fn publish(&self, position: u64) -> u64 {
        self.published.store(position, Ordering::Relaxed);
        position
    }

    fn check_io(&self, allowed: bool) -> Result<()> {
        if allowed {
            Ok(())
        } else {
            Err(Errno::EBADF.into())
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        match &self.ops {
            Some(ops) => ops.read_at(offset, buf),
            None => self.inode().read_at(offset, buf),
        }
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<usize> {
        match &self.ops {
            Some(ops) => ops.write_at(offset, buf),
            None => self.inode().write_at(offset, buf),
        }
    }

    /// The size `SEEK_END` and `O_APPEND` use.
    fn size(&self) -> Result<u64> {
        match self.ops.as_ref().and_then(|ops| ops.size()) {
            Some(size) => Ok(size),
            None => Ok(self.inode().stat()?.size),
        }
    }

    /// `read`: from the position, which advances by what was read. For a
    /// seekable file the position stays locked during the read, so reads
    /// through a shared description never overlap; a stream reads at 0.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.check_io(self.flags().can_read())?;
        if !self.is_seekable() {
            return self.read_at(0, buf);
        }
        let mut position = self.position.lock();
        let read = self.read_at(*position, buf)?;
        *position += read as u64;
        self.publish(*position);
        Ok(read)
    }

    /// `write`: at the position, or at the end with `O_APPEND`; the
    /// position ends after the data.
    pub fn write(&self, buf: &[u8]) -> Result<usize> {
        self.check_io(self.flags().can_write())?;
        if !self.is_seekable() {
            return self.write_at(0, buf);
        }
        let mut position = self.position.lock();
        if self.flags().contains(OpenFlags::APPEND) {
            *position = self.size()?;
        }
        let written = self.write_at(*position, buf)?;
        *position += written as u64;
        self.publish(*position);
        Ok(written)
    }

    /// `pread64`: at `offset`, leaving the position alone.
    pub fn pread(&self, buf: &mut [u8], offset: i64) -> Result<usize> {
        self.check_io(self.flags().can_read())?;
        let offset = self.explicit_offset(offset)?;
        self.read_at(offset, buf)
    }

    /// `pwrite64`: at `offset`, leaving the position alone. With `O_APPEND`
    /// Linux writes at the end regardless, and so do we.
    pub fn pwrite(&self, buf: &[u8], offset: i64) -> Result<usize> {
        self.check_io(self.flags().can_write())?;
        let mut offset = self.explicit_offset(offset)?;
        if self.flags().contains(OpenFlags::APPEND) {
            offset = self.size()?;
        }
        self.write_at(offset, buf)
    }

    fn explicit_offset(&self, offset: i64) -> Result<u64> {
        if !self.is_seekable() {
            return Err(Errno::ESPIPE.into());
        }
        u64::try_from(offset).map_err(|_| Error::new(Errno::EINVAL))
    }

    /// `lseek`. A directory accepts `SEEK_SET` to a cookie previously
    /// reported (0 restarts the listing) and `SEEK_CUR`.
    pub fn seek(&self, offset: i64, whence: u32) -> Result<u64> {
        if self.is_path_only() {
            return Err(Errno::EBADF.into());
        }
        if !self.is_seekable() {
            return Err(Errno::ESPIPE.into());
        }
        let is_dir = self.node.is_dir();
        let mut position = self.position.lock();
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *position,
            SEEK_END if !is_dir => self.size()?,
            SEEK_DATA | SEEK_HOLE if !is_dir => {
                // Every byte below the size is data: the hole is at the end.
                let size = self.size()?;
                let start = u64::try_from(offset).map_err(|_| Error::new(Errno::ENXIO))?;
                if start >= size {
                    return Err(Errno::ENXIO.into());
                }
                *position = if whence == SEEK_DATA { start } else { size };
                return Ok(self.publish(*position));
            }
            _ => return Err(Errno::EINVAL.into()),
        };
        let new = i64::try_from(base)
            .ok()
            .and_then(|base| base.checked_add(offset))
            .ok_or(Error::new(Errno::EOVERFLOW))?;
        *position = u64::try_from(new).map_err(|_| Error::new(Errno::EINVAL))?;
        Ok(self.publish(*position))
    }

    /// `getdents64`: fills `buf` with `linux_dirent64` records from the
    /// position (a cookie) and moves it past the last record written.
    /// Returns the bytes written, 0 at the end of the directory, `EINVAL`
    /// when not even one entry fits.
    pub fn getdents64(&self, buf: &mut [u8]) -> Result<usize> {
        if self.is_path_only() {
            return Err(Errno::EBADF.into());
        }
        if !self.node.is_dir() {
            return Err(Errno::ENOTDIR.into());
        }
        let mut position = self.position.lock();
        let mut written = 0;
        let mut next_cookie = *position;
        let mut too_small = false;
        let mut sink = |entry: DirEntry| match encode_dirent64(&mut buf[written..], &entry) {
            Some(len) => {
                written += len;
                next_cookie = entry.next_cookie;
                true
            }
            None => {
                too_small = written == 0;
                false
            }
        };
        let listed = self.inode().readdir(*position, &mut sink);
        // Entries already written are reported; the error comes next call.
        if written == 0 {
            listed?;
        }
        if too_small {
            return Err(Errno::EINVAL.into());
        }
        *position = next_cookie;
        self.publish(next_cookie);
        Ok(written)
    }

    pub fn stat(&self) -> Result<Stat> {
        self.inode().stat()
    }

    /// `ftruncate`: `EINVAL` unless the file is regular and open for writing.
    pub fn truncate(&self, len: u64) -> Result<()> {
        if self.is_path_only() {
            return Err(Errno::EBADF.into());
        }
        if !self.flags().can_write() || self.node.file_type() != FileType::Regular {
            return Err(Errno::EINVAL.into());
        }
        if self.node.mount().is_read_only() {
            return Err(Errno::EROFS.into());
        }
        self.inode().set_attr(SetAttr {
            size: Some(len),
            ..SetAttr::default()
        })
    }

    pub fn poll(&self) -> PollEvents {
        if self.is_path_only() {
            return PollEvents::NVAL;
        }
        match &self.ops {
            Some(ops) => ops.poll(),
            None => self.inode().poll(),
        }
    }

    pub fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize> {
        if self.is_path_only() {
            return Err(Errno::EBADF.into());
        }
        match &self.ops {
            Some(ops) => ops.ioctl(cmd, arg),
            None => self.inode().ioctl(cmd, arg),
        }
    }

    /// `fsync`/`fdatasync`.
    pub fn sync(&self) -> Result<()> {
        if self.is_path_only() {
            return Err(Errno::EBADF.into());
        }
        self.inode().sync()
    }
}
