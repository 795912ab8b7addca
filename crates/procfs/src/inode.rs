//! The one inode type of procfs: a [`Node`] plus the source it reads from.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;

use vfs::{
    CreateOptions, DeviceId, DirSink, Errno, FileOps, FileType, Inode, InodeRef, OpenFlags,
    RenameFlags, Result, SetAttr, Stat,
};

use crate::access::{check_may_inspect, Owner};
use crate::node::{Node, RootLink, Task};
use crate::source::PidSource;
use crate::{files, pid_dir, root, system};

/// Block size `stat` reports for /proc files, as Linux does.
const PROC_BLOCK_SIZE: u32 = 1024;

/// Size `lstat` reports for `fd/<n>` links, as Linux does.
const FD_LINK_SIZE: u64 = 64;

/// What every procfs inode shares: the source and the device number.
pub struct Context {
    pub source: Arc<dyn PidSource>,
    pub dev: DeviceId,
}

impl Context {
    pub fn inode(self: &Arc<Context>, node: Node) -> InodeRef {
        Arc::new(ProcInode {
            ctx: self.clone(),
            node,
        })
    }
}

/// A /proc inode. It holds no process data: every operation asks the
/// source again, so it never goes stale.
pub struct ProcInode {
    pub(crate) ctx: Arc<Context>,
    pub(crate) node: Node,
}

impl ProcInode {
    fn source(&self) -> &dyn PidSource {
        &*self.ctx.source
    }

    /// An error for creating `name` here: Linux's /proc lookup fails before
    /// any create runs, so a new name is ENOENT and an existing one EEXIST.
    fn create_error(&self, name: &str) -> vfs::Error {
        if !self.node.file_type().is_dir() {
            return Errno::ENOTDIR.into();
        }
        match self.lookup(name) {
            Ok(_) => Errno::EEXIST.into(),
            Err(_) => Errno::ENOENT.into(),
        }
    }

    /// An error for removing `name`: EPERM if it exists, else ENOENT.
    fn remove_error(&self, name: &str) -> vfs::Error {
        if !self.node.file_type().is_dir() {
            return Errno::ENOTDIR.into();
        }
        match self.lookup(name) {
            Ok(_) => Errno::EPERM.into(),
            Err(error) => error,
        }
    }

    fn link_count(&self) -> u32 {
        match self.node {
            // `.`, the entry in the parent, and one `..` per subdirectory:
            // task, fd and fdinfo (a thread directory has no task).
            Node::PidDir(task) if task.in_task_dir => 4,
            Node::PidDir(_) => 5,
            Node::TaskDir(task) => {
                let threads = self.source().threads(task.tgid).map_or(0, |t| t.len());
                2 + threads as u32
            }
            Node::Root => 3,
            _ if self.node.file_type().is_dir() => 2,
            _ => 1,
        }
    }
}

impl Inode for ProcInode {
    fn stat(&self) -> Result<Stat> {
        let owner = Owner::of_node(self.source(), &self.node);
        let permissions = match self.node {
            Node::Fd(task, fd) => pid_dir::fd_link_permissions(self.source(), task, fd),
            _ => self.node.permissions(),
        };
        let size = match self.node {
            Node::Fd(..) => FD_LINK_SIZE,
            _ => 0,
        };
        Ok(Stat {
            dev: self.ctx.dev,
            ino: self.node.ino(),
            mode: self.node.file_type().mode_bits() | permissions,
            nlink: self.link_count(),
            uid: owner.uid,
            gid: owner.gid,
            size,
            blksize: PROC_BLOCK_SIZE,
            ..Stat::default()
        })
    }

    fn file_type(&self) -> FileType {
        self.node.file_type()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    /// Mode changes are refused; owner, size and time changes are accepted
    /// and forgotten, as Linux does for generated files (so `echo x >
    /// /proc/self/comm`, which truncates first, works).
    fn set_attr(&self, attr: SetAttr) -> Result<()> {
        if attr.permissions.is_some() {
            return Err(Errno::EPERM.into());
        }
        Ok(())
    }

    fn open(&self, flags: OpenFlags) -> Result<Option<Arc<dyn FileOps>>> {
        match self.node.file_type() {
            FileType::Regular => files::open(&self.ctx, &self.node, flags).map(Some),
            _ => Ok(None),
        }
    }

    /// Reads without an open file (no snapshot): the text is made anew.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if self.node.file_type() != FileType::Regular {
            return Err(self.not_a_file());
        }
        let text = files::generate(&self.ctx, &self.node)?;
        Ok(files::copy_out(&text, offset, buf))
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<usize> {
        if self.node.file_type() != FileType::Regular {
            return Err(self.not_a_file());
        }
        files::write(&self.ctx, &self.node, offset, buf)
    }

