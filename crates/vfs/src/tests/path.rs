use alloc::format;
use alloc::string::String;

use super::{errno, Fixture};
use crate::cred::Credentials;
use crate::errno::Errno;
use crate::inode::RenameFlags;
use crate::path::{LastComponent, MAX_SYMLINKS, NAME_MAX, PATH_MAX};

fn tree() -> Fixture {
    let fx = Fixture::new();
    fx.mkdir("/a");
    fx.mkdir("/a/b");
    fx.write_file("/a/f", "data");
    fx.symlink("b", "/a/rel");
    fx.symlink("/a/b", "/abs");
    fx.symlink("f", "/a/to_file");
    fx.symlink("missing", "/a/dangling");
    fx
}

#[test]
fn absolute_and_relative_paths_resolve() {
    let mut fx = tree();
    assert_eq!(fx.lookup("/a/b", true), Ok("/a/b".into()));
    fx.cwd = fx.vfs.resolve(&fx.caller(), "/a", true).unwrap();
    assert_eq!(fx.lookup("b", true), Ok("/a/b".into()));
    assert_eq!(fx.lookup("f", true), Ok("/a/f".into()));
}

#[test]
fn dots_and_duplicate_slashes_are_handled() {
    let fx = tree();
    assert_eq!(fx.lookup("//a///b/./../b//", true), Ok("/a/b".into()));
    assert_eq!(fx.lookup("/a/.", true), Ok("/a".into()));
    assert_eq!(fx.lookup("/a/b/..", true), Ok("/a".into()));
    assert_eq!(fx.lookup("/", true), Ok("/".into()));
}

#[test]
fn dotdot_at_root_stays_at_root() {
    let fx = tree();
    assert_eq!(fx.lookup("/../../a", true), Ok("/a".into()));
    assert_eq!(fx.lookup("..", true), Ok("/".into()));
}

#[test]
fn dotdot_stops_at_a_chroot() {
    let mut fx = tree();
    fx.root = fx.vfs.chroot(&fx.caller(), "/a").unwrap();
    fx.cwd = fx.root.clone();
    assert_eq!(fx.lookup("../../b", true), Ok("/b".into()));
    assert_eq!(fx.lookup("/b/../..", true), Ok("/".into()));
    // An absolute symlink target starts at the process root.
    fx.symlink("/b", "/jail_link");
    assert_eq!(fx.lookup("/jail_link", true), Ok("/b".into()));
}

#[test]
fn symlinks_are_followed_in_the_middle_and_at_the_end() {
    let fx = tree();
    assert_eq!(fx.lookup("/a/rel", true), Ok("/a/b".into()));
    assert_eq!(fx.lookup("/abs/..", true), Ok("/a".into()));
    assert_eq!(fx.lookup("/a/rel/../f", true), Ok("/a/f".into()));
    assert_eq!(fx.lookup("/a/to_file", true), Ok("/a/f".into()));
}

#[test]
fn final_symlink_is_kept_without_follow() {
    let fx = tree();
    assert_eq!(fx.lookup("/a/rel", false), Ok("/a/rel".into()));
    assert_eq!(fx.lookup("/a/dangling", false), Ok("/a/dangling".into()));
    assert_eq!(fx.lookup("/a/dangling", true), Err(Errno::ENOENT));
}

#[test]
fn trailing_slash_rules() {
    let fx = tree();
    assert_eq!(fx.lookup("/a/f/", true), Err(Errno::ENOTDIR));
    assert_eq!(fx.lookup("/a/b/", true), Ok("/a/b".into()));
    // A trailing slash follows a final symlink even without follow.
    assert_eq!(fx.lookup("/a/rel/", false), Ok("/a/b".into()));
    assert_eq!(fx.lookup("/a/to_file/", false), Err(Errno::ENOTDIR));
    assert_eq!(fx.lookup("/a/missing/", true), Err(Errno::ENOENT));
}

