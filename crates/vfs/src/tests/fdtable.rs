use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{errno, Fixture};
use crate::errno::Errno;
use crate::fdtable::{
    FdTable, CLOSE_RANGE_CLOEXEC, FD_CLOEXEC, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD,
    F_SETFL,
};
use crate::file::OpenFile;
use crate::types::OpenFlags;

fn file(fx: &Fixture) -> Arc<OpenFile> {
    fx.open("/", OpenFlags::empty()).unwrap()
}

fn table_with(fx: &Fixture, count: usize) -> FdTable {
    let mut table = FdTable::new(8);
    for _ in 0..count {
        table.insert(file(fx), false).unwrap();
    }
    table
}

#[test]
fn lowest_free_descriptor_is_used() {
    let fx = Fixture::new();
    let mut table = table_with(&fx, 3);
    table.close(1).unwrap();
    assert_eq!(table.insert(file(&fx), false).unwrap(), 1);
    assert_eq!(table.insert(file(&fx), false).unwrap(), 3);
}

#[test]
fn limit_gives_emfile() {
    let fx = Fixture::new();
    let mut table = table_with(&fx, 8);
    assert_eq!(errno(table.insert(file(&fx), false)), Errno::EMFILE);
    assert_eq!(errno(table.dup(0)), Errno::EMFILE);
}

#[test]
fn bad_descriptors_give_ebadf() {
    let fx = Fixture::new();
    let mut table = table_with(&fx, 1);
    assert_eq!(errno(table.get(1)), Errno::EBADF);
    assert_eq!(errno(table.get(-1)), Errno::EBADF);
    assert_eq!(errno(table.close(5)), Errno::EBADF);
    assert_eq!(errno(table.dup2(0, 8)), Errno::EBADF);
    assert_eq!(errno(table.dup2(0, -1)), Errno::EBADF);
}

#[test]
fn dup_shares_the_open_file_without_cloexec() {
    let fx = Fixture::new();
    let mut table = FdTable::default();
    table.insert(file(&fx), true).unwrap();
    let copy = table.dup(0).unwrap();
    assert!(Arc::ptr_eq(
        &table.get(0).unwrap(),
        &table.get(copy).unwrap()
    ));
    assert!(!table.close_on_exec(copy).unwrap());
}

#[test]
fn dup2_replaces_and_same_fd_is_a_no_op() {
    let fx = Fixture::new();
    let mut table = table_with(&fx, 2);
    let second = table.get(1).unwrap();
    let (fd, closed) = table.dup2(0, 1).unwrap();
    assert_eq!(fd, 1);
    assert!(Arc::ptr_eq(&closed.unwrap(), &second));
    assert_eq!(table.dup2(0, 0).unwrap().0, 0);
    assert_eq!(errno(table.dup2(4, 4)), Errno::EBADF);
    assert_eq!(table.dup2(0, 5).unwrap().0, 5);
}

#[test]
fn dup3_rejects_same_fd_and_unknown_flags() {
    let fx = Fixture::new();
    let mut table = table_with(&fx, 1);
    assert_eq!(errno(table.dup3(0, 0, OpenFlags::CLOEXEC)), Errno::EINVAL);
    assert_eq!(errno(table.dup3(0, 1, OpenFlags::APPEND)), Errno::EINVAL);
    table.dup3(0, 3, OpenFlags::CLOEXEC).unwrap();
    assert!(table.close_on_exec(3).unwrap());
}

#[test]
fn fcntl_commands() {
    let fx = Fixture::new();
    let mut table = table_with(&fx, 3);
    assert_eq!(table.fcntl(0, F_DUPFD, 2).unwrap(), 3);
    assert_eq!(table.fcntl(0, F_DUPFD_CLOEXEC, 0).unwrap(), 4);
    assert_eq!(table.fcntl(4, F_GETFD, 0).unwrap(), FD_CLOEXEC as usize);
    table.fcntl(4, F_SETFD, 0).unwrap();
    assert_eq!(table.fcntl(4, F_GETFD, 0).unwrap(), 0);
    assert_eq!(errno(table.fcntl(0, F_DUPFD, 8)), Errno::EINVAL);
    assert_eq!(errno(table.fcntl(0, F_DUPFD, usize::MAX)), Errno::EINVAL);

    table
        .fcntl(0, F_SETFL, OpenFlags::NONBLOCK.bits() as usize)
        .unwrap();
    let flags = table.fcntl(3, F_GETFL, 0).unwrap() as u32;
    assert_eq!(
        flags & OpenFlags::NONBLOCK.bits(),
        OpenFlags::NONBLOCK.bits()
    );
    assert_eq!(errno(table.fcntl(0, 9999, 0)), Errno::EINVAL);
}

#[test]
fn close_range_closes_or_marks() {
    let fx = Fixture::new();
    let mut table = table_with(&fx, 6);
    assert_eq!(table.close_range(1, 2, 0).unwrap().len(), 2);
    table.close_range(4, u32::MAX, CLOSE_RANGE_CLOEXEC).unwrap();
    assert!(table.close_on_exec(5).unwrap());
    assert!(!table.close_on_exec(3).unwrap());
    assert_eq!(errno(table.close_range(3, 2, 0)), Errno::EINVAL);
    assert_eq!(errno(table.close_range(0, 1, 1 << 9)), Errno::EINVAL);
    let open: Vec<_> = table.iter().map(|(fd, _)| fd).collect();
    assert_eq!(open, [0, 3, 4, 5]);
}

#[test]
fn exec_sweep_closes_cloexec_descriptors() {
    let fx = Fixture::new();
    let mut table = FdTable::default();
    table.insert(file(&fx), false).unwrap();
    table.insert(file(&fx), true).unwrap();
    table.insert(file(&fx), false).unwrap();
    assert_eq!(table.close_on_exec_sweep().len(), 1);
    let open: Vec<_> = table.iter().map(|(fd, _)| fd).collect();
    assert_eq!(open, [0, 2]);
}

#[test]
fn fork_clone_shares_open_files_but_not_slots() {
    let fx = Fixture::new();
    let mut parent = table_with(&fx, 1);
    let mut child = parent.clone();
    child.close(0).unwrap();
    assert!(parent.get(0).is_ok());
    let child2 = parent.clone();
    assert!(Arc::ptr_eq(
        &parent.get(0).unwrap(),
        &child2.get(0).unwrap()
    ));
    parent.set_close_on_exec(0, true).unwrap();
    assert!(!child2.close_on_exec(0).unwrap());
}
