use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{errno, Fixture};
use crate::cred::Credentials;
use crate::errno::Errno;
use crate::inode::RenameFlags;
use crate::mount::{MountFlags, ST_RDONLY};
use crate::testfs::TestFs;
use crate::types::OpenFlags;

fn with_mnt() -> Fixture {
    let fx = Fixture::new();
    fx.mkdir("/mnt");
    fx.write_file("/mnt/covered", "below");
    let fs = TestFs::new("tmpfs");
    fx.vfs
        .mount(&fx.caller(), "/mnt", fs, "tmp", MountFlags::NOSUID)
        .unwrap();
    fx
}

#[test]
fn mounted_filesystem_hides_the_directory_below() {
    let fx = with_mnt();
    assert_eq!(fx.lookup("/mnt/covered", true), Err(Errno::ENOENT));
    fx.write_file("/mnt/new", "up");
    assert_eq!(fx.read_file("/mnt/new"), "up");
    assert!(fx
        .vfs
        .resolve(&fx.caller(), "/mnt", true)
        .unwrap()
        .is_mount_root());
}

#[test]
fn dotdot_from_a_mount_root_leaves_the_mount() {
    let mut fx = with_mnt();
    fx.mkdir("/mnt/sub");
    assert_eq!(fx.lookup("/mnt/sub/../..", true), Ok("/".into()));
    fx.cwd = fx.vfs.chdir(&fx.caller(), "/mnt/sub").unwrap();
    assert_eq!(fx.vfs.getcwd(&fx.caller()).unwrap(), "/mnt/sub");
    let root = fx.vfs.resolve(&fx.caller(), "../..", true).unwrap();
    assert!(Arc::ptr_eq(root.mount(), fx.root.mount()));
}

#[test]
fn unmount_reveals_the_covered_directory() {
    let fx = with_mnt();
    fx.vfs.unmount(&fx.caller(), "/mnt").unwrap();
    assert_eq!(fx.read_file("/mnt/covered"), "below");
}

#[test]
fn unmount_of_a_plain_directory_is_einval() {
    let fx = with_mnt();
    fx.mkdir("/plain");
    assert_eq!(errno(fx.vfs.unmount(&fx.caller(), "/plain")), Errno::EINVAL);
    assert_eq!(errno(fx.vfs.unmount(&fx.caller(), "/")), Errno::EBUSY);
    assert_eq!(errno(fx.vfs.unmount(&fx.caller(), "/nope")), Errno::ENOENT);
}

#[test]
fn unmount_is_busy_while_used() {
    let mut fx = with_mnt();
    fx.write_file("/mnt/f", "x");
    let file = fx.open("/mnt/f", OpenFlags::empty()).unwrap();
    assert_eq!(errno(fx.vfs.unmount(&fx.caller(), "/mnt")), Errno::EBUSY);
    drop(file);

    fx.mkdir("/mnt/d");
    fx.cwd = fx.vfs.chdir(&fx.caller(), "/mnt/d").unwrap();
    assert_eq!(errno(fx.vfs.unmount(&fx.caller(), "/mnt")), Errno::EBUSY);
    fx.cwd = fx.root.clone();

    let fs = TestFs::new("inner");
    fx.vfs
        .mount(&fx.caller(), "/mnt/d", fs, "inner", MountFlags::empty())
        .unwrap();
    assert_eq!(errno(fx.vfs.unmount(&fx.caller(), "/mnt")), Errno::EBUSY);
    fx.vfs.unmount(&fx.caller(), "/mnt/d").unwrap();
    fx.vfs.unmount(&fx.caller(), "/mnt").unwrap();
}

#[test]
fn detach_takes_a_busy_mount_and_its_submounts_out_of_the_tree() {
    let fx = with_mnt();
    fx.mkdir("/mnt/d");
    fx.write_file("/mnt/d/kept", "open");
    let file = fx.open("/mnt/d/kept", OpenFlags::empty()).unwrap();
    fx.vfs
        .mount(
            &fx.caller(),
            "/mnt/d",
            TestFs::new("inner"),
            "inner",
            MountFlags::empty(),
        )
        .unwrap();
    assert_eq!(errno(fx.vfs.unmount(&fx.caller(), "/mnt")), Errno::EBUSY);

    fx.vfs
        .unmount_with(&fx.caller(), "/mnt", true, true)
        .unwrap();
    assert_eq!(fx.read_file("/mnt/covered"), "below");
    let targets: Vec<_> = fx
        .vfs
        .mounts(&fx.root)
        .into_iter()
        .map(|m| m.target)
        .collect();
    assert_eq!(targets, ["/"]);
    // What was open inside stays usable.
    let mut buf = [0u8; 4];
    assert_eq!(file.read(&mut buf).unwrap(), 4);
    assert_eq!(&buf, b"open");
}

#[test]
fn mounts_stack_on_the_same_directory() {
    let fx = with_mnt();
    fx.write_file("/mnt/lower", "1");
    let fs = TestFs::new("top");
    fx.vfs
        .mount(&fx.caller(), "/mnt", fs, "top", MountFlags::empty())
        .unwrap();
    assert_eq!(fx.lookup("/mnt/lower", true), Err(Errno::ENOENT));
    assert_eq!(fx.lookup("/mnt/..", true), Ok("/".into()));
    fx.vfs.unmount(&fx.caller(), "/mnt").unwrap();
    assert_eq!(fx.read_file("/mnt/lower"), "1");
}

