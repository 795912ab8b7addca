//! Malformed archives: one error naming the offset, earlier entries kept.

mod common;

use common::{exists, gzip, new_root, Archive, Entry};
use initramfs::{unpack, ErrorKind, UnpackError};
use linux_raw_sys::general::S_IFREG;
use vfs::{Errno, InodeRef};

const HEADER_LEN: usize = 110;

/// An archive holding one file `kept`, without its trailer.
fn good_start() -> Vec<u8> {
    Archive::new().file("kept", 0o644, b"kept").build()
}

fn unpack_err(input: &[u8]) -> (UnpackError, InodeRef) {
    let root = new_root();
    let error = unpack(input, &root).unwrap_err();
    (error, root)
}

/// Checks the kind and offset, and that `kept` survived when present.
fn check(input: &[u8], kind: ErrorKind, offset: usize) -> UnpackError {
    let (error, root) = unpack_err(input);
    assert_eq!((error.kind, error.offset), (kind, offset as u64), "{error}");
    if input.starts_with(&good_start()) {
        assert!(exists(&root, "kept"), "earlier entries stay");
        assert_eq!(error.summary.files, 1);
    }
    error
}

#[test]
fn bad_magic_at_the_start() {
    check(b"hello, world, not an archive", ErrorKind::BadMagic, 0);
}

#[test]
fn bad_magic_after_a_good_entry() {
    let mut input = good_start();
    let at = input.len();
    input.extend_from_slice(&Archive::new().file("x", 0o644, b"").build());
    input[at + 5] = b'7';
    check(&input, ErrorKind::BadMagic, at);
}

#[test]
fn truncated_header() {
    let mut input = good_start();
    let at = input.len();
    input.extend_from_slice(&Archive::new().file("x", 0o644, b"").build()[..60]);
    check(&input, ErrorKind::TruncatedHeader, at);
}

#[test]
fn non_hex_digit_in_a_field() {
    let mut input = good_start();
    let at = input.len();
    input.extend_from_slice(&Archive::new().file("x", 0o644, b"").trailer().build());
    // The fourth digit of the mode field (magic 6 + ino 8 bytes before it).
    input[at + 6 + 8 + 3] = b'g';
    check(&input, ErrorKind::BadHexDigit, at + 6 + 8 + 3);
}

#[test]
fn name_runs_past_the_end() {
    let mut input = good_start();
    let at = input.len();
    input.extend_from_slice(
        &Archive::new().file("a-long-name", 0o644, b"").build()[..HEADER_LEN + 4],
    );
    check(&input, ErrorKind::TruncatedName, at + HEADER_LEN);
}

#[test]
fn file_size_runs_past_the_end() {
    let mut input = good_start();
    let at = input.len();
    let entry = Archive::new().file("abc", 0o644, &[1; 100]).build();
    input.extend_from_slice(&entry[..entry.len() - 50]);
    // The data starts after the 110-byte header and "abc\0", padded to 116.
    check(&input, ErrorKind::TruncatedData, at + 116);
}

#[test]
fn archive_without_trailer() {
    let input = good_start();
    check(&input, ErrorKind::MissingTrailer, input.len());
}

#[test]
fn dot_dot_escaping_the_root() {
    let mut input = good_start();
    let at = input.len();
    input.extend(
        Archive::new()
            .file("../etc/passwd", 0o644, b"x")
            .trailer()
            .build(),
    );
    let error = check(&input, ErrorKind::UnsafePath, at);
    assert_eq!(error.path.as_deref(), Some("../etc/passwd"));
}

#[test]
fn dot_dot_escaping_after_a_descent() {
    let mut input = good_start();
    let at = input.len();
    input.extend(
        Archive::new()
            .file("a/../../x", 0o644, b"x")
            .trailer()
            .build(),
    );
    check(&input, ErrorKind::UnsafePath, at);
}

#[test]
fn absolute_dot_dot_escaping_the_root() {
    let mut input = good_start();
    let at = input.len();
    input.extend(Archive::new().dir("/../..", 0o755).trailer().build());
    check(&input, ErrorKind::UnsafePath, at);
}

#[test]
fn name_without_its_nul() {
    let mut input = good_start();
    let at = input.len();
    input.extend(Archive::new().file("abc", 0o644, b"").trailer().build());
    input[at + HEADER_LEN + 3] = b'd';
    check(&input, ErrorKind::BadName, at + HEADER_LEN);
}

#[test]
fn empty_name_size() {
    let mut input = good_start();
    let at = input.len();
    input.extend(Archive::new().file("abc", 0o644, b"").trailer().build());
    // namesize is the twelfth field.
    let field = at + 6 + 11 * 8;
    input[field..field + 8].copy_from_slice(b"00000000");
    check(&input, ErrorKind::BadName, at + HEADER_LEN);
}

#[test]
fn name_that_is_not_utf8() {
    let mut input = good_start();
    let at = input.len();
    input.extend(Archive::new().file("abc", 0o644, b"").trailer().build());
    input[at + HEADER_LEN] = 0xff;
    check(&input, ErrorKind::BadName, at);
}

#[test]
fn name_size_past_path_max() {
    let mut input = good_start();
    let at = input.len();
    input.extend(Archive::new().file("abc", 0o644, b"").trailer().build());
    let field = at + 6 + 11 * 8;
    input[field..field + 8].copy_from_slice(b"00002000");
    check(&input, ErrorKind::NameTooLong, at + HEADER_LEN);
}

