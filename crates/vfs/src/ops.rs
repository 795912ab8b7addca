//! Operations on names: create, link, remove and rename.
//!
//! Each checks what Linux checks, in Linux's order, before asking the
//! filesystem: the last component's kind, a read-only mount (`EROFS`), the
//! name's existence, write and search permission on the directory
//! (`EACCES`), the sticky bit (`EPERM`), the entry's type and mount points
//! (`EBUSY`).

use alloc::string::String;
use alloc::sync::Arc;

use linux_raw_sys::general as raw;

use crate::cred::{Access, Credentials};
use crate::errno::{Errno, Error, Result};
use crate::inode::{CreateOptions, RenameFlags};
use crate::namespace::Vfs;
use crate::node::PathNode;
use crate::path::{check_name, Caller, LastComponent, ParentPath, PATH_MAX};
use crate::types::{DeviceId, FileType, Permissions, Stat};

/// Fails with `EROFS` on a read-only mount.
pub(crate) fn check_writable_mount(node: &PathNode) -> Result<()> {
    if node.mount().is_read_only() {
        Err(Errno::EROFS.into())
    } else {
        Ok(())
    }
}

/// Checks that the caller may add or remove names in `dir`; returns its stat.
pub(crate) fn check_dir_writable(creds: &Credentials, dir: &PathNode) -> Result<Stat> {
    let stat = dir.inode().stat()?;
    creds.check(&stat, Access::WRITE | Access::EXEC)?;
    Ok(stat)
}

/// Owner, group and mode bits for a new inode in a directory with `dir`'s
/// attributes: the umask applied, the group inherited from a setgid
/// directory (and, for a new directory, the setgid bit too).
pub(crate) fn create_options(
    caller: &Caller,
    dir: &Stat,
    kind: FileType,
    mode: u32,
    rdev: DeviceId,
) -> CreateOptions {
    let mut bits = Permissions::new(mode).with_umask(caller.umask).bits();
    let mut gid = caller.creds.gid;
    if dir.mode & raw::S_ISGID != 0 {
        gid = dir.gid;
        if kind.is_dir() {
            bits |= raw::S_ISGID;
        }
    }
    CreateOptions {
        permissions: Permissions::new(bits),
        uid: caller.creds.uid,
        gid,
        rdev,
    }
}

fn is_missing(error: &Error) -> bool {
    error.errno == Errno::ENOENT
}

impl Vfs {
    /// Resolves the parent of a name to create and checks everything up to
    /// the filesystem call: returns the directory, its stat and the name.
    fn prepare_create(
        &self,
        caller: &Caller,
        path: &str,
        allow_trailing_slash: bool,
    ) -> Result<(Arc<PathNode>, Stat, String)> {
        let ParentPath {
            dir,
            last,
            must_be_dir,
        } = self.resolve_parent(caller, path)?;
        let LastComponent::Name(name) = last else {
            return Err(Errno::EEXIST.into());
        };
        check_name(&name)?;
        match self.step(&dir, &name) {
            Ok(_) => return Err(Errno::EEXIST.into()),
            Err(error) if is_missing(&error) => {}
            Err(error) => return Err(error),
        }
        if must_be_dir && !allow_trailing_slash {
            return Err(Errno::ENOENT.into());
        }
        check_writable_mount(&dir)?;
        let stat = check_dir_writable(caller.creds, &dir)?;
        Ok((dir, stat, name))
    }

    /// `mkdir`.
    pub fn mkdir(&self, caller: &Caller, path: &str, mode: u32) -> Result<()> {
        let (dir, stat, name) = self.prepare_create(caller, path, true)?;
        let kind = FileType::Directory;
        let opts = create_options(caller, &stat, kind, mode, DeviceId::default());
        dir.inode().create(&name, kind, opts)?;
        Ok(())
    }

    /// `mknod`: `mode` carries the file type (`S_IFCHR`, ...; 0 is a regular
    /// file) and the permission bits. Device nodes need root.
    pub fn mknod(&self, caller: &Caller, path: &str, mode: u32, rdev: DeviceId) -> Result<()> {
        let kind = match mode & raw::S_IFMT {
            0 => FileType::Regular,
            _ => FileType::from_mode(mode).ok_or(Errno::EINVAL)?,
        };
        match kind {
            FileType::Regular | FileType::Fifo | FileType::Socket => {}
            FileType::CharDevice | FileType::BlockDevice if caller.creds.is_root() => {}
            FileType::CharDevice | FileType::BlockDevice | FileType::Directory => {
                return Err(Errno::EPERM.into());
            }
            FileType::Symlink => return Err(Errno::EINVAL.into()),
        }
        let (dir, stat, name) = self.prepare_create(caller, path, false)?;
        let opts = create_options(caller, &stat, kind, mode, rdev);
        dir.inode().create(&name, kind, opts)?;
        Ok(())
    }

