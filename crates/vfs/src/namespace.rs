//! The namespace: the mount table, its root node and the kernel's clock.
//!
//! [`Vfs`] is what the syscall layer holds. Its methods are spread over the
//! modules by concern: mounts and working directories here, resolution in
//! `path`, creating and removing names in `ops`, attributes in `attr`.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use spin::{Mutex, RwLock};

use crate::cred::{Access, Credentials};
use crate::errno::{Errno, Result};
use crate::inode::{Clock, FileSystem};
use crate::mount::{format_mounts, Mount, MountFlags, MountInfo, MountTable};
use crate::node::PathNode;
use crate::path::Caller;

/// A mount namespace with everything path operations need.
pub struct Vfs {
    pub(crate) mounts: RwLock<MountTable>,
    root: Arc<PathNode>,
    clock: Arc<dyn Clock>,
    /// Serialises renames, so the path-node moves they make never interleave.
    pub(crate) rename_lock: Mutex<()>,
}

impl Vfs {
    /// A namespace whose `/` is the root of `root_fs`.
    pub fn new(
        root_fs: Arc<dyn FileSystem>,
        source: &str,
        flags: MountFlags,
        clock: Arc<dyn Clock>,
    ) -> Vfs {
        let mut mounts = MountTable::default();
        let root_inode = root_fs.root();
        let mount = mounts.add(root_fs, root_inode.clone(), None, flags, source);
        Vfs {
            mounts: RwLock::new(mounts),
            root: PathNode::new_root(root_inode, mount),
            clock,
            rename_lock: Mutex::new(()),
        }
    }

