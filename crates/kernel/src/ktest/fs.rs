//! Tests of the filesystem stack as the kernel assembles it: a tmpfs root
//! filled from a cpio archive, walked and read through the vfs, with devfs
//! mounted on `/dev`.
//!
//! They run before the kernel's own filesystem setup, so each builds its own
//! instances and leaves the global ones alone.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use devfs::Devfs;
use initramfs::UnpackSummary;
use spin::Once;
use tmpfs::Tmpfs;
use vfs::cred::Credentials;
use vfs::mount::MountFlags;
use vfs::path::Caller;
use vfs::{FileType, OpenFlags, PathNode, Vfs};

use super::{Test, TestResult};
use crate::ensure;
use crate::fs::KernelClock;

pub const TESTS: &[Test] = &[
    ("fs_tiny_initramfs_round_trip", tiny_initramfs_round_trip),
    ("fs_boot_initramfs_walk", boot_initramfs_walk),
    ("fs_devfs_zero_and_null", devfs_zero_and_null),
];

/// The initramfs the kernel was booted with, if any.
static BOOT_INITRAMFS: Once<Option<&'static [u8]>> = Once::new();

/// Records the boot initramfs for the tests that unpack it.
pub fn set_boot_initramfs(initramfs: Option<&'static [u8]>) {
    BOOT_INITRAMFS.call_once(|| initramfs);
}

const MOTD: &[u8] = b"kestrel ktest\n";
/// Bytes per `getdents64` call while walking: small, so that listings
/// resume from cookies many times.
const DIRENT_BUFFER: usize = 96;
/// `linux_dirent64` offsets: record length and type, then the name.
const DIRENT_RECLEN: usize = 16;
const DIRENT_TYPE: usize = 18;
const DIRENT_NAME: usize = 19;
/// The `d_type` of a directory (`DT_DIR`).
const DT_DIR: u8 = 4;

/// A vfs whose root is a fresh tmpfs filled from `archive`.
fn unpacked_root(archive: &[u8]) -> Result<(Vfs, UnpackSummary), String> {
    let root = Tmpfs::new(Arc::new(KernelClock));
    let root_inode: vfs::InodeRef = root.root_inode();
    let summary =
        initramfs::unpack(archive, &root_inode).map_err(|err| format!("unpacking: {err}"))?;
    let vfs = Vfs::new(root, "rootfs", MountFlags::empty(), Arc::new(KernelClock));
    Ok((vfs, summary))
}

/// Calls `f` with a root caller of `vfs`.
fn as_root<T>(vfs: &Vfs, f: impl FnOnce(&Caller) -> T) -> T {
    let root: Arc<PathNode> = vfs.root();
    let creds = Credentials::root();
    f(&Caller {
        root: &root,
        cwd: &root,
        creds: &creds,
        umask: 0o022,
    })
}

/// What a walk found.
#[derive(Default)]
struct Walk {
    directories: u64,
    files: u64,
    symlinks: u64,
    /// Bytes read back from every regular file.
    bytes: u64,
}

/// Lists `path` and everything below it through `getdents64`, reading every
/// regular file back in full and checking it against its size.
fn walk(vfs: &Vfs, caller: &Caller, path: &str, found: &mut Walk) -> TestResult {
    let dir = vfs
        .open(caller, path, OpenFlags::DIRECTORY, 0)
        .map_err(|err| format!("open {path}: {err}"))?;
    let mut buf = [0u8; DIRENT_BUFFER];
    loop {
        let len = dir
            .getdents64(&mut buf)
            .map_err(|err| format!("getdents64 {path}: {err}"))?;
        if len == 0 {
            return Ok(());
        }
        let mut at = 0;
        while at < len {
            let reclen = u16::from_ne_bytes([buf[at + DIRENT_RECLEN], buf[at + DIRENT_RECLEN + 1]]);
            let record = &buf[at..at + reclen as usize];
            let name_len = record[DIRENT_NAME..]
                .iter()
                .position(|&b| b == 0)
                .ok_or("dirent name without NUL")?;
            let name = core::str::from_utf8(&record[DIRENT_NAME..DIRENT_NAME + name_len])
                .map_err(|_| "dirent name not UTF-8")?;
            if name != "." && name != ".." {
                let child = match path {
                    "/" => format!("/{name}"),
                    _ => format!("{path}/{name}"),
                };
                if record[DIRENT_TYPE] == DT_DIR {
                    found.directories += 1;
                    walk(vfs, caller, &child, found)?;
                } else {
                    visit(vfs, caller, &child, found)?;
                }
            }
            at += reclen as usize;
        }
    }
}

