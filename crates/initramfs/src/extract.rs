//! Creating the entries of a parsed stream in the directory tree.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::str;

use linux_raw_sys::general::PATH_MAX;
use vfs::{CreateOptions, DeviceId, Errno, FileType, InodeRef, Permissions, SetAttr, Timespec};

use crate::newc::{self, RawEntry};
use crate::{gzip, ErrorKind, UnpackSummary};

/// Directories the archive needs but does not list get Linux's usual mode.
const IMPLICIT_DIR_PERMISSIONS: u32 = 0o755;

/// Where and why unpacking stopped.
pub(crate) struct Failure {
    pub(crate) kind: ErrorKind,
    pub(crate) offset: usize,
    pub(crate) gzip_member: Option<usize>,
    pub(crate) path: Option<String>,
}

impl Failure {
    fn at(kind: ErrorKind, offset: usize, gzip_member: Option<usize>) -> Failure {
        Failure {
            kind,
            offset,
            gzip_member,
            path: None,
        }
    }
}

/// A hard link set, keyed as Linux keys it: inode, device, and mode.
type LinkKey = (u32, u32, u32, u32);

type EntryResult<T> = Result<T, ErrorKind>;

pub(crate) struct Extractor {
    root: InodeRef,
    summary: UnpackSummary,
    /// The first inode of each hard link set in the current archive.
    links: BTreeMap<LinkKey, InodeRef>,
    /// Directory times, set at the end since creating entries changes them.
    dir_times: Vec<(InodeRef, Timespec)>,
    /// The parent directory of the last entry, by path: archives list
    /// directories together, so most entries reuse it.
    last_parent: Option<(String, InodeRef)>,
}

impl Extractor {
    pub(crate) fn new(root: InodeRef) -> Extractor {
        Extractor {
            root,
            summary: UnpackSummary::default(),
            links: BTreeMap::new(),
            dir_times: Vec::new(),
            last_parent: None,
        }
    }

    pub(crate) fn summary(&self) -> UnpackSummary {
        self.summary
    }

    /// Sets the deferred directory times. A directory that was replaced
    /// since is gone from the tree, so a failure here changes nothing anyone
    /// can see and is ignored.
    pub(crate) fn finish(&mut self) {
        for (dir, mtime) in self.dir_times.drain(..) {
            let _ = dir.set_attr(times(mtime));
        }
    }

    /// The outer input: archives, gzip members and zero padding.
    pub(crate) fn unpack_input(&mut self, input: &[u8]) -> Result<(), Failure> {
        let mut at = 0;
        while at < input.len() {
            if input[at] == 0 {
                at = self.skip_zeros(input, at);
            } else if input[at..].starts_with(&gzip::MAGIC) {
                let member = gzip::inflate_member(&input[at..])
                    .map_err(|(kind, within)| Failure::at(kind, at + within, None))?;
                self.unpack_stream(&member.data, at)?;
                self.summary.compressed_bytes += member.consumed as u64;
                at += member.consumed;
            } else {
                at = self.unpack_archive(input, at, None)?;
            }
        }
        Ok(())
    }

    /// Decompressed data: archives and zero padding.
    fn unpack_stream(&mut self, stream: &[u8], member: usize) -> Result<(), Failure> {
        let mut at = 0;
        while at < stream.len() {
            if stream[at] == 0 {
                at = self.skip_zeros(stream, at);
            } else {
                at = self.unpack_archive(stream, at, Some(member))?;
            }
        }
        Ok(())
    }

    fn skip_zeros(&mut self, stream: &[u8], at: usize) -> usize {
        let zeros = stream[at..].iter().take_while(|&&b| b == 0).count();
        self.summary.archive_bytes += zeros as u64;
        at + zeros
    }

    /// Unpacks one archive starting at `start`; returns where it ends.
    fn unpack_archive(
        &mut self,
        stream: &[u8],
        start: usize,
        member: Option<usize>,
    ) -> Result<usize, Failure> {
        if !start.is_multiple_of(4) {
            return Err(Failure::at(ErrorKind::Misaligned, start, member));
        }
        let mut at = start;
        loop {
            if at >= stream.len() {
                let end = stream.len();
                return Err(Failure::at(ErrorKind::MissingTrailer, end, member));
            }
            let entry = newc::parse_entry(stream, at)
                .map_err(|(kind, offset)| Failure::at(kind, offset, member))?;
            if entry.is_trailer() {
                // Hard links do not reach across archives.
                self.links.clear();
                let end = entry.end.min(stream.len());
                self.summary.archive_bytes += (end - start) as u64;
                return Ok(end);
            }
            self.extract(&entry).map_err(|kind| Failure {
                kind,
                offset: at,
                gzip_member: member,
                path: Some(String::from_utf8_lossy(entry.name).to_string()),
            })?;
            self.summary.entries += 1;
            at = entry.end;
        }
    }

