//! Directory listings: order, cookies, resumption while entries change.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{file, ino, mkdir, names, root};
use proptest::prelude::*;
use vfs::{DirEntry, FileType, InodeRef};

/// Reads at most `room` entries from `cookie`, as one getdents64 call with a
/// small buffer would.
fn read_some(dir: &InodeRef, cookie: u64, room: usize) -> Vec<DirEntry> {
    let mut out = Vec::new();
    dir.readdir(cookie, &mut |entry| {
        if out.len() == room {
            return false;
        }
        out.push(entry);
        true
    })
    .unwrap();
    out
}

#[test]
fn dot_and_dot_dot_come_first_then_creation_order() {
    let root = root();
    let d = mkdir(&root, "d");
    file(&d, "zeta");
    file(&d, "alpha");
    mkdir(&d, "mid");
    assert_eq!(names(&d), [".", "..", "zeta", "alpha", "mid"]);

    let entries = read_some(&d, 0, 2);
    assert_eq!(entries[0].ino, ino(&d));
    assert_eq!(entries[1].ino, ino(&root));
    assert_eq!(entries[1].file_type, FileType::Directory);
}

#[test]
fn entries_carry_their_inode_and_type() {
    let root = root();
    let f = file(&root, "f");
    let entry = read_some(&root, 2, 1).remove(0);
    assert_eq!(entry.name, "f");
    assert_eq!(entry.ino, ino(&f));
    assert_eq!(entry.file_type, FileType::Regular);
}

#[test]
fn an_entry_the_sink_refuses_is_returned_again() {
    let root = root();
    file(&root, "a");
    file(&root, "b");
    let first = read_some(&root, 0, 3);
    assert_eq!(first.len(), 3);
    let rest = read_some(&root, first[2].next_cookie, 10);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].name, "b");
}

#[test]
fn cookie_zero_restarts_the_listing() {
    let root = root();
    file(&root, "a");
    read_some(&root, 0, 2);
    assert_eq!(read_some(&root, 0, 10).len(), 3);
}

#[test]
fn listing_a_large_directory_in_one_pass_returns_every_entry() {
    let root = root();
    for i in 0..1000 {
        file(&root, &format!("f{i}"));
    }
    let listed = names(&root);
    assert_eq!(listed.len(), 1002);
    assert_eq!(listed.iter().collect::<BTreeSet<_>>().len(), 1002);
}

#[test]
fn a_removed_entry_is_not_returned_after_resumption() {
    let root = root();
    file(&root, "a");
    file(&root, "b");
    let first = read_some(&root, 0, 3);
    root.unlink("b").unwrap();
    assert!(read_some(&root, first[2].next_cookie, 10).is_empty());
}

#[derive(Clone, Debug)]
enum Change {
    Add,
    Remove(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![Just(Change::Add), any::<usize>().prop_map(Change::Remove)]
}

proptest! {
    /// Reads the listing in chunks of random sizes, adding and removing
    /// entries between chunks: every entry present from start to end comes
    /// back exactly once and no name comes back twice.
    #[test]
    fn resumed_listing_returns_each_surviving_entry_once(
        initial in 0usize..60,
        chunks in prop::collection::vec((1usize..9, prop::collection::vec(change(), 0..4)), 1..40),
    ) {
        let root = root();
        let mut present: BTreeMap<String, bool> = BTreeMap::new();
        let mut next_name = 0;
        for _ in 0..initial {
            let name = format!("n{next_name}");
            next_name += 1;
            file(&root, &name);
            present.insert(name, true);
        }

        let mut seen: Vec<String> = Vec::new();
        let mut cookie = 0;
        let mut chunks = chunks.into_iter();
        loop {
            let (room, changes) = chunks.next().unwrap_or((8, Vec::new()));
            let entries = read_some(&root, cookie, room);
            if entries.is_empty() {
                break;
            }
            cookie = entries.last().unwrap().next_cookie;
            seen.extend(entries.into_iter().map(|entry| entry.name));

            for change in changes {
                match change {
                    Change::Add => {
                        let name = format!("n{next_name}");
                        next_name += 1;
                        file(&root, &name);
                        present.insert(name, false);
                    }
                    Change::Remove(pick) if !present.is_empty() => {
                        let name = present.keys().nth(pick % present.len()).unwrap().clone();
                        present.remove(&name);
                        root.unlink(&name).unwrap();
                    }
                    Change::Remove(_) => {}
                }
            }
        }

        prop_assert_eq!(&seen[..2.min(seen.len())], &[".", ".."][..2.min(seen.len())]);
        let unique: BTreeSet<&String> = seen.iter().collect();
        prop_assert_eq!(unique.len(), seen.len(), "a name came back twice: {:?}", seen);
        for (name, &throughout) in &present {
            if throughout {
                prop_assert!(unique.contains(name), "{} missing from {:?}", name, seen);
            }
        }
    }
}
