//! `open`: resolving, creating and checking a file, then describing it.

use alloc::sync::Arc;

use crate::cred::Access;
use crate::errno::{Errno, Result};
use crate::file::OpenFile;
use crate::inode::SetAttr;
use crate::namespace::Vfs;
use crate::node::PathNode;
use crate::ops::{check_dir_writable, check_writable_mount, create_options};
use crate::path::{check_name, Caller, CreateTarget, Walker};
use crate::types::{DeviceId, FileType, OpenFlags};

/// The only flags `O_PATH` keeps; Linux ignores the others.
const PATH_ONLY_FLAGS: OpenFlags = OpenFlags::PATH
    .union(OpenFlags::DIRECTORY)
    .union(OpenFlags::NOFOLLOW)
    .union(OpenFlags::CLOEXEC);

impl Vfs {
    /// `openat`: resolves `path` (creating it with `O_CREAT`), checks access
    /// and returns a new open file description. `mode` gives the
    /// permissions of a created file, before the caller's umask. The fd's
    /// close-on-exec flag (`O_CLOEXEC`) is the fd table's business.
    pub fn open(
        &self,
        caller: &Caller,
        path: &str,
        flags: OpenFlags,
        mode: u32,
    ) -> Result<Arc<OpenFile>> {
        if flags.contains(OpenFlags::TMPFILE) {
            // TODO: O_TMPFILE needs unnamed inodes from the filesystems.
            return Err(Errno::EOPNOTSUPP.into());
        }
        if flags.contains(OpenFlags::CREAT | OpenFlags::DIRECTORY) {
            // Linux refuses the pair (since 6.4) rather than guess.
            return Err(Errno::EINVAL.into());
        }
        let flags = if flags.contains(OpenFlags::PATH) {
            flags.intersection(PATH_ONLY_FLAGS)
        } else {
            flags
        };
        let follow = !flags.contains(OpenFlags::NOFOLLOW);

        let (node, created) = if flags.contains(OpenFlags::CREAT) {
            self.open_or_create(caller, path, flags, mode)?
        } else {
            (self.resolve(caller, path, follow)?, false)
        };

        if flags.contains(OpenFlags::DIRECTORY) && !node.is_dir() {
            return Err(Errno::ENOTDIR.into());
        }
        if flags.contains(OpenFlags::PATH) {
            return Ok(Arc::new(OpenFile::new(node, None, flags)));
        }
        if !created {
            self.check_open(caller, &node, flags)?;
        }
        let ops = node.inode().open(flags)?;
        Ok(Arc::new(OpenFile::new(node, ops, flags)))
    }

    /// The `O_CREAT` half of `open`: finds the file or creates it; says
    /// whether it was created.
    fn open_or_create(
        &self,
        caller: &Caller,
        path: &str,
        flags: OpenFlags,
        mode: u32,
    ) -> Result<(Arc<PathNode>, bool)> {
        let exclusive = flags.contains(OpenFlags::EXCL);
        let follow = !flags.contains(OpenFlags::NOFOLLOW) && !exclusive;
        match Walker::new(self, caller, path)?.resolve_for_create(follow)? {
            CreateTarget::Exists { node, must_be_dir } => {
                if must_be_dir {
                    return Err(Errno::EISDIR.into());
                }
                if exclusive {
                    return Err(Errno::EEXIST.into());
                }
                if node.is_dir() {
                    return Err(Errno::EISDIR.into());
                }
                Ok((node, false))
            }
            CreateTarget::Missing {
                dir,
                name,
                must_be_dir,
            } => {
                if must_be_dir {
                    return Err(Errno::EISDIR.into());
                }
                check_name(&name)?;
                check_writable_mount(&dir)?;
                let stat = check_dir_writable(caller.creds, &dir)?;
                let kind = FileType::Regular;
                let opts = create_options(caller, &stat, kind, mode, DeviceId::default());
                let inode = dir.inode().create(&name, kind, opts)?;
                let node = dir.child(&name, inode, dir.mount());
                Ok((node, true))
            }
        }
    }

    /// The checks on an existing file (Linux's `may_open`), and `O_TRUNC`.
    fn check_open(&self, caller: &Caller, node: &PathNode, flags: OpenFlags) -> Result<()> {
        let kind = node.file_type();
        let truncate = flags.contains(OpenFlags::TRUNC) && kind == FileType::Regular;
        let writes = flags.can_write() || flags.contains(OpenFlags::TRUNC);
        match kind {
            FileType::Symlink => return Err(Errno::ELOOP.into()),
            FileType::Directory if writes => return Err(Errno::EISDIR.into()),
            FileType::Socket => return Err(Errno::ENXIO.into()),
            FileType::CharDevice | FileType::BlockDevice
                if node
                    .mount()
                    .flags()
                    .contains(crate::mount::MountFlags::NODEV) =>
            {
                return Err(Errno::EACCES.into());
            }
            _ => {}
        }

        let mut want = Access::empty();
        if flags.can_read() {
            want |= Access::READ;
        }
        if flags.can_write() || truncate {
            want |= Access::WRITE;
        }
        let stored = matches!(kind, FileType::Regular | FileType::Directory);
        if stored && want.contains(Access::WRITE) {
            check_writable_mount(node)?;
        }
        caller.creds.check(&node.inode().stat()?, want)?;

        if truncate {
            node.inode().set_attr(SetAttr {
                size: Some(0),
                ..SetAttr::default()
            })?;
        }
        Ok(())
    }
}
