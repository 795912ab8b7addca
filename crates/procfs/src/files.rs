//! Generated files: the text made once per open, and the few writes /proc
//! accepts (`comm`, `sys/kernel/hostname`).

use alloc::sync::Arc;
use alloc::vec::Vec;

use vfs::{Errno, FileOps, OpenFlags, Result};

use crate::access::{check_may_inspect, check_mode, Want};
use crate::format::{maps, mounts, process, stat, status};
use crate::inode::Context;
use crate::node::{Node, PidFile, SystemFile, Task};
use crate::source::{PidSource, COMM_MAX};
use crate::system;

/// Longest host name (`__NEW_UTS_LEN`).
const HOSTNAME_MAX: usize = 64;

/// An open generated file: the text as it was at `open`, so a reader taking
/// it in several small reads sees one consistent text.
struct Snapshot {
    ctx: Arc<Context>,
    node: Node,
    /// Made by the first read, as Linux's seq_file does, then kept: small
    /// reads all see one text, and a process that is gone before the first
    /// read gives ESRCH.
    text: spin::Mutex<Option<Vec<u8>>>,
}

impl FileOps for Snapshot {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut text = self.text.lock();
        if text.is_none() {
            *text = Some(generate(&self.ctx, &self.node)?);
        }
        Ok(text
            .as_deref()
            .map_or(0, |text| copy_out(text, offset, buf)))
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<usize> {
        write(&self.ctx, &self.node, offset, buf)
    }
}

/// Copies the part of `text` at `offset` into `buf`; past the end is EOF.
pub fn copy_out(text: &[u8], offset: u64, buf: &mut [u8]) -> usize {
    let Ok(start) = usize::try_from(offset) else {
        return 0;
    };
    let Some(rest) = text.get(start..) else {
        return 0;
    };
    let count = rest.len().min(buf.len());
    buf[..count].copy_from_slice(&rest[..count]);
    count
}

/// Opens a generated file: checks permissions as Linux does, then makes the
/// text (only when the file is opened for reading).
pub fn open(ctx: &Arc<Context>, node: &Node, flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
    let source = &*ctx.source;
    let want = Want {
        read: flags.can_read(),
        write: flags.can_write(),
    };

    // sysctl files check their mode even for root.
    let read_only_sysctl = matches!(
        node,
        Node::SystemFile(SystemFile::OsRelease | SystemFile::OsType)
    );
    if want.write && read_only_sysctl {
        return Err(Errno::EACCES.into());
    }
    check_mode(source, node, node.permissions(), want)?;
    if let Some(task) = node.task() {
        if !task.is_alive(source) {
            return Err(Errno::ESRCH.into());
        }
    }

    Ok(Arc::new(Snapshot {
        ctx: ctx.clone(),
        node: *node,
        text: spin::Mutex::new(None),
    }))
}

/// Makes the current text of a generated file.
pub fn generate(ctx: &Arc<Context>, node: &Node) -> Result<Vec<u8>> {
    let source = &*ctx.source;
    match *node {
        Node::SystemFile(file) => Ok(system::generate(source, file)),
        Node::PidFile(task, file) => generate_pid_file(source, task, file),
        Node::FdInfo(task, fd) => {
            check_may_inspect(source, &task)?;
            let open = source.fd(task.tgid, fd).ok_or(Errno::ENOENT)?;
            Ok(process::fd_info(&open))
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

fn generate_pid_file(source: &dyn PidSource, task: Task, file: PidFile) -> Result<Vec<u8>> {
    let gone = || vfs::Error::from(Errno::ESRCH);
    let snapshot = || task.snapshot(source).ok_or_else(gone);
    Ok(match file {
        PidFile::Stat => stat::pid_stat(&snapshot()?),
        PidFile::Statm => stat::pid_statm(&snapshot()?),
        PidFile::Status => status::pid_status(&snapshot()?),
        PidFile::Limits => process::pid_limits(&snapshot()?),
        PidFile::Comm => {
            let mut text = snapshot()?.comm.to_vec();
            text.push(b'\n');
            text
        }
        PidFile::Cmdline => source.cmdline(task.tgid).ok_or_else(gone)?,
        PidFile::Environ => {
            check_may_inspect(source, &task)?;
            source.environ(task.tgid).ok_or_else(gone)?
        }
        PidFile::Auxv => {
            check_may_inspect(source, &task)?;
            source.auxv(task.tgid).ok_or_else(gone)?
        }
        PidFile::Maps => maps::pid_maps(&source.maps(task.tgid).ok_or_else(gone)?),
        PidFile::Mounts | PidFile::MountInfo => {
            // A zombie has no mount namespace left: Linux says EINVAL.
            let Some(list) = source.mounts(task.tgid) else {
                let alive = task.is_alive(source);
                return Err(if alive { Errno::EINVAL } else { Errno::ESRCH }.into());
            };
            if file == PidFile::Mounts {
                mounts::pid_mounts(&list)
            } else {
                mounts::pid_mountinfo(&list)
            }
        }
    })
}

/// A write to a generated file. Most refuse it with the errno Linux gives
/// root (who gets past the mode check at open): EINVAL for per-process
/// files, which have no write method, and EIO for the system files.
pub fn write(ctx: &Arc<Context>, node: &Node, _offset: u64, buf: &[u8]) -> Result<usize> {
    let source = &*ctx.source;
    match *node {
        Node::PidFile(task, PidFile::Comm) => write_comm(source, task, buf),
        Node::SystemFile(SystemFile::Hostname) => {
            let end = buf
                .iter()
                .position(|&byte| byte == b'\n' || byte == 0)
                .unwrap_or(buf.len())
                .min(HOSTNAME_MAX);
            source.set_hostname(&buf[..end])?;
            Ok(buf.len())
        }
        // TODO: changing pid_max needs a setter in PidSource; until then
        // the write fails.
        Node::SystemFile(SystemFile::PidMax) => Err(Errno::EOPNOTSUPP.into()),
        Node::SystemFile(_) => Err(Errno::EIO.into()),
        _ => Err(Errno::EINVAL.into()),
    }
}

/// Only a thread of the same process may rename it; the name is cut at a
/// NUL and to [`COMM_MAX`] bytes, and the whole write counts as done.
fn write_comm(source: &dyn PidSource, task: Task, buf: &[u8]) -> Result<usize> {
    let same_process = source
        .current()
        .is_some_and(|caller| caller.pid == task.tgid);
    if !same_process {
        return Err(Errno::EINVAL.into());
    }
    let end = buf
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(buf.len())
        .min(COMM_MAX);
    source.set_comm(task.tid, &buf[..end])?;
    Ok(buf.len())
}
