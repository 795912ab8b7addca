//! `/proc/<pid>/`, `task/<tid>/`, `task/`, `fd/` and `fdinfo/`.

use alloc::string::String;

use arrayvec::ArrayVec;
use linux_raw_sys::general::{O_ACCMODE, O_RDONLY, O_WRONLY};
use vfs::{DirSink, Errno, Result};

use crate::access::{check_may_inspect, check_mode, Want};
use crate::dir::{cookie_id, emit_raw, find_fixed, id_cookie, id_name, list_fixed, parse_id};
use crate::format::process::fd_target;
use crate::inode::require_alive;
use crate::node::{Node, PidFile, Task};
use crate::source::{PidSource, ProcessLink};

/// How many entries a PID directory has.
const PID_ENTRY_COUNT: usize = 17;

/// The entries of a PID directory, in listing order. A thread directory
/// (under `task/`) has all but `task`. Built on the stack: every lookup on
/// the way to `/proc/self/stat` passes here.
fn entries(task: Task) -> ArrayVec<(&'static str, Node), PID_ENTRY_COUNT> {
    let mut list = ArrayVec::new();
    if !task.in_task_dir {
        list.push(("task", Node::TaskDir(task)));
    }
    list.extend([
        ("fd", Node::FdDir(task)),
        ("fdinfo", Node::FdInfoDir(task)),
        ("environ", Node::PidFile(task, PidFile::Environ)),
        ("auxv", Node::PidFile(task, PidFile::Auxv)),
        ("status", Node::PidFile(task, PidFile::Status)),
        ("limits", Node::PidFile(task, PidFile::Limits)),
        ("comm", Node::PidFile(task, PidFile::Comm)),
        ("cmdline", Node::PidFile(task, PidFile::Cmdline)),
        ("stat", Node::PidFile(task, PidFile::Stat)),
        ("statm", Node::PidFile(task, PidFile::Statm)),
        ("maps", Node::PidFile(task, PidFile::Maps)),
        ("cwd", Node::PidLink(task, ProcessLink::Cwd)),
        ("root", Node::PidLink(task, ProcessLink::Root)),
        ("exe", Node::PidLink(task, ProcessLink::Exe)),
        ("mounts", Node::PidFile(task, PidFile::Mounts)),
        ("mountinfo", Node::PidFile(task, PidFile::MountInfo)),
    ]);
    list
}

/// The directory `..` of a PID directory names.
fn parent(task: Task) -> Node {
    if task.in_task_dir {
        Node::TaskDir(Task::process(task.tgid))
    } else {
        Node::Root
    }
}

pub fn lookup(source: &dyn PidSource, task: Task, name: &str) -> Result<Node> {
    require_alive(source, &task)?;
    find_fixed(&entries(task), name)
}

/// Lists a PID directory; a gone process lists nothing, as on Linux.
pub fn readdir(
    source: &dyn PidSource,
    task: Task,
    cookie: u64,
    sink: &mut DirSink<'_>,
) -> Result<()> {
    if task.is_alive(source) {
        list_fixed(
            cookie,
            sink,
            &Node::PidDir(task),
            &parent(task),
            &entries(task),
        );
    }
    Ok(())
}

/// `task/<tid>`: any live thread of this process.
pub fn lookup_thread(source: &dyn PidSource, task: Task, name: &str) -> Result<Node> {
    let tid = parse_id(name).ok_or(Errno::ENOENT)?;
    if source.thread_group(tid) != Some(task.tgid) {
        return Err(Errno::ENOENT.into());
    }
    Ok(Node::PidDir(Task {
        tgid: task.tgid,
        tid,
        in_task_dir: true,
    }))
}

/// Lists `task/`: the threads ascending, resumable by tid like the root.
pub fn readdir_threads(
    source: &dyn PidSource,
    task: Task,
    cookie: u64,
    sink: &mut DirSink<'_>,
) -> Result<()> {
    let this = Node::TaskDir(task);
    let Some(cookie) = list_fixed(cookie, sink, &this, &Node::PidDir(task), &[]) else {
        return Ok(());
    };
    let Some(from) = cookie_id(cookie) else {
        return Ok(());
    };
    let threads = source.threads(task.tgid).unwrap_or_default();
    let start = threads.partition_point(|&tid| tid < from);
    for &tid in &threads[start..] {
        let node = Node::PidDir(Task {
            tgid: task.tgid,
            tid,
            in_task_dir: true,
        });
        if !emit_raw(
            sink,
            id_name(tid),
            node.ino(),
            node.file_type(),
            id_cookie(tid) + 1,
        ) {
            break;
        }
    }
    Ok(())
}

/// `fd/<n>` and `fdinfo/<n>`: open descriptors of the process. Looking
/// inside another user's process is refused (EACCES) as on Linux.
pub fn lookup_fd(source: &dyn PidSource, dir: &Node, task: Task, name: &str) -> Result<Node> {
    check_may_inspect(source, &task)?;
    let fd = parse_id_or_zero(name).ok_or(Errno::ENOENT)?;
    source.fd(task.tgid, fd).ok_or(Errno::ENOENT)?;
    Ok(match dir {
        Node::FdDir(_) => Node::Fd(task, fd),
        _ => Node::FdInfo(task, fd),
    })
}

/// Lists `fd/` or `fdinfo/` ascending by descriptor, resumable by number.
pub fn readdir_fds(
    source: &dyn PidSource,
    dir: &Node,
    task: Task,
    cookie: u64,
    sink: &mut DirSink<'_>,
) -> Result<()> {
    check_mode(
        source,
        dir,
        dir.permissions(),
        Want {
            read: true,
            write: false,
        },
    )?;
    check_may_inspect(source, &task)?;
    let parent = Node::PidDir(task);
    let Some(cookie) = list_fixed(cookie, sink, dir, &parent, &[]) else {
        return Ok(());
    };
    let Some(from) = cookie_id(cookie) else {
        return Ok(());
    };
    let fds = source.fds(task.tgid).unwrap_or_default();
    let start = fds.partition_point(|open| open.fd < from);
    for open in &fds[start..] {
        let node = match dir {
            Node::FdDir(_) => Node::Fd(task, open.fd),
            _ => Node::FdInfo(task, open.fd),
        };
        if !emit_raw(
            sink,
            id_name(open.fd),
            node.ino(),
            node.file_type(),
            id_cookie(open.fd) + 1,
        ) {
            break;
        }
    }
    Ok(())
}

/// Descriptor numbers start at 0, unlike PIDs; still canonical decimal.
fn parse_id_or_zero(name: &str) -> Option<u32> {
    if name == "0" {
        Some(0)
    } else {
        parse_id(name)
    }
}

/// Bits of an `fd/<n>` link: owner read and execute, plus write when the
/// descriptor is open for writing; `-wx` for write-only (as `ls -l` shows).
pub fn fd_link_permissions(source: &dyn PidSource, task: Task, fd: u32) -> u32 {
    let flags = source.fd(task.tgid, fd).map_or(O_RDONLY, |open| open.flags);
    match flags & O_ACCMODE {
        O_RDONLY => 0o500,
        O_WRONLY => 0o300,
        _ => 0o700,
    }
}

pub fn fd_link_target(source: &dyn PidSource, task: Task, fd: u32) -> Result<String> {
    check_may_inspect(source, &task)?;
    let open = source.fd(task.tgid, fd).ok_or(Errno::ENOENT)?;
    Ok(fd_target(&open.target))
}
