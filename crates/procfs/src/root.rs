//! The root directory: fixed entries, then one directory per live process.
//!
//! The listing is stitched: `.`, `..` and the fixed entries have small
//! cookies; after them the cookie names the next PID to list, and each step
//! asks the source for the first live PID at or after it (O(log n) in the
//! kernel's table). Threads are not listed but resolve by lookup.

use vfs::{DirSink, Errno, FileType, Result};

use crate::dir::{cookie_id, emit_raw, find_fixed, id_cookie, id_name, list_fixed, parse_id};
use crate::node::{Node, Task};
use crate::source::PidSource;
use crate::system::ROOT_ENTRIES;

pub fn lookup(source: &dyn PidSource, name: &str) -> Result<Node> {
    // No fixed entry starts with a digit, so PIDs skip the table.
    if !name.starts_with(|c: char| c.is_ascii_digit()) {
        return find_fixed(ROOT_ENTRIES, name);
    }
    let id = parse_id(name).ok_or(Errno::ENOENT)?;
    let tgid = source.thread_group(id).ok_or(Errno::ENOENT)?;
    Ok(Node::PidDir(Task {
        tgid,
        tid: id,
        in_task_dir: false,
    }))
}

pub fn readdir(source: &dyn PidSource, cookie: u64, sink: &mut DirSink<'_>) -> Result<()> {
    let Some(cookie) = list_fixed(cookie, sink, &Node::Root, &Node::Root, ROOT_ENTRIES) else {
        return Ok(());
    };
    let Some(mut from) = cookie_id(cookie) else {
        return Ok(());
    };

    while let Some(pid) = source.next_pid(from) {
        // A source that answers below `from` would loop forever.
        if pid < from {
            log::error!("next_pid({}) returned {}", from, pid);
            return Err(Errno::EIO.into());
        }
        let node = Node::PidDir(Task::process(pid));
        if !emit_raw(
            sink,
            id_name(pid),
            node.ino(),
            FileType::Directory,
            id_cookie(pid) + 1,
        ) {
            return Ok(());
        }
        match pid.checked_add(1) {
            Some(next) => from = next,
            None => return Ok(()),
        }
    }
    Ok(())
}
