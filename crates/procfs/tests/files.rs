//! Files through the filesystem: one text per open, processes exiting or
//! turning zombie, links, fd directories, ownership and inode numbers.

mod common;

use common::*;
use procfs::*;
use vfs::{Errno, FileSystem, FileType, OpenFlags};

#[test]
fn text_is_made_once_per_open() {
    let (source, fs) = setup();
    let file = walk(&fs, "42/stat")
        .unwrap()
        .open(OpenFlags::empty())
        .unwrap()
        .unwrap();
    let mut first = [0; 8];
    file.read_at(0, &mut first).unwrap();
    source.with(|state| state.processes.get_mut(&42).unwrap().info.minor_faults = 777_777);

    let mut rest = Vec::new();
    let mut buf = [0; 3];
    loop {
        let count = file.read_at(8 + rest.len() as u64, &mut buf).unwrap();
        if count == 0 {
            break;
        }
        rest.extend_from_slice(&buf[..count]);
    }
    let whole = [&first[..], &rest].concat();
    assert!(!String::from_utf8_lossy(&whole).contains("777777"));
    assert!(read(&fs, "42/stat").unwrap().contains(" 777777 "));
    assert_eq!(
        read_chunked(&fs, "42/status", 1).unwrap(),
        read_chunked(&fs, "42/status", 4096).unwrap()
    );
}

#[test]
fn a_process_that_exits_gives_esrch_on_open_and_read_but_keeps_read_snapshots() {
    let (source, fs) = setup();
    let stat = walk(&fs, "1/stat").unwrap();
    let read_before = stat.open(OpenFlags::empty()).unwrap().unwrap();
    let unread = stat.open(OpenFlags::empty()).unwrap().unwrap();
    let mut buf = [0; 64];
    assert!(read_before.read_at(0, &mut buf).unwrap() > 0);
    source.remove(1);
    assert_eq!(errno(stat.open(OpenFlags::empty())), Errno::ESRCH);
    // The text is made by the first read, as Linux's seq_file does.
    assert!(read_before.read_at(0, &mut buf).unwrap() > 0);
    assert_eq!(errno(unread.read_at(0, &mut buf)), Errno::ESRCH);
    assert_eq!(errno(stat.read_at(0, &mut buf)), Errno::ESRCH);
    assert_eq!(errno(walk(&fs, "1/exe")), Errno::ENOENT);
}

#[test]
fn a_zombie_has_empty_cmdline_and_no_exe_environ_or_mounts() {
    let (source, fs) = setup();
    source.with(|state| {
        let zombie = state.processes.get_mut(&1).unwrap();
        zombie.info.state = TaskState::Zombie;
        zombie.info.memory = None;
        zombie.cmdline.clear();
        zombie.environ = None;
        zombie.exe = None;
        zombie.mounts = None;
    });
    assert_eq!(read(&fs, "1/cmdline").unwrap(), "");
    assert!(read(&fs, "1/stat").unwrap().starts_with("1 (init) Z "));
    assert_eq!(errno(walk(&fs, "1/exe").unwrap().readlink()), Errno::ENOENT);
    assert_eq!(errno(read(&fs, "1/environ")), Errno::ESRCH);
    assert_eq!(errno(read(&fs, "1/mounts")), Errno::EINVAL);
}

#[test]
fn cmdline_and_environ_are_nul_separated_bytes() {
    let (source, fs) = setup();
    source.with(|state| {
        let process = state.processes.get_mut(&42).unwrap();
        process.cmdline = b"sh\0-c\0echo hi\0".to_vec();
    });
    assert_eq!(
        read_chunked(&fs, "42/cmdline", 2).unwrap(),
        b"sh\0-c\0echo hi\0"
    );
    assert_eq!(read(&fs, "42/environ").unwrap(), "HOME=/\0");
}