/// Checks one non-directory entry: a file reads back as long as it is.
fn visit(vfs: &Vfs, caller: &Caller, path: &str, found: &mut Walk) -> TestResult {
    let node = vfs
        .resolve(caller, path, false)
        .map_err(|err| format!("lookup {path}: {err}"))?;
    let stat = node
        .inode()
        .stat()
        .map_err(|err| format!("stat {path}: {err}"))?;
    match node.inode().file_type() {
        FileType::Symlink => found.symlinks += 1,
        FileType::Regular => {
            found.files += 1;
            let data = read_all(vfs, caller, path)?;
            ensure!(
                data.len() as u64 == stat.size,
                "{path}: read {} bytes of {}",
                data.len(),
                stat.size
            );
            found.bytes += stat.size;
        }
        _ => {}
    }
    Ok(())
}

fn read_all(vfs: &Vfs, caller: &Caller, path: &str) -> Result<Vec<u8>, String> {
    let file = vfs
        .open(caller, path, OpenFlags::empty(), 0)
        .map_err(|err| format!("open {path}: {err}"))?;
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match file.read(&mut chunk) {
            Ok(0) => return Ok(data),
            Ok(n) => data.extend_from_slice(&chunk[..n]),
            Err(err) => return Err(format!("read {path}: {err}")),
        }
    }
}

/// A small cpio `newc` archive: `/etc/motd`, `/bin` with a symlink, and an
/// empty directory.
fn tiny_archive() -> Vec<u8> {
    let mut archive = Vec::new();
    let entries: [(&str, u32, &[u8]); 5] = [
        ("etc", 0o040755, b""),
        ("etc/motd", 0o100644, MOTD),
        ("bin", 0o040755, b""),
        ("bin/sh", 0o120777, b"busybox"),
        ("tmp", 0o041777, b""),
    ];
    for (index, (name, mode, data)) in entries.into_iter().enumerate() {
        push_cpio_entry(&mut archive, index as u32 + 1, name, mode, data);
    }
    push_cpio_entry(&mut archive, 0, "TRAILER!!!", 0, b"");
    archive
}

