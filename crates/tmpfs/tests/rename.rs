//! rename and renameat2: every case and its errno.

mod common;

use common::{file, ino, mkdir, names, nlink, root};
use vfs::{Errno, FileSystem, InodeRef, RenameFlags};

const PLAIN: RenameFlags = RenameFlags {
    no_replace: false,
    exchange: false,
};
const NOREPLACE: RenameFlags = RenameFlags {
    no_replace: true,
    exchange: false,
};
const EXCHANGE: RenameFlags = RenameFlags {
    no_replace: false,
    exchange: true,
};

fn rename(from: &InodeRef, old: &str, to: &InodeRef, new: &str) -> Result<(), Errno> {
    from.rename(old, to, new, PLAIN).map_err(|e| e.errno)
}

#[test]
fn rename_within_a_directory_moves_the_name() {
    let root = root();
    let f = file(&root, "a");
    rename(&root, "a", &root, "b").unwrap();
    assert_eq!(root.lookup("a").err().unwrap().errno, Errno::ENOENT);
    assert_eq!(ino(&root.lookup("b").unwrap()), ino(&f));
}

#[test]
fn rename_over_an_existing_file_replaces_it() {
    let root = root();
    let a = file(&root, "a");
    let b = file(&root, "b");
    rename(&root, "a", &root, "b").unwrap();
    assert_eq!(ino(&root.lookup("b").unwrap()), ino(&a));
    assert_eq!(nlink(&b), 0);
    assert_eq!(names(&root), [".", "..", "b"]);
}

#[test]
fn rename_of_a_directory_moves_its_dot_dot_and_link_counts() {
    let root = root();
    let src = mkdir(&root, "src");
    let dst = mkdir(&root, "dst");
    let d = mkdir(&src, "d");
    rename(&src, "d", &dst, "d").unwrap();
    assert_eq!(nlink(&src), 2);
    assert_eq!(nlink(&dst), 3);
    assert_eq!(ino(&d.lookup("..").unwrap()), ino(&dst));
}

#[test]
fn rename_of_a_directory_over_an_empty_directory_replaces_it() {
    let root = root();
    mkdir(&root, "a");
    let b = mkdir(&root, "b");
    rename(&root, "a", &root, "b").unwrap();
    assert_eq!(nlink(&b), 0);
    assert_eq!(nlink(&root), 3);
}

#[test]
fn rename_over_a_non_empty_directory_is_enotempty() {
    let root = root();
    mkdir(&root, "a");
    let b = mkdir(&root, "b");
    file(&b, "f");
    assert_eq!(rename(&root, "a", &root, "b"), Err(Errno::ENOTEMPTY));
}

#[test]
fn rename_of_a_directory_into_its_own_subtree_is_einval() {
    let root = root();
    let a = mkdir(&root, "a");
    let b = mkdir(&a, "b");
    assert_eq!(rename(&root, "a", &b, "x"), Err(Errno::EINVAL));
    assert_eq!(rename(&root, "a", &a, "x"), Err(Errno::EINVAL));
}

#[test]
fn rename_over_an_ancestor_of_the_source_is_enotempty() {
    let root = root();
    let a = mkdir(&root, "a");
    mkdir(&a, "b");
    assert_eq!(rename(&a, "b", &root, "a"), Err(Errno::ENOTEMPTY));
}

#[test]
fn rename_of_a_directory_over_a_file_is_enotdir() {
    let root = root();
    mkdir(&root, "d");
    file(&root, "f");
    assert_eq!(rename(&root, "d", &root, "f"), Err(Errno::ENOTDIR));
}

#[test]
fn rename_of_a_file_over_a_directory_is_eisdir() {
    let root = root();
    mkdir(&root, "d");
    file(&root, "f");
    assert_eq!(rename(&root, "f", &root, "d"), Err(Errno::EISDIR));
}

#[test]
fn rename_of_a_missing_name_is_enoent() {
    let root = root();
    assert_eq!(rename(&root, "nope", &root, "x"), Err(Errno::ENOENT));
}

