//! Round trips: archives built here unpack into the tree they describe.

mod common;

use common::{contents, exists, gzip, lookup, new_root, Archive, Entry};
use initramfs::{unpack, UnpackSummary};
use linux_raw_sys::general::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG};
use vfs::{DeviceId, FileType};

#[test]
fn directories_files_and_symlinks_round_trip() {
    let archive = Archive::new()
        .dir("etc", 0o755)
        .file("etc/hostname", 0o644, b"kestrel\n")
        .dir("bin", 0o700)
        .file("bin/sh", 0o755, b"\x7fELF...")
        .symlink("bin/ash", "sh")
        .trailer()
        .build();
    let root = new_root();
    unpack(&archive, &root).unwrap();

    assert_eq!(contents(&root, "etc/hostname"), b"kestrel\n");
    assert_eq!(lookup(&root, "bin").stat().unwrap().mode, S_IFDIR | 0o700);
    assert_eq!(
        lookup(&root, "bin/sh").stat().unwrap().mode,
        S_IFREG | 0o755
    );
    let link = lookup(&root, "bin/ash");
    assert_eq!(link.stat().unwrap().mode & S_IFLNK, S_IFLNK);
    assert_eq!(link.readlink().unwrap(), "sh");
}

#[test]
fn owners_and_mtimes_are_kept() {
    let mut archive = Archive::new();
    archive.add(Entry {
        uid: 1000,
        gid: 50,
        mtime: 1_234_567,
        ..Entry::new("f", S_IFREG | 0o600, b"x")
    });
    archive.add(Entry {
        uid: 7,
        gid: 8,
        mtime: 42,
        ..Entry::new("l", S_IFLNK | 0o777, b"f")
    });
    let root = new_root();
    unpack(&archive.trailer().build(), &root).unwrap();

    let stat = lookup(&root, "f").stat().unwrap();
    assert_eq!((stat.uid, stat.gid), (1000, 50));
    assert_eq!((stat.mtime.sec, stat.atime.sec), (1_234_567, 1_234_567));
    let stat = lookup(&root, "l").stat().unwrap();
    assert_eq!((stat.uid, stat.gid, stat.mtime.sec), (7, 8, 42));
}

#[test]
fn directory_mtime_survives_the_entries_created_in_it() {
    let mut archive = Archive::new();
    archive.add(Entry {
        mtime: 77,
        nlink: 2,
        ..Entry::new("d", S_IFDIR | 0o755, b"")
    });
    archive.file("d/a", 0o644, b"a").file("d/b", 0o644, b"b");
    let root = new_root();
    unpack(&archive.trailer().build(), &root).unwrap();
    assert_eq!(lookup(&root, "d").stat().unwrap().mtime.sec, 77);
}

#[test]
fn device_nodes_and_fifos_are_made() {
    let archive = Archive::new()
        .dir("dev", 0o755)
        .char_device("dev/console", 5, 1)
        .block_device("dev/vda", 254, 0)
        .fifo("dev/initctl")
        .trailer()
        .build();
    let root = new_root();
    unpack(&archive, &root).unwrap();

    let console = lookup(&root, "dev/console").stat().unwrap();
    assert_eq!(console.mode, S_IFCHR | 0o600);
    assert_eq!(console.rdev, DeviceId::new(5, 1));
    let vda = lookup(&root, "dev/vda").stat().unwrap();
    assert_eq!(
        (vda.mode & S_IFBLK, vda.rdev),
        (S_IFBLK, DeviceId::new(254, 0))
    );
    assert_eq!(lookup(&root, "dev/initctl").file_type(), FileType::Fifo);
    assert_eq!(
        lookup(&root, "dev/initctl").stat().unwrap().mode,
        S_IFIFO | 0o644
    );
}

#[test]
fn missing_parent_directories_are_created() {
    let archive = Archive::new()
        .file("usr/share/misc/magic", 0o644, b"m")
        .trailer()
        .build();
    let root = new_root();
    unpack(&archive, &root).unwrap();
    assert_eq!(
        lookup(&root, "usr/share").stat().unwrap().mode,
        S_IFDIR | 0o755
    );
    assert_eq!(contents(&root, "usr/share/misc/magic"), b"m");
}

#[test]
fn dot_entry_sets_the_root_attributes() {
    let archive = Archive::new().dir(".", 0o700).trailer().build();
    let root = new_root();
    unpack(&archive, &root).unwrap();
    assert_eq!(root.stat().unwrap().mode, S_IFDIR | 0o700);
}

#[test]
fn leading_slash_and_dot_components_are_relative_to_the_root() {
    let archive = Archive::new()
        .file("/abs", 0o644, b"1")
        .file("./rel", 0o644, b"2")
        .file("a/../b", 0o644, b"3")
        .trailer()
        .build();
    let root = new_root();
    unpack(&archive, &root).unwrap();
    assert_eq!(contents(&root, "abs"), b"1");
    assert_eq!(contents(&root, "rel"), b"2");
    assert_eq!(contents(&root, "b"), b"3");
}

#[test]
fn hard_links_share_the_inode_with_data_on_the_last_entry() {
    let mut archive = Archive::new();
    let link = |name: &str, data: &[u8]| Entry {
        ino: 9,
        nlink: 3,
        ..Entry::new(name, S_IFREG | 0o755, data)
    };
    archive
        .add(link("bin/a", b""))
        .add(link("bin/b", b""))
        .add(link("bin/c", b"busybox"));
    let root = new_root();
    let summary = unpack(&archive.trailer().build(), &root).unwrap();

    let a = lookup(&root, "bin/a").stat().unwrap();
    assert_eq!(a.nlink, 3);
    assert_eq!(a.ino, lookup(&root, "bin/c").stat().unwrap().ino);
    assert_eq!(contents(&root, "bin/a"), b"busybox");
    assert_eq!((summary.files, summary.hard_links), (1, 2));
}

