//! The cpio `newc` format (magic `070701`) and its checksummed variant
//! (`070702`): a 110-byte header of 13 eight-digit hex fields, the name
//! (with its NUL) padded so the data starts on a 4-byte boundary, then the
//! data padded to 4 bytes. The archive ends with an entry named
//! `TRAILER!!!`. Offsets are 4-aligned relative to the start of the stream.

use linux_raw_sys::general::PATH_MAX;

use crate::ErrorKind;

pub(crate) const HEADER_LEN: usize = 110;
const MAGIC_LEN: usize = 6;
const MAGIC_NEWC: &[u8; MAGIC_LEN] = b"070701";
const MAGIC_NEWC_CHECKSUM: &[u8; MAGIC_LEN] = b"070702";
const FIELD_LEN: usize = 8;
const FIELD_COUNT: usize = 13;
pub(crate) const TRAILER_NAME: &[u8] = b"TRAILER!!!";

/// The header fields, in archive order.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Header {
    pub(crate) has_checksum: bool,
    pub(crate) ino: u32,
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) nlink: u32,
    pub(crate) mtime: u32,
    pub(crate) file_size: u32,
    pub(crate) dev_major: u32,
    pub(crate) dev_minor: u32,
    pub(crate) rdev_major: u32,
    pub(crate) rdev_minor: u32,
    pub(crate) name_size: u32,
    pub(crate) check: u32,
}

/// One entry of a stream: header, name (without its NUL) and data.
pub(crate) struct RawEntry<'a> {
    pub(crate) header: Header,
    pub(crate) name: &'a [u8],
    pub(crate) data: &'a [u8],
    /// Where the next header starts (may be past the end of the stream,
    /// when only padding is missing).
    pub(crate) end: usize,
}

impl RawEntry<'_> {
    pub(crate) fn is_trailer(&self) -> bool {
        self.name == TRAILER_NAME
    }
}

pub(crate) const fn align4(offset: usize) -> usize {
    (offset + 3) & !3
}

/// Parses the entry whose header starts at `at`. Errors carry the offset of
/// the byte at fault.
pub(crate) fn parse_entry(stream: &[u8], at: usize) -> Result<RawEntry<'_>, (ErrorKind, usize)> {
    // Data that does not even start like a header is not a truncated one.
    let rest = stream.get(at..).unwrap_or_default();
    let magic = &rest[..rest.len().min(MAGIC_LEN)];
    if !MAGIC_NEWC.starts_with(magic) && !MAGIC_NEWC_CHECKSUM.starts_with(magic) {
        return Err((ErrorKind::BadMagic, at));
    }
    let header_bytes = stream
        .get(at..at + HEADER_LEN)
        .ok_or((ErrorKind::TruncatedHeader, at))?;
    let header = parse_header(header_bytes).map_err(|(kind, within)| (kind, at + within))?;

    let name_offset = at + HEADER_LEN;
    let name_size = header.name_size as usize;
    if name_size == 0 {
        return Err((ErrorKind::BadName, name_offset));
    }
    if name_size > PATH_MAX as usize {
        return Err((ErrorKind::NameTooLong, name_offset));
    }
    let name_with_nul = stream
        .get(name_offset..name_offset + name_size)
        .ok_or((ErrorKind::TruncatedName, name_offset))?;
    let (name, nul) = name_with_nul.split_at(name_size - 1);
    if nul != [0] || name.contains(&0) {
        return Err((ErrorKind::BadName, name_offset));
    }

    let data_offset = align4(name_offset + name_size);
    let data_end = data_offset + header.file_size as usize;
    let data = match stream.get(data_offset..data_end) {
        Some(data) => data,
        // An empty body needs no bytes, not even its padding.
        None if header.file_size == 0 => &[],
        None => return Err((ErrorKind::TruncatedData, data_offset.min(stream.len()))),
    };
    Ok(RawEntry {
        header,
        name,
        data,
        end: align4(data_end),
    })
}

fn parse_header(bytes: &[u8]) -> Result<Header, (ErrorKind, usize)> {
    let has_checksum = match &bytes[..MAGIC_LEN] {
        magic if magic == MAGIC_NEWC => false,
        magic if magic == MAGIC_NEWC_CHECKSUM => true,
        _ => return Err((ErrorKind::BadMagic, 0)),
    };

    let mut fields = [0u32; FIELD_COUNT];
    for (index, field) in fields.iter_mut().enumerate() {
        let start = MAGIC_LEN + index * FIELD_LEN;
        *field = parse_hex(&bytes[start..start + FIELD_LEN])
            .map_err(|digit| (ErrorKind::BadHexDigit, start + digit))?;
    }
    let [ino, mode, uid, gid, nlink, mtime, file_size, ..] = fields;
    let [.., dev_major, dev_minor, rdev_major, rdev_minor, name_size, check] = fields;
    Ok(Header {
        has_checksum,
        ino,
        mode,
        uid,
        gid,
        nlink,
        mtime,
        file_size,
        dev_major,
        dev_minor,
        rdev_major,
        rdev_minor,
        name_size,
        check,
    })
}

/// Parses eight hex digits (either case); the error is the index of the
/// first byte that is not one.
fn parse_hex(digits: &[u8]) -> Result<u32, usize> {
    let mut value = 0u32;
    for (index, &byte) in digits.iter().enumerate() {
        let digit = (byte as char).to_digit(16).ok_or(index)?;
        value = (value << 4) | digit;
    }
    Ok(value)
}

/// The `070702` checksum: the sum of the data bytes, modulo 2^32.
pub(crate) fn checksum(data: &[u8]) -> u32 {
    data.iter()
        .fold(0u32, |sum, &byte| sum.wrapping_add(u32::from(byte)))
}