/// Appends one `newc` record: the 110-byte header, the name and the data,
/// each padded to 4 bytes.
fn push_cpio_entry(out: &mut Vec<u8>, ino: u32, name: &str, mode: u32, data: &[u8]) {
    let nlink = if mode & 0o040000 != 0 { 2 } else { 1 };
    let fields = [
        ino,
        mode,
        0,
        0,
        nlink,
        0,
        data.len() as u32,
        0,
        0,
        0,
        0,
        name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for field in fields {
        out.extend_from_slice(format!("{field:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad_to_4(out);
    out.extend_from_slice(data);
    pad_to_4(out);
}

fn pad_to_4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn tiny_initramfs_round_trip() -> TestResult {
    let (vfs, summary) = unpacked_root(&tiny_archive())?;
    ensure!(
        summary.files == 1 && summary.directories == 3 && summary.symlinks == 1,
        "unpack summary {summary:?}"
    );
    as_root(&vfs, |caller| {
        let mut found = Walk::default();
        walk(&vfs, caller, "/", &mut found)?;
        ensure!(
            (found.directories, found.files, found.symlinks) == (3, 1, 1),
            "walk found {} directories, {} files, {} symlinks",
            found.directories,
            found.files,
            found.symlinks
        );
        ensure!(
            read_all(&vfs, caller, "/etc/motd")? == MOTD,
            "/etc/motd differs"
        );
        let link = vfs
            .resolve(caller, "/bin/sh", false)
            .and_then(|node| node.inode().readlink())
            .map_err(|err| format!("readlink /bin/sh: {err}"))?;
        ensure!(link == "busybox", "/bin/sh points to {link}");
        Ok(())
    })
}

/// The archive the kernel booted with, or the tiny one when there is none.
fn boot_initramfs_walk() -> TestResult {
    let boot = BOOT_INITRAMFS.get().copied().flatten();
    let tiny;
    let archive = match boot {
        Some(archive) => archive,
        None => {
            tiny = tiny_archive();
            &tiny
        }
    };
    let (vfs, summary) = unpacked_root(archive)?;
    as_root(&vfs, |caller| {
        let mut found = Walk::default();
        walk(&vfs, caller, "/", &mut found)?;
        ensure!(found.files > 0, "no regular file under /");
        // Hard links list one inode under several names; each is counted.
        ensure!(
            found.directories >= summary.directories.saturating_sub(1)
                && found.files >= summary.files
                && found.symlinks == summary.symlinks,
            "walk found {} directories, {} files, {} symlinks; unpacking made {summary:?}",
            found.directories,
            found.files,
            found.symlinks
        );
        log::info!(
            "ktest: walked {} directories, {} files ({} bytes read back), {} symlinks",
            found.directories,
            found.files,
            found.bytes,
            found.symlinks
        );
        Ok(())
    })
}

fn devfs_zero_and_null() -> TestResult {
    let (vfs, _) = unpacked_root(&tiny_archive())?;
    let devfs = Devfs::new(Arc::new(KernelClock), [7; devfs::SEED_LEN])
        .map_err(|err| format!("devfs: {err}"))?;
    as_root(&vfs, |caller| {
        vfs.mkdir(caller, "/dev", 0o755)
            .map_err(|err| format!("mkdir /dev: {err}"))?;
        vfs.mount(
            caller,
            "/dev",
            devfs.clone(),
            "devtmpfs",
            MountFlags::empty(),
        )
        .map_err(|err| format!("mount /dev: {err}"))?;

        let device = |path: &str, want: vfs::DeviceId| {
            let node = vfs
                .resolve(caller, path, true)
                .map_err(|err| format!("lookup {path}: {err}"))?;
            let stat = node
                .inode()
                .stat()
                .map_err(|err| format!("stat {path}: {err}"))?;
            ensure!(
                node.inode().file_type() == FileType::CharDevice && stat.rdev == want,
                "{path} is {:?} {:?}",
                node.inode().file_type(),
                stat.rdev
            );
            devfs.device(stat.rdev).ok_or(format!("{path}: no device"))
        };

        let zero = device("/dev/zero", devfs::numbers::ZERO)?;
        let mut buf = vec![0xa5u8; 1000];
        let got = zero
            .read_at(12345, &mut buf)
            .map_err(|err| format!("read zero: {err}"))?;
        ensure!(got == buf.len(), "/dev/zero gave {got} bytes");
        ensure!(buf.iter().all(|&b| b == 0), "/dev/zero gave a nonzero byte");

        let null = device("/dev/null", devfs::numbers::NULL)?;
        let wrote = null
            .write_at(0, &buf)
            .map_err(|err| format!("write null: {err}"))?;
        ensure!(wrote == buf.len(), "/dev/null took {wrote} bytes");
        let got = null
            .read_at(0, &mut buf)
            .map_err(|err| format!("read null: {err}"))?;
        ensure!(got == 0, "/dev/null gave {got} bytes");
        Ok(())
    })
}
