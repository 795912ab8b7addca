//! Permission checks, made the way Linux makes them for /proc.
//!
//! The mode bits alone decide most cases (with root passing every check, as
//! root does with `CAP_DAC_OVERRIDE`). Peeking into another process (its
//! environment, its fds, where its `exe` points) also needs the "may trace"
//! relation, which without capabilities means: root, or the same user.

use vfs::{Errno, Result};

use crate::node::{Node, Task};
use crate::source::{Caller, PidSource, ProcessInfo};

/// The access a caller asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Want {
    pub read: bool,
    pub write: bool,
}

const ROOT_UID: u32 = 0;
const OTHER_READ: u32 = 0o004;
const OTHER_WRITE: u32 = 0o002;

/// Who owns a node: a process's files belong to its effective ids, the
/// rest to root.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl Owner {
    /// The owner of `node`; a gone process's nodes fall back to root.
    pub fn of_node(source: &dyn PidSource, node: &Node) -> Owner {
        node.task()
            .filter(|task| task.is_alive(source))
            .and_then(|task| source.owner(task.tid))
            .map(|(uid, gid)| Owner { uid, gid })
            .unwrap_or_default()
    }
}

/// Checks `want` against `mode` (the `0o777` bits) for `caller`,
/// looking up the owner only when the "other" bits do not already allow it.
pub fn check_mode(source: &dyn PidSource, node: &Node, mode: u32, want: Want) -> Result<()> {
    let Some(caller) = source.current() else {
        // The kernel itself (no calling process) may do anything.
        return Ok(());
    };
    if caller.uid == ROOT_UID {
        return Ok(());
    }
    let others_allowed =
        (!want.read || mode & OTHER_READ != 0) && (!want.write || mode & OTHER_WRITE != 0);
    if others_allowed {
        return Ok(());
    }

    let owner = Owner::of_node(source, node);
    let class_shift = if caller.uid == owner.uid {
        6
    } else if caller.gid == owner.gid {
        3
    } else {
        0
    };
    let bits = (mode >> class_shift) & 0o7;
    let allowed =
        (!want.read || bits & OTHER_READ != 0) && (!want.write || bits & OTHER_WRITE != 0);
    if allowed {
        Ok(())
    } else {
        Err(Errno::EACCES.into())
    }
}

/// Whether the caller may look inside `task` (its environment, fds and
/// links): root, or a caller whose user matches all of the target's user
/// ids. A gone task gives ENOENT.
pub fn check_may_inspect(source: &dyn PidSource, task: &Task) -> Result<()> {
    let Some(caller) = source.current() else {
        return Ok(());
    };
    let info = task.snapshot(source).ok_or(Errno::ENOENT)?;
    if may_inspect(&caller, &info) {
        Ok(())
    } else {
        Err(Errno::EACCES.into())
    }
}

fn may_inspect(caller: &Caller, info: &ProcessInfo) -> bool {
    let ids = &info.uid;
    caller.uid == ROOT_UID
        || (caller.uid == ids.real && caller.uid == ids.effective && caller.uid == ids.saved)
}
