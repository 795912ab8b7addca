//! Refused operations and their errno, as Linux gives them.
//!
//! Facts taken from Linux (as root unless noted): a write-open of a 0444 file
//! succeeds for root and the write fails with EINVAL for per-process files and
//! EIO for system files, while read-only sysctls refuse the open with EACCES;
//! a non-owner gets EACCES at open; creating a new name is ENOENT and an
//! existing one EEXIST; unlink, rmdir and rename onto an existing entry are
//! EPERM, rename to a new name ENOENT; chmod is EPERM while truncate is
//! accepted; writing another process's comm is EINVAL; another user's
//! environ, fds and exe link are EACCES.

mod common;

use common::*;
use vfs::{CreateOptions, Errno, FileSystem, FileType, Permissions, SetAttr};

#[test]
fn environ_is_for_the_owner_and_root_only() {
    let (source, fs) = setup();
    set_owner(&source, 1, ROOT);
    set_owner(&source, 42, USER);
    source.set_current(42, 42, USER);
    assert!(read(&fs, "42/environ").is_ok());
    assert_eq!(errno(read(&fs, "1/environ")), Errno::EACCES);
    assert!(read(&fs, "1/stat").is_ok());
    source.set_current(42, 42, ROOT);
    assert!(read(&fs, "1/environ").is_ok());
}

#[test]
fn comm_of_another_process_is_einval_for_root_and_eacces_for_others() {
    let (source, fs) = setup();
    let file = open_write(&fs, "1/comm").unwrap();
    assert_eq!(errno(file.write_at(0, b"x")), Errno::EINVAL);
    source.set_current(42, 42, USER);
    assert_eq!(errno(open_write(&fs, "1/comm")), Errno::EACCES);
}

#[test]
fn read_only_files_refuse_writes_as_linux_does() {
    let (source, fs) = setup();
    for path in [
        "42/stat",
        "42/status",
        "42/cmdline",
        "42/maps",
        "42/limits",
        "42/statm",
    ] {
        let file = open_write(&fs, path).unwrap();
        assert_eq!(errno(file.write_at(0, b"x")), Errno::EINVAL, "{path}");
    }
    for path in ["meminfo", "uptime", "version", "stat", "loadavg", "cpuinfo"] {
        let file = open_write(&fs, path).unwrap();
        assert_eq!(errno(file.write_at(0, b"x")), Errno::EIO, "{path}");
    }
    assert_eq!(
        errno(open_write(&fs, "sys/kernel/osrelease")),
        Errno::EACCES
    );

    source.set_current(42, 42, USER);
    for path in ["42/stat", "meminfo", "sys/kernel/hostname", "1/comm"] {
        assert_eq!(errno(open_write(&fs, path)), Errno::EACCES, "{path}");
    }
}

#[test]
fn creating_and_removing_entries_fail_as_on_linux() {
    let (_source, fs) = setup();
    let root = fs.root();
    let opts = CreateOptions::default();
    assert_eq!(
        errno(root.create("newfile", FileType::Regular, opts)),
        Errno::ENOENT
    );
    assert_eq!(
        errno(root.create("stat", FileType::Regular, opts)),
        Errno::EEXIST
    );
    assert_eq!(
        errno(root.create("42", FileType::Directory, opts)),
        Errno::EEXIST
    );
    assert_eq!(errno(root.symlink("lnk", "x", opts)), Errno::ENOENT);
    assert_eq!(
        errno(root.link("lnk", &walk(&fs, "stat").unwrap())),
        Errno::ENOENT
    );
    assert_eq!(errno(root.unlink("stat")), Errno::EPERM);
    assert_eq!(errno(root.unlink("self")), Errno::EPERM);
    assert_eq!(errno(root.unlink("nonexistent")), Errno::ENOENT);
    assert_eq!(errno(root.rmdir("42")), Errno::EPERM);
    assert_eq!(errno(root.rmdir("sys")), Errno::EPERM);

    let pid_dir = walk(&fs, "42").unwrap();
    assert_eq!(
        errno(pid_dir.create("x", FileType::Regular, opts)),
        Errno::ENOENT
    );
    assert_eq!(errno(pid_dir.unlink("stat")), Errno::EPERM);
    assert_eq!(errno(pid_dir.rmdir("fd")), Errno::EPERM);
    let fd_dir = walk(&fs, "42/task").unwrap();
    assert_eq!(
        errno(fd_dir.create("7", FileType::Directory, opts)),
        Errno::ENOENT
    );

    let kernel = walk(&fs, "sys/kernel").unwrap();
    assert_eq!(
        errno(kernel.create("x", FileType::Regular, opts)),
        Errno::ENOENT
    );
}

#[test]
fn renaming_fails_as_on_linux() {
    let (_source, fs) = setup();
    let root = fs.root();
    let flags = vfs::RenameFlags::default();
    assert_eq!(
        errno(root.rename("stat", &root, "stat2", flags)),
        Errno::ENOENT
    );
    assert_eq!(
        errno(root.rename("stat", &root, "uptime", flags)),
        Errno::EPERM
    );
    let pid_dir = walk(&fs, "42").unwrap();
    assert_eq!(
        errno(pid_dir.rename("stat", &pid_dir, "status", flags)),
        Errno::EPERM
    );
}

#[test]
fn chmod_is_refused_but_truncate_is_accepted() {
    let (_source, fs) = setup();
    let comm = walk(&fs, "42/comm").unwrap();
    let chmod = SetAttr {
        permissions: Some(Permissions::new(0o600)),
        ..SetAttr::default()
    };
    assert_eq!(errno(comm.set_attr(chmod)), Errno::EPERM);
    let truncate = SetAttr {
        size: Some(0),
        ..SetAttr::default()
    };
    assert!(comm.set_attr(truncate).is_ok());
    assert_eq!(read(&fs, "42/comm").unwrap(), "init\n");
}

#[test]
fn exe_cwd_root_links_need_the_same_user() {
    let (source, fs) = setup();
    assert_eq!(
        walk(&fs, "42/exe").unwrap().readlink().unwrap(),
        "/sbin/init"
    );
    assert_eq!(walk(&fs, "42/cwd").unwrap().readlink().unwrap(), "/");
    assert_eq!(walk(&fs, "42/root").unwrap().readlink().unwrap(), "/");
    source.set_current(42, 42, USER);
    assert_eq!(errno(walk(&fs, "1/exe").unwrap().readlink()), Errno::EACCES);
    assert_eq!(
        errno(walk(&fs, "1/stat").unwrap().readlink()),
        Errno::EINVAL
    );
}

#[test]
fn another_users_fds_are_eacces() {
    let (source, fs) = setup();
    add_fds(&source);
    source.set_current(1, 1, USER);
    assert_eq!(errno(walk(&fs, "42/fd/0")), Errno::EACCES);
    assert_eq!(errno(walk(&fs, "42/fdinfo/0")), Errno::EACCES);
    let fd_dir = walk(&fs, "42/fd").unwrap();
    assert_eq!(errno(fd_dir.readdir(0, &mut |_| true)), Errno::EACCES);
}
