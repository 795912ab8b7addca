//! getdents64 resumption while the directory changes: every entry present
//! during the whole listing comes back exactly once, whatever the buffer
//! sizes.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::file::parse_dirents;
use super::Fixture;
use crate::dirent::dirent64_len;
use crate::errno::Errno;
use crate::types::OpenFlags;

const NAMES: usize = 40;

fn name(index: usize) -> String {
    format!("{index}-{}", "x".repeat(index % 13))
}

#[derive(Clone, Debug)]
enum Step {
    Read(usize),
    Add(usize),
    Remove(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1usize..200).prop_map(Step::Read),
        1 => (0..NAMES).prop_map(Step::Add),
        1 => (0..NAMES).prop_map(Step::Remove),
    ]
}

proptest! {
    #[test]
    fn listing_returns_stable_entries_exactly_once(
        initial in proptest::collection::btree_set(0..NAMES, 0..NAMES),
        steps in proptest::collection::vec(step(), 0..60),
        final_sizes in proptest::collection::vec(40usize..200, 1..8),
    ) {
        let fx = Fixture::new();
        fx.mkdir("/d");
        for &index in &initial {
            fx.write_file(&format!("/d/{}", name(index)), "");
        }
        let dir = fx.open("/d", OpenFlags::DIRECTORY).unwrap();
        let largest = (0..NAMES).map(|i| dirent64_len(&name(i))).max().unwrap();

        let mut present: BTreeSet<usize> = initial.clone();
        let mut stable: BTreeSet<usize> = initial.clone();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let read = |size: usize, seen: &mut BTreeMap<String, usize>| -> bool {
            let mut buf = vec![0u8; size];
            match dir.getdents64(&mut buf) {
                Ok(0) => false,
                Ok(len) => {
                    for record in parse_dirents(&buf[..len]) {
                        *seen.entry(record.name).or_default() += 1;
                    }
                    true
                }
                Err(error) => {
                    assert_eq!(error.errno, Errno::EINVAL);
                    assert!(size < largest, "EINVAL with room for any entry");
                    true
                }
            }
        };

        for step in &steps {
            match *step {
                Step::Read(size) => {
                    read(size, &mut seen);
                }
                Step::Add(index) => {
                    if present.insert(index) {
                        fx.write_file(&format!("/d/{}", name(index)), "");
                    }
                }
                Step::Remove(index) => {
                    if present.remove(&index) {
                        fx.vfs.unlink(&fx.caller(), &format!("/d/{}", name(index))).unwrap();
                    }
                    stable.remove(&index);
                }
            }
        }
        let mut sizes = final_sizes.iter().cycle();
        while read(*sizes.next().unwrap(), &mut seen) {}

        prop_assert_eq!(seen.get("."), Some(&1));
        prop_assert_eq!(seen.get(".."), Some(&1));
        for index in &stable {
            prop_assert_eq!(seen.get(&name(*index)), Some(&1), "entry {}", name(*index));
        }
        let known: BTreeSet<String> = (0..NAMES).map(name).collect();
        for listed in seen.keys().filter(|n| *n != "." && *n != "..") {
            prop_assert!(known.contains(listed));
        }

        // Seeking back to 0 restarts with exactly the current entries.
        dir.seek(0, crate::file::SEEK_SET).unwrap();
        let mut again = BTreeMap::new();
        while read(largest, &mut again) {}
        let expected: Vec<String> = present.iter().map(|i| name(*i)).collect::<BTreeSet<_>>()
            .into_iter().collect();
        let listed: Vec<String> =
            again.keys().filter(|n| *n != "." && *n != "..").cloned().collect();
        prop_assert!(again.values().all(|&count| count == 1));
        prop_assert_eq!(listed, expected);
    }
}