#[test]
fn rename_onto_another_link_of_the_same_inode_does_nothing() {
    let root = root();
    let f = file(&root, "a");
    root.link("b", &f).unwrap();
    rename(&root, "a", &root, "b").unwrap();
    assert_eq!(nlink(&f), 2);
    assert_eq!(names(&root), [".", "..", "a", "b"]);
}

#[test]
fn rename_across_instances_is_exdev() {
    let root = root();
    file(&root, "f");
    let other = common::root();
    assert_eq!(rename(&root, "f", &other, "f"), Err(Errno::EXDEV));
}

#[test]
fn rename_of_dot_or_dot_dot_is_ebusy() {
    let root = root();
    file(&root, "f");
    assert_eq!(rename(&root, ".", &root, "x"), Err(Errno::EBUSY));
    assert_eq!(rename(&root, "f", &root, ".."), Err(Errno::EBUSY));
}

#[test]
fn noreplace_over_an_existing_name_is_eexist() {
    let root = root();
    file(&root, "a");
    file(&root, "b");
    let err = root.rename("a", &root, "b", NOREPLACE).err().unwrap();
    assert_eq!(err.errno, Errno::EEXIST);
    root.rename("a", &root, "c", NOREPLACE).unwrap();
}

#[test]
fn noreplace_with_exchange_is_einval() {
    let root = root();
    file(&root, "a");
    file(&root, "b");
    let both = RenameFlags {
        no_replace: true,
        exchange: true,
    };
    assert_eq!(
        root.rename("a", &root, "b", both).err().unwrap().errno,
        Errno::EINVAL
    );
}

#[test]
fn exchange_swaps_a_file_and_a_directory_across_directories() {
    let root = root();
    let left = mkdir(&root, "left");
    let right = mkdir(&root, "right");
    let f = file(&left, "x");
    let d = mkdir(&right, "y");
    left.rename("x", &right, "y", EXCHANGE).unwrap();
    assert_eq!(ino(&left.lookup("x").unwrap()), ino(&d));
    assert_eq!(ino(&right.lookup("y").unwrap()), ino(&f));
    assert_eq!(nlink(&left), 3);
    assert_eq!(nlink(&right), 2);
    assert_eq!(ino(&d.lookup("..").unwrap()), ino(&left));
}

#[test]
fn exchange_with_a_missing_target_is_enoent() {
    let root = root();
    file(&root, "a");
    assert_eq!(
        root.rename("a", &root, "b", EXCHANGE).err().unwrap().errno,
        Errno::ENOENT
    );
}

#[test]
fn exchange_of_a_directory_with_its_descendant_is_einval() {
    let root = root();
    let a = mkdir(&root, "a");
    mkdir(&a, "b");
    assert_eq!(
        root.rename("a", &a, "b", EXCHANGE).err().unwrap().errno,
        Errno::EINVAL
    );
    assert_eq!(
        a.rename("b", &root, "a", EXCHANGE).err().unwrap().errno,
        Errno::EINVAL
    );
}

#[test]
fn rename_into_a_removed_directory_is_enoent() {
    let root = root();
    file(&root, "f");
    let d = mkdir(&root, "d");
    root.rmdir("d").unwrap();
    assert_eq!(rename(&root, "f", &d, "f"), Err(Errno::ENOENT));
}

#[test]
fn rename_updates_directory_times() {
    let (fs, clock) = common::new_fs();
    let root = fs.root();
    let d = mkdir(&root, "d");
    file(&root, "f");
    clock.advance(10);
    rename(&root, "f", &d, "g").unwrap();
    assert_eq!(root.stat().unwrap().mtime.sec, 1_010);
    assert_eq!(d.stat().unwrap().mtime.sec, 1_010);
    assert_eq!(d.lookup("g").unwrap().stat().unwrap().ctime.sec, 1_010);
}

#[test]
fn exchange_within_a_directory_swaps_the_names() {
    let root = root();
    let a = file(&root, "a");
    let b = mkdir(&root, "b");
    root.rename("a", &root, "b", EXCHANGE).unwrap();
    assert_eq!(ino(&root.lookup("a").unwrap()), ino(&b));
    assert_eq!(ino(&root.lookup("b").unwrap()), ino(&a));
    assert_eq!(nlink(&root), 3);
}
