//! Directories: entries kept in creation order under increasing sequence
//! numbers, with a name index for O(log n) lookup.
//!
//! A readdir cookie is the sequence number to resume from: 0 is `.`, 1 is
//! `..`, and each entry's `next_cookie` is its own sequence number plus one.
//! Sequence numbers are never reused, so a listing resumed after entries were
//! added or removed returns every entry that existed throughout exactly once.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use linux_raw_sys::general::{NAME_MAX, PATH_MAX};
use spin::Mutex;
use vfs::{CreateOptions, DirEntry, DirSink, Errno, FileType, InodeRef, Result};

use crate::file::FileData;
use crate::inode::{Body, DirBody, TmpfsInode};

const DOT_COOKIE: u64 = 0;
const DOT_DOT_COOKIE: u64 = 1;
const FIRST_ENTRY_COOKIE: u64 = 2;

/// Entries copied out per lock hold in readdir, so the sink never runs with
/// the directory locked.
const READDIR_BATCH: usize = 64;

pub(crate) struct Entry {
    name: Arc<str>,
    pub(crate) inode: Arc<TmpfsInode>,
}

pub(crate) struct DirData {
    entries: BTreeMap<u64, Entry>,
    names: BTreeMap<Arc<str>, u64>,
    next_seq: u64,
    /// Set by rmdir: nothing may be created in a removed directory.
    pub(crate) is_removed: bool,
}

impl Default for DirData {
    fn default() -> DirData {
        DirData {
            entries: BTreeMap::new(),
            names: BTreeMap::new(),
            next_seq: FIRST_ENTRY_COOKIE,
            is_removed: false,
        }
    }
}

impl DirData {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Arc<TmpfsInode>> {
        let seq = self.names.get(name)?;
        self.entries.get(seq).map(|entry| &entry.inode)
    }

    /// Adds `name` as the newest entry; `name` must not exist yet.
    pub(crate) fn insert(&mut self, name: &str, inode: Arc<TmpfsInode>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let name: Arc<str> = Arc::from(name);
        self.names.insert(name.clone(), seq);
        self.entries.insert(seq, Entry { name, inode });
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Arc<TmpfsInode>> {
        let seq = self.names.remove(name)?;
        self.entries.remove(&seq).map(|entry| entry.inode)
    }

    /// Empties the directory, returning the inodes it held.
    pub(crate) fn take_inodes(&mut self) -> Vec<Arc<TmpfsInode>> {
        self.names.clear();
        let entries = core::mem::take(&mut self.entries);
        entries.into_values().map(|entry| entry.inode).collect()
    }

    /// Points `name` at `inode` as a new entry, returning what it replaced.
    pub(crate) fn replace(
        &mut self,
        name: &str,
        inode: Arc<TmpfsInode>,
    ) -> Option<Arc<TmpfsInode>> {
        let old = self.remove(name);
        self.insert(name, inode);
        old
    }
}

/// Checks a name a directory operation was given: Linux's limits, and no
/// `/` or NUL (path resolution never passes those).
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Errno::ENOENT.into());
    }
    if name.len() > NAME_MAX as usize {
        return Err(Errno::ENAMETOOLONG.into());
    }
    if name.contains(['/', '\0']) {
        return Err(Errno::EINVAL.into());
    }
    Ok(())
}

fn is_dot_or_dot_dot(name: &str) -> bool {
    name == "." || name == ".."
}

impl TmpfsInode {
    /// The directory holding this one; the root is its own parent.
    pub(crate) fn parent(&self) -> Option<Arc<TmpfsInode>> {
        self.dir().ok()?.parent.lock().upgrade()
    }

    fn parent_or_self(&self) -> Arc<TmpfsInode> {
        self.parent().unwrap_or_else(|| self.arc())
    }

    pub(crate) fn dir_lookup(&self, name: &str) -> Result<InodeRef> {
        let dir = self.dir()?;
        match name {
            "." => return Ok(self.arc()),
            ".." => return Ok(self.parent_or_self()),
            _ => check_name(name)?,
        }
        let data = dir.data.lock();
        match data.get(name) {
            Some(inode) => Ok(inode.clone()),
            None => Err(Errno::ENOENT.into()),
        }
    }

    pub(crate) fn dir_create(
        &self,
        name: &str,
        kind: FileType,
        opts: CreateOptions,
    ) -> Result<Arc<TmpfsInode>> {
        let body = match kind {
            FileType::Regular => Body::File(Mutex::new(FileData::default())),
            FileType::Directory => Body::Dir(DirBody {
                data: Mutex::new(DirData::default()),
                parent: Mutex::new(self.this.clone()),
            }),
            FileType::CharDevice | FileType::BlockDevice | FileType::Fifo | FileType::Socket => {
                Body::Special
            }
            // Symlinks have a target; they are made by `symlink`.
            FileType::Symlink => return Err(Errno::EINVAL.into()),
        };
        self.add_child(name, kind, opts, body)
    }

    pub(crate) fn dir_symlink(
        &self,
        name: &str,
        target: &str,
        opts: CreateOptions,
    ) -> Result<Arc<TmpfsInode>> {
        if target.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        // The target and its terminating NUL must fit in PATH_MAX.
        if target.len() >= PATH_MAX as usize {
            return Err(Errno::ENAMETOOLONG.into());
        }
        let body = Body::Symlink(target.into());
        self.add_child(name, FileType::Symlink, opts, body)
    }