#[test]
fn bind_mount_shows_a_subtree_elsewhere() {
    let fx = Fixture::new();
    fx.mkdir("/src");
    fx.mkdir("/src/inner");
    fx.mkdir("/dst");
    fx.vfs
        .bind_mount(&fx.caller(), "/src", "/dst", MountFlags::empty())
        .unwrap();
    fx.write_file("/dst/inner/f", "shared");
    assert_eq!(fx.read_file("/src/inner/f"), "shared");
    assert_eq!(fx.lookup("/dst/inner/../..", true), Ok("/".into()));
    assert_eq!(fx.lookup("/dst/inner", true), Ok("/dst/inner".into()));
}

#[test]
fn proc_mounts_lists_every_mount() {
    let fx = with_mnt();
    fx.mkdir("/mnt/with space");
    let fs = TestFs::new("proc");
    let flags = MountFlags::RDONLY | MountFlags::NODEV;
    fx.vfs
        .mount(&fx.caller(), "/mnt/with space", fs, "proc", flags)
        .unwrap();
    assert_eq!(
        fx.vfs.mounts_text(&fx.root),
        "none / testfs rw 0 0\n\
         tmp /mnt tmpfs rw,nosuid 0 0\n\
         proc /mnt/with\\040space proc ro,nodev 0 0\n"
    );
}

#[test]
fn each_mount_names_the_mount_it_sits_on() {
    let fx = with_mnt();
    fx.mkdir("/mnt/inner");
    let fs = TestFs::new("proc");
    fx.vfs
        .mount(&fx.caller(), "/mnt/inner", fs, "proc", MountFlags::empty())
        .unwrap();
    let mounts = fx.vfs.mounts(&fx.root);
    let ids: Vec<(u64, u64)> = mounts.iter().map(|m| (m.id, m.parent_id)).collect();
    let (root, mnt, inner) = (mounts[0].id, mounts[1].id, mounts[2].id);
    assert_eq!(ids, [(root, root), (mnt, root), (inner, mnt)]);
    assert_eq!(mounts[1].flags, MountFlags::NOSUID);
}

#[test]
fn only_root_mounts() {
    let mut fx = Fixture::new();
    fx.mkdir("/m");
    fx.creds = Credentials::user(1, 1);
    let fs = TestFs::new("x");
    let result = fx
        .vfs
        .mount(&fx.caller(), "/m", fs, "x", MountFlags::empty());
    assert_eq!(errno(result), Errno::EPERM);
    assert_eq!(errno(fx.vfs.unmount(&fx.caller(), "/m")), Errno::EPERM);
}

#[test]
fn mount_points_cannot_be_removed_or_renamed() {
    let fx = with_mnt();
    let caller = fx.caller();
    assert_eq!(errno(fx.vfs.rmdir(&caller, "/mnt")), Errno::EBUSY);
    let rename = fx
        .vfs
        .rename(&caller, "/mnt", &caller, "/other", RenameFlags::default());
    assert_eq!(errno(rename), Errno::EBUSY);
}

#[test]
fn cross_mount_rename_and_link_are_exdev() {
    let fx = with_mnt();
    fx.write_file("/f", "x");
    let caller = fx.caller();
    let rename = fx
        .vfs
        .rename(&caller, "/f", &caller, "/mnt/f", RenameFlags::default());
    assert_eq!(errno(rename), Errno::EXDEV);
    assert_eq!(
        errno(fx.vfs.link(&caller, "/f", &caller, "/mnt/f", false)),
        Errno::EXDEV
    );
}

#[test]
fn read_only_mount_refuses_changes() {
    let fx = Fixture::new();
    fx.mkdir("/ro");
    let fs = TestFs::new("rofs");
    fx.vfs
        .mount(&fx.caller(), "/ro", fs, "ro", MountFlags::RDONLY)
        .unwrap();
    let caller = fx.caller();
    assert_eq!(errno(fx.vfs.mkdir(&caller, "/ro/d", 0o755)), Errno::EROFS);
    assert_eq!(
        errno(fx.open("/ro/f", OpenFlags::CREAT | OpenFlags::WRONLY)),
        Errno::EROFS
    );
    assert_eq!(errno(fx.open("/ro", OpenFlags::RDWR)), Errno::EISDIR);
    assert!(fx.open("/ro", OpenFlags::DIRECTORY).is_ok());
    let statfs = fx.vfs.statfs(&caller, "/ro").unwrap();
    assert_eq!(statfs.flags & ST_RDONLY, ST_RDONLY);
}

#[test]
fn mount_needs_a_directory() {
    let fx = Fixture::new();
    fx.write_file("/file", "");
    let fs = TestFs::new("x");
    let result = fx
        .vfs
        .mount(&fx.caller(), "/file", fs, "x", MountFlags::empty());
    assert_eq!(errno(result), Errno::ENOTDIR);
}
