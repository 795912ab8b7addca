//! Wait queues: tasks sleeping until something changes.

use alloc::sync::Arc;
use alloc::vec::Vec;

use platform::arch::irq::IrqMutex;

use super::sched;
use super::Task;

/// Tasks waiting for one kind of event (data in a pipe, a child's exit).
/// Waking makes them runnable; each re-checks its own condition.
pub struct WaitQueue {
    waiters: IrqMutex<Vec<Arc<Task>>>,
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitQueue {
    pub const fn new() -> WaitQueue {
        WaitQueue {
            waiters: IrqMutex::new(Vec::new()),
        }
    }

    pub(super) fn add(&self, task: &Arc<Task>) {
        let mut waiters = self.waiters.lock();
        if !waiters.iter().any(|t| Arc::ptr_eq(t, task)) {
            waiters.push(task.clone());
        }
    }

    pub(super) fn remove(&self, task: &Arc<Task>) {
        self.waiters.lock().retain(|t| !Arc::ptr_eq(t, task));
    }

    /// Wakes every waiter.
    pub fn wake_all(&self) {
        let waiters = core::mem::take(&mut *self.waiters.lock());
        for task in waiters {
            sched::wake(&task);
        }
    }
}