#[test]
fn hard_links_share_the_inode_with_data_on_the_first_entry() {
    let mut archive = Archive::new();
    let link = |name: &str, data: &[u8]| Entry {
        ino: 9,
        nlink: 2,
        ..Entry::new(name, S_IFREG | 0o644, data)
    };
    archive.add(link("x", b"data")).add(link("y", b""));
    let root = new_root();
    unpack(&archive.trailer().build(), &root).unwrap();
    assert_eq!(contents(&root, "y"), b"data");
    assert_eq!(lookup(&root, "x").stat().unwrap().nlink, 2);
}

#[test]
fn hard_links_do_not_reach_into_the_next_archive() {
    let mut first = Archive::new();
    first.add(Entry {
        ino: 9,
        nlink: 2,
        ..Entry::new("x", S_IFREG | 0o644, b"one")
    });
    first.trailer();
    first.add(Entry {
        ino: 9,
        nlink: 2,
        ..Entry::new("y", S_IFREG | 0o644, b"two")
    });
    let root = new_root();
    unpack(&first.trailer().build(), &root).unwrap();
    assert_eq!(lookup(&root, "x").stat().unwrap().nlink, 1);
    assert_eq!(contents(&root, "y"), b"two");
}

#[test]
fn concatenated_archives_with_zero_padding_all_unpack() {
    let mut input = Archive::new().file("one", 0o644, b"1").trailer().build();
    input.extend_from_slice(&[0; 512]);
    input.extend(Archive::new().file("two", 0o644, b"2").trailer().build());
    input.extend_from_slice(&[0; 3]);
    let root = new_root();
    unpack(&input, &root).unwrap();
    assert!(exists(&root, "one") && exists(&root, "two"));
}

#[test]
fn a_later_archive_replaces_earlier_entries() {
    let mut input = Archive::new()
        .file("init", 0o755, b"old init, longer")
        .dir("etc", 0o755)
        .file("etc/x", 0o644, b"x")
        .trailer()
        .build();
    input.extend(
        Archive::new()
            .file("init", 0o700, b"new")
            .symlink("etc", "/usr/etc")
            .trailer()
            .build(),
    );
    let root = new_root();
    let error = unpack(&input, &root).unwrap_err();
    // A non-empty directory cannot be replaced by a symlink, as on Linux.
    assert_eq!(error.errno(), vfs::Errno::ENOTEMPTY);
    assert_eq!(contents(&root, "init"), b"new");
    assert_eq!(lookup(&root, "init").stat().unwrap().mode, S_IFREG | 0o700);
}

#[test]
fn a_later_archive_replaces_a_file_by_a_directory() {
    let mut input = Archive::new().file("thing", 0o644, b"x").trailer().build();
    input.extend(
        Archive::new()
            .dir("thing", 0o755)
            .file("thing/inner", 0o644, b"y")
            .trailer()
            .build(),
    );
    let root = new_root();
    unpack(&input, &root).unwrap();
    assert_eq!(contents(&root, "thing/inner"), b"y");
}

#[test]
fn checksummed_archive_round_trips() {
    let archive = Archive::checksummed()
        .file("f", 0o644, b"checked data")
        .trailer()
        .build();
    assert!(archive.starts_with(b"070702"));
    let root = new_root();
    unpack(&archive, &root).unwrap();
    assert_eq!(contents(&root, "f"), b"checked data");
}

#[test]
fn gzip_archive_unpacks() {
    let archive = Archive::new()
        .dir("d", 0o755)
        .file("d/f", 0o644, &[b'z'; 10_000])
        .trailer()
        .build();
    let compressed = gzip(&archive);
    let root = new_root();
    let summary = unpack(&compressed, &root).unwrap();
    assert_eq!(contents(&root, "d/f"), vec![b'z'; 10_000]);
    assert_eq!(summary.compressed_bytes, compressed.len() as u64);
    assert_eq!(summary.archive_bytes, archive.len() as u64);
}

#[test]
fn plain_archive_followed_by_gzip_archives_unpacks() {
    let mut input = Archive::new()
        .file("early", 0o644, b"microcode")
        .trailer()
        .build();
    input.extend(gzip(
        &Archive::new()
            .file("main", 0o644, b"root")
            .trailer()
            .build(),
    ));
    input.extend_from_slice(&[0; 7]);
    input.extend(gzip(
        &Archive::new()
            .file("last", 0o644, b"extra")
            .trailer()
            .build(),
    ));
    let root = new_root();
    unpack(&input, &root).unwrap();
    assert_eq!(contents(&root, "early"), b"microcode");
    assert_eq!(contents(&root, "main"), b"root");
    assert_eq!(contents(&root, "last"), b"extra");
}

#[test]
fn summary_counts_what_was_unpacked() {
    let archive = Archive::new()
        .dir("d", 0o755)
        .file("d/f", 0o644, b"12345")
        .file("d/g", 0o644, b"678")
        .symlink("d/l", "f")
        .char_device("d/c", 1, 3)
        .fifo("d/p")
        .trailer()
        .build();
    let summary = unpack(&archive, &new_root()).unwrap();
    let expected = UnpackSummary {
        entries: 6,
        directories: 1,
        files: 2,
        symlinks: 1,
        devices: 2,
        hard_links: 0,
        data_bytes: 8,
        archive_bytes: archive.len() as u64,
        compressed_bytes: 0,
    };
    assert_eq!(summary, expected);
}

#[test]
fn empty_input_unpacks_nothing() {
    assert_eq!(unpack(&[], &new_root()).unwrap(), UnpackSummary::default());
    assert_eq!(unpack(&[0; 64], &new_root()).unwrap().entries, 0);
}
