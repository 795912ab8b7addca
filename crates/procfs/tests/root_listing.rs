//! The root directory: stitched listing, cookies that survive PIDs coming and
//! going, and lookup of PIDs and thread ids.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use common::*;
use proptest::prelude::*;
use vfs::{Errno, FileSystem, FileType};

fn source_with(pids: &[u32]) -> std::sync::Arc<FakeSource> {
    let source = FakeSource::new();
    for &pid in pids {
        source.add(pid);
    }
    source
}

fn pid_names(entries: &[vfs::DirEntry]) -> Vec<u32> {
    entries
        .iter()
        .filter_map(|entry| entry.name.parse().ok())
        .collect()
}

#[test]
fn listing_has_fixed_entries_then_pids_ascending() {
    let source = source_with(&[42, 1, 7]);
    let fs = mount(&source);
    let entries = list_all(&fs.root(), 4096);
    let names = names(&entries);
    assert_eq!(&names[..FIXED_NAMES.len()], &FIXED_NAMES);
    assert_eq!(&names[FIXED_NAMES.len()..], &["1", "7", "42"]);
}

#[test]
fn self_links_are_dt_lnk_and_pids_are_dt_dir() {
    let source = source_with(&[1]);
    let fs = mount(&source);
    let entries = list_all(&fs.root(), 4096);
    let kind = |name: &str| entries.iter().find(|e| e.name == name).unwrap().file_type;
    assert_eq!(kind("self"), FileType::Symlink);
    assert_eq!(kind("thread-self"), FileType::Symlink);
    assert_eq!(kind("mounts"), FileType::Symlink);
    assert_eq!(kind("1"), FileType::Directory);
    assert_eq!(kind("."), FileType::Directory);
    assert_eq!(kind("stat"), FileType::Regular);
}

#[test]
fn same_names_with_any_buffer_size() {
    let source = source_with(&(1..300).step_by(3).collect::<Vec<_>>());
    let fs = mount(&source);
    let whole = names(&list_all(&fs.root(), 1 << 20));
    for budget in [32, 40, 64, 100, 257, 1000] {
        assert_eq!(
            names(&list_all(&fs.root(), budget)),
            whole,
            "budget {budget}"
        );
    }
}

#[test]
fn cookie_zero_restarts_the_listing() {
    let source = source_with(&[3, 4]);
    let fs = mount(&source);
    let root = fs.root();
    let (first, _) = getdents(&root, 0, 64);
    let (again, _) = getdents(&root, 0, 64);
    assert_eq!(names(&first), names(&again));
    assert_eq!(first[0].name, ".");
}

#[test]
fn listed_entries_match_lookup_type_and_inode() {
    let source = source_with(&[1, 5, 900]);
    let fs = mount(&source);
    let root = fs.root();
    for entry in list_all(&root, 4096) {
        if entry.name == "." || entry.name == ".." {
            continue;
        }
        let stat = root.lookup(&entry.name).unwrap().stat().unwrap();
        assert_eq!(stat.ino, entry.ino, "{}", entry.name);
        assert_eq!(stat.file_type(), Some(entry.file_type), "{}", entry.name);
    }
}

#[test]
fn pid_entries_of_a_pid_directory_match_lookup() {
    let source = source_with(&[5]);
    let fs = mount(&source);
    let dir = walk(&fs, "5").unwrap();
    let entries = list_all(&dir, 4096);
    assert!(names(&entries).contains(&"task".to_string()));
    for entry in entries.iter().skip(2) {
        let stat = dir.lookup(&entry.name).unwrap().stat().unwrap();
        assert_eq!(stat.ino, entry.ino, "{}", entry.name);
        assert_eq!(stat.file_type(), Some(entry.file_type), "{}", entry.name);
    }
}

#[test]
fn non_canonical_numbers_are_enoent() {
    let source = source_with(&[7, 12]);
    let fs = mount(&source);
    let root = fs.root();
    for name in [
        "0",
        "007",
        "07",
        "12abc",
        "+7",
        "-7",
        " 7",
        "7 ",
        "",
        "4294967303",
        "99",
    ] {
        let error = root
            .lookup(name)
            .err()
            .unwrap_or_else(|| panic!("{name:?} resolved"));
        assert_eq!(error.errno, Errno::ENOENT, "{name:?}");
    }
    assert!(root.lookup("7").is_ok());
    assert!(root.lookup("12").is_ok());
}

