//! Link counts: hard links, unlink, directories (2 + subdirectories), rmdir.

mod common;

use common::{file, ino, mkdir, new_fs, nlink, opts, root};
use vfs::{Errno, FileSystem, FileType};

#[test]
fn new_file_has_one_link() {
    assert_eq!(nlink(&file(&root(), "f")), 1);
}

#[test]
fn hard_link_counts_up_and_shares_the_inode() {
    let root = root();
    let f = file(&root, "f");
    root.link("g", &f).unwrap();
    assert_eq!(nlink(&f), 2);
    let g = root.lookup("g").unwrap();
    assert_eq!(ino(&g), ino(&f));
    g.write_at(0, b"shared").unwrap();
    assert_eq!(f.stat().unwrap().size, 6);
}

#[test]
fn unlink_counts_down_and_removes_the_name() {
    let root = root();
    let f = file(&root, "f");
    root.link("g", &f).unwrap();
    root.unlink("f").unwrap();
    assert_eq!(nlink(&f), 1);
    assert_eq!(root.lookup("f").err().unwrap().errno, Errno::ENOENT);
    root.unlink("g").unwrap();
    assert_eq!(nlink(&f), 0);
}

#[test]
fn linking_an_unlinked_inode_is_enoent() {
    let root = root();
    let f = file(&root, "f");
    root.unlink("f").unwrap();
    assert_eq!(root.link("again", &f).err().unwrap().errno, Errno::ENOENT);
}

#[test]
fn linking_a_directory_is_eperm() {
    let root = root();
    let d = mkdir(&root, "d");
    assert_eq!(root.link("d2", &d).err().unwrap().errno, Errno::EPERM);
}

#[test]
fn linking_across_instances_is_exdev() {
    let f = file(&root(), "f");
    assert_eq!(root().link("f", &f).err().unwrap().errno, Errno::EXDEV);
}

#[test]
fn linking_over_an_existing_name_is_eexist() {
    let root = root();
    let f = file(&root, "f");
    file(&root, "g");
    assert_eq!(root.link("g", &f).err().unwrap().errno, Errno::EEXIST);
    assert_eq!(nlink(&f), 1);
}

#[test]
fn directory_has_two_links_plus_one_per_subdirectory() {
    let root = root();
    let d = mkdir(&root, "d");
    assert_eq!(nlink(&d), 2);
    mkdir(&d, "a");
    mkdir(&d, "b");
    file(&d, "not-a-dir");
    assert_eq!(nlink(&d), 4);
    d.rmdir("a").unwrap();
    assert_eq!(nlink(&d), 3);
}

#[test]
fn root_counts_its_subdirectories() {
    let root = root();
    assert_eq!(nlink(&root), 2);
    mkdir(&root, "d");
    assert_eq!(nlink(&root), 3);
}

#[test]
fn rmdir_leaves_the_removed_directory_with_no_links() {
    let root = root();
    let d = mkdir(&root, "d");
    root.rmdir("d").unwrap();
    assert_eq!(nlink(&d), 0);
    let err = d.create("x", FileType::Regular, opts(0o644)).err().unwrap();
    assert_eq!(err.errno, Errno::ENOENT);
    assert_eq!(
        d.readdir(0, &mut |_| true).err().unwrap().errno,
        Errno::ENOENT
    );
}

#[test]
fn rmdir_of_a_non_empty_directory_is_enotempty() {
    let root = root();
    let d = mkdir(&root, "d");
    file(&d, "f");
    assert_eq!(root.rmdir("d").err().unwrap().errno, Errno::ENOTEMPTY);
}

#[test]
fn rmdir_of_a_file_is_enotdir_and_unlink_of_a_directory_is_eisdir() {
    let root = root();
    file(&root, "f");
    mkdir(&root, "d");
    assert_eq!(root.rmdir("f").err().unwrap().errno, Errno::ENOTDIR);
    assert_eq!(root.unlink("d").err().unwrap().errno, Errno::EISDIR);
}

#[test]
fn dot_and_dot_dot_resolve_to_self_and_parent() {
    let root = root();
    let d = mkdir(&root, "d");
    assert_eq!(ino(&d.lookup(".").unwrap()), ino(&d));
    assert_eq!(ino(&d.lookup("..").unwrap()), ino(&root));
    assert_eq!(ino(&root.lookup("..").unwrap()), ino(&root));
}

#[test]
fn dropping_the_filesystem_frees_every_inode() {
    let (fs, _) = new_fs();
    let root = fs.root();
    let d = mkdir(&root, "d");
    mkdir(&d, "e");
    file(&d, "f");
    drop((d, root));
    assert_eq!(fs.usage().inodes, 4);
    let weak = std::sync::Arc::downgrade(&fs.root_inode());
    drop(fs);
    assert!(
        weak.upgrade().is_none(),
        "no reference cycle keeps the tree alive"
    );
}

#[test]
fn dropping_a_very_deep_tree_does_not_recurse() {
    let (fs, _) = new_fs();
    let mut dir = fs.root();
    for _ in 0..100_000 {
        dir = mkdir(&dir, "d");
    }
    drop(dir);
    drop(fs);
}