    fn add_child(
        &self,
        name: &str,
        kind: FileType,
        opts: CreateOptions,
        body: Body,
    ) -> Result<Arc<TmpfsInode>> {
        let dir = self.dir()?;
        if is_dot_or_dot_dot(name) {
            return Err(Errno::EEXIST.into());
        }
        check_name(name)?;

        let mut data = dir.data.lock();
        if data.is_removed {
            return Err(Errno::ENOENT.into());
        }
        if data.get(name).is_some() {
            return Err(Errno::EEXIST.into());
        }
        let child = TmpfsInode::new(&self.shared, kind, opts, body)?;
        if kind.is_dir() {
            self.meta.lock().nlink += 1;
        }
        data.insert(name, child.clone());
        drop(data);

        self.touch_mtime(self.shared.now());
        Ok(child)
    }

    pub(crate) fn dir_link(&self, name: &str, target: &InodeRef) -> Result<()> {
        let dir = self.dir()?;
        let target = self.same_fs(target)?;
        if target.is_dir() {
            return Err(Errno::EPERM.into());
        }
        if is_dot_or_dot_dot(name) {
            return Err(Errno::EEXIST.into());
        }
        check_name(name)?;

        let mut data = dir.data.lock();
        if data.is_removed {
            return Err(Errno::ENOENT.into());
        }
        if data.get(name).is_some() {
            return Err(Errno::EEXIST.into());
        }
        let now = self.shared.now();
        {
            let mut meta = target.meta.lock();
            // An inode whose last link is gone cannot be linked back.
            if meta.nlink == 0 {
                return Err(Errno::ENOENT.into());
            }
            meta.nlink = meta.nlink.checked_add(1).ok_or(Errno::EMLINK)?;
            meta.ctime = now;
        }
        data.insert(name, target);
        drop(data);

        self.touch_mtime(now);
        Ok(())
    }

    pub(crate) fn dir_unlink(&self, name: &str) -> Result<()> {
        let dir = self.dir()?;
        if is_dot_or_dot_dot(name) {
            return Err(Errno::EISDIR.into());
        }
        check_name(name)?;

        let mut data = dir.data.lock();
        match data.get(name) {
            None => return Err(Errno::ENOENT.into()),
            Some(inode) if inode.is_dir() => return Err(Errno::EISDIR.into()),
            Some(_) => {}
        }
        let Some(victim) = data.remove(name) else {
            return Err(Errno::ENOENT.into());
        };
        drop(data);

        let now = self.shared.now();
        {
            let mut meta = victim.meta.lock();
            meta.nlink = meta.nlink.saturating_sub(1);
            meta.ctime = now;
        }
        self.touch_mtime(now);
        Ok(())
    }

    pub(crate) fn dir_rmdir(&self, name: &str) -> Result<()> {
        let dir = self.dir()?;
        match name {
            "." => return Err(Errno::EINVAL.into()),
            ".." => return Err(Errno::ENOTEMPTY.into()),
            _ => check_name(name)?,
        }

        let _namespace = self.shared.namespace.lock();
        let mut data = dir.data.lock();
        let victim = data.get(name).cloned().ok_or(Errno::ENOENT)?;
        let victim_dir = victim.dir()?;
        {
            let mut victim_data = victim_dir.data.lock();
            if !victim_data.is_empty() {
                return Err(Errno::ENOTEMPTY.into());
            }
            victim_data.is_removed = true;
        }
        data.remove(name);
        drop(data);

        let now = self.shared.now();
        self.mark_dir_removed(&victim, now);
        {
            let mut meta = self.meta.lock();
            meta.nlink -= 1;
            meta.mtime = now;
            meta.ctime = now;
        }
        Ok(())
    }

    /// Bookkeeping for a directory that left the tree (rmdir, or replaced by
    /// rename): no links remain. Its `..` still names the old parent, as on
    /// Linux, for a process whose cwd it is.
    pub(crate) fn mark_dir_removed(&self, victim: &TmpfsInode, now: vfs::Timespec) {
        let mut meta = victim.meta.lock();
        meta.nlink = 0;
        meta.ctime = now;
    }

    pub(crate) fn dir_readdir(&self, cookie: u64, sink: &mut DirSink<'_>) -> Result<()> {
        let dir = self.dir()?;
        if dir.data.lock().is_removed {
            return Err(Errno::ENOENT.into());
        }

        let mut cookie = cookie;
        if cookie == DOT_COOKIE {
            if !sink(self.dot_entry(".", self.ino, DOT_DOT_COOKIE)) {
                return Ok(());
            }
            cookie = DOT_DOT_COOKIE;
        }
        if cookie == DOT_DOT_COOKIE {
            let parent_ino = self.parent_or_self().ino;
            if !sink(self.dot_entry("..", parent_ino, FIRST_ENTRY_COOKIE)) {
                return Ok(());
            }
            cookie = FIRST_ENTRY_COOKIE;
        }

        loop {
            let batch: Vec<DirEntry> = {
                let data = dir.data.lock();
                data.entries
                    .range(cookie..)
                    .take(READDIR_BATCH)
                    .map(|(&seq, entry)| DirEntry {
                        ino: entry.inode.ino,
                        file_type: entry.inode.kind,
                        name: entry.name.as_ref().into(),
                        next_cookie: seq + 1,
                    })
                    .collect()
            };
            if batch.is_empty() {
                break;
            }
            for entry in batch {
                let next_cookie = entry.next_cookie;
                if !sink(entry) {
                    self.touch_atime();
                    return Ok(());
                }
                cookie = next_cookie;
            }
        }
        self.touch_atime();
        Ok(())
    }

    fn dot_entry(&self, name: &str, ino: u64, next_cookie: u64) -> DirEntry {
        DirEntry {
            ino,
            file_type: FileType::Directory,
            name: name.into(),
            next_cookie,
        }
    }
}
