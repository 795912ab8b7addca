//! The tmpfs inode: metadata common to every kind plus a kind-specific body.

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use core::any::Any;

use spin::Mutex;
use vfs::{
    CreateOptions, DataPage, DeviceId, DirSink, Errno, FileType, Inode, InodeRef, Permissions,
    RenameFlags, Result, SetAttr, Stat, Timespec,
};

use crate::dir::DirData;
use crate::file::FileData;
use crate::{Shared, PAGE_SIZE};

/// Linux's tmpfs reports a directory's size as this many bytes per entry.
const BOGO_DIRENT_SIZE: u64 = 20;

/// Bytes per `st_blocks` unit.
const STAT_BLOCK_SIZE: u64 = 512;

/// relatime: an atime older than this is refreshed even if newer than mtime.
const RELATIME_MAX_AGE_SECS: i64 = 24 * 60 * 60;

pub(crate) struct Meta {
    pub(crate) permissions: Permissions,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) nlink: u32,
    pub(crate) rdev: DeviceId,
    pub(crate) atime: Timespec,
    pub(crate) mtime: Timespec,
    pub(crate) ctime: Timespec,
    pub(crate) btime: Timespec,
}

pub(crate) struct DirBody {
    pub(crate) data: Mutex<DirData>,
    /// The directory holding this one; empty for the root. Changed only by
    /// rename, under the namespace lock.
    pub(crate) parent: Mutex<Weak<TmpfsInode>>,
}

pub(crate) enum Body {
    File(Mutex<FileData>),
    Dir(DirBody),
    Symlink(String),
    /// Device nodes, fifos and sockets: metadata only.
    Special,
}

/// A file, directory, symlink or special file of a [`crate::Tmpfs`].
pub struct TmpfsInode {
    pub(crate) shared: Arc<Shared>,
    pub(crate) this: Weak<TmpfsInode>,
    pub(crate) ino: u64,
    pub(crate) kind: FileType,
    pub(crate) meta: Mutex<Meta>,
    pub(crate) body: Body,
}

impl TmpfsInode {
    pub(crate) fn new_root(shared: &Arc<Shared>, opts: CreateOptions) -> Arc<TmpfsInode> {
        let ino = shared.allocate_inode().unwrap_or(0);
        let body = Body::Dir(DirBody {
            data: Mutex::new(DirData::default()),
            parent: Mutex::new(Weak::new()),
        });
        TmpfsInode::build(shared, ino, FileType::Directory, opts, body)
    }

    /// A new inode of `kind`, not yet linked into any directory.
    pub(crate) fn new(
        shared: &Arc<Shared>,
        kind: FileType,
        opts: CreateOptions,
        body: Body,
    ) -> Result<Arc<TmpfsInode>> {
        let ino = shared.allocate_inode()?;
        Ok(TmpfsInode::build(shared, ino, kind, opts, body))
    }

    fn build(
        shared: &Arc<Shared>,
        ino: u64,
        kind: FileType,
        opts: CreateOptions,
        body: Body,
    ) -> Arc<TmpfsInode> {
        let now = shared.now();
        let permissions = match kind {
            // Symlink permissions are meaningless; Linux shows 0777.
            FileType::Symlink => Permissions::new(0o777),
            _ => opts.permissions,
        };
        let rdev = match kind {
            FileType::CharDevice | FileType::BlockDevice => opts.rdev,
            _ => DeviceId::default(),
        };
        let meta = Meta {
            permissions,
            uid: opts.uid,
            gid: opts.gid,
            nlink: if kind.is_dir() { 2 } else { 1 },
            rdev,
            atime: now,
            mtime: now,
            ctime: now,
            btime: now,
        };
        Arc::new_cyclic(|this| TmpfsInode {
            shared: shared.clone(),
            this: this.clone(),
            ino,
            kind,
            meta: Mutex::new(meta),
            body,
        })
    }

    pub(crate) fn arc(&self) -> Arc<TmpfsInode> {
        // `this` points at the Arc that owns `self`, which is alive while
        // anyone can call a method on it.
        self.this.upgrade().expect("a live inode has a live Arc")
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.kind.is_dir()
    }

    pub(crate) fn dir(&self) -> Result<&DirBody> {
        match &self.body {
            Body::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR.into()),
        }
    }

    /// `inode` as a tmpfs inode of this same instance, or EXDEV.
    pub(crate) fn same_fs(&self, inode: &InodeRef) -> Result<Arc<TmpfsInode>> {
        inode
            .as_any()
            .downcast_ref::<TmpfsInode>()
            .filter(|other| Arc::ptr_eq(&other.shared, &self.shared))
            .map(TmpfsInode::arc)
            .ok_or_else(|| Errno::EXDEV.into())
    }

    /// Records a change of the inode itself (links, owner, mode): ctime.
    pub(crate) fn touch_ctime(&self, now: Timespec) {
        self.meta.lock().ctime = now;
    }

    /// Records a change of the contents: mtime and ctime.
    pub(crate) fn touch_mtime(&self, now: Timespec) {
        let mut meta = self.meta.lock();
        meta.mtime = now;
        meta.ctime = now;
    }

    /// Records an access the way Linux's default `relatime` does: only when
    /// atime is not newer than mtime or ctime, or is a day old.
    pub(crate) fn touch_atime(&self) {
        let now = self.shared.now();
        let mut meta = self.meta.lock();
        let is_stale = meta.atime <= meta.mtime
            || meta.atime <= meta.ctime
            || now.sec - meta.atime.sec >= RELATIME_MAX_AGE_SECS;
        if is_stale {
            meta.atime = now;
        }
    }

    fn size_and_pages(&self) -> (u64, u64) {
        match &self.body {
            Body::File(data) => {
                let data = data.lock();
                (data.size(), data.page_count())
            }
            Body::Dir(dir) => {
                let entries = dir.data.lock().len() as u64;
                ((entries + 2) * BOGO_DIRENT_SIZE, 0)
            }
            Body::Symlink(target) => (target.len() as u64, 0),
            Body::Special => (0, 0),
        }
    }

    fn truncate(&self, size: u64) -> Result<()> {
        let discarded = match &self.body {
            Body::File(data) => data.lock().set_size(&self.shared, size)?,
            Body::Dir(_) => return Err(Errno::EISDIR.into()),
            _ => return Err(Errno::EINVAL.into()),
        };
        // Told after the data lock is released: mapping code that takes it
        // (a page fault asking for a page) may hold locks of its own.
        if let Some(first_index) = discarded {
            self.shared.page_source.discarded(self, first_index);
        }
        Ok(())
    }
}

