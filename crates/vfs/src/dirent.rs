//! Directory positions (cookies) and the `linux_dirent64` encoding.
//!
//! # The cookie convention
//!
//! A directory listing is resumed from a `u64` cookie that the reader stores
//! as the directory's file position. Every filesystem follows one convention:
//!
//! | cookie | the listing continues with |
//! |---|---|
//! | [`COOKIE_START`] (0) | `.` |
//! | [`COOKIE_DOTDOT`] (1) | `..` |
//! | [`COOKIE_FIRST_ENTRY`] (2) and up | the filesystem's own entries, in its own encoding |
//!
//! So `.` carries `next_cookie == 1` and `..` carries `next_cookie == 2`;
//! [`emit_dots`] does both. Cookies from 2 up belong to the filesystem: a
//! directory kept in a [`DirIndex`] uses insertion slots, procfs can encode
//! "the next PID to show". A cookie must stay below 2^63, since `lseek` and
//! `d_off` are signed. An entry's `next_cookie` must be larger than the
//! cookie it was listed from, so a listing always moves forward.

use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::errno::{Errno, Result};
use crate::inode::DirSink;
use crate::types::{DirEntry, FileType};

/// The cookie a listing starts from (`lseek(fd, 0, SEEK_SET)`).
pub const COOKIE_START: u64 = 0;
/// The cookie after `.`: the listing continues with `..`.
pub const COOKIE_DOTDOT: u64 = 1;
/// The cookie after `..`: the first cookie a filesystem interprets itself.
pub const COOKIE_FIRST_ENTRY: u64 = 2;

/// Emits `.` and `..` for a listing resumed at `cookie`.
///
/// Returns the cookie the filesystem continues from (at least
/// [`COOKIE_FIRST_ENTRY`]), or `None` when the sink filled up and the
/// listing must stop.
pub fn emit_dots(cookie: u64, ino: u64, parent_ino: u64, sink: &mut DirSink<'_>) -> Option<u64> {
    if cookie == COOKIE_START && !sink(dot_entry(".", ino, COOKIE_DOTDOT)) {
        return None;
    }
    if cookie <= COOKIE_DOTDOT && !sink(dot_entry("..", parent_ino, COOKIE_FIRST_ENTRY)) {
        return None;
    }
    Some(cookie.max(COOKIE_FIRST_ENTRY))
}

fn dot_entry(name: &str, ino: u64, next_cookie: u64) -> DirEntry {
    DirEntry {
        ino,
        file_type: FileType::Directory,
        name: String::from(name),
        next_cookie,
    }
}

/// The entries of a directory, kept so that listings resume exactly.
///
/// Each entry gets a slot number when it is inserted; slots only grow and are
/// never reused, and a listing walks slots in order. An entry present during
/// a whole listing is therefore returned exactly once, whatever is added or
/// removed meanwhile. Lookups by name and by cookie are O(log n).
#[derive(Clone, Debug)]
pub struct DirIndex<T> {
    by_name: BTreeMap<String, u64>,
    by_slot: BTreeMap<u64, (String, T)>,
    next_slot: u64,
}

impl<T> Default for DirIndex<T> {
    fn default() -> Self {
        DirIndex {
            by_name: BTreeMap::new(),
            by_slot: BTreeMap::new(),
            next_slot: COOKIE_FIRST_ENTRY,
        }
    }
}

impl<T> DirIndex<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&T> {
        let slot = self.by_name.get(name)?;
        self.by_slot.get(slot).map(|(_, value)| value)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        let slot = self.by_name.get(name)?;
        self.by_slot.get_mut(slot).map(|(_, value)| value)
    }

    /// Adds `name`; `EEXIST` if it is already there.
    pub fn insert(&mut self, name: &str, value: T) -> Result<()> {
        if self.by_name.contains_key(name) {
            return Err(Errno::EEXIST.into());
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.by_name.insert(String::from(name), slot);
        self.by_slot.insert(slot, (String::from(name), value));
        Ok(())
    }

    /// Replaces the value of `name` in place, keeping its position; adds it
    /// when absent. Returns the old value.
    pub fn replace(&mut self, name: &str, value: T) -> Option<T> {
        match self.by_name.get(name) {
            Some(slot) => self
                .by_slot
                .get_mut(slot)
                .map(|(_, old)| core::mem::replace(old, value)),
            None => {
                // Absent, so the insert cannot fail.
                let _ = self.insert(name, value);
                None
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<T> {
        let slot = self.by_name.remove(name)?;
        self.by_slot.remove(&slot).map(|(_, value)| value)
    }

    /// Entries in listing order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.by_slot
            .values()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// Lists the entries from `cookie` (at least [`COOKIE_FIRST_ENTRY`]) into
    /// `sink`; `describe` gives each value's inode number and type. Call
    /// [`emit_dots`] first for `.` and `..`.
    pub fn readdir(
        &self,
        cookie: u64,
        sink: &mut DirSink<'_>,
        mut describe: impl FnMut(&T) -> (u64, FileType),
    ) {
        for (&slot, (name, value)) in self.by_slot.range(cookie..) {
            let (ino, file_type) = describe(value);
            let entry = DirEntry {
                ino,
                file_type,
                name: name.clone(),
                next_cookie: slot + 1,
            };
            if !sink(entry) {
                return;
            }
        }
    }
}

/// Size of the fixed part of `struct linux_dirent64`: `d_ino` (u64),
/// `d_off` (i64), `d_reclen` (u16) and `d_type` (u8).
const DIRENT64_HEADER: usize = 19;
const DIRENT64_ALIGN: usize = 8;

/// The record length of `name` in `linux_dirent64` layout: header, name,
/// NUL, padded to 8 bytes.
pub const fn dirent64_len(name: &str) -> usize {
    (DIRENT64_HEADER + name.len() + 1).next_multiple_of(DIRENT64_ALIGN)
}

/// Writes `entry` at the start of `buf` as a `linux_dirent64` record whose
/// `d_off` is the entry's `next_cookie`. Returns the record length, or
/// `None` when `buf` is too small.
pub fn encode_dirent64(buf: &mut [u8], entry: &DirEntry) -> Option<usize> {
    let len = dirent64_len(&entry.name);
    let record = buf.get_mut(..len)?;
    let reclen = u16::try_from(len).ok()?;

    record[0..8].copy_from_slice(&entry.ino.to_ne_bytes());
    record[8..16].copy_from_slice(&entry.next_cookie.to_ne_bytes());
    record[16..18].copy_from_slice(&reclen.to_ne_bytes());
    record[18] = entry.file_type.dirent_type();
    let name_end = DIRENT64_HEADER + entry.name.len();
    record[DIRENT64_HEADER..name_end].copy_from_slice(entry.name.as_bytes());
    record[name_end..].fill(0);
    Some(len)
}
