use alloc::string::String;

use linux_raw_sys::general as raw;

use super::{errno, Fixture};
use crate::attr::TimeUpdate;
use crate::cred::{Access, Credentials};
use crate::errno::Errno;
use crate::inode::RenameFlags;
use crate::path::NAME_MAX;
use crate::types::{DeviceId, OpenFlags, Timespec};

const CREATE: OpenFlags = OpenFlags::CREAT.union(OpenFlags::WRONLY);

fn mode_of(fx: &Fixture, path: &str) -> u32 {
    fx.vfs.stat(&fx.caller(), path, false).unwrap().mode & 0o7777
}

fn rename(fx: &Fixture, old: &str, new: &str, flags: RenameFlags) -> crate::Result<()> {
    let caller = fx.caller();
    fx.vfs.rename(&caller, old, &caller, new, flags)
}

/// A fixture whose caller is an unprivileged user, with `/pub` writable by all.
fn as_user() -> Fixture {
    let mut fx = Fixture::new();
    fx.mkdir("/pub");
    fx.vfs.chmod(&fx.caller(), "/pub", 0o777, true).unwrap();
    fx.write_file("/pub/roots", "r");
    fx.creds = Credentials::user(1000, 100);
    fx
}

#[test]
fn open_creat_applies_umask_and_owner() {
    let fx = as_user();
    fx.vfs.open(&fx.caller(), "/pub/f", CREATE, 0o666).unwrap();
    assert_eq!(mode_of(&fx, "/pub/f"), 0o644);
    let stat = fx.vfs.stat(&fx.caller(), "/pub/f", true).unwrap();
    assert_eq!((stat.uid, stat.gid), (1000, 100));
}

#[test]
fn created_file_opens_whatever_its_mode() {
    let fx = as_user();
    let file = fx
        .vfs
        .open(&fx.caller(), "/pub/mine", CREATE, 0o444)
        .unwrap();
    assert_eq!(file.write(b"ok").unwrap(), 2);
    assert_eq!(
        errno(fx.open("/pub/mine", OpenFlags::WRONLY)),
        Errno::EACCES
    );
}

#[test]
fn open_creat_excl_and_symlinks() {
    let fx = Fixture::new();
    fx.write_file("/f", "x");
    fx.symlink("/target", "/dangling");
    assert_eq!(
        errno(fx.open("/f", CREATE | OpenFlags::EXCL)),
        Errno::EEXIST
    );
    assert_eq!(
        errno(fx.open("/dangling", CREATE | OpenFlags::EXCL)),
        Errno::EEXIST
    );
    assert_eq!(
        errno(fx.open("/dangling", CREATE | OpenFlags::NOFOLLOW)),
        Errno::ELOOP
    );
    fx.open("/dangling", CREATE).unwrap();
    assert_eq!(fx.lookup("/target", true), Ok("/target".into()));
}

#[test]
fn open_creat_with_trailing_slash_or_on_a_directory_is_eisdir() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    assert_eq!(errno(fx.open("/new/", CREATE)), Errno::EISDIR);
    assert_eq!(errno(fx.open("/d", OpenFlags::CREAT)), Errno::EISDIR);
    assert_eq!(errno(fx.open("/", OpenFlags::CREAT)), Errno::EISDIR);
    assert_eq!(
        errno(fx.open("/", OpenFlags::CREAT | OpenFlags::EXCL)),
        Errno::EEXIST
    );
    assert_eq!(errno(fx.open("/missing/new", CREATE)), Errno::ENOENT);
}

#[test]
fn open_checks_type_flags() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    fx.write_file("/f", "content");
    fx.symlink("/f", "/link");
    assert_eq!(errno(fx.open("/f", OpenFlags::DIRECTORY)), Errno::ENOTDIR);
    assert_eq!(errno(fx.open("/d", OpenFlags::WRONLY)), Errno::EISDIR);
    assert_eq!(errno(fx.open("/d", OpenFlags::TRUNC)), Errno::EISDIR);
    assert_eq!(errno(fx.open("/link", OpenFlags::NOFOLLOW)), Errno::ELOOP);
    let path = fx
        .open("/link", OpenFlags::PATH | OpenFlags::NOFOLLOW)
        .unwrap();
    assert_eq!(path.node().name(), "link");
    fx.open("/f", OpenFlags::TRUNC).unwrap();
    assert_eq!(fx.read_file("/f"), "");
    assert_eq!(errno(fx.open("/f", OpenFlags::TMPFILE)), Errno::EOPNOTSUPP);
}

