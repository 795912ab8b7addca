//! Metadata: modes and owners, device numbers, symlinks, timestamps, statfs.

mod common;

use std::sync::Arc;

use common::{file, mkdir, new_fs, opts, root};
use linux_raw_sys::general::{S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, TMPFS_MAGIC};
use tmpfs::{Tmpfs, TmpfsOptions};
use vfs::{CreateOptions, DeviceId, Errno, FileSystem, FileType, Permissions, SetAttr, Timespec};

#[test]
fn create_applies_mode_and_owner() {
    let stat = file(&root(), "f").stat().unwrap();
    assert_eq!(stat.mode, S_IFREG | 0o644);
    assert_eq!((stat.uid, stat.gid), (1000, 100));
    let stat = mkdir(&root(), "d").stat().unwrap();
    assert_eq!(stat.mode, S_IFDIR | 0o755);
}

#[test]
fn root_defaults_to_sticky_world_writable() {
    assert_eq!(root().stat().unwrap().mode, S_IFDIR | 0o1777);
}

#[test]
fn device_node_keeps_its_device_number() {
    let root = root();
    let null = CreateOptions {
        rdev: DeviceId::new(1, 3),
        ..opts(0o666)
    };
    let node = root.create("null", FileType::CharDevice, null).unwrap();
    let stat = node.stat().unwrap();
    assert_eq!(stat.mode, S_IFCHR | 0o666);
    assert_eq!(stat.rdev, DeviceId::new(1, 3));
    assert_eq!(node.file_type(), FileType::CharDevice);
}

#[test]
fn fifo_is_an_inode_without_device_number() {
    let root = root();
    let with_rdev = CreateOptions {
        rdev: DeviceId::new(9, 9),
        ..opts(0o600)
    };
    let fifo = root.create("p", FileType::Fifo, with_rdev).unwrap();
    let stat = fifo.stat().unwrap();
    assert_eq!(stat.mode, S_IFIFO | 0o600);
    assert_eq!(stat.rdev, DeviceId::default());
}

#[test]
fn symlink_reads_back_its_target() {
    let root = root();
    let link = root.symlink("l", "../some/where", opts(0o600)).unwrap();
    assert_eq!(link.readlink().unwrap(), "../some/where");
    let stat = link.stat().unwrap();
    assert_eq!(stat.mode, S_IFLNK | 0o777);
    assert_eq!(stat.size, 13);
}

#[test]
fn symlink_with_empty_target_is_enoent() {
    assert_eq!(
        root().symlink("l", "", opts(0o777)).err().unwrap().errno,
        Errno::ENOENT
    );
}

#[test]
fn readlink_of_a_file_is_einval() {
    assert_eq!(
        file(&root(), "f").readlink().err().unwrap().errno,
        Errno::EINVAL
    );
}

#[test]
fn creating_an_existing_name_is_eexist() {
    let root = root();
    file(&root, "f");
    let err = root
        .create("f", FileType::Directory, opts(0o755))
        .err()
        .unwrap();
    assert_eq!(err.errno, Errno::EEXIST);
}

#[test]
fn bad_names_are_rejected() {
    let root = root();
    let long = "x".repeat(256);
    let create = |name: &str| {
        root.create(name, FileType::Regular, opts(0o644))
            .err()
            .unwrap()
    };
    assert_eq!(create(&long).errno, Errno::ENAMETOOLONG);
    assert_eq!(create("..").errno, Errno::EEXIST);
    assert_eq!(create("a/b").errno, Errno::EINVAL);
    assert_eq!(root.lookup(&long).err().unwrap().errno, Errno::ENAMETOOLONG);
}

#[test]
fn file_operations_on_a_file_give_enotdir() {
    let f = file(&root(), "f");
    assert_eq!(f.lookup("x").err().unwrap().errno, Errno::ENOTDIR);
    let err = f.create("x", FileType::Regular, opts(0o644)).err().unwrap();
    assert_eq!(err.errno, Errno::ENOTDIR);
}

#[test]
fn inode_numbers_are_unique() {
    let root = root();
    let mut seen = std::collections::BTreeSet::new();
    seen.insert(root.stat().unwrap().ino);
    for i in 0..100 {
        assert!(seen.insert(file(&root, &format!("f{i}")).stat().unwrap().ino));
    }
}

#[test]
fn each_instance_has_its_own_device() {
    let (a, _) = new_fs();
    let (b, _) = new_fs();
    assert_ne!(a.dev(), b.dev());
    assert_eq!(a.root().stat().unwrap().dev, a.dev());
    let dev = DeviceId::new(0, 4242);
    let fixed = Tmpfs::with_options(
        new_fs().1,
        TmpfsOptions {
            dev: Some(dev),
            ..Default::default()
        },
    );
    assert_eq!(fixed.root().stat().unwrap().dev, dev);
}

#[test]
fn new_inode_takes_the_clock_time_and_touches_the_parent() {
    let (fs, clock) = new_fs();
    clock.advance(5);
    let f = file(&fs.root(), "f");
    let stat = f.stat().unwrap();
    assert_eq!(stat.atime.sec, 1_005);
    assert_eq!(stat.mtime.sec, 1_005);
    assert_eq!(stat.ctime.sec, 1_005);
    assert_eq!(stat.btime.sec, 1_005);
    assert_eq!(fs.root().stat().unwrap().mtime.sec, 1_005);
}