#[test]
fn auxv_is_the_saved_vector_for_the_owner_only() {
    let (source, fs) = setup();
    let words: [u64; 4] = [6, 4096, 0, 0]; // AT_PAGESZ 4096, AT_NULL
    let bytes: Vec<u8> = words.iter().flat_map(|word| word.to_ne_bytes()).collect();
    source.with(|state| state.processes.get_mut(&42).unwrap().auxv = bytes.clone());
    assert_eq!(read_chunked(&fs, "42/auxv", 5).unwrap(), bytes);
    assert_eq!(walk(&fs, "42/auxv").unwrap().stat().unwrap().mode, 0o100400);
    set_owner(&source, 1, ROOT);
    source.set_current(42, 42, USER);
    assert_eq!(errno(read_chunked(&fs, "1/auxv", 64)), Errno::EACCES);
}

#[test]
fn comm_is_writable_by_the_process_itself() {
    let (source, fs) = setup();
    let file = open_write(&fs, "42/comm").unwrap();
    assert_eq!(file.write_at(0, b"0123456789abcdefghij").unwrap(), 20);
    assert_eq!(read(&fs, "42/comm").unwrap(), "0123456789abcde\n");
    assert_eq!(file.write_at(0, b"ab\0cd").unwrap(), 5);
    assert_eq!(read(&fs, "42/comm").unwrap(), "ab\n");
    // The newline is kept, as Linux keeps it.
    file.write_at(0, b"name\n").unwrap();
    assert_eq!(read(&fs, "42/comm").unwrap(), "name\n\n");
    assert_eq!(source.with(|state| state.comm_writes.len()), 3);
}

#[test]
fn hostname_writes_go_to_the_source() {
    let (source, fs) = setup();
    let file = open_write(&fs, "sys/kernel/hostname").unwrap();
    assert_eq!(file.write_at(0, b"kestrel\n").unwrap(), 8);
    assert_eq!(read(&fs, "sys/kernel/hostname").unwrap(), "kestrel\n");
    assert_eq!(
        source.with(|state| state.hostname_writes.clone()),
        vec![b"kestrel".to_vec()]
    );
}

#[test]
fn self_and_thread_self_point_at_the_caller() {
    let (source, fs) = setup();
    source.add_thread(42, 43);
    source.set_current(42, 43, ROOT);
    assert_eq!(walk(&fs, "self").unwrap().readlink().unwrap(), "42");
    assert_eq!(
        walk(&fs, "thread-self").unwrap().readlink().unwrap(),
        "42/task/43"
    );
    assert_eq!(
        walk(&fs, "mounts").unwrap().readlink().unwrap(),
        "self/mounts"
    );
    source.with(|state| state.current = None);
    assert_eq!(errno(walk(&fs, "self").unwrap().readlink()), Errno::ENOENT);
}

#[test]
fn fd_directory_lists_links_to_the_open_files() {
    let (source, fs) = setup();
    add_fds(&source);
    let fd_dir = walk(&fs, "42/fd").unwrap();
    let entries = list_all(&fd_dir, 4096);
    assert_eq!(names(&entries), [".", "..", "0", "1", "255"]);
    assert!(entries[2..]
        .iter()
        .all(|entry| entry.file_type == FileType::Symlink));
    assert_eq!(
        walk(&fs, "42/fd/0").unwrap().readlink().unwrap(),
        "/dev/null"
    );
    assert_eq!(
        walk(&fs, "42/fd/1").unwrap().readlink().unwrap(),
        "pipe:[13504]"
    );
    assert_eq!(
        walk(&fs, "42/fd/255").unwrap().readlink().unwrap(),
        "socket:[99]"
    );
    assert_eq!(errno(walk(&fs, "42/fd/2")), Errno::ENOENT);
    assert_eq!(errno(walk(&fs, "42/fd/00")), Errno::ENOENT);

    let mode = |path: &str| walk(&fs, path).unwrap().stat().unwrap().mode & 0o777;
    assert_eq!(mode("42/fd/0"), 0o500);
    assert_eq!(mode("42/fd/1"), 0o300);
    assert_eq!(mode("42/fd/255"), 0o700);
    assert_eq!(walk(&fs, "42/fd/0").unwrap().stat().unwrap().size, 64);

    let fdinfo = read(&fs, "42/fdinfo/0").unwrap();
    assert_eq!(fdinfo, "pos:\t0\nflags:\t0100000\nmnt_id:\t24\nino:\t3\n");
    assert_eq!(
        names(&list_all(&walk(&fs, "42/fdinfo").unwrap(), 40))[2..],
        ["0", "1", "255"]
    );
}