#[test]
fn open_checks_permission_bits() {
    let fx = as_user();
    assert_eq!(fx.read_file("/pub/roots"), "r");
    assert_eq!(
        errno(fx.open("/pub/roots", OpenFlags::WRONLY)),
        Errno::EACCES
    );
    assert_eq!(
        errno(fx.open("/pub/roots", OpenFlags::TRUNC)),
        Errno::EACCES
    );
}

#[test]
fn mkdir_errors() {
    let fx = Fixture::new();
    let caller = fx.caller();
    fx.mkdir("/d");
    assert_eq!(errno(fx.vfs.mkdir(&caller, "/d", 0o755)), Errno::EEXIST);
    assert_eq!(errno(fx.vfs.mkdir(&caller, "/d/..", 0o755)), Errno::EEXIST);
    assert_eq!(errno(fx.vfs.mkdir(&caller, "/", 0o755)), Errno::EEXIST);
    assert_eq!(errno(fx.vfs.mkdir(&caller, "/no/d", 0o755)), Errno::ENOENT);
    let long = String::from("/") + &"n".repeat(NAME_MAX + 1);
    assert_eq!(
        errno(fx.vfs.mkdir(&caller, &long, 0o755)),
        Errno::ENAMETOOLONG
    );
    fx.vfs.mkdir(&caller, "/d/sub/", 0o777).unwrap();
    assert_eq!(mode_of(&fx, "/d/sub"), 0o755);
}

#[test]
fn mknod_rules() {
    let fx = as_user();
    let caller = fx.caller();
    let chr = raw::S_IFCHR | 0o666;
    let dev = DeviceId::new(1, 3);
    assert_eq!(
        errno(fx.vfs.mknod(&caller, "/pub/null", chr, dev)),
        Errno::EPERM
    );
    let dir = raw::S_IFDIR | 0o755;
    assert_eq!(
        errno(fx.vfs.mknod(&caller, "/pub/d", dir, dev)),
        Errno::EPERM
    );
    let fifo = raw::S_IFIFO | 0o600;
    assert_eq!(
        errno(fx.vfs.mknod(&caller, "/pub/p/", fifo, dev)),
        Errno::ENOENT
    );
    fx.vfs.mknod(&caller, "/pub/p", fifo, dev).unwrap();
    let root = Credentials::root();
    let root_caller = crate::path::Caller {
        creds: &root,
        ..caller
    };
    fx.vfs.mknod(&root_caller, "/pub/null", chr, dev).unwrap();
    let stat = fx.vfs.stat(&caller, "/pub/null", true).unwrap();
    assert_eq!(stat.mode & raw::S_IFMT, raw::S_IFCHR);
}

#[test]
fn unlink_errors() {
    let fx = Fixture::new();
    let caller = fx.caller();
    fx.mkdir("/d");
    fx.write_file("/f", "");
    assert_eq!(errno(fx.vfs.unlink(&caller, "/d")), Errno::EISDIR);
    assert_eq!(errno(fx.vfs.unlink(&caller, "/d/")), Errno::EISDIR);
    assert_eq!(errno(fx.vfs.unlink(&caller, "/f/")), Errno::ENOTDIR);
    assert_eq!(errno(fx.vfs.unlink(&caller, "/nope")), Errno::ENOENT);
    assert_eq!(errno(fx.vfs.unlink(&caller, "/d/.")), Errno::EISDIR);
    fx.vfs.unlink(&caller, "/f").unwrap();
    assert_eq!(fx.lookup("/f", true), Err(Errno::ENOENT));
}

