//! The fuzz body, shared by the cargo-fuzz target and the host test
//! `tests/fuzz_readdir.rs`: arbitrary bytes are read as operations on a
//! /proc over the fake source of `tests/common`, whose processes spawn and
//! exit between the steps of a listing of the root.
//!
//! | op (`% 7`) | arguments       | operation                                             |
//! |------------|-----------------|-------------------------------------------------------|
//! | 0          | hi lo           | spawn PID `hi * 256 + lo + 1` (if free)               |
//! | 1          | i               | the `i`-th live process exits                         |
//! | 2          | b               | the next getdents of the pass, `32 + 4b` bytes        |
//! | 3          | 8 bytes, b      | list the root from that cookie, `32 + 4b` bytes       |
//! | 4          | d i, 8 bytes, n | read file `i` of directory `d` at that offset, `16n` B |
//! | 5          | d, 8 bytes      | list directory `d` from that cookie                   |
//! | 6          | i hi lo         | live process `i` starts thread `hi*256 + lo + 1` if free |
//!
//! A directory byte `d` picks the root (`d < 64`), the directory of a live
//! PID or the `task`, `fd` or `sys/kernel` directory next to it. A pass is
//! one listing of the root from cookie 0, resumed from the cookie of the
//! last entry each time; it ends when a getdents returns nothing, and at the
//! end of the input it is finished without further changes. After each
//! pass: no name came twice, PIDs came ascending, every fixed entry and
//! every PID alive for the whole pass was listed, and no PID was listed that
//! did not live during it. Any listing's cookies only grow, and a read at an
//! offset returns that part of the whole file.

use std::collections::BTreeSet;
use std::sync::Arc;

use procfs::{PidSource, ProcFs};
use vfs::{DirEntry, Errno, FileSystem, FileType, InodeRef, OpenFlags};

use crate::common::{dirent_size, getdents, mount, FakeSource, FIXED_NAMES};

const OPERATIONS: u8 = 7;
/// Room for the longest entry (a 10-digit PID, `thread-self`).
const MIN_BUDGET: usize = 32;
const READ_UNIT: usize = 16;
/// A cookie must stay below 2^63 (`lseek` and `d_off` are signed).
const COOKIE_LIMIT: u64 = 1 << 63;

/// One listing of the root in progress.
#[derive(Default)]
struct Pass {
    cookie: u64,
    seen: Vec<String>,
    /// PIDs alive when the pass began.
    at_start: BTreeSet<u32>,
    /// PIDs that spawned or exited during the pass.
    touched: BTreeSet<u32>,
}

struct World {
    source: Arc<FakeSource>,
    fs: Arc<ProcFs>,
    pass: Pass,
}

impl World {
    fn live(&self) -> Vec<u32> {
        self.source
            .with(|state| state.processes.keys().copied().collect())
    }

    fn new_pass(&mut self) {
        self.pass = Pass {
            at_start: self.live().into_iter().collect(),
            ..Pass::default()
        };
    }

    /// One getdents of the pass; `false` when the listing is over.
    fn step(&mut self, budget: usize) -> bool {
        let root = self.fs.root();
        let (entries, next) = getdents(&root, self.pass.cookie, budget);
        check_cookies(self.pass.cookie, &entries);
        if entries.is_empty() {
            self.end_pass();
            return false;
        }
        self.pass
            .seen
            .extend(entries.into_iter().map(|entry| entry.name));
        self.pass.cookie = next;
        true
    }

    fn end_pass(&mut self) {
        let pass = &self.pass;
        let unique: BTreeSet<&String> = pass.seen.iter().collect();
        assert_eq!(
            unique.len(),
            pass.seen.len(),
            "a name came twice: {:?}",
            pass.seen
        );
        for name in FIXED_NAMES {
            assert!(pass.seen.iter().any(|seen| seen == name), "{name} missing");
        }
        let listed: Vec<u32> = pass
            .seen
            .iter()
            .filter_map(|name| name.parse().ok())
            .collect();
        assert!(
            listed.windows(2).all(|pair| pair[0] < pair[1]),
            "{listed:?}"
        );
        for pid in pass.at_start.difference(&pass.touched) {
            assert!(
                listed.contains(pid),
                "pid {pid} lived throughout but was missed"
            );
        }
        for pid in &listed {
            let lived = pass.at_start.contains(pid) || pass.touched.contains(pid);
            assert!(lived, "pid {pid} was listed but never lived");
        }
        self.new_pass();
    }

    /// The directory a `d` byte names, if it still exists.
    fn directory(&self, choice: u8) -> Option<InodeRef> {
        let root = self.fs.root();
        let live = self.live();
        if choice < 64 || live.is_empty() {
            return Some(root);
        }
        let pid = live[usize::from(choice) % live.len()];
        let dir = root.lookup(&pid.to_string()).ok()?;
        match choice % 4 {
            0 => Some(dir),
            1 => dir.lookup("task").ok(),
            2 => dir.lookup("fd").ok(),
            _ => root.lookup("sys").ok()?.lookup("kernel").ok(),
        }
    }
}