#[test]
fn pid_directories_belong_to_the_process_user() {
    let (source, fs) = setup();
    set_owner(&source, 42, USER);
    let stat = walk(&fs, "42").unwrap().stat().unwrap();
    assert_eq!(stat.mode, 0o040555);
    assert_eq!((stat.uid, stat.gid), (USER, USER));
    assert_eq!(
        walk(&fs, "42/environ").unwrap().stat().unwrap().mode,
        0o100400
    );
    assert_eq!(walk(&fs, "42/comm").unwrap().stat().unwrap().mode, 0o100644);
    assert_eq!(walk(&fs, "42/fd").unwrap().stat().unwrap().mode, 0o040500);
    assert_eq!(walk(&fs, "42/exe").unwrap().stat().unwrap().mode, 0o120777);
    assert_eq!(walk(&fs, "stat").unwrap().stat().unwrap().mode, 0o100444);
    assert_eq!(walk(&fs, "self").unwrap().stat().unwrap().mode, 0o120777);
    assert_eq!(
        walk(&fs, "sys/kernel/hostname")
            .unwrap()
            .stat()
            .unwrap()
            .mode,
        0o100644
    );
    assert_eq!(fs.root().stat().unwrap().ino, ROOT_INO);
}

#[test]
fn stat_of_process_entries_takes_no_snapshot() {
    let (source, fs) = setup();
    set_owner(&source, 42, USER);
    let dir = walk(&fs, "42").unwrap();
    let file = walk(&fs, "42/stat").unwrap();
    source.with(|state| state.snapshots = 0);
    assert_eq!(dir.stat().unwrap().uid, USER);
    assert_eq!(file.stat().unwrap().gid, USER);
    assert_eq!(source.with(|state| state.snapshots), 0);
}

#[test]
fn thread_directories_have_their_own_inodes() {
    let (source, fs) = setup();
    source.add_thread(42, 43);
    let ino = |path: &str| walk(&fs, path).unwrap().stat().unwrap().ino;
    assert_ne!(ino("42/stat"), ino("42/task/42/stat"));
    assert_ne!(ino("42/task/42/stat"), ino("42/task/43/stat"));
    assert_eq!(ino("42/task/43/stat"), ino("42/task/43/stat"));
    assert_ne!(ino("43/stat"), ino("42/task/43/stat"));
}

#[test]
fn system_files_read_through_the_filesystem() {
    let (source, fs) = setup();
    source.with(|state| {
        state.kernel.pid_max = 32768;
        state.kernel.ostype = "Linux".into();
        state.kernel.osrelease = "6.1.0".into();
        state.kernel.cmdline = "console=ttyS0".into();
        state.system.uptime_ns = 1_500_000_000;
    });
    assert_eq!(read(&fs, "sys/kernel/pid_max").unwrap(), "32768\n");
    assert_eq!(read(&fs, "sys/kernel/ostype").unwrap(), "Linux\n");
    assert_eq!(read(&fs, "sys/kernel/osrelease").unwrap(), "6.1.0\n");
    assert_eq!(read(&fs, "cmdline").unwrap(), "console=ttyS0\n");
    assert_eq!(read(&fs, "uptime").unwrap(), "1.50 0.00\n");
    for path in [
        "cpuinfo",
        "meminfo",
        "stat",
        "loadavg",
        "version",
        "filesystems",
    ] {
        assert!(read(&fs, path).is_ok(), "{path}");
    }
    let names = names(&list_all(&walk(&fs, "sys/kernel").unwrap(), 4096));
    assert_eq!(
        names,
        [".", "..", "hostname", "osrelease", "ostype", "pid_max"]
    );
}

#[test]
fn statfs_reports_proc_super_magic() {
    let (_source, fs) = setup();
    assert_eq!(fs.name(), "proc");
    let magic = u64::from(linux_raw_sys::general::PROC_SUPER_MAGIC);
    assert_eq!(fs.statfs().unwrap().fs_type, magic);
}
