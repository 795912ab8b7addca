//! Helpers shared by the tmpfs tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use tmpfs::Tmpfs;
use vfs::{Clock, CreateOptions, FileSystem, FileType, InodeRef, Permissions, Timespec};

/// A clock the test moves by hand.
pub struct TestClock(AtomicI64);

impl TestClock {
    pub fn at(secs: i64) -> TestClock {
        TestClock(AtomicI64::new(secs))
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::Relaxed);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timespec {
        Timespec {
            sec: self.0.load(Ordering::Relaxed),
            nsec: 0,
        }
    }
}

pub fn new_fs() -> (Arc<Tmpfs>, Arc<TestClock>) {
    let clock = Arc::new(TestClock(AtomicI64::new(1_000)));
    (Tmpfs::new(clock.clone()), clock)
}

pub fn root() -> InodeRef {
    new_fs().0.root()
}

pub fn opts(mode: u32) -> CreateOptions {
    CreateOptions {
        permissions: Permissions::new(mode),
        uid: 1000,
        gid: 100,
        ..CreateOptions::default()
    }
}

pub fn file(dir: &InodeRef, name: &str) -> InodeRef {
    dir.create(name, FileType::Regular, opts(0o644)).unwrap()
}

pub fn mkdir(dir: &InodeRef, name: &str) -> InodeRef {
    dir.create(name, FileType::Directory, opts(0o755)).unwrap()
}

pub fn nlink(inode: &InodeRef) -> u32 {
    inode.stat().unwrap().nlink
}

pub fn ino(inode: &InodeRef) -> u64 {
    inode.stat().unwrap().ino
}

/// Every name readdir returns, `.` and `..` included, in one pass.
pub fn names(dir: &InodeRef) -> Vec<String> {
    let mut names = Vec::new();
    dir.readdir(0, &mut |entry| {
        names.push(entry.name);
        true
    })
    .unwrap();
    names
}

pub fn read_all(inode: &InodeRef) -> Vec<u8> {
    let size = inode.stat().unwrap().size as usize;
    let mut buf = vec![0xAA; size + 16];
    let read = inode.read_at(0, &mut buf).unwrap();
    buf.truncate(read);
    buf
}
