//! The fuzz body, shared by the cargo-fuzz target and the host test
//! `tests/fuzz_inputs.rs`: unpack arbitrary bytes into a fresh tmpfs, then
//! check the outcome is coherent and the tree it left is whole.

use std::sync::Arc;

use tmpfs::Tmpfs;
use vfs::{Clock, FileSystem, FileType, InodeRef, Timespec};

struct ZeroClock;

impl Clock for ZeroClock {
    fn now(&self) -> Timespec {
        Timespec::ZERO
    }
}

/// Returns whether the input unpacked without error.
pub fn run(data: &[u8]) -> bool {
    let fs = Tmpfs::new(Arc::new(ZeroClock));
    let root = fs.root();
    let result = initramfs::unpack(data, &root);
    let is_ok = result.is_ok();
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            assert!(!error.to_string().is_empty());
            if error.gzip_member.is_none() {
                assert!(error.offset <= data.len() as u64, "{error}");
            }
            error.summary
        }
    };
    let made = summary.directories
        + summary.files
        + summary.symlinks
        + summary.devices
        + summary.hard_links;
    assert_eq!(summary.entries, made, "{summary:?}");
    walk(&root, 0);
    is_ok
}

/// Visits every entry: each name resolves, files read, symlinks read back.
fn walk(dir: &InodeRef, depth: usize) {
    assert!(depth < 4096, "the tree is deeper than any name allows");
    let mut names = Vec::new();
    dir.readdir(0, &mut |entry| {
        names.push(entry.name);
        true
    })
    .expect("a directory lists");
    for name in names.iter().filter(|name| *name != "." && *name != "..") {
        let inode = dir.lookup(name).expect("a listed name resolves");
        match inode.file_type() {
            FileType::Directory => walk(&inode, depth + 1),
            FileType::Regular => {
                let mut buf = [0; 64];
                inode.read_at(0, &mut buf).expect("a file reads");
            }
            FileType::Symlink => {
                inode.readlink().expect("a symlink reads back");
            }
            _ => {}
        }
    }
}