    fn extract(&mut self, entry: &RawEntry<'_>) -> EntryResult<()> {
        let name = str::from_utf8(entry.name).map_err(|_| ErrorKind::BadName)?;
        let path = split_path(name)?;
        let header = &entry.header;
        let kind = FileType::from_mode(header.mode).ok_or(ErrorKind::BadFileType)?;
        if header.has_checksum
            && kind == FileType::Regular
            && newc::checksum(entry.data) != header.check
        {
            return Err(ErrorKind::BadChecksum);
        }

        let Some((&leaf, dirs)) = path.split_last() else {
            // The archive's `.`: the root itself, which only a directory
            // entry may describe.
            if kind != FileType::Directory {
                return Err(ErrorKind::BadName);
            }
            let root = self.root.clone();
            return self.finish_dir(root, entry);
        };
        let parent = self.parent_dir(dirs).map_err(ErrorKind::Filesystem)?;
        let target = Target { parent, leaf };
        match kind {
            FileType::Directory => self.make_dir(&target, entry),
            FileType::Regular => self.make_file(&target, entry),
            FileType::Symlink => self.make_symlink(&target, entry),
            _ => self.make_node(&target, kind, entry),
        }
    }

    fn make_dir(&mut self, target: &Target<'_>, entry: &RawEntry<'_>) -> EntryResult<()> {
        let dir = match self.clear(target, Some(FileType::Directory))? {
            Some(dir) => dir,
            None => target.create(FileType::Directory, entry)?,
        };
        self.finish_dir(dir, entry)
    }

    fn finish_dir(&mut self, dir: InodeRef, entry: &RawEntry<'_>) -> EntryResult<()> {
        dir.set_attr(owner_and_mode(entry))
            .map_err(ErrorKind::Filesystem)?;
        self.dir_times.push((dir, mtime(entry)));
        self.summary.directories += 1;
        Ok(())
    }

    fn make_file(&mut self, target: &Target<'_>, entry: &RawEntry<'_>) -> EntryResult<()> {
        let file = match self.link_to_earlier(target, entry)? {
            // Tools put a hard link set's data on one of its entries
            // (GNU cpio on the last); an entry without data changes nothing.
            Some(file) if entry.data.is_empty() => file,
            Some(file) => {
                file.set_attr(truncate(0)).map_err(ErrorKind::Filesystem)?;
                file
            }
            None => {
                let file = match self.clear(target, Some(FileType::Regular))? {
                    Some(file) => {
                        file.set_attr(truncate(0)).map_err(ErrorKind::Filesystem)?;
                        file
                    }
                    None => target.create(FileType::Regular, entry)?,
                };
                self.remember_link(entry, &file);
                self.summary.files += 1;
                file
            }
        };

        write_all(&file, entry.data).map_err(ErrorKind::Filesystem)?;
        self.summary.data_bytes += entry.data.len() as u64;
        let attr = SetAttr {
            atime: Some(mtime(entry)),
            mtime: Some(mtime(entry)),
            ..owner_and_mode(entry)
        };
        file.set_attr(attr).map_err(ErrorKind::Filesystem)
    }

    fn make_symlink(&mut self, target: &Target<'_>, entry: &RawEntry<'_>) -> EntryResult<()> {
        let link_target = str::from_utf8(entry.data).map_err(|_| ErrorKind::BadSymlinkTarget)?;
        if link_target.is_empty() || link_target.len() >= PATH_MAX as usize {
            return Err(ErrorKind::BadSymlinkTarget);
        }
        self.clear(target, None)?;
        let link = target
            .parent
            .symlink(target.leaf, link_target, create_options(entry))
            .map_err(ErrorKind::Filesystem)?;
        let attr = SetAttr {
            uid: Some(entry.header.uid),
            gid: Some(entry.header.gid),
            ..times(mtime(entry))
        };
        link.set_attr(attr).map_err(ErrorKind::Filesystem)?;
        self.summary.symlinks += 1;
        Ok(())
    }

    /// Device nodes, fifos and sockets.
    fn make_node(
        &mut self,
        target: &Target<'_>,
        kind: FileType,
        entry: &RawEntry<'_>,
    ) -> EntryResult<()> {
        if self.link_to_earlier(target, entry)?.is_some() {
            return Ok(());
        }
        self.clear(target, None)?;
        let node = target.create(kind, entry)?;
        self.remember_link(entry, &node);
        let attr = SetAttr {
            atime: Some(mtime(entry)),
            mtime: Some(mtime(entry)),
            ..owner_and_mode(entry)
        };
        node.set_attr(attr).map_err(ErrorKind::Filesystem)?;
        self.summary.devices += 1;
        Ok(())
    }

    /// Makes `target` a hard link to the first entry of its link set, if
    /// this entry belongs to one seen before in this archive.
    fn link_to_earlier(
        &mut self,
        target: &Target<'_>,
        entry: &RawEntry<'_>,
    ) -> EntryResult<Option<InodeRef>> {
        if entry.header.nlink < 2 {
            return Ok(None);
        }
        let Some(first) = self.links.get(&link_key(entry)).cloned() else {
            return Ok(None);
        };
        let is_linked_already = match target.parent.lookup(target.leaf) {
            Ok(existing) => same_inode(&existing, &first),
            Err(_) => false,
        };
        if !is_linked_already {
            self.clear(target, None)?;
            target
                .parent
                .link(target.leaf, &first)
                .map_err(ErrorKind::Filesystem)?;
        }
        self.summary.hard_links += 1;
        Ok(Some(first))
    }