#[test]
fn unknown_file_type() {
    let mut input = good_start();
    let at = input.len();
    input.extend(
        Archive::new()
            .add(Entry::new("x", 0o644, b""))
            .trailer()
            .build(),
    );
    check(&input, ErrorKind::BadFileType, at);
}

#[test]
fn empty_symlink_target() {
    let mut input = good_start();
    let at = input.len();
    input.extend(Archive::new().symlink("l", "").trailer().build());
    check(&input, ErrorKind::BadSymlinkTarget, at);
}

#[test]
fn checksum_mismatch() {
    let mut input = Archive::checksummed().file("kept", 0o644, b"kept").build();
    let at = input.len();
    input.extend(
        Archive::checksummed()
            .file("bad", 0o644, b"data")
            .trailer()
            .build(),
    );
    let last_data = input.len() - 124 - 4;
    input[last_data] ^= 1;
    let (error, root) = unpack_err(&input);
    assert_eq!(
        (error.kind, error.offset),
        (ErrorKind::BadChecksum, at as u64)
    );
    assert!(exists(&root, "kept") && !exists(&root, "bad"));
}

#[test]
fn archive_not_on_a_four_byte_boundary() {
    let mut input = good_start();
    input.extend(Archive::new().trailer().build());
    input.extend_from_slice(&[0, 0]);
    let at = input.len();
    input.extend(Archive::new().file("x", 0o644, b"").trailer().build());
    check(&input, ErrorKind::Misaligned, at);
}

#[test]
fn path_through_a_file_is_enotdir() {
    let mut input = good_start();
    let at = input.len();
    input.extend(
        Archive::new()
            .file("kept/inner", 0o644, b"x")
            .trailer()
            .build(),
    );
    let error = check(&input, ErrorKind::Filesystem(Errno::ENOTDIR.into()), at);
    assert_eq!(error.errno(), Errno::ENOTDIR);
}

#[test]
fn corrupt_deflate_data() {
    let mut input = gzip(
        &Archive::new()
            .file("f", 0o644, &[7; 5000])
            .trailer()
            .build(),
    );
    // Block type 3 is reserved: the first deflate byte's bits 1-2.
    input[10] = 0b111;
    let (error, _) = unpack_err(&input);
    assert_eq!(error.kind, ErrorKind::BadGzipData);
    assert!(error.offset >= 10, "{error}");
}

#[test]
fn truncated_gzip_member() {
    let input = gzip(
        &Archive::new()
            .file("f", 0o644, &[7; 5000])
            .trailer()
            .build(),
    );
    let (error, _) = unpack_err(&input[..input.len() - 12]);
    assert_eq!(error.kind, ErrorKind::TruncatedGzip);
}

#[test]
fn gzip_member_without_its_trailer() {
    let input = gzip(&Archive::new().trailer().build());
    let end = input.len() - 8;
    check(&input[..end + 3], ErrorKind::TruncatedGzip, end);
}

#[test]
fn gzip_length_check_failure() {
    let mut input = gzip(&Archive::new().trailer().build());
    let at = input.len() - 4;
    input[at] ^= 1;
    check(&input, ErrorKind::GzipSizeMismatch, at);
}

#[test]
fn gzip_with_an_unknown_method() {
    let mut input = gzip(&Archive::new().trailer().build());
    input[2] = 9;
    check(&input, ErrorKind::BadGzipHeader, 2);
}

#[test]
fn error_inside_compressed_data_names_the_member() {
    let mut input = Archive::new()
        .file("kept", 0o644, b"kept")
        .trailer()
        .build();
    let member_at = input.len();
    let mut inner = Archive::new().file("x", 0o644, b"").trailer().build();
    inner[0] = b'X';
    input.extend(gzip(&inner));
    let (error, root) = unpack_err(&input);
    assert_eq!(error.kind, ErrorKind::BadMagic);
    assert_eq!(
        (error.offset, error.gzip_member),
        (0, Some(member_at as u64))
    );
    assert!(exists(&root, "kept"));
    let message = error.to_string();
    assert!(
        message.contains("offset 0") && message.contains(&member_at.to_string()),
        "{message}"
    );
}

#[test]
fn error_message_names_the_offset_and_entry() {
    let mut input = good_start();
    input.extend(Archive::new().file("../x", 0o644, b"").trailer().build());
    let (error, _) = unpack_err(&input);
    let message = error.to_string();
    assert!(
        message.contains(&format!("offset {}", good_start().len())),
        "{message}"
    );
    assert!(message.contains("`../x`"), "{message}");
}

#[test]
fn filesystem_refusal_is_reported_with_its_errno() {
    let mut archive = Archive::new();
    archive.add(Entry {
        ..Entry::new(&"n".repeat(300), S_IFREG | 0o644, b"")
    });
    let (error, _) = unpack_err(&archive.trailer().build());
    assert_eq!(error.errno(), Errno::ENAMETOOLONG);
}

#[test]
fn gzip_extra_field_past_the_end() {
    // FLG has FEXTRA, FNAME, FCOMMENT and FHCRC; XLEN claims 0x0233 bytes.
    let mut input = vec![0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3, 0x33, 0x02];
    input.extend_from_slice(b"short");
    let len = input.len();
    check(&input, ErrorKind::TruncatedGzip, len);
}