#[test]
fn thread_ids_resolve_but_are_not_listed() {
    let source = source_with(&[10, 20]);
    source.add_thread(10, 11);
    let fs = mount(&source);
    assert_eq!(pid_names(&list_all(&fs.root(), 4096)), vec![10, 20]);

    let thread = fs.root().lookup("11").unwrap();
    assert_eq!(thread.file_type(), FileType::Directory);
    let status = read(&fs, "11/status").unwrap();
    assert!(status.contains("Tgid:\t10\n"), "{status}");
    assert!(status.contains("\nPid:\t11\n"), "{status}");

    let tasks = pid_names(&list_all(&walk(&fs, "10/task").unwrap(), 4096));
    assert_eq!(tasks, vec![10, 11]);
    assert!(walk(&fs, "10/task/11/stat").is_ok());
    assert_eq!(walk(&fs, "10/task/20").err().unwrap().errno, Errno::ENOENT);
    assert_eq!(
        walk(&fs, "10/task/11/task").err().unwrap().errno,
        Errno::ENOENT
    );
}

#[test]
fn a_reaped_pid_is_enoent_and_esrch_through_an_old_handle() {
    let source = source_with(&[3, 4]);
    let fs = mount(&source);
    let dir = walk(&fs, "4").unwrap();
    source.remove(4);
    assert_eq!(fs.root().lookup("4").err().unwrap().errno, Errno::ENOENT);
    // Linux answers lookups in a gone process's directory with ESRCH.
    assert_eq!(dir.lookup("stat").err().unwrap().errno, Errno::ESRCH);
    assert!(list_all(&dir, 4096).is_empty());
    assert_eq!(pid_names(&list_all(&fs.root(), 4096)), vec![3]);
}

#[test]
fn hundred_thousand_pids_list_fast_and_in_order() {
    let source = source_with(&(1..=100_000).collect::<Vec<_>>());
    let fs = mount(&source);
    let started = Instant::now();
    let pids = pid_names(&list_all(&fs.root(), 32 * 1024));
    let elapsed = started.elapsed();
    assert_eq!(pids.len(), 100_000);
    assert!(pids.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(elapsed.as_secs() < 5, "listing took {elapsed:?}");
}

/// One step of a slow listing: a getdents call of `budget` bytes, then
/// processes forking (`added`) and exiting (`removed`).
#[derive(Clone, Debug)]
struct Step {
    budget: usize,
    added: Vec<u32>,
    removed: Vec<u32>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        32usize..600,
        prop::collection::vec(1u32..3000, 0..20),
        prop::collection::vec(1u32..3000, 0..20),
    )
        .prop_map(|(budget, added, removed)| Step {
            budget,
            added,
            removed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn pids_alive_throughout_are_listed_exactly_once(
        initial in prop::collection::btree_set(1u32..3000, 0..400),
        steps in prop::collection::vec(step(), 1..200),
    ) {
        let source = source_with(&initial.iter().copied().collect::<Vec<_>>());
        let fs = mount(&source);
        let root = fs.root();
        let mut touched = BTreeSet::new();
        let mut seen = Vec::new();
        let mut cookie = 0;
        let mut steps = steps.into_iter().cycle();
        loop {
            let step = steps.next().unwrap();
            let (entries, next) = getdents(&root, cookie, step.budget);
            if entries.is_empty() {
                break;
            }
            seen.extend(names(&entries));
            prop_assert!(seen.len() < 10_000, "the listing does not end");
            cookie = next;
            for pid in step.added {
                touched.insert(pid);
                source.add(pid);
            }
            for pid in step.removed {
                touched.insert(pid);
                source.remove(pid);
            }
        }

        let unique: BTreeSet<&String> = seen.iter().collect();
        prop_assert_eq!(unique.len(), seen.len(), "a name came back twice: {:?}", seen);
        let listed: Vec<u32> = seen.iter().filter_map(|name| name.parse().ok()).collect();
        prop_assert!(listed.windows(2).all(|pair| pair[0] < pair[1]));
        for pid in initial.difference(&touched) {
            prop_assert!(listed.contains(pid), "pid {} lived throughout but was missed", pid);
        }
        for name in FIXED_NAMES {
            prop_assert!(seen.iter().any(|seen| seen == name), "{} missing", name);
        }
    }
}