    fn remember_link(&mut self, entry: &RawEntry<'_>, inode: &InodeRef) {
        if entry.header.nlink >= 2 {
            self.links.insert(link_key(entry), inode.clone());
        }
    }

    /// Makes room for an entry at `target`: an existing entry of type `keep`
    /// is returned for reuse, anything else is removed.
    fn clear(
        &mut self,
        target: &Target<'_>,
        keep: Option<FileType>,
    ) -> EntryResult<Option<InodeRef>> {
        let existing = match target.parent.lookup(target.leaf) {
            Ok(existing) => existing,
            Err(error) if error.errno == Errno::ENOENT => return Ok(None),
            Err(error) => return Err(ErrorKind::Filesystem(error)),
        };
        let kind = existing.file_type();
        if Some(kind) == keep {
            return Ok(Some(existing));
        }
        let removed = if kind.is_dir() {
            // The cached parent may be inside what goes away.
            self.last_parent = None;
            target.parent.rmdir(target.leaf)
        } else {
            target.parent.unlink(target.leaf)
        };
        removed.map(|()| None).map_err(ErrorKind::Filesystem)
    }

    /// The directory at `dirs` below the root, made (with its parents) if
    /// missing. Symlinks on the way are not followed: every component must
    /// be a real directory.
    fn parent_dir(&mut self, dirs: &[&str]) -> vfs::Result<InodeRef> {
        let key = dirs.join("/");
        if let Some((cached, dir)) = &self.last_parent {
            if *cached == key {
                return Ok(dir.clone());
            }
        }
        let mut dir = self.root.clone();
        for &name in dirs {
            dir = match dir.lookup(name) {
                Ok(child) if child.file_type().is_dir() => child,
                Ok(_) => return Err(Errno::ENOTDIR.into()),
                Err(error) if error.errno == Errno::ENOENT => {
                    let opts = CreateOptions {
                        permissions: Permissions::new(IMPLICIT_DIR_PERMISSIONS),
                        ..CreateOptions::default()
                    };
                    dir.create(name, FileType::Directory, opts)?
                }
                Err(error) => return Err(error),
            };
        }
        self.last_parent = Some((key, dir.clone()));
        Ok(dir)
    }
}

/// Where an entry goes: a name in a directory.
struct Target<'a> {
    parent: InodeRef,
    leaf: &'a str,
}

impl Target<'_> {
    fn create(&self, kind: FileType, entry: &RawEntry<'_>) -> EntryResult<InodeRef> {
        self.parent
            .create(self.leaf, kind, create_options(entry))
            .map_err(ErrorKind::Filesystem)
    }
}

/// The components of an archive name below the root. Leading `/`, empty
/// components and `.` are dropped; `..` removes the previous component and
/// may not climb above the root.
fn split_path(name: &str) -> EntryResult<Vec<&str>> {
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(ErrorKind::UnsafePath)?;
            }
            _ => parts.push(part),
        }
    }
    Ok(parts)
}

fn link_key(entry: &RawEntry<'_>) -> LinkKey {
    let header = &entry.header;
    (header.ino, header.dev_major, header.dev_minor, header.mode)
}

fn same_inode(a: &InodeRef, b: &InodeRef) -> bool {
    core::ptr::eq(Arc::as_ptr(a) as *const (), Arc::as_ptr(b) as *const ())
}

fn mtime(entry: &RawEntry<'_>) -> Timespec {
    Timespec {
        sec: i64::from(entry.header.mtime),
        nsec: 0,
    }
}

fn create_options(entry: &RawEntry<'_>) -> CreateOptions {
    let header = &entry.header;
    CreateOptions {
        permissions: Permissions::new(header.mode),
        uid: header.uid,
        gid: header.gid,
        rdev: DeviceId::new(header.rdev_major, header.rdev_minor),
    }
}

fn owner_and_mode(entry: &RawEntry<'_>) -> SetAttr {
    SetAttr {
        permissions: Some(Permissions::new(entry.header.mode)),
        uid: Some(entry.header.uid),
        gid: Some(entry.header.gid),
        ..SetAttr::default()
    }
}

fn times(mtime: Timespec) -> SetAttr {
    SetAttr {
        atime: Some(mtime),
        mtime: Some(mtime),
        ..SetAttr::default()
    }
}

fn truncate(size: u64) -> SetAttr {
    SetAttr {
        size: Some(size),
        ..SetAttr::default()
    }
}

fn write_all(file: &InodeRef, data: &[u8]) -> vfs::Result<()> {
    let mut done = 0;
    while done < data.len() {
        match file.write_at(done as u64, &data[done..])? {
            0 => return Err(Errno::ENOSPC.into()),
            written => done += written,
        }
    }
    Ok(())
}
