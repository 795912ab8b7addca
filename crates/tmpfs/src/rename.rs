//! rename and renameat2 (`RENAME_NOREPLACE`, `RENAME_EXCHANGE`), with the
//! checks in the order Linux makes them, so each case gives Linux's errno.

use alloc::sync::Arc;

use spin::MutexGuard;
use vfs::{Errno, InodeRef, RenameFlags, Result, Timespec};

use crate::dir::{check_name, DirData};
use crate::inode::TmpfsInode;

/// The locked directories of a rename: one when source and destination are
/// the same directory, two otherwise.
enum Locked<'a> {
    One(MutexGuard<'a, DirData>),
    Two {
        old: MutexGuard<'a, DirData>,
        new: MutexGuard<'a, DirData>,
    },
}

impl Locked<'_> {
    fn source(&mut self) -> &mut DirData {
        match self {
            Locked::One(data) => data,
            Locked::Two { old, .. } => old,
        }
    }

    fn dest(&mut self) -> &mut DirData {
        match self {
            Locked::One(data) => data,
            Locked::Two { new, .. } => new,
        }
    }
}

impl TmpfsInode {
    /// Whether `self` is `dir` or one of its ancestors.
    fn is_ancestor_of(&self, dir: &TmpfsInode) -> bool {
        let mut current = Some(dir.arc());
        while let Some(inode) = current {
            if core::ptr::eq(Arc::as_ptr(&inode), self) {
                return true;
            }
            current = inode.parent();
        }
        false
    }

    pub(crate) fn dir_rename(
        &self,
        old_name: &str,
        new_dir: &InodeRef,
        new_name: &str,
        flags: RenameFlags,
    ) -> Result<()> {
        if flags.no_replace && flags.exchange {
            return Err(Errno::EINVAL.into());
        }
        let old_body = self.dir()?;
        let new_dir = self.same_fs(new_dir)?;
        let new_body = new_dir.dir()?;
        for name in [old_name, new_name] {
            if name == "." || name == ".." {
                return Err(Errno::EBUSY.into());
            }
            check_name(name)?;
        }

        // Only one rename or rmdir runs at a time, so the two directory
        // locks below cannot be taken in opposite orders by someone else.
        let _namespace = self.shared.namespace.lock();
        let is_same_dir = core::ptr::eq(Arc::as_ptr(&new_dir), self);
        let mut locked = if is_same_dir {
            Locked::One(old_body.data.lock())
        } else {
            Locked::Two {
                old: old_body.data.lock(),
                new: new_body.data.lock(),
            }
        };

        let source = locked
            .source()
            .get(old_name)
            .cloned()
            .ok_or(Errno::ENOENT)?;
        if locked.dest().is_removed {
            return Err(Errno::ENOENT.into());
        }
        let target = locked.dest().get(new_name).cloned();
        match &target {
            Some(_) if flags.no_replace => return Err(Errno::EEXIST.into()),
            None if flags.exchange => return Err(Errno::ENOENT.into()),
            _ => {}
        }

        // A directory cannot move below itself, nor replace an ancestor of
        // the source (which is never empty, as it holds the source).
        if source.is_dir() && source.is_ancestor_of(&new_dir) {
            return Err(Errno::EINVAL.into());
        }
        if let Some(target) = &target {
            if target.is_dir() && target.is_ancestor_of(self) {
                let errno = if flags.exchange {
                    Errno::EINVAL
                } else {
                    Errno::ENOTEMPTY
                };
                return Err(errno.into());
            }
            if Arc::ptr_eq(target, &source) {
                return Ok(());
            }
        }

        let now = self.shared.now();
        match target {
            Some(target) if flags.exchange => {
                locked.source().replace(old_name, target.clone());
                locked.dest().replace(new_name, source.clone());
                drop(locked);
                self.exchange_bookkeeping(&new_dir, &source, &target, now);
            }
            target => {
                if let Some(target) = &target {
                    check_replaceable(&source, target)?;
                }
                locked.source().remove(old_name);
                locked.dest().replace(new_name, source.clone());
                drop(locked);
                if let Some(target) = &target {
                    new_dir.drop_replaced(target, now);
                }
                if source.is_dir() && !is_same_dir {
                    self.move_subdir(&new_dir, &source);
                }
                source.touch_ctime(now);
            }
        }

        self.touch_mtime(now);
        if !is_same_dir {
            new_dir.touch_mtime(now);
        }
        Ok(())
    }

    /// Moves the `..` of directory `moved` from `self` to `to`.
    fn move_subdir(&self, to: &Arc<TmpfsInode>, moved: &TmpfsInode) {
        self.meta.lock().nlink -= 1;
        to.meta.lock().nlink += 1;
        if let Ok(moved_dir) = moved.dir() {
            *moved_dir.parent.lock() = Arc::downgrade(to);
        }
    }

    /// Link counts and times after `target`, an entry of `self`, was
    /// replaced by a rename.
    fn drop_replaced(&self, target: &TmpfsInode, now: Timespec) {
        if target.is_dir() {
            self.mark_dir_removed(target, now);
            self.meta.lock().nlink -= 1;
        } else {
            let mut meta = target.meta.lock();
            meta.nlink = meta.nlink.saturating_sub(1);
            meta.ctime = now;
        }
    }

    /// After `source` (was in `self`) and `target` (was in `new_dir`)
    /// swapped places.
    fn exchange_bookkeeping(
        &self,
        new_dir: &Arc<TmpfsInode>,
        source: &TmpfsInode,
        target: &TmpfsInode,
        now: Timespec,
    ) {
        if !core::ptr::eq(Arc::as_ptr(new_dir), self) {
            if source.is_dir() {
                self.move_subdir(new_dir, source);
            }
            if target.is_dir() {
                new_dir.move_subdir(&self.arc(), target);
            }
        }
        source.touch_ctime(now);
        target.touch_ctime(now);
    }
}

/// Whether `source` may replace `target` in a plain rename. An empty target
/// directory is marked removed right away, under its lock, so nothing can be
/// created in it between this check and the replace.
fn check_replaceable(source: &TmpfsInode, target: &TmpfsInode) -> Result<()> {
    match (source.is_dir(), target.is_dir()) {
        (true, false) => Err(Errno::ENOTDIR.into()),
        (false, true) => Err(Errno::EISDIR.into()),
        (true, true) => {
            let mut target_data = target.dir()?.data.lock();
            if !target_data.is_empty() {
                return Err(Errno::ENOTEMPTY.into());
            }
            target_data.is_removed = true;
            Ok(())
        }
        (false, false) => Ok(()),
    }
}