#[test]
fn open_file_survives_unlink_and_shows_deleted() {
    let fx = Fixture::new();
    fx.write_file("/f", "kept");
    let file = fx.open("/f", OpenFlags::empty()).unwrap();
    fx.vfs.unlink(&fx.caller(), "/f").unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(file.read(&mut buf).unwrap(), 4);
    assert_eq!(file.node().path_from(&fx.root), "/f (deleted)");
}

#[test]
fn rmdir_errors() {
    let fx = Fixture::new();
    let caller = fx.caller();
    fx.mkdir("/d");
    fx.write_file("/d/f", "");
    assert_eq!(errno(fx.vfs.rmdir(&caller, "/d")), Errno::ENOTEMPTY);
    assert_eq!(errno(fx.vfs.rmdir(&caller, "/d/.")), Errno::EINVAL);
    assert_eq!(errno(fx.vfs.rmdir(&caller, "/d/..")), Errno::ENOTEMPTY);
    assert_eq!(errno(fx.vfs.rmdir(&caller, "/")), Errno::EBUSY);
    assert_eq!(errno(fx.vfs.rmdir(&caller, "/d/f")), Errno::ENOTDIR);
    fx.vfs.unlink(&caller, "/d/f").unwrap();
    fx.vfs.rmdir(&caller, "/d/").unwrap();
}

#[test]
fn sticky_directory_protects_other_users_files() {
    let fx = as_user();
    let root = Credentials::root();
    let root_caller = crate::path::Caller {
        creds: &root,
        ..fx.caller()
    };
    fx.vfs.chmod(&root_caller, "/pub", 0o1777, true).unwrap();
    assert_eq!(
        errno(fx.vfs.unlink(&fx.caller(), "/pub/roots")),
        Errno::EPERM
    );
    fx.vfs
        .open(&fx.caller(), "/pub/mine", CREATE, 0o600)
        .unwrap();
    fx.vfs.unlink(&fx.caller(), "/pub/mine").unwrap();
}

#[test]
fn rename_moves_and_replaces() {
    let fx = Fixture::new();
    fx.write_file("/a", "A");
    fx.write_file("/b", "B");
    rename(&fx, "/a", "/b", RenameFlags::default()).unwrap();
    assert_eq!(fx.read_file("/b"), "A");
    assert_eq!(fx.lookup("/a", true), Err(Errno::ENOENT));
}

#[test]
fn rename_flags() {
    let fx = Fixture::new();
    fx.write_file("/a", "A");
    fx.write_file("/b", "B");
    let no_replace = RenameFlags {
        no_replace: true,
        exchange: false,
    };
    let exchange = RenameFlags {
        no_replace: false,
        exchange: true,
    };
    let both = RenameFlags {
        no_replace: true,
        exchange: true,
    };
    assert_eq!(errno(rename(&fx, "/a", "/b", no_replace)), Errno::EEXIST);
    assert_eq!(errno(rename(&fx, "/a", "/b", both)), Errno::EINVAL);
    rename(&fx, "/a", "/b", exchange).unwrap();
    assert_eq!(
        (fx.read_file("/a"), fx.read_file("/b")),
        ("B".into(), "A".into())
    );
    assert_eq!(errno(rename(&fx, "/a", "/c", exchange)), Errno::ENOENT);
}

#[test]
fn rename_type_and_tree_errors() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    fx.mkdir("/d/sub");
    fx.mkdir("/full");
    fx.write_file("/full/x", "");
    fx.write_file("/f", "");
    let plain = RenameFlags::default();
    assert_eq!(errno(rename(&fx, "/d", "/d/sub/in", plain)), Errno::EINVAL);
    assert_eq!(errno(rename(&fx, "/d", "/f", plain)), Errno::ENOTDIR);
    assert_eq!(errno(rename(&fx, "/f", "/d", plain)), Errno::EISDIR);
    assert_eq!(errno(rename(&fx, "/d", "/full", plain)), Errno::ENOTEMPTY);
    assert_eq!(errno(rename(&fx, "/f", "/g/", plain)), Errno::ENOTDIR);
    assert_eq!(errno(rename(&fx, "/d/.", "/e", plain)), Errno::EBUSY);
    assert_eq!(errno(rename(&fx, "/nope", "/e", plain)), Errno::ENOENT);
    rename(&fx, "/d/", "/e/", plain).unwrap();
    assert_eq!(fx.lookup("/e/sub", true), Ok("/e/sub".into()));
}

