//! Unpacks an initramfs into a directory, as Linux fills its root.
//!
//! The input is one or more cpio `newc` archives (magic `070701`, or
//! `070702` with data checksums), each of which may be gzip-compressed,
//! separated by zero padding. [`unpack`] creates what they hold (directories,
//! parents included, regular files, symlinks, device nodes, fifos and
//! sockets, hard links) under any `vfs::Inode` directory, typically the tmpfs
//! root, with their modes, owners and modification times, and returns an
//! [`UnpackSummary`] for the boot log. A malformed archive stops the unpacking
//! with one [`UnpackError`] naming the offset at fault; what was unpacked
//! before stays. Nothing here panics on bad input.
//!
//! The cpio format is parsed here rather than by a crate: the formats are
//! small, and the errors must name offsets.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod extract;
mod gzip;
mod newc;

use alloc::string::String;
use core::fmt;

use vfs::{Errno, Error, InodeRef};

use extract::Extractor;

/// Counts of what [`unpack`] created and read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnpackSummary {
    /// Archive entries unpacked (trailers not counted).
    pub entries: u64,
    pub directories: u64,
    pub files: u64,
    pub symlinks: u64,
    /// Character and block devices, fifos and sockets.
    pub devices: u64,
    /// Entries made as a hard link to an earlier entry.
    pub hard_links: u64,
    /// Bytes of file data written.
    pub data_bytes: u64,
    /// Bytes of cpio data parsed, after decompression.
    pub archive_bytes: u64,
    /// Bytes of gzip-compressed input consumed.
    pub compressed_bytes: u64,
}

/// What is wrong with an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Neither a cpio `newc` header nor a gzip member starts here.
    BadMagic,
    /// An archive does not start on a 4-byte boundary.
    Misaligned,
    TruncatedHeader,
    /// A header field holds something other than a hex digit.
    BadHexDigit,
    /// Empty, not NUL-terminated, or holding a NUL or invalid UTF-8.
    BadName,
    /// A name longer than `PATH_MAX`.
    NameTooLong,
    TruncatedName,
    TruncatedData,
    /// The stream ends before a `TRAILER!!!` entry.
    MissingTrailer,
    /// A name whose `..` components climb above the root.
    UnsafePath,
    /// A mode whose file type is not one Linux knows.
    BadFileType,
    /// A symlink target that is empty, too long or invalid UTF-8.
    BadSymlinkTarget,
    /// A `070702` entry whose data does not match its checksum.
    BadChecksum,
    BadGzipHeader,
    BadGzipData,
    TruncatedGzip,
    /// The gzip trailer's length disagrees with the data.
    GzipSizeMismatch,
    OutOfMemory,
    /// The filesystem refused to create or write an entry.
    Filesystem(Error),
}

impl ErrorKind {
    fn describe(&self) -> &'static str {
        match self {
            ErrorKind::BadMagic => "no cpio newc or gzip magic",
            ErrorKind::Misaligned => "archive not on a 4-byte boundary",
            ErrorKind::TruncatedHeader => "header runs past the end",
            ErrorKind::BadHexDigit => "header field is not hex",
            ErrorKind::BadName => "malformed name",
            ErrorKind::NameTooLong => "name longer than PATH_MAX",
            ErrorKind::TruncatedName => "name runs past the end",
            ErrorKind::TruncatedData => "file data runs past the end",
            ErrorKind::MissingTrailer => "archive ends without TRAILER!!!",
            ErrorKind::UnsafePath => "name escapes the root",
            ErrorKind::BadFileType => "unknown file type in mode",
            ErrorKind::BadSymlinkTarget => "malformed symlink target",
            ErrorKind::BadChecksum => "data does not match its checksum",
            ErrorKind::BadGzipHeader => "malformed gzip header",
            ErrorKind::BadGzipData => "corrupt deflate data",
            ErrorKind::TruncatedGzip => "gzip data runs past the end",
            ErrorKind::GzipSizeMismatch => "gzip length check failed",
            ErrorKind::OutOfMemory => "out of memory",
            ErrorKind::Filesystem(_) => "filesystem error",
        }
    }
}

/// Why [`unpack`] stopped, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpackError {
    pub kind: ErrorKind,
    /// Offset of the byte at fault: in the input, or for compressed data in
    /// the decompressed stream of the gzip member at `gzip_member`.
    pub offset: u64,
    /// Input offset of the gzip member the error is in, if any.
    pub gzip_member: Option<u64>,
    /// The entry being unpacked, when the error concerns one.
    pub path: Option<String>,
    /// What was unpacked before the error; it stays in place.
    pub summary: UnpackSummary,
}

impl UnpackError {
    /// The errno for a caller that needs one: the filesystem's own, EINVAL
    /// for a malformed archive.
    pub fn errno(&self) -> Errno {
        match self.kind {
            ErrorKind::Filesystem(error) => error.errno,
            ErrorKind::OutOfMemory => Errno::ENOMEM,
            _ => Errno::EINVAL,
        }
    }
}

impl fmt::Display for UnpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "initramfs: {}", self.kind.describe())?;
        if let ErrorKind::Filesystem(error) = self.kind {
            write!(f, " ({error})")?;
        }
        write!(f, " at offset {}", self.offset)?;
        if let Some(member) = self.gzip_member {
            write!(f, " of the data decompressed from offset {member}")?;
        }
        if let Some(path) = &self.path {
            write!(f, ", entry `{path}`")?;
        }
        Ok(())
    }
}

/// Unpacks the archives in `input` under the directory `root`.
///
/// Entries replace what is already there, as Linux's initramfs does:
/// a later archive can override an earlier one. Directory modification
/// times are set at the end, after their contents were created.
// The error carries the partial summary by value for the boot log; it is
// returned once per boot, so its size does not matter.
#[allow(clippy::result_large_err)]
pub fn unpack(input: &[u8], root: &InodeRef) -> Result<UnpackSummary, UnpackError> {
    let mut extractor = Extractor::new(root.clone());
    let result = extractor.unpack_input(input);
    extractor.finish();
    let summary = extractor.summary();
    result.map(|()| summary).map_err(|failure| UnpackError {
        kind: failure.kind,
        offset: failure.offset as u64,
        gzip_member: failure.gzip_member.map(|offset| offset as u64),
        path: failure.path,
        summary,
    })
}
