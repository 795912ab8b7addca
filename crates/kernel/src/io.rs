//! Waiting for files to become ready: blocking reads and writes, poll and select.
//!
//! Stream-like files (pipes, terminals) never sleep themselves; they answer
//! EAGAIN and report readiness through `poll`. Anything that can change a
//! file's readiness calls [`notify`]; sleepers re-check their files.

use vfs::file::OpenFile;
use vfs::{Errno, PollEvents, Result};

use crate::signal::ERESTARTSYS;
use crate::task::sched::{self, Interrupted};
use crate::task::WaitQueue;

static READINESS: WaitQueue = WaitQueue::new();

/// Wakes everyone waiting for some file to become ready.
pub fn notify() {
    READINESS.wake_all();
}

/// The queue readiness sleepers wait on.
pub fn wait_queue() -> &'static WaitQueue {
    &READINESS
}

/// Runs `attempt` until it stops answering EAGAIN; between attempts sleeps
/// until `file` reports one of `events` (or hang-up/error). O_NONBLOCK files
/// get the EAGAIN. A signal ends the wait with ERESTARTSYS.
pub fn blocking<T>(
    file: &OpenFile,
    events: PollEvents,
    mut attempt: impl FnMut() -> Result<T>,
) -> Result<T> {
    loop {
        match attempt() {
            Err(err) if err.errno == Errno::EAGAIN && !file.is_nonblocking() => {}
            other => return other,
        }
        let wanted = events | PollEvents::HUP | PollEvents::ERR;
        let ready = || (!(file.poll() & wanted).is_empty()).then_some(());
        match sched::wait_until(Some(&READINESS), None, true, ready) {
            Ok(()) => {}
            Err(Interrupted::Signal) => return Err(ERESTARTSYS.into()),
            Err(Interrupted::TimedOut) => return Err(Errno::ETIMEDOUT.into()),
        }
    }
}
