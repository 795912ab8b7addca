//! Builds cpio newc archives and gzip members for the tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::sync::Arc;

use linux_raw_sys::general::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG};
use tmpfs::Tmpfs;
use vfs::{Clock, FileSystem, InodeRef, Timespec};

pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> Timespec {
        Timespec {
            sec: 5_000,
            nsec: 0,
        }
    }
}

pub fn new_root() -> InodeRef {
    Tmpfs::new(Arc::new(FixedClock)).root()
}

/// One archive entry; `Entry::new` fills the usual defaults.
#[derive(Clone)]
pub struct Entry {
    pub name: String,
    pub ino: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub mtime: u32,
    pub rdev: (u32, u32),
    pub data: Vec<u8>,
}

impl Entry {
    pub fn new(name: &str, mode: u32, data: &[u8]) -> Entry {
        Entry {
            name: name.into(),
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            nlink: 1,
            mtime: 1_700_000_000,
            rdev: (0, 0),
            data: data.to_vec(),
        }
    }
}

/// An archive under construction. Inode numbers are handed out in order
/// unless an entry sets its own.
#[derive(Default)]
pub struct Archive {
    pub bytes: Vec<u8>,
    pub checksummed: bool,
    next_ino: u32,
}

impl Archive {
    pub fn new() -> Archive {
        Archive {
            next_ino: 100,
            ..Archive::default()
        }
    }

    pub fn checksummed() -> Archive {
        Archive {
            checksummed: true,
            ..Archive::new()
        }
    }

    pub fn dir(&mut self, name: &str, perms: u32) -> &mut Archive {
        self.add(Entry {
            nlink: 2,
            ..Entry::new(name, S_IFDIR | perms, b"")
        })
    }

    pub fn file(&mut self, name: &str, perms: u32, data: &[u8]) -> &mut Archive {
        self.add(Entry::new(name, S_IFREG | perms, data))
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Archive {
        self.add(Entry::new(name, S_IFLNK | 0o777, target.as_bytes()))
    }

    pub fn char_device(&mut self, name: &str, major: u32, minor: u32) -> &mut Archive {
        self.add(Entry {
            rdev: (major, minor),
            ..Entry::new(name, S_IFCHR | 0o600, b"")
        })
    }

    pub fn block_device(&mut self, name: &str, major: u32, minor: u32) -> &mut Archive {
        self.add(Entry {
            rdev: (major, minor),
            ..Entry::new(name, S_IFBLK | 0o600, b"")
        })
    }

    pub fn fifo(&mut self, name: &str) -> &mut Archive {
        self.add(Entry::new(name, S_IFIFO | 0o644, b""))
    }

    pub fn add(&mut self, entry: Entry) -> &mut Archive {
        let ino = if entry.ino == 0 {
            self.next_ino += 1;
            self.next_ino
        } else {
            entry.ino
        };
        let check = if self.checksummed && entry.mode & 0o170000 == S_IFREG {
            entry.data.iter().map(|&b| u32::from(b)).sum()
        } else {
            0
        };
        let magic = if self.checksummed { "070702" } else { "070701" };
        let fields = [
            ino,
            entry.mode,
            entry.uid,
            entry.gid,
            entry.nlink,
            entry.mtime,
            entry.data.len() as u32,
            0,
            0,
            entry.rdev.0,
            entry.rdev.1,
            entry.name.len() as u32 + 1,
            check,
        ];
        self.bytes.extend_from_slice(magic.as_bytes());
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(entry.name.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(&entry.data);
        self.pad();
        self
    }

    pub fn trailer(&mut self) -> &mut Archive {
        self.add(Entry {
            mtime: 0,
            ..Entry::new("TRAILER!!!", 0, b"")
        })
    }

    pub fn build(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

/// `data` as one gzip member.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=Unix
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(data, 6));
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// The gzip CRC-32 (reflected polynomial 0xEDB88320), bit by bit.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Follows `path` (no symlinks) from `root`.
pub fn lookup(root: &InodeRef, path: &str) -> InodeRef {
    let mut inode = root.clone();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        inode = inode.lookup(part).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    inode
}

pub fn exists(root: &InodeRef, path: &str) -> bool {
    let mut inode = root.clone();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        match inode.lookup(part) {
            Ok(next) => inode = next,
            Err(_) => return false,
        }
    }
    true
}

pub fn contents(root: &InodeRef, path: &str) -> Vec<u8> {
    let inode = lookup(root, path);
    let mut buf = vec![0; inode.stat().unwrap().size as usize];
    let read = inode.read_at(0, &mut buf).unwrap();
    buf.truncate(read);
    buf
}