#[test]
fn rename_of_two_links_to_one_inode_does_nothing() {
    let fx = Fixture::new();
    fx.write_file("/f", "x");
    let caller = fx.caller();
    fx.vfs.link(&caller, "/f", &caller, "/g", false).unwrap();
    rename(&fx, "/f", "/g", RenameFlags::default()).unwrap();
    assert_eq!(fx.read_file("/f"), "x");
    assert_eq!(fx.vfs.stat(&caller, "/g", true).unwrap().nlink, 2);
}

#[test]
fn link_errors() {
    let fx = Fixture::new();
    let caller = fx.caller();
    fx.mkdir("/d");
    fx.write_file("/f", "");
    fx.symlink("/f", "/s");
    assert_eq!(
        errno(fx.vfs.link(&caller, "/d", &caller, "/d2", false)),
        Errno::EPERM
    );
    assert_eq!(
        errno(fx.vfs.link(&caller, "/f", &caller, "/d", false)),
        Errno::EEXIST
    );
    assert_eq!(
        errno(fx.vfs.link(&caller, "/nope", &caller, "/x", false)),
        Errno::ENOENT
    );
    fx.vfs.link(&caller, "/s", &caller, "/s2", false).unwrap();
    assert_eq!(fx.vfs.readlink(&caller, "/s2").unwrap(), "/f");
    fx.vfs.link(&caller, "/s", &caller, "/f2", true).unwrap();
    assert_eq!(errno(fx.vfs.readlink(&caller, "/f2")), Errno::EINVAL);
}

#[test]
fn symlink_errors() {
    let fx = Fixture::new();
    let caller = fx.caller();
    assert_eq!(errno(fx.vfs.symlink(&caller, "", "/s")), Errno::ENOENT);
    let long = "t".repeat(crate::path::PATH_MAX);
    assert_eq!(
        errno(fx.vfs.symlink(&caller, &long, "/s")),
        Errno::ENAMETOOLONG
    );
    fx.symlink("x", "/s");
    assert_eq!(errno(fx.vfs.symlink(&caller, "y", "/s")), Errno::EEXIST);
    assert_eq!(mode_of(&fx, "/s"), 0o777);
}

#[test]
fn access_checks_mode_bits_and_root_exec() {
    let mut fx = as_user();
    let caller = fx.caller();
    assert!(fx
        .vfs
        .access(&caller, "/pub/roots", Access::READ, true)
        .is_ok());
    let write = fx.vfs.access(&caller, "/pub/roots", Access::WRITE, true);
    assert_eq!(errno(write), Errno::EACCES);
    assert!(fx
        .vfs
        .access(&caller, "/pub/roots", Access::empty(), true)
        .is_ok());
    fx.creds = Credentials::root();
    let caller = fx.caller();
    assert!(fx
        .vfs
        .access(&caller, "/pub/roots", Access::WRITE, true)
        .is_ok());
    let exec = fx.vfs.access(&caller, "/pub/roots", Access::EXEC, true);
    assert_eq!(errno(exec), Errno::EACCES);
    fx.vfs.chmod(&caller, "/pub/roots", 0o001, true).unwrap();
    assert!(fx
        .vfs
        .access(&caller, "/pub/roots", Access::EXEC, true)
        .is_ok());
}