impl Drop for TmpfsInode {
    fn drop(&mut self) {
        match &mut self.body {
            Body::File(data) => self.shared.release_pages(data.get_mut().page_count()),
            // Left to itself, dropping a directory drops its subdirectories
            // from inside its own drop, one stack frame per level: a deep
            // tree would overflow the kernel stack. Instead the subtree is
            // taken apart here, and each directory this drop solely owns is
            // emptied before it is dropped.
            Body::Dir(dir) => {
                let mut pending = dir.data.get_mut().take_inodes();
                while let Some(inode) = pending.pop() {
                    if let Ok(mut inode) = Arc::try_unwrap(inode) {
                        if let Body::Dir(dir) = &mut inode.body {
                            pending.append(&mut dir.data.get_mut().take_inodes());
                        }
                    }
                }
            }
            Body::Symlink(_) | Body::Special => {}
        }
        self.shared.release_inode();
    }
}

impl Inode for TmpfsInode {
    fn stat(&self) -> Result<Stat> {
        let (size, pages) = self.size_and_pages();
        let meta = self.meta.lock();
        Ok(Stat {
            dev: self.shared.dev,
            ino: self.ino,
            mode: self.kind.mode_bits() | meta.permissions.bits(),
            nlink: meta.nlink,
            uid: meta.uid,
            gid: meta.gid,
            rdev: meta.rdev,
            size,
            blksize: PAGE_SIZE as u32,
            blocks: pages * (PAGE_SIZE as u64 / STAT_BLOCK_SIZE),
            atime: meta.atime,
            mtime: meta.mtime,
            ctime: meta.ctime,
            btime: meta.btime,
        })
    }

    fn file_type(&self) -> FileType {
        self.kind
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn set_attr(&self, attr: SetAttr) -> Result<()> {
        if let Some(size) = attr.size {
            self.truncate(size)?;
        }

        let now = self.shared.now();
        let mut meta = self.meta.lock();
        if let Some(permissions) = attr.permissions {
            meta.permissions = permissions;
        }
        if let Some(uid) = attr.uid {
            meta.uid = uid;
        }
        if let Some(gid) = attr.gid {
            meta.gid = gid;
        }
        if let Some(atime) = attr.atime {
            meta.atime = atime;
        }
        if let Some(mtime) = attr.mtime {
            meta.mtime = mtime;
        }
        // truncate(2) stamps mtime even when the size does not change.
        if attr.size.is_some() && attr.mtime.is_none() {
            meta.mtime = now;
        }
        if attr != SetAttr::default() {
            meta.ctime = now;
        }
        Ok(())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let Body::File(data) = &self.body else {
            return Err(self.not_a_file());
        };
        let read = data.lock().read(offset, buf);
        self.touch_atime();
        Ok(read)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<usize> {
        let Body::File(data) = &self.body else {
            return Err(self.not_a_file());
        };
        // A write of nothing changes nothing, times included.
        if buf.is_empty() {
            return Ok(0);
        }
        let written = data.lock().write(&self.shared, offset, buf)?;
        self.touch_mtime(self.shared.now());
        Ok(written)
    }

    fn shared_page(&self, index: u64, f: &mut dyn FnMut(&dyn DataPage)) -> Result<()> {
        let Body::File(data) = &self.body else {
            return Err(self.not_a_file());
        };
        let mut data = data.lock();
        f(data.shared_page(&self.shared, index)?);
        Ok(())
    }

    fn lookup(&self, name: &str) -> Result<InodeRef> {
        self.dir_lookup(name)
    }

    fn create(&self, name: &str, kind: FileType, opts: CreateOptions) -> Result<InodeRef> {
        self.dir_create(name, kind, opts)
            .map(|inode| inode as InodeRef)
    }

    fn symlink(&self, name: &str, target: &str, opts: CreateOptions) -> Result<InodeRef> {
        self.dir_symlink(name, target, opts)
            .map(|inode| inode as InodeRef)
    }

    fn link(&self, name: &str, target: &InodeRef) -> Result<()> {
        self.dir_link(name, target)
    }

    fn unlink(&self, name: &str) -> Result<()> {
        self.dir_unlink(name)
    }

    fn rmdir(&self, name: &str) -> Result<()> {
        self.dir_rmdir(name)
    }

    fn rename(
        &self,
        old_name: &str,
        new_dir: &InodeRef,
        new_name: &str,
        flags: RenameFlags,
    ) -> Result<()> {
        self.dir_rename(old_name, new_dir, new_name, flags)
    }

    fn readdir(&self, cookie: u64, sink: &mut DirSink<'_>) -> Result<()> {
        self.dir_readdir(cookie, sink)
    }

    fn readlink(&self) -> Result<String> {
        match &self.body {
            Body::Symlink(target) => {
                self.touch_atime();
                Ok(target.clone())
            }
            _ => Err(Errno::EINVAL.into()),
        }
    }
}
