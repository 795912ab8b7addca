//! Attributes: `stat`, `access`, `chmod`, `chown`, `utimensat`, `truncate`
//! and `statfs`, by path or (for the `f*` calls) by node.

use linux_raw_sys::general as raw;

use crate::cred::{Access, Credentials};
use crate::errno::{Errno, Result};
use crate::inode::SetAttr;
use crate::namespace::Vfs;
use crate::node::PathNode;
use crate::ops::check_writable_mount;
use crate::path::Caller;
use crate::types::{FileType, Permissions, Stat, StatFs, Timespec};

/// One timestamp of `utimensat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUpdate {
    /// `UTIME_OMIT`: leave it.
    Omit,
    /// `UTIME_NOW` (or a null `times` pointer): the current time.
    Now,
    Set(Timespec),
}

impl TimeUpdate {
    /// Decodes a `struct timespec` as `utimensat` does.
    pub fn from_timespec(sec: i64, nsec: i64) -> Result<TimeUpdate> {
        const NSEC_PER_SEC: i64 = 1_000_000_000;
        match nsec {
            n if n == i64::from(raw::UTIME_OMIT) => Ok(TimeUpdate::Omit),
            n if n == i64::from(raw::UTIME_NOW) => Ok(TimeUpdate::Now),
            0..NSEC_PER_SEC => Ok(TimeUpdate::Set(Timespec {
                sec,
                nsec: nsec as u32,
            })),
            _ => Err(Errno::EINVAL.into()),
        }
    }
}

/// The set-id bits a change of owner clears.
const SETID_BITS: u32 = raw::S_ISUID | raw::S_ISGID;

impl Vfs {
    pub fn stat(&self, caller: &Caller, path: &str, follow: bool) -> Result<Stat> {
        self.resolve(caller, path, follow)?.inode().stat()
    }

    /// `faccessat`: checks `want` with `caller.creds` (the syscall layer
    /// passes the real ids). An empty `want` (`F_OK`) only checks existence.
    pub fn access(&self, caller: &Caller, path: &str, want: Access, follow: bool) -> Result<()> {
        let node = self.resolve(caller, path, follow)?;
        let stat = node.inode().stat()?;
        let stored = matches!(
            node.file_type(),
            FileType::Regular | FileType::Directory | FileType::Symlink
        );
        if want.contains(Access::WRITE) && stored {
            check_writable_mount(&node)?;
        }
        caller.creds.check(&stat, want)
    }

    pub fn chmod(&self, caller: &Caller, path: &str, mode: u32, follow: bool) -> Result<()> {
        let node = self.resolve(caller, path, follow)?;
        self.chmod_node(caller.creds, &node, mode)
    }

    /// `fchmod`: owner or root only. A caller outside the file's group
    /// cannot set its setgid bit.
    pub fn chmod_node(&self, creds: &Credentials, node: &PathNode, mode: u32) -> Result<()> {
        check_writable_mount(node)?;
        let stat = node.inode().stat()?;
        if !creds.owns(&stat) {
            return Err(Errno::EPERM.into());
        }
        let mut bits = mode & Permissions::MASK;
        if !creds.is_root() && !creds.in_group(stat.gid) {
            bits &= !raw::S_ISGID;
        }
        node.inode().set_attr(SetAttr {
            permissions: Some(Permissions::new(bits)),
            ..SetAttr::default()
        })
    }

    /// `fchownat`; `None` (`-1`) leaves an id unchanged.
    pub fn chown(
        &self,
        caller: &Caller,
        path: &str,
        uid: Option<u32>,
        gid: Option<u32>,
        follow: bool,
    ) -> Result<()> {
        let node = self.resolve(caller, path, follow)?;
        self.chown_node(caller.creds, &node, uid, gid)
    }

    /// `fchown`: only root changes the owner; the owner may change the
    /// group to one of its own. Clears set-id bits of non-directories.
    pub fn chown_node(
        &self,
        creds: &Credentials,
        node: &PathNode,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<()> {
        check_writable_mount(node)?;
        let stat = node.inode().stat()?;
        if !creds.is_root() {
            let changes_owner = uid.is_some_and(|uid| uid != stat.uid);
            let bad_group = gid.is_some_and(|gid| gid != stat.gid && !creds.in_group(gid));
            if changes_owner || bad_group || creds.uid != stat.uid {
                return Err(Errno::EPERM.into());
            }
        }
        let mut attr = SetAttr {
            uid,
            gid,
            ..SetAttr::default()
        };
        let changes = uid.is_some() || gid.is_some();
        if changes && !node.is_dir() && stat.mode & SETID_BITS != 0 {
            attr.permissions = Some(Permissions::new(stat.mode & !SETID_BITS));
        }
        node.inode().set_attr(attr)
    }

    pub fn utimens(
        &self,
        caller: &Caller,
        path: &str,
        atime: TimeUpdate,
        mtime: TimeUpdate,
        follow: bool,
    ) -> Result<()> {
        let node = self.resolve(caller, path, follow)?;
        self.utimens_node(caller.creds, &node, atime, mtime)
    }

    /// `futimens`: setting explicit times needs ownership (`EPERM`);
    /// setting both to now needs ownership or write access (`EACCES`).
    pub fn utimens_node(
        &self,
        creds: &Credentials,
        node: &PathNode,
        atime: TimeUpdate,
        mtime: TimeUpdate,
    ) -> Result<()> {
        if atime == TimeUpdate::Omit && mtime == TimeUpdate::Omit {
            return Ok(());
        }
        check_writable_mount(node)?;
        let stat = node.inode().stat()?;
        if !creds.owns(&stat) {
            let only_now = matches!(atime, TimeUpdate::Now | TimeUpdate::Omit)
                && matches!(mtime, TimeUpdate::Now | TimeUpdate::Omit);
            if !only_now {
                return Err(Errno::EPERM.into());
            }
            creds.check(&stat, Access::WRITE)?;
        }
        let now = self.clock().now();
        let resolve = |update| match update {
            TimeUpdate::Omit => None,
            TimeUpdate::Now => Some(now),
            TimeUpdate::Set(time) => Some(time),
        };
        node.inode().set_attr(SetAttr {
            atime: resolve(atime),
            mtime: resolve(mtime),
            ..SetAttr::default()
        })
    }

    /// `truncate`: needs write access; `EISDIR` for a directory, `EINVAL`
    /// for other non-regular files.
    pub fn truncate(&self, caller: &Caller, path: &str, len: u64) -> Result<()> {
        let node = self.resolve(caller, path, true)?;
        match node.file_type() {
            FileType::Regular => {}
            FileType::Directory => return Err(Errno::EISDIR.into()),
            _ => return Err(Errno::EINVAL.into()),
        }
        check_writable_mount(&node)?;
        caller.creds.check(&node.inode().stat()?, Access::WRITE)?;
        node.inode().set_attr(SetAttr {
            size: Some(len),
            ..SetAttr::default()
        })
    }

    pub fn statfs(&self, caller: &Caller, path: &str) -> Result<StatFs> {
        let node = self.resolve(caller, path, true)?;
        self.statfs_node(&node)
    }

    /// `fstatfs`: the filesystem's figures plus the mount's flags.
    pub fn statfs_node(&self, node: &PathNode) -> Result<StatFs> {
        let mut statfs = node.mount().fs().statfs()?;
        statfs.flags |= node.mount().flags().statfs_flags();
        Ok(statfs)
    }
}
