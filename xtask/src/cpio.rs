//! A writer for the cpio "newc" format, the initramfs format Linux and Kestrel unpack.
//!
//! Each entry is a 110-byte ASCII header (`070701` and thirteen 8-digit hex fields),
//! the NUL-terminated name padded to 4 bytes, then the data padded to 4 bytes. The
//! archive ends with an entry named `TRAILER!!!`.

const MAGIC: &str = "070701";
const TRAILER: &str = "TRAILER!!!";

pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFCHR: u32 = 0o020000;

/// One file, directory, symlink or device node of the archive.
pub struct Entry {
    /// Path inside the archive, without a leading `/`.
    pub name: String,
    /// File type and permission bits.
    pub mode: u32,
    /// File contents, or the target of a symlink.
    pub data: Vec<u8>,
    /// Device number (major, minor) of a device node.
    pub rdev: (u32, u32),
}

impl Entry {
    pub fn dir(name: &str, perm: u32) -> Self {
        Self::new(name, S_IFDIR | perm, Vec::new())
    }

    pub fn file(name: &str, perm: u32, data: Vec<u8>) -> Self {
        Self::new(name, S_IFREG | perm, data)
    }

    pub fn symlink(name: &str, target: &str) -> Self {
        Self::new(name, S_IFLNK | 0o777, target.as_bytes().to_vec())
    }

    pub fn char_device(name: &str, perm: u32, major: u32, minor: u32) -> Self {
        Entry {
            rdev: (major, minor),
            ..Self::new(name, S_IFCHR | perm, Vec::new())
        }
    }

    fn new(name: &str, mode: u32, data: Vec<u8>) -> Self {
        Entry {
            name: name.trim_start_matches('/').to_string(),
            mode,
            data,
            rdev: (0, 0),
        }
    }
}

/// Serializes entries, in the order given, owned by root with a fixed mtime.
pub fn archive(entries: &[Entry], mtime: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let nlink = if entry.mode & S_IFDIR == S_IFDIR {
            2
        } else {
            1
        };
        let ino = index as u32 + 1;
        push_entry(&mut out, entry, ino, nlink, mtime);
    }
    let trailer = Entry::new(TRAILER, 0, Vec::new());
    push_entry(&mut out, &trailer, 0, 1, 0);
    out
}

fn push_entry(out: &mut Vec<u8>, entry: &Entry, ino: u32, nlink: u32, mtime: u32) {
    let name_size = entry.name.len() + 1;
    let fields = [
        ino,
        entry.mode,
        0, // uid
        0, // gid
        nlink,
        mtime,
        entry.data.len() as u32,
        0, // devmajor
        0, // devminor
        entry.rdev.0,
        entry.rdev.1,
        name_size as u32,
        0, // check, unused by newc
    ];
    out.extend_from_slice(MAGIC.as_bytes());
    for field in fields {
        out.extend_from_slice(format!("{field:08x}").as_bytes());
    }
    out.extend_from_slice(entry.name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(&entry.data);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_hex_and_entries_aligned() {
        let bytes = archive(&[Entry::file("/init", 0o755, b"abc".to_vec())], 7);
        let header = std::str::from_utf8(&bytes[..110]).unwrap();
        assert!(header.starts_with("070701"));
        assert_eq!(&header[14..22], "000081ed"); // regular file, 0755
        assert_eq!(&header[54..62], "00000003"); // file size
        assert_eq!(&header[94..102], "00000005"); // "init" + NUL
        assert_eq!(&bytes[110..115], b"init\0");
        assert_eq!(&bytes[116..119], b"abc"); // name padded to 116
        assert_eq!(bytes.len() % 4, 0);
    }

    #[test]
    fn archive_ends_with_trailer() {
        let bytes = archive(&[Entry::dir("dev", 0o755)], 0);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("TRAILER!!!"));
    }

    #[test]
    fn host_cpio_lists_what_we_wrote() {
        let Some(cpio) = crate::util::which("cpio") else {
            return;
        };
        let entries = [
            Entry::dir("bin", 0o755),
            Entry::file("bin/x", 0o755, b"hello".to_vec()),
            Entry::symlink("bin/y", "/bin/x"),
            Entry::char_device("console", 0o600, 5, 1),
        ];
        let mut child = std::process::Command::new(cpio)
            .args(["-t", "--quiet"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&archive(&entries, 0))
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "bin\nbin/x\nbin/y\nconsole\n"
        );
    }
}