#[test]
fn enoent_and_enotdir_like_linux() {
    let fx = tree();
    assert_eq!(fx.lookup("", true), Err(Errno::ENOENT));
    assert_eq!(fx.lookup("/missing/x", true), Err(Errno::ENOENT));
    assert_eq!(fx.lookup("/a/f/x", true), Err(Errno::ENOTDIR));
    assert_eq!(fx.lookup("/a/f/..", true), Err(Errno::ENOTDIR));
    assert_eq!(fx.lookup("/a/f/.", true), Err(Errno::ENOTDIR));
    assert_eq!(fx.lookup("/a/to_file/x", true), Err(Errno::ENOTDIR));
    assert_eq!(fx.lookup("/a/dangling/x", true), Err(Errno::ENOENT));
}

#[test]
fn symlink_loops_give_eloop() {
    let fx = tree();
    fx.symlink("self", "/self");
    assert_eq!(fx.lookup("/self", true), Err(Errno::ELOOP));
    assert_eq!(fx.lookup("/self", false), Ok("/self".into()));
    assert_eq!(fx.lookup("/self/x", false), Err(Errno::ELOOP));
}

#[test]
fn forty_links_are_followed_and_the_forty_first_fails() {
    let fx = tree();
    fx.symlink("/a/b", "/l0");
    for i in 1..=MAX_SYMLINKS {
        fx.symlink(&format!("/l{}", i - 1), &format!("/l{i}"));
    }
    // `/l39` goes through 40 links, `/l40` through 41.
    assert_eq!(fx.lookup("/l39", true), Ok("/a/b".into()));
    assert_eq!(fx.lookup("/l40", true), Err(Errno::ELOOP));
}

#[test]
fn long_paths_and_names_fail_with_enametoolong() {
    let fx = tree();
    let long_name: String = "x".repeat(NAME_MAX + 1);
    assert_eq!(
        fx.lookup(&format!("/a/{long_name}"), true),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        fx.lookup(&format!("/a/{}", &long_name[1..]), true),
        Err(Errno::ENOENT)
    );
    // A missing directory before the long name is reported first.
    assert_eq!(
        fx.lookup(&format!("/nope/{long_name}"), true),
        Err(Errno::ENOENT)
    );

    let long_path = "/".repeat(PATH_MAX);
    assert_eq!(fx.lookup(&long_path, true), Err(Errno::ENAMETOOLONG));
    assert_eq!(fx.lookup(&long_path[1..], true), Ok("/".into()));
}

#[test]
fn unsearchable_directory_gives_eacces() {
    let mut fx = tree();
    fx.vfs.chmod(&fx.caller(), "/a", 0o700, true).unwrap();
    fx.creds = Credentials::user(1000, 1000);
    assert_eq!(fx.lookup("/a/b", true), Err(Errno::EACCES));
    assert_eq!(fx.lookup("/a", true), Ok("/a".into()));
    fx.creds = Credentials::root();
    assert_eq!(fx.lookup("/a/b", true), Ok("/a/b".into()));
}

#[test]
fn resolve_parent_reports_the_last_component() {
    let fx = tree();
    let caller = fx.caller();
    let parent = fx.vfs.resolve_parent(&caller, "/a/rel/new/").unwrap();
    assert_eq!(parent.dir.path_from(&fx.root), "/a/b");
    assert_eq!(parent.last, LastComponent::Name("new".into()));
    assert!(parent.must_be_dir);
    assert_eq!(
        fx.vfs.resolve_parent(&caller, "/a/..").unwrap().last,
        LastComponent::DotDot
    );
    assert_eq!(
        fx.vfs.resolve_parent(&caller, "a/.").unwrap().last,
        LastComponent::Dot
    );
    assert_eq!(
        fx.vfs.resolve_parent(&caller, "//").unwrap().last,
        LastComponent::Root
    );
    assert_eq!(
        errno(fx.vfs.resolve_parent(&caller, "/a/f/x")),
        Errno::ENOTDIR
    );
    assert_eq!(
        errno(fx.vfs.resolve_parent(&caller, "/zz/x")),
        Errno::ENOENT
    );
}

#[test]
fn getcwd_follows_renames_of_ancestors() {
    let mut fx = tree();
    fx.mkdir("/a/b/c");
    fx.cwd = fx.vfs.chdir(&fx.caller(), "/a/b/c").unwrap();
    fx.mkdir("/z");
    let caller = fx.caller();
    fx.vfs
        .rename(&caller, "/a/b", &caller, "/z/moved", RenameFlags::default())
        .unwrap();
    assert_eq!(fx.vfs.getcwd(&fx.caller()).unwrap(), "/z/moved/c");
    // `..` follows the move too.
    assert_eq!(fx.lookup("../..", true), Ok("/z".into()));
}