#[test]
fn only_the_owner_chmods_and_only_root_gives_files_away() {
    let fx = as_user();
    let caller = fx.caller();
    assert_eq!(
        errno(fx.vfs.chmod(&caller, "/pub/roots", 0o777, true)),
        Errno::EPERM
    );
    fx.vfs.open(&caller, "/pub/mine", CREATE, 0o644).unwrap();
    fx.vfs.chmod(&caller, "/pub/mine", 0o4700, true).unwrap();
    assert_eq!(mode_of(&fx, "/pub/mine"), 0o4700);
    let give = fx.vfs.chown(&caller, "/pub/mine", Some(0), None, true);
    assert_eq!(errno(give), Errno::EPERM);
    assert_eq!(
        errno(fx.vfs.chown(&caller, "/pub/mine", None, Some(5), true)),
        Errno::EPERM
    );
    fx.vfs
        .chown(&caller, "/pub/mine", None, Some(100), true)
        .unwrap();
    // A change of owner clears set-user-id.
    assert_eq!(mode_of(&fx, "/pub/mine"), 0o700);
}

#[test]
fn utimens_permissions_and_values() {
    let fx = as_user();
    let caller = fx.caller();
    let set = TimeUpdate::Set(Timespec { sec: 5, nsec: 6 });
    let explicit = fx.vfs.utimens(&caller, "/pub/roots", set, set, true);
    assert_eq!(errno(explicit), Errno::EPERM);
    let now = fx.vfs.utimens(
        &caller,
        "/pub/roots",
        TimeUpdate::Now,
        TimeUpdate::Now,
        true,
    );
    assert_eq!(errno(now), Errno::EACCES);
    fx.vfs.open(&caller, "/pub/mine", CREATE, 0o644).unwrap();
    fx.vfs
        .utimens(&caller, "/pub/mine", set, TimeUpdate::Now, true)
        .unwrap();
    let stat = fx.vfs.stat(&caller, "/pub/mine", true).unwrap();
    assert_eq!(stat.atime, Timespec { sec: 5, nsec: 6 });
    assert_eq!(stat.mtime, fx.vfs.clock().now());
    assert_eq!(
        TimeUpdate::from_timespec(0, raw::UTIME_OMIT.into()).unwrap(),
        TimeUpdate::Omit
    );
    assert_eq!(
        errno(TimeUpdate::from_timespec(0, 1_000_000_000)),
        Errno::EINVAL
    );
}

#[test]
fn truncate_by_path() {
    let fx = Fixture::new();
    fx.write_file("/f", "123456");
    fx.mkdir("/d");
    let caller = fx.caller();
    fx.vfs.truncate(&caller, "/f", 3).unwrap();
    assert_eq!(fx.read_file("/f"), "123");
    assert_eq!(errno(fx.vfs.truncate(&caller, "/d", 0)), Errno::EISDIR);
}

#[test]
fn setgid_directory_passes_its_group_on() {
    let fx = Fixture::new();
    let caller = fx.caller();
    fx.mkdir("/g");
    fx.vfs.chown(&caller, "/g", None, Some(50), true).unwrap();
    fx.vfs.chmod(&caller, "/g", 0o2775, true).unwrap();
    fx.mkdir("/g/sub");
    fx.write_file("/g/f", "");
    assert_eq!(fx.vfs.stat(&caller, "/g/f", true).unwrap().gid, 50);
    assert_eq!(fx.vfs.stat(&caller, "/g/sub", true).unwrap().gid, 50);
    assert_eq!(mode_of(&fx, "/g/sub") & raw::S_ISGID, raw::S_ISGID);
}

#[test]
fn statfs_reports_the_filesystem() {
    let fx = Fixture::new();
    assert_eq!(fx.vfs.statfs(&fx.caller(), "/").unwrap().fs_type, 0x1234);
}

#[test]
fn open_creat_with_o_directory_is_einval() {
    let fx = Fixture::new();
    assert_eq!(
        errno(fx.open("/x", OpenFlags::CREAT | OpenFlags::DIRECTORY)),
        Errno::EINVAL
    );
    assert_eq!(fx.lookup("/x", true), Err(Errno::ENOENT));
}

#[test]
fn shared_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<crate::Vfs>();
    check::<crate::PathNode>();
    check::<crate::OpenFile>();
    check::<crate::FdTable>();
    check::<crate::Mount>();
}
