//! The controlling-terminal rules of the job-control ioctls.

use tty::{Caller, Detached, JobControl};
use vfs::Errno;

const SHELL: Caller = Caller {
    pid: 10,
    pgid: 10,
    sid: 10,
};
const JOB: Caller = Caller {
    pid: 12,
    pgid: 12,
    sid: 10,
};
const STRANGER: Caller = Caller {
    pid: 20,
    pgid: 20,
    sid: 20,
};

fn errno<T: core::fmt::Debug>(result: vfs::Result<T>) -> Errno {
    result.unwrap_err().errno
}

#[test]
fn a_session_leader_takes_a_free_terminal() {
    let mut jobs = JobControl::default();
    jobs.attach(&SHELL, false).unwrap();
    assert_eq!(jobs.session(), Some(10));
    assert_eq!(jobs.foreground_for(&SHELL), Ok(10));
    assert_eq!(jobs.session_for(&JOB), Ok(10));
}

#[test]
fn only_a_session_leader_may_take_a_terminal() {
    let mut jobs = JobControl::default();
    assert_eq!(errno(jobs.attach(&JOB, false)), Errno::EPERM);
}

#[test]
fn a_held_terminal_is_taken_only_by_stealing() {
    let mut jobs = JobControl::default();
    jobs.attach(&SHELL, false).unwrap();
    assert_eq!(errno(jobs.attach(&STRANGER, false)), Errno::EPERM);
    jobs.attach(&STRANGER, true).unwrap();
    assert_eq!(jobs.session(), Some(20));
}

#[test]
fn outsiders_get_enotty() {
    let mut jobs = JobControl::default();
    jobs.attach(&SHELL, false).unwrap();
    assert_eq!(errno(jobs.foreground_for(&STRANGER)), Errno::ENOTTY);
    assert_eq!(errno(jobs.session_for(&STRANGER)), Errno::ENOTTY);
    assert_eq!(
        errno(jobs.set_foreground(&STRANGER, 20, Some(20))),
        Errno::ENOTTY
    );
}

#[test]
fn the_foreground_group_must_exist_in_the_same_session() {
    let mut jobs = JobControl::default();
    jobs.attach(&SHELL, false).unwrap();
    assert_eq!(
        errno(jobs.set_foreground(&SHELL, -1, Some(10))),
        Errno::EINVAL
    );
    assert_eq!(errno(jobs.set_foreground(&SHELL, 99, None)), Errno::ESRCH);
    assert_eq!(
        errno(jobs.set_foreground(&SHELL, 20, Some(20))),
        Errno::EPERM
    );
    jobs.set_foreground(&SHELL, 12, Some(10)).unwrap();
    assert!(jobs.is_background(&SHELL));
    assert!(!jobs.is_background(&JOB));
    assert!(!jobs.is_background(&STRANGER));
}

#[test]
fn the_leader_leaving_frees_the_terminal() {
    let mut jobs = JobControl::default();
    jobs.attach(&SHELL, false).unwrap();
    jobs.set_foreground(&SHELL, 12, Some(10)).unwrap();
    assert_eq!(jobs.detach_session(20), None);
    let detached = jobs.detach_session(10);
    assert_eq!(
        detached,
        Some(Detached {
            session: 10,
            foreground: Some(12)
        })
    );
    assert_eq!(jobs.session(), None);
    jobs.attach(&STRANGER, false).unwrap();
}

#[test]
fn tiocnotty_from_the_leader_detaches_the_session() {
    let mut jobs = JobControl::default();
    jobs.attach(&SHELL, false).unwrap();
    assert_eq!(jobs.release(&JOB), Ok(None));
    assert_eq!(jobs.session(), Some(10));
    assert!(jobs.release(&SHELL).unwrap().is_some());
    assert_eq!(errno(jobs.release(&SHELL)), Errno::ENOTTY);
}