    /// The top of the namespace: the root and first cwd of `init`.
    pub fn root(&self) -> Arc<PathNode> {
        self.root.clone()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Mounts `fs` on the directory `target`, on top of whatever is mounted
    /// there already.
    pub fn mount(
        &self,
        caller: &Caller,
        target: &str,
        fs: Arc<dyn FileSystem>,
        source: &str,
        flags: MountFlags,
    ) -> Result<()> {
        let root = fs.root();
        self.attach(caller, target, fs, root, source, flags)
    }

    /// Makes the subtree at `source_path` visible at `target` too (a
    /// non-recursive bind mount: mounts below the source are not repeated).
    pub fn bind_mount(
        &self,
        caller: &Caller,
        source_path: &str,
        target: &str,
        flags: MountFlags,
    ) -> Result<()> {
        let source = self.resolve(caller, source_path, true)?;
        if !source.is_dir() {
            // TODO: binding a file onto a file; only directories are supported.
            return Err(Errno::ENOTDIR.into());
        }
        let fs = source.mount().fs().clone();
        let name = String::from(source.mount().source());
        self.attach(caller, target, fs, source.inode().clone(), &name, flags)
    }

    fn attach(
        &self,
        caller: &Caller,
        target: &str,
        fs: Arc<dyn FileSystem>,
        root: crate::inode::InodeRef,
        source: &str,
        flags: MountFlags,
    ) -> Result<()> {
        if !caller.creds.is_root() {
            return Err(Errno::EPERM.into());
        }
        let node = self.resolve(caller, target, true)?;
        if !node.is_dir() {
            return Err(Errno::ENOTDIR.into());
        }
        if node.parent().is_none() {
            // TODO: mounting over the namespace top needs a replaceable root node.
            return Err(Errno::EBUSY.into());
        }

        let ino = node.inode().stat()?.ino;
        let mut mounts = self.mounts.write();
        if mounts.covering(node.mount().id(), ino).is_some() {
            // Another mount went there since the lookup.
            return Err(Errno::EBUSY.into());
        }
        mounts.add(fs, root, Some((node, ino)), flags, source);
        Ok(())
    }

    /// Unmounts the mount whose root is `target`: `EINVAL` when `target` is
    /// not a mount root, `EBUSY` while mounts sit below it or anything (a
    /// cwd, an open file) still uses it.
    pub fn unmount(&self, caller: &Caller, target: &str) -> Result<()> {
        self.unmount_with(caller, target, false, true)
    }

    /// `umount2`: with `detach` (MNT_DETACH) the mount and every mount
    /// below it leave the tree at once, even while in use; open files and
    /// working directories inside keep them alive until they are let go.
    /// `follow` false (UMOUNT_NOFOLLOW) does not follow a final symlink.
    pub fn unmount_with(
        &self,
        caller: &Caller,
        target: &str,
        detach: bool,
        follow: bool,
    ) -> Result<()> {
        if !caller.creds.is_root() {
            return Err(Errno::EPERM.into());
        }
        let node = self.resolve(caller, target, follow)?;
        if !node.is_mount_root() {
            return Err(Errno::EINVAL.into());
        }
        if node.parent().is_none() {
            return Err(Errno::EBUSY.into());
        }
        let mount = node.mount().clone();
        drop(node);

        let removed = {
            let mut mounts = self.mounts.write();
            if detach {
                // The subtree, children first, so each removal finds its
                // covering entry.
                let mut order = vec![mount.clone()];
                let mut next = 0;
                while next < order.len() {
                    let children = mounts.children(order[next].id());
                    order.extend(children);
                    next += 1;
                }
                order
                    .iter()
                    .rev()
                    .filter_map(|each| mounts.remove(each))
                    .collect::<Vec<_>>()
            } else {
                // One reference is the table's, one is `mount`.
                const UNUSED_REFS: usize = 2;
                if mounts.has_children(mount.id()) || Arc::strong_count(&mount) > UNUSED_REFS {
                    return Err(Errno::EBUSY.into());
                }
                mounts.remove(&mount).into_iter().collect()
            }
        };
        // Dropped after the lock: dropping a mount drops its mount point node.
        drop(removed);
        Ok(())
    }

    /// The mounts visible from `root`, in mount order, with targets
    /// relative to it (a mount outside `root` is left out).
    pub fn mounts(&self, root: &PathNode) -> Vec<MountInfo> {
        let mounts = self.mounts.read().mounts();
        let mut infos = Vec::new();
        for mount in mounts {
            let target = match mount.mountpoint() {
                Some(point) => match point.absolute_path(root) {
                    (path, true) => path,
                    (_, false) => continue,
                },
                None if root.parent().is_none() => String::from("/"),
                None => continue,
            };
            let parent_id = mount
                .mountpoint()
                .map_or(mount.id(), |point| point.mount().id());
            infos.push(MountInfo {
                id: mount.id(),
                parent_id,
                dev: mount.root().stat().map(|stat| stat.dev).unwrap_or_default(),
                source: String::from(mount.source()),
                target,
                fs_type: String::from(mount.fs().name()),
                flags: mount.flags(),
                options: mount.flags().options(),
            });
        }
        infos
    }

    /// `/proc/mounts` as seen from `root`.
    pub fn mounts_text(&self, root: &PathNode) -> String {
        format_mounts(&self.mounts(root))
    }

    /// A mount outside the namespace for files no path reaches (pipes,
    /// sockets); use it with [`PathNode::anonymous`].
    pub fn kernel_mount(&self, fs: Arc<dyn FileSystem>, source: &str) -> Arc<Mount> {
        let root = fs.root();
        self.mounts
            .write()
            .detached(fs, root, MountFlags::empty(), source)
    }

    /// The directory `chdir` moves to: `ENOTDIR` unless a directory,
    /// `EACCES` unless searchable.
    pub fn chdir(&self, caller: &Caller, path: &str) -> Result<Arc<PathNode>> {
        let node = self.resolve(caller, path, true)?;
        Self::check_chdir(caller.creds, &node)?;
        Ok(node)
    }

    /// The checks of `chdir` and `fchdir` on a node.
    pub fn check_chdir(creds: &Credentials, node: &PathNode) -> Result<()> {
        if !node.is_dir() {
            return Err(Errno::ENOTDIR.into());
        }
        creds.check(&node.inode().stat()?, Access::EXEC)
    }

    /// The new root `chroot` sets (root only).
    pub fn chroot(&self, caller: &Caller, path: &str) -> Result<Arc<PathNode>> {
        if !caller.creds.is_root() {
            return Err(Errno::EPERM.into());
        }
        self.chdir(caller, path)
    }

    /// The working directory as `getcwd` reports it: `ENOENT` once it was
    /// removed, `(unreachable)` prefixed when it lies outside the root.
    pub fn getcwd(&self, caller: &Caller) -> Result<String> {
        if caller.cwd.is_deleted() {
            return Err(Errno::ENOENT.into());
        }
        let (mut path, reachable) = caller.cwd.absolute_path(caller.root);
        if !reachable {
            path.insert_str(0, "(unreachable)");
        }
        Ok(path)
    }
}
