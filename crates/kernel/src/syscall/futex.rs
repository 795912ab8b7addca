//! Robust futex lists: `set_robust_list` and `get_robust_list`. (`futex`
//! itself is decoded in the parent module.)

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use process::Pid;
use vfs::{Errno, Result};

use super::SysResult;
use crate::futex::robust::HEAD_SIZE;
use crate::task::{group, sched, Task};
use crate::user;

pub fn sys_set_robust_list(head: u64, len: u64) -> SysResult {
    if len != HEAD_SIZE {
        return Err(Errno::EINVAL.into());
    }
    // The head is only read at exit, where a bad one simply ends the walk.
    sched::current().robust_list.store(head, Ordering::Relaxed);
    Ok(0)
}

pub fn sys_get_robust_list(tid: u64, head_out: u64, len_out: u64) -> SysResult {
    let task = robust_list_owner(tid as i32)?;
    let head = task.robust_list.load(Ordering::Relaxed);
    user::write(len_out, &HEAD_SIZE)?;
    user::write(head_out, &head)?;
    Ok(0)
}

/// The thread `tid` names (0: the caller), if the caller may read its
/// robust list: as for ptrace's read access, a thread of its own process,
/// one of its own user's, or any for root.
fn robust_list_owner(tid: i32) -> Result<Arc<Task>> {
    let me = sched::current();
    if tid == 0 {
        return Ok(me);
    }
    if tid < 0 {
        return Err(Errno::ESRCH.into());
    }
    let (process, task) = group::lookup_thread(tid as Pid).ok_or(Errno::ESRCH)?;
    if Arc::ptr_eq(&process, &me.process) {
        return Ok(task);
    }
    let caller = me.process.creds.lock().clone();
    let target_uid = process.creds.lock().uid;
    if !caller.is_root() && caller.uid != target_uid {
        return Err(Errno::EPERM.into());
    }
    Ok(task)
}