fn word(bytes: &mut impl Iterator<Item = u8>) -> u64 {
    let mut value = [0u8; 8];
    for byte in &mut value {
        *byte = bytes.next().unwrap_or(0);
    }
    u64::from_le_bytes(value)
}

pub fn run(data: &[u8]) {
    let source = FakeSource::new();
    for pid in [1, 2, 42] {
        source.add(pid);
    }
    source.set_current(42, 42, 0);
    let fs = mount(&source);
    let mut world = World {
        source,
        fs,
        pass: Pass::default(),
    };
    world.new_pass();

    let mut bytes = data.iter().copied();
    while let Some(op) = bytes.next() {
        let mut arg = || bytes.next().unwrap_or(0);
        match op % OPERATIONS {
            0 => {
                let pid = u32::from(arg()) * 256 + u32::from(arg()) + 1;
                // A PID is free when no process or thread has it.
                if world.source.thread_group(pid).is_none() {
                    world.source.add(pid);
                    world.pass.touched.insert(pid);
                }
            }
            1 => {
                let live = world.live();
                if !live.is_empty() {
                    let pid = live[usize::from(arg()) % live.len()];
                    world.source.remove(pid);
                    world.pass.touched.insert(pid);
                }
            }
            2 => {
                let budget = MIN_BUDGET + 4 * usize::from(arg());
                world.step(budget);
            }
            3 => {
                let cookie = word(&mut bytes);
                let budget = MIN_BUDGET + 4 * usize::from(bytes.next().unwrap_or(0));
                list_from(&world.fs.root(), cookie, budget);
            }
            4 => {
                let dir = world.directory(arg());
                let index = usize::from(arg());
                let offset = word(&mut bytes);
                let len = usize::from(bytes.next().unwrap_or(0)) * READ_UNIT;
                if let Some(dir) = dir {
                    check_read(&dir, index, offset, len);
                }
            }
            5 => {
                let dir = world.directory(arg());
                let cookie = word(&mut bytes);
                if let Some(dir) = dir {
                    list_from(&dir, cookie, usize::MAX);
                }
            }
            _ => {
                let live = world.live();
                let index = usize::from(arg());
                let tid = u32::from(arg()) * 256 + u32::from(arg()) + 1;
                let is_free = world.source.thread_group(tid).is_none();
                if !live.is_empty() && is_free {
                    world.source.add_thread(live[index % live.len()], tid);
                }
            }
        }
    }

    // Finish the pass in progress with the set now stable.
    while world.step(4096) {}
}

/// Each entry's cookie is past the one before it, below 2^63.
fn check_cookies(from: u64, entries: &[DirEntry]) {
    let mut previous = from;
    for entry in entries {
        assert!(
            entry.next_cookie > previous,
            "{entry:?} after cookie {previous}"
        );
        assert!(entry.next_cookie < COOKIE_LIMIT, "{entry:?}");
        previous = entry.next_cookie;
    }
}

/// A listing from any cookie ends cleanly, moves forward and names each
/// entry once.
fn list_from(dir: &InodeRef, cookie: u64, budget: usize) {
    let mut entries = Vec::new();
    let mut used = 0;
    let listed = dir.readdir(cookie, &mut |entry: DirEntry| {
        used += dirent_size(&entry);
        if used > budget {
            return false;
        }
        entries.push(entry);
        true
    });
    if let Err(error) = listed {
        // Only a process gone meanwhile may refuse.
        assert!(
            [Errno::ESRCH, Errno::ENOENT].contains(&error.errno),
            "{error}"
        );
        return;
    }
    check_cookies(cookie, &entries);
    let names: BTreeSet<&String> = entries.iter().map(|entry| &entry.name).collect();
    assert_eq!(names.len(), entries.len(), "{entries:?}");
}

/// A read of `len` bytes at `offset` of the `index`-th regular file of `dir`
/// returns exactly that slice of the whole file.
fn check_read(dir: &InodeRef, index: usize, offset: u64, len: usize) {
    let mut files = Vec::new();
    let _ = dir.readdir(0, &mut |entry: DirEntry| {
        if entry.file_type == FileType::Regular {
            files.push(entry.name);
        }
        true
    });
    if files.is_empty() {
        return;
    }
    let Ok(inode) = dir.lookup(&files[index % files.len()]) else {
        return;
    };
    let Ok(Some(file)) = inode.open(OpenFlags::empty()) else {
        return;
    };

    let mut whole = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match file.read_at(whole.len() as u64, &mut chunk) {
            Ok(0) => break,
            Ok(count) => whole.extend_from_slice(&chunk[..count]),
            Err(_) => return,
        }
        assert!(whole.len() < 1 << 20, "the file does not end");
    }
    let mut buf = vec![0u8; len];
    let Ok(count) = file.read_at(offset, &mut buf) else {
        return;
    };
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(whole.len());
    let expected = &whole[start..whole.len().min(start + len)];
    assert_eq!(&buf[..count], expected, "read of {len} at {offset}");
}
