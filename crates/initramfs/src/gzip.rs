//! One gzip member (RFC 1952): the header is parsed here, the deflate data
//! inflated by `miniz_oxide`.

use alloc::boxed::Box;
use alloc::vec::Vec;

use miniz_oxide::inflate::core::inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::ErrorKind;

pub(crate) const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The only compression method gzip defines.
const METHOD_DEFLATE: u8 = 8;

const FLAG_HEADER_CRC: u8 = 1 << 1;
const FLAG_EXTRA: u8 = 1 << 2;
const FLAG_NAME: u8 = 1 << 3;
const FLAG_COMMENT: u8 = 1 << 4;
const FLAGS_RESERVED: u8 = 0xe0;

/// ID1, ID2, CM, FLG, MTIME (4), XFL, OS.
const FIXED_HEADER_LEN: usize = 10;
/// CRC32 and ISIZE.
const TRAILER_LEN: usize = 8;

/// The first output buffer is this many times the compressed size, then it
/// doubles: initramfs images compress about 3:1.
const FIRST_EXPANSION: usize = 4;

/// A decompressed member and how many input bytes it took.
pub(crate) struct Member {
    pub(crate) data: Vec<u8>,
    pub(crate) consumed: usize,
}

/// An error and the offset in the member where it was found.
pub(crate) type Failure = (ErrorKind, usize);

/// Inflates the gzip member at the start of `input`.
///
/// The CRC32 in the trailer is not checked (Linux does not check it either);
/// deflate's own structure and the ISIZE check catch truncated and most
/// damaged data.
pub(crate) fn inflate_member(input: &[u8]) -> Result<Member, Failure> {
    let body_start = parse_header(input)?;
    let body = &input[body_start..];
    let (data, body_len) = inflate(body).map_err(|(kind, at)| (kind, body_start + at))?;

    let trailer_start = body_start + body_len;
    let trailer = input
        .get(trailer_start..trailer_start + TRAILER_LEN)
        .ok_or((ErrorKind::TruncatedGzip, trailer_start))?;
    let isize_field = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    // ISIZE is the length modulo 2^32.
    if isize_field != data.len() as u32 {
        return Err((ErrorKind::GzipSizeMismatch, trailer_start + 4));
    }
    Ok(Member {
        data,
        consumed: trailer_start + TRAILER_LEN,
    })
}

/// Returns where the deflate data starts.
fn parse_header(input: &[u8]) -> Result<usize, Failure> {
    // A truncation is reported at the end of the input, where the missing
    // bytes would have been.
    let truncated = (ErrorKind::TruncatedGzip, input.len());
    let header = input.get(..FIXED_HEADER_LEN).ok_or(truncated)?;
    if header[..2] != MAGIC {
        return Err((ErrorKind::BadMagic, 0));
    }
    if header[2] != METHOD_DEFLATE {
        return Err((ErrorKind::BadGzipHeader, 2));
    }
    let flags = header[3];
    if flags & FLAGS_RESERVED != 0 {
        return Err((ErrorKind::BadGzipHeader, 3));
    }

    let mut at = FIXED_HEADER_LEN;
    if flags & FLAG_EXTRA != 0 {
        let len = input.get(at..at + 2).ok_or(truncated)?;
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for flag in [FLAG_NAME, FLAG_COMMENT] {
        if flags & flag != 0 {
            let rest = input.get(at..).ok_or(truncated)?;
            let nul = rest.iter().position(|&b| b == 0).ok_or(truncated)?;
            at += nul + 1;
        }
    }
    if flags & FLAG_HEADER_CRC != 0 {
        at += 2;
    }
    if at > input.len() {
        return Err(truncated);
    }
    Ok(at)
}

/// Inflates raw deflate data; returns the output and the input length used.
fn inflate(body: &[u8]) -> Result<(Vec<u8>, usize), Failure> {
    let mut state = Box::<DecompressorOxide>::default();
    let mut out = Vec::new();
    grow(
        &mut out,
        body.len().saturating_mul(FIRST_EXPANSION).max(4096),
    )?;

    let mut in_pos = 0;
    let mut out_pos = 0;
    loop {
        let flags = TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
        let (status, in_used, out_used) =
            decompress(&mut state, &body[in_pos..], &mut out, out_pos, flags);
        in_pos += in_used;
        out_pos += out_used;
        match status {
            TINFLStatus::Done => {
                out.truncate(out_pos);
                return Ok((out, in_pos));
            }
            TINFLStatus::HasMoreOutput => {
                let len = out.len();
                grow(&mut out, len.saturating_mul(2))?;
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
                return Err((ErrorKind::TruncatedGzip, body.len()));
            }
            _ => return Err((ErrorKind::BadGzipData, in_pos)),
        }
    }
}

/// Grows `out` to `len` zeroed bytes, failing softly when memory runs out.
fn grow(out: &mut Vec<u8>, len: usize) -> Result<(), Failure> {
    let extra = len.saturating_sub(out.len());
    out.try_reserve_exact(extra)
        .map_err(|_| (ErrorKind::OutOfMemory, 0))?;
    out.resize(len, 0);
    Ok(())
}
