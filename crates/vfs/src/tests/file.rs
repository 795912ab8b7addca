use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use linux_raw_sys::general as raw;

use super::{errno, Fixture};
use crate::dirent::dirent64_len;
use crate::errno::Errno;
use crate::file::{OpenFile, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};
use crate::types::{DeviceId, OpenFlags};

/// One decoded `linux_dirent64` record.
#[derive(Debug)]
pub(crate) struct Record {
    pub ino: u64,
    pub off: i64,
    pub kind: u8,
    pub name: String,
}

/// Decodes the records getdents64 wrote, checking their layout.
pub(crate) fn parse_dirents(buf: &[u8]) -> Vec<Record> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let ino = u64::from_ne_bytes(buf[at..at + 8].try_into().unwrap());
        let off = i64::from_ne_bytes(buf[at + 8..at + 16].try_into().unwrap());
        let reclen = u16::from_ne_bytes(buf[at + 16..at + 18].try_into().unwrap()) as usize;
        let name_bytes = &buf[at + 19..at + reclen];
        let name_len = name_bytes.iter().position(|&b| b == 0).unwrap();
        let name = String::from_utf8(name_bytes[..name_len].to_vec()).unwrap();
        assert_eq!(reclen % 8, 0);
        assert_eq!(reclen, dirent64_len(&name));
        records.push(Record {
            ino,
            off,
            kind: buf[at + 18],
            name,
        });
        at += reclen;
    }
    records
}

/// Every name of a directory listing read with `size`-byte buffers.
pub(crate) fn list(file: &OpenFile, size: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut buf = vec![0u8; size];
    loop {
        let len = file.getdents64(&mut buf).unwrap();
        if len == 0 {
            return names;
        }
        names.extend(parse_dirents(&buf[..len]).into_iter().map(|r| r.name));
    }
}

fn with_file() -> Fixture {
    let fx = Fixture::new();
    fx.write_file("/f", "0123456789");
    fx
}

#[test]
fn position_is_shared_between_duplicates() {
    let fx = with_file();
    let file = fx.open("/f", OpenFlags::RDWR).unwrap();
    let dup = file.clone();
    let mut buf = [0u8; 4];
    file.read(&mut buf).unwrap();
    assert_eq!(dup.read(&mut buf).unwrap(), 4);
    assert_eq!(&buf, b"4567");
    assert_eq!(file.position(), 8);
}

#[test]
fn append_writes_at_the_end() {
    let fx = with_file();
    let file = fx
        .open("/f", OpenFlags::WRONLY | OpenFlags::APPEND)
        .unwrap();
    file.seek(0, SEEK_SET).unwrap();
    file.write(b"ab").unwrap();
    assert_eq!(file.position(), 12);
    file.pwrite(b"cd", 0).unwrap();
    assert_eq!(fx.read_file("/f"), "0123456789abcd");
}

#[test]
fn access_mode_is_enforced_with_ebadf() {
    let fx = with_file();
    let reader = fx.open("/f", OpenFlags::empty()).unwrap();
    assert_eq!(errno(reader.write(b"x")), Errno::EBADF);
    assert_eq!(errno(reader.pwrite(b"x", 0)), Errno::EBADF);
    let writer = fx.open("/f", OpenFlags::WRONLY).unwrap();
    assert_eq!(errno(writer.read(&mut [0; 1])), Errno::EBADF);
    let path = fx.open("/f", OpenFlags::PATH | OpenFlags::RDWR).unwrap();
    assert_eq!(errno(path.read(&mut [0; 1])), Errno::EBADF);
    assert_eq!(errno(path.write(b"x")), Errno::EBADF);
    assert_eq!(path.flags(), OpenFlags::PATH);
}

#[test]
fn pread_and_pwrite_leave_the_position() {
    let fx = with_file();
    let file = fx.open("/f", OpenFlags::RDWR).unwrap();
    let mut buf = [0u8; 3];
    assert_eq!(file.pread(&mut buf, 5).unwrap(), 3);
    assert_eq!(&buf, b"567");
    file.pwrite(b"XY", 1).unwrap();
    assert_eq!(file.position(), 0);
    assert_eq!(errno(file.pread(&mut buf, -1)), Errno::EINVAL);
    assert_eq!(fx.read_file("/f"), "0XY3456789");
}