    /// `symlink`: creates `link_path` pointing at `target` (stored as is).
    pub fn symlink(&self, caller: &Caller, target: &str, link_path: &str) -> Result<()> {
        if target.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG.into());
        }
        let (dir, stat, name) = self.prepare_create(caller, link_path, false)?;
        // Symlinks are always 0777; the umask does not apply.
        const SYMLINK_MODE: u32 = 0o777;
        let opts = create_options(
            caller,
            &stat,
            FileType::Symlink,
            SYMLINK_MODE,
            DeviceId::default(),
        );
        let opts = CreateOptions {
            permissions: Permissions::new(SYMLINK_MODE),
            ..opts
        };
        dir.inode().symlink(&name, target, opts)?;
        Ok(())
    }

    /// `linkat`: a new name `new_path` for the inode at `old_path` (followed
    /// only with `follow`, i.e. `AT_SYMLINK_FOLLOW`).
    pub fn link(
        &self,
        from: &Caller,
        old_path: &str,
        to: &Caller,
        new_path: &str,
        follow: bool,
    ) -> Result<()> {
        let source = self.resolve(from, old_path, follow)?;
        let (dir, _, name) = self.prepare_create(to, new_path, false)?;
        if !Arc::ptr_eq(source.mount(), dir.mount()) {
            return Err(Errno::EXDEV.into());
        }
        if source.is_dir() {
            return Err(Errno::EPERM.into());
        }
        dir.inode().link(&name, source.inode())
    }

    /// Resolves the entry a removal or rename acts on.
    fn removal_target(
        &self,
        caller: &Caller,
        path: &str,
        is_rmdir: bool,
    ) -> Result<(Arc<PathNode>, String, Arc<PathNode>, bool)> {
        let ParentPath {
            dir,
            last,
            must_be_dir,
        } = self.resolve_parent(caller, path)?;
        let name = match (last, is_rmdir) {
            (LastComponent::Name(name), _) => name,
            (_, false) => return Err(Errno::EISDIR.into()),
            (LastComponent::Dot, true) => return Err(Errno::EINVAL.into()),
            (LastComponent::DotDot, true) => return Err(Errno::ENOTEMPTY.into()),
            (LastComponent::Root, true) => return Err(Errno::EBUSY.into()),
        };
        check_writable_mount(&dir)?;
        let victim = self.step(&dir, &name)?;
        Ok((dir, name, victim, must_be_dir))
    }

    /// The checks of deleting `victim` from `dir`: permission, sticky bit,
    /// type (`want_dir` for rmdir), mount point.
    fn check_delete(
        creds: &Credentials,
        dir: &PathNode,
        victim: &PathNode,
        want_dir: bool,
    ) -> Result<()> {
        let dir_stat = check_dir_writable(creds, dir)?;
        creds.check_sticky(&dir_stat, &victim.inode().stat()?)?;
        match (want_dir, victim.is_dir()) {
            (true, false) => return Err(Errno::ENOTDIR.into()),
            (false, true) => return Err(Errno::EISDIR.into()),
            _ => {}
        }
        if victim.is_mount_root() {
            return Err(Errno::EBUSY.into());
        }
        Ok(())
    }

    /// `unlink`: removes a name that is not a directory.
    pub fn unlink(&self, caller: &Caller, path: &str) -> Result<()> {
        let (dir, name, victim, must_be_dir) = self.removal_target(caller, path, false)?;
        if must_be_dir {
            let errno = if victim.is_dir() {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            };
            return Err(errno.into());
        }
        Self::check_delete(caller.creds, &dir, &victim, false)?;
        dir.inode().unlink(&name)?;
        dir.forget_child(&name, Some(victim.inode()));
        Ok(())
    }

    /// `rmdir`: removes an empty directory.
    pub fn rmdir(&self, caller: &Caller, path: &str) -> Result<()> {
        let (dir, name, victim, _) = self.removal_target(caller, path, true)?;
        Self::check_delete(caller.creds, &dir, &victim, true)?;
        dir.inode().rmdir(&name)?;
        dir.forget_child(&name, Some(victim.inode()));
        Ok(())
    }

    /// `readlink`: the target of the symlink at `path`; `EINVAL` for
    /// anything else.
    pub fn readlink(&self, caller: &Caller, path: &str) -> Result<String> {
        let node = self.resolve(caller, path, false)?;
        if node.file_type() != FileType::Symlink {
            return Err(Errno::EINVAL.into());
        }
        node.inode().readlink()
    }

    /// `renameat2`.
    pub fn rename(
        &self,
        from: &Caller,
        old_path: &str,
        to: &Caller,
        new_path: &str,
        flags: RenameFlags,
    ) -> Result<()> {
        if flags.exchange && flags.no_replace {
            return Err(Errno::EINVAL.into());
        }
        let old = self.resolve_parent(from, old_path)?;
        let new = self.resolve_parent(to, new_path)?;
        let (LastComponent::Name(old_name), LastComponent::Name(new_name)) = (&old.last, &new.last)
        else {
            return Err(Errno::EBUSY.into());
        };
        if !Arc::ptr_eq(old.dir.mount(), new.dir.mount()) {
            return Err(Errno::EXDEV.into());
        }
        check_writable_mount(&old.dir)?;
        check_name(new_name)?;

        let _serial = self.rename_lock.lock();
        let source = self.step(&old.dir, old_name)?;
        let target = match self.step(&new.dir, new_name) {
            Ok(node) => Some(node),
            Err(error) if is_missing(&error) && !flags.exchange => None,
            Err(error) => return Err(error),
        };
        if flags.no_replace && target.is_some() {
            return Err(Errno::EEXIST.into());
        }
        let slash_demands_dir = old.must_be_dir || (new.must_be_dir && !flags.exchange);
        if slash_demands_dir && !source.is_dir() {
            return Err(Errno::ENOTDIR.into());
        }
        if let Some(target) = &target {
            if source.same_place(target) {
                // Two names of one inode: POSIX says do nothing.
                return Ok(());
            }
        }
        self.check_rename(from.creds, &old, &source, &new, target.as_deref(), flags)?;

        old.dir
            .inode()
            .rename(old_name, new.dir.inode(), new_name, flags)?;
        PathNode::move_child(&old.dir, old_name, &new.dir, new_name, flags.exchange);
        Ok(())
    }

    fn check_rename(
        &self,
        creds: &Credentials,
        old: &ParentPath,
        source: &PathNode,
        new: &ParentPath,
        target: Option<&PathNode>,
        flags: RenameFlags,
    ) -> Result<()> {
        // A directory cannot move below itself.
        if source.is_dir() && is_ancestor(source, &new.dir) {
            return Err(Errno::EINVAL.into());
        }
        Self::check_delete(creds, &old.dir, source, source.is_dir())?;
        match target {
            Some(target) => {
                let want_dir = if flags.exchange {
                    target.is_dir()
                } else {
                    source.is_dir()
                };
                Self::check_delete(creds, &new.dir, target, want_dir)?;
                if is_ancestor(target, &old.dir) {
                    let errno = if flags.exchange {
                        Errno::EINVAL
                    } else {
                        Errno::ENOTEMPTY
                    };
                    return Err(errno.into());
                }
            }
            None => {
                check_dir_writable(creds, &new.dir)?;
            }
        }
        // Moving a directory rewrites its `..`, which needs write access to it.
        let moves_dir = !old.dir.same_place(&new.dir);
        if moves_dir && source.is_dir() {
            creds.check(&source.inode().stat()?, Access::WRITE)?;
        }
        if let Some(target) = target.filter(|target| flags.exchange && target.is_dir()) {
            if moves_dir {
                creds.check(&target.inode().stat()?, Access::WRITE)?;
            }
        }
        Ok(())
    }
}

/// Whether `ancestor` is `node` or one of the directories above it.
fn is_ancestor(ancestor: &PathNode, node: &Arc<PathNode>) -> bool {
    let mut current = Some(node.clone());
    while let Some(node) = current {
        if node.same_place(ancestor) {
            return true;
        }
        current = node.parent();
    }
    false
}