    fn lookup(&self, name: &str) -> Result<InodeRef> {
        let node = match self.node {
            Node::Root => root::lookup(self.source(), name)?,
            Node::SystemDir(dir) => system::lookup(dir, name)?,
            Node::PidDir(task) => pid_dir::lookup(self.source(), task, name)?,
            Node::TaskDir(task) => pid_dir::lookup_thread(self.source(), task, name)?,
            Node::FdDir(task) | Node::FdInfoDir(task) => {
                pid_dir::lookup_fd(self.source(), &self.node, task, name)?
            }
            _ => return Err(Errno::ENOTDIR.into()),
        };
        Ok(self.ctx.inode(node))
    }

    fn readdir(&self, cookie: u64, sink: &mut DirSink<'_>) -> Result<()> {
        match self.node {
            Node::Root => root::readdir(self.source(), cookie, sink),
            Node::SystemDir(dir) => system::readdir(dir, cookie, sink),
            Node::PidDir(task) => pid_dir::readdir(self.source(), task, cookie, sink),
            Node::TaskDir(task) => pid_dir::readdir_threads(self.source(), task, cookie, sink),
            Node::FdDir(task) | Node::FdInfoDir(task) => {
                pid_dir::readdir_fds(self.source(), &self.node, task, cookie, sink)
            }
            _ => Err(Errno::ENOTDIR.into()),
        }
    }

    fn readlink(&self) -> Result<String> {
        let source = self.source();
        match self.node {
            Node::RootLink(link) => {
                let caller = source.current().ok_or(Errno::ENOENT)?;
                Ok(match link {
                    RootLink::SelfLink => format!("{}", caller.pid),
                    RootLink::ThreadSelf => format!("{}/task/{}", caller.pid, caller.tid),
                    RootLink::Mounts => String::from("self/mounts"),
                })
            }
            Node::PidLink(task, link) => {
                check_may_inspect(source, &task)?;
                Ok(source.link(task.tgid, link).ok_or(Errno::ENOENT)?)
            }
            Node::Fd(task, fd) => pid_dir::fd_link_target(source, task, fd),
            _ => Err(Errno::EINVAL.into()),
        }
    }

    fn create(&self, name: &str, _kind: FileType, _opts: CreateOptions) -> Result<InodeRef> {
        Err(self.create_error(name))
    }

    fn symlink(&self, name: &str, _target: &str, _opts: CreateOptions) -> Result<InodeRef> {
        Err(self.create_error(name))
    }

    fn link(&self, name: &str, _target: &InodeRef) -> Result<()> {
        Err(self.create_error(name))
    }

    fn unlink(&self, name: &str) -> Result<()> {
        Err(self.remove_error(name))
    }

    fn rmdir(&self, name: &str) -> Result<()> {
        Err(self.remove_error(name))
    }

    /// Linux fails the lookup of a new name with ENOENT; renaming onto an
    /// existing entry is EPERM.
    fn rename(
        &self,
        old_name: &str,
        new_dir: &InodeRef,
        new_name: &str,
        _flags: RenameFlags,
    ) -> Result<()> {
        self.lookup(old_name)?;
        let Some(new_dir) = new_dir.as_any().downcast_ref::<ProcInode>() else {
            return Err(Errno::EXDEV.into());
        };
        new_dir.lookup(new_name)?;
        Err(Errno::EPERM.into())
    }
}

/// Whether `task` is still there, as an error for operations that need it.
/// A lookup inside the directory of a process that is gone (through a
/// directory fd opened while it lived) fails with ESRCH, as on Linux.
pub(crate) fn require_alive(source: &dyn PidSource, task: &Task) -> Result<()> {
    if task.is_alive(source) {
        Ok(())
    } else {
        Err(Errno::ESRCH.into())
    }
}