#[test]
fn write_updates_mtime_and_ctime_not_atime() {
    let (fs, clock) = new_fs();
    let f = file(&fs.root(), "f");
    clock.advance(10);
    f.write_at(0, b"x").unwrap();
    let stat = f.stat().unwrap();
    assert_eq!(
        (stat.atime.sec, stat.mtime.sec, stat.ctime.sec),
        (1_000, 1_010, 1_010)
    );
}

#[test]
fn empty_write_changes_no_time() {
    let (fs, clock) = new_fs();
    let f = file(&fs.root(), "f");
    clock.advance(10);
    f.write_at(0, b"").unwrap();
    assert_eq!(f.stat().unwrap().mtime.sec, 1_000);
}

#[test]
fn read_updates_atime_as_relatime_does() {
    let (fs, clock) = new_fs();
    let f = file(&fs.root(), "f");
    let mut buf = [0; 1];
    clock.advance(10);
    f.read_at(0, &mut buf).unwrap();
    assert_eq!(
        f.stat().unwrap().atime.sec,
        1_010,
        "atime not newer than mtime"
    );
    clock.advance(10);
    f.read_at(0, &mut buf).unwrap();
    assert_eq!(
        f.stat().unwrap().atime.sec,
        1_010,
        "atime already newer than mtime"
    );
    clock.advance(24 * 60 * 60);
    f.read_at(0, &mut buf).unwrap();
    assert_eq!(
        f.stat().unwrap().atime.sec,
        1_020 + 24 * 60 * 60,
        "a day old"
    );
}

#[test]
fn chmod_and_chown_update_ctime_only() {
    let (fs, clock) = new_fs();
    let f = file(&fs.root(), "f");
    clock.advance(10);
    let attr = SetAttr {
        permissions: Some(Permissions::new(0o4700)),
        uid: Some(0),
        gid: Some(0),
        ..SetAttr::default()
    };
    f.set_attr(attr).unwrap();
    let stat = f.stat().unwrap();
    assert_eq!(stat.mode, S_IFREG | 0o4700);
    assert_eq!((stat.uid, stat.gid), (0, 0));
    assert_eq!((stat.mtime.sec, stat.ctime.sec), (1_000, 1_010));
}

#[test]
fn utimes_sets_given_times_and_ctime_to_now() {
    let (fs, clock) = new_fs();
    let f = file(&fs.root(), "f");
    clock.advance(10);
    let when = Timespec { sec: 42, nsec: 7 };
    f.set_attr(SetAttr {
        atime: Some(when),
        mtime: Some(when),
        ..SetAttr::default()
    })
    .unwrap();
    let stat = f.stat().unwrap();
    assert_eq!(
        (stat.atime, stat.mtime, stat.ctime.sec),
        (when, when, 1_010)
    );
}

#[test]
fn truncate_updates_mtime_and_ctime() {
    let (fs, clock) = new_fs();
    let f = file(&fs.root(), "f");
    clock.advance(10);
    f.set_attr(SetAttr {
        size: Some(0),
        ..SetAttr::default()
    })
    .unwrap();
    let stat = f.stat().unwrap();
    assert_eq!((stat.mtime.sec, stat.ctime.sec), (1_010, 1_010));
}

#[test]
fn unlink_updates_the_victims_ctime_and_the_directory_mtime() {
    let (fs, clock) = new_fs();
    let root = fs.root();
    let f = file(&root, "f");
    root.link("g", &f).unwrap();
    clock.advance(10);
    root.unlink("g").unwrap();
    assert_eq!(f.stat().unwrap().ctime.sec, 1_010);
    assert_eq!(root.stat().unwrap().mtime.sec, 1_010);
}

#[test]
fn statfs_reports_magic_and_usage_against_limits() {
    let clock = new_fs().1;
    let options = TmpfsOptions {
        max_pages: Some(100),
        max_inodes: Some(10),
        ..TmpfsOptions::default()
    };
    let fs = Tmpfs::with_options(clock, options);
    file(&fs.root(), "f").write_at(0, &[1; 4097]).unwrap();
    let stat = fs.statfs().unwrap();
    assert_eq!(stat.fs_type, u64::from(TMPFS_MAGIC));
    assert_eq!(stat.block_size, 4096);
    assert_eq!(
        (stat.blocks, stat.blocks_free, stat.blocks_available),
        (100, 98, 98)
    );
    assert_eq!((stat.files, stat.files_free), (10, 8));
    assert_eq!(stat.name_max, 255);
}

#[test]
fn inode_limit_gives_enospc() {
    let clock = new_fs().1;
    let options = TmpfsOptions {
        max_inodes: Some(2),
        ..TmpfsOptions::default()
    };
    let fs: Arc<Tmpfs> = Tmpfs::with_options(clock, options);
    let root = fs.root();
    file(&root, "a");
    let err = root
        .create("b", FileType::Regular, opts(0o644))
        .err()
        .unwrap();
    assert_eq!(err.errno, Errno::ENOSPC);
    root.unlink("a").unwrap();
    file(&root, "b");
}

#[test]
fn directory_size_counts_its_entries() {
    let root = root();
    let d = mkdir(&root, "d");
    let empty = d.stat().unwrap().size;
    file(&d, "f");
    assert!(d.stat().unwrap().size > empty);
}