#[test]
fn lseek_whences() {
    let fx = with_file();
    let file = fx.open("/f", OpenFlags::empty()).unwrap();
    assert_eq!(file.seek(3, SEEK_SET).unwrap(), 3);
    assert_eq!(file.seek(2, SEEK_CUR).unwrap(), 5);
    assert_eq!(file.seek(-1, SEEK_END).unwrap(), 9);
    assert_eq!(file.seek(5, SEEK_END).unwrap(), 15);
    assert_eq!(errno(file.seek(-20, SEEK_CUR)), Errno::EINVAL);
    assert_eq!(file.position(), 15);
    assert_eq!(errno(file.seek(0, 77)), Errno::EINVAL);
    assert_eq!(file.seek(4, SEEK_DATA).unwrap(), 4);
    assert_eq!(file.seek(4, SEEK_HOLE).unwrap(), 10);
    assert_eq!(errno(file.seek(10, SEEK_DATA)), Errno::ENXIO);
}

#[test]
fn lseek_on_a_fifo_is_espipe() {
    let fx = Fixture::new();
    let mode = raw::S_IFIFO | 0o644;
    fx.vfs
        .mknod(&fx.caller(), "/fifo", mode, DeviceId::default())
        .unwrap();
    let file = fx.open("/fifo", OpenFlags::empty()).unwrap();
    assert_eq!(errno(file.seek(0, SEEK_SET)), Errno::ESPIPE);
    assert_eq!(errno(file.pread(&mut [0; 1], 0)), Errno::ESPIPE);
}

#[test]
fn status_flags_change_but_access_mode_stays() {
    let fx = with_file();
    let file = fx.open("/f", OpenFlags::WRONLY | OpenFlags::CREAT).unwrap();
    assert_eq!(file.flags(), OpenFlags::WRONLY);
    file.set_status_flags(OpenFlags::NONBLOCK | OpenFlags::RDWR | OpenFlags::APPEND);
    assert!(file.is_nonblocking());
    assert_eq!(
        file.flags(),
        OpenFlags::WRONLY | OpenFlags::NONBLOCK | OpenFlags::APPEND
    );
}

#[test]
fn ftruncate_needs_a_writable_regular_file() {
    let fx = with_file();
    let reader = fx.open("/f", OpenFlags::empty()).unwrap();
    assert_eq!(errno(reader.truncate(2)), Errno::EINVAL);
    let writer = fx.open("/f", OpenFlags::WRONLY).unwrap();
    writer.truncate(2).unwrap();
    assert_eq!(fx.read_file("/f"), "01");
}

#[test]
fn getdents64_lists_dots_and_entries_in_dirent64_layout() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    fx.write_file("/d/file", "");
    fx.symlink("x", "/d/link");
    let dir = fx.open("/d", OpenFlags::DIRECTORY).unwrap();
    let mut buf = [0u8; 512];
    let len = dir.getdents64(&mut buf).unwrap();
    let records = parse_dirents(&buf[..len]);
    let names: Vec<_> = records.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, [".", "..", "file", "link"]);
    assert_eq!(records[0].off, 1);
    assert_eq!(records[1].off, 2);
    assert_eq!(records[0].ino, dir.stat().unwrap().ino);
    assert_eq!(records[2].kind, raw::DT_REG as u8);
    assert_eq!(records[3].kind, raw::DT_LNK as u8);
    assert_eq!(dir.position(), records[3].off as u64);
    assert_eq!(dir.getdents64(&mut buf).unwrap(), 0);
}

#[test]
fn getdents64_resumes_with_tiny_buffers_and_restarts_at_zero() {
    let fx = Fixture::new();
    fx.mkdir("/d");
    for name in ["alpha", "beta", "gamma", "a-rather-long-name-for-a-file"] {
        fx.write_file(&alloc::format!("/d/{name}"), "");
    }
    let dir = fx.open("/d", OpenFlags::empty()).unwrap();
    let whole = list(&dir, 4096);
    assert_eq!(whole.len(), 6);
    dir.seek(0, SEEK_SET).unwrap();
    assert_eq!(
        list(&dir, dirent64_len("a-rather-long-name-for-a-file")),
        whole
    );
}

#[test]
fn getdents64_with_no_room_for_one_entry_is_einval() {
    let fx = Fixture::new();
    let dir = fx.open("/", OpenFlags::empty()).unwrap();
    let mut buf = [0u8; 23];
    assert_eq!(errno(dir.getdents64(&mut buf)), Errno::EINVAL);
    assert_eq!(dir.position(), 0);
    let mut buf = [0u8; 24];
    assert_eq!(dir.getdents64(&mut buf).unwrap(), 24);
}

#[test]
fn getdents64_on_a_file_is_enotdir_and_read_on_a_directory_eisdir() {
    let fx = with_file();
    let file = fx.open("/f", OpenFlags::empty()).unwrap();
    assert_eq!(errno(file.getdents64(&mut [0; 64])), Errno::ENOTDIR);
    let dir = fx.open("/", OpenFlags::empty()).unwrap();
    assert_eq!(errno(dir.read(&mut [0; 8])), Errno::EISDIR);
}