#[test]
fn getcwd_of_a_removed_directory_is_enoent() {
    let mut fx = tree();
    fx.mkdir("/gone");
    fx.cwd = fx.vfs.chdir(&fx.caller(), "/gone").unwrap();
    fx.vfs.rmdir(&fx.caller(), "/gone").unwrap();
    assert_eq!(errno(fx.vfs.getcwd(&fx.caller())), Errno::ENOENT);
    assert_eq!(fx.cwd.path_from(&fx.root), "/gone (deleted)");
}

#[test]
fn chdir_needs_a_searchable_directory() {
    let mut fx = tree();
    assert_eq!(errno(fx.vfs.chdir(&fx.caller(), "/a/f")), Errno::ENOTDIR);
    fx.vfs.chmod(&fx.caller(), "/a/b", 0o600, true).unwrap();
    fx.creds = Credentials::user(5, 5);
    assert_eq!(errno(fx.vfs.chdir(&fx.caller(), "/a/b")), Errno::EACCES);
    assert_eq!(errno(fx.vfs.chroot(&fx.caller(), "/a")), Errno::EPERM);
}

#[test]
fn getcwd_outside_the_root_is_unreachable() {
    let mut fx = tree();
    fx.cwd = fx.vfs.chdir(&fx.caller(), "/a").unwrap();
    fx.root = fx.vfs.resolve(&fx.caller(), "/a/b", true).unwrap();
    assert_eq!(fx.vfs.getcwd(&fx.caller()).unwrap(), "(unreachable)/a");
}

#[test]
fn resolutions_of_one_path_share_one_node() {
    let fx = tree();
    let first = fx.vfs.resolve(&fx.caller(), "/a/b", true).unwrap();
    let second = fx.vfs.resolve(&fx.caller(), "/a/rel", true).unwrap();
    assert!(alloc::sync::Arc::ptr_eq(&first, &second));
}

#[test]
fn dropped_nodes_leave_no_cache_entries() {
    let fx = tree();
    let a = fx.vfs.resolve(&fx.caller(), "/a", true).unwrap();
    let f = fx.vfs.resolve(&fx.caller(), "/a/b/../f", true).unwrap();
    assert_eq!(a.cached_children(), 1);
    drop(f);
    assert_eq!(a.cached_children(), 0);
}

#[test]
fn dropping_a_very_deep_chain_does_not_recurse() {
    use crate::inode::CreateOptions;
    use crate::types::FileType;

    let fx = tree();
    let mut node = fx.root.clone();
    for _ in 0..100_000 {
        node.inode()
            .create("d", FileType::Directory, CreateOptions::default())
            .unwrap();
        node = fx.vfs.step(&node, "d").unwrap();
    }
    drop(node);
    assert_eq!(fx.root.cached_children(), 0);
    // The test filesystem itself frees its tree recursively; leak it.
    core::mem::forget(fx);
}

#[test]
fn concurrent_lookups_renames_and_removals_do_not_deadlock() {
    use alloc::sync::Arc;
    use std::thread;

    let fx = Arc::new(tree());
    fx.mkdir("/shared");
    let workers: alloc::vec::Vec<_> = (0..4)
        .map(|id| {
            let fx = fx.clone();
            thread::spawn(move || {
                let caller = fx.caller();
                let dir = format!("/shared/w{id}");
                fx.mkdir(&dir);
                for round in 0..300 {
                    let a = format!("{dir}/a{}", round % 3);
                    let b = format!("/shared/b{id}");
                    fx.vfs.mkdir(&caller, &a, 0o755).unwrap();
                    let held = fx.vfs.resolve(&caller, &a, true).unwrap();
                    fx.vfs
                        .rename(&caller, &a, &caller, &b, RenameFlags::default())
                        .unwrap();
                    assert_eq!(held.path_from(&fx.root), b);
                    let _ = fx.lookup("/a/rel/../f", true);
                    fx.vfs.rmdir(&caller, &b).unwrap();
                    assert!(held.is_deleted());
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}
