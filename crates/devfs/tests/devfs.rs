//! /dev: device nodes and numbers, the memory devices, registration.

use std::sync::Arc;

use devfs::{numbers, Devfs};
use linux_raw_sys::general::{S_IFCHR, S_IFDIR, TMPFS_MAGIC};
use vfs::{
    Clock, CreateOptions, DeviceId, Errno, FileOps, FileSystem, FileType, Permissions, Result,
    Timespec,
};

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> Timespec {
        Timespec {
            sec: 1_000,
            nsec: 0,
        }
    }
}

fn devfs_with_seed(seed: u8) -> Arc<Devfs> {
    Devfs::new(Arc::new(FixedClock), [seed; 32]).unwrap()
}

fn devfs() -> Arc<Devfs> {
    devfs_with_seed(7)
}

/// Opens `/dev/<name>` as the kernel would: the node's number picks the backend.
fn open(devfs: &Devfs, name: &str) -> Arc<dyn FileOps> {
    let node = devfs.root().lookup(name).unwrap();
    let rdev = node.stat().unwrap().rdev;
    devfs.device(rdev).unwrap()
}

/// A terminal stand-in that remembers nothing.
struct FakeTty;

impl FileOps for FakeTty {
    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize> {
        Ok(0)
    }

    fn is_seekable(&self) -> bool {
        false
    }
}

#[test]
fn memory_devices_have_linux_numbers_and_modes() {
    let devfs = devfs();
    let expected = [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
    ];
    for (name, major, minor) in expected {
        let stat = devfs.root().lookup(name).unwrap().stat().unwrap();
        assert_eq!(stat.rdev, DeviceId::new(major, minor), "{name}");
        assert_eq!(stat.mode, S_IFCHR | 0o666, "{name}");
    }
}

#[test]
fn terminal_numbers_match_linux() {
    assert_eq!(numbers::TTY, DeviceId::new(5, 0));
    assert_eq!(numbers::CONSOLE, DeviceId::new(5, 1));
    assert_eq!(numbers::TTY_S0, DeviceId::new(4, 64));
}

#[test]
fn null_reads_end_of_file_and_swallows_writes() {
    let null = open(&devfs(), "null");
    let mut buf = [1; 8];
    assert_eq!(null.read_at(0, &mut buf).unwrap(), 0);
    assert_eq!(null.write_at(0, b"gone").unwrap(), 4);
}

#[test]
fn zero_reads_zeros() {
    let zero = open(&devfs(), "zero");
    let mut buf = [1; 10_000];
    assert_eq!(zero.read_at(0, &mut buf).unwrap(), 10_000);
    assert!(buf.iter().all(|&b| b == 0));
    assert_eq!(zero.write_at(0, b"x").unwrap(), 1);
}

#[test]
fn full_reads_zeros_and_writes_fail_with_enospc() {
    let full = open(&devfs(), "full");
    let mut buf = [1; 16];
    assert_eq!(full.read_at(0, &mut buf).unwrap(), 16);
    assert_eq!(buf, [0; 16]);
    assert_eq!(full.write_at(0, b"x").unwrap_err().errno, Errno::ENOSPC);
}

#[test]
fn urandom_differs_between_reads() {
    let urandom = open(&devfs(), "urandom");
    let mut first = [0; 64];
    let mut second = [0; 64];
    urandom.read_at(0, &mut first).unwrap();
    urandom.read_at(0, &mut second).unwrap();
    assert_ne!(first, second);
    assert_ne!(first, [0; 64]);
}

#[test]
fn different_seeds_give_different_streams() {
    let mut a = [0; 32];
    let mut b = [0; 32];
    open(&devfs_with_seed(1), "urandom")
        .read_at(0, &mut a)
        .unwrap();
    open(&devfs_with_seed(2), "urandom")
        .read_at(0, &mut b)
        .unwrap();
    assert_ne!(a, b);
}

#[test]
fn random_and_urandom_fill_large_reads() {
    let random = open(&devfs(), "random");
    let mut buf = vec![0; 100_000];
    assert_eq!(random.read_at(0, &mut buf).unwrap(), buf.len());
    assert!(buf[90_000..].iter().any(|&b| b != 0));
}

#[test]
fn writing_to_urandom_changes_the_stream() {
    let plain = open(&devfs(), "urandom");
    let mixed = open(&devfs(), "urandom");
    assert_eq!(mixed.write_at(0, b"entropy from user space").unwrap(), 23);
    let mut a = [0; 32];
    let mut b = [0; 32];
    plain.read_at(0, &mut a).unwrap();
    mixed.read_at(0, &mut b).unwrap();
    assert_ne!(a, b);
}

#[test]
fn registered_device_gets_a_node_and_a_backend() {
    let devfs = devfs();
    let perms = Permissions::new(0o600);
    devfs
        .register_char_device("console", numbers::CONSOLE, perms, Arc::new(FakeTty))
        .unwrap();
    let stat = devfs.root().lookup("console").unwrap().stat().unwrap();
    assert_eq!(stat.mode, S_IFCHR | 0o600);
    assert_eq!(stat.rdev, numbers::CONSOLE);
    assert!(!open(&devfs, "console").is_seekable());
}

#[test]
fn registering_a_number_twice_is_eexist() {
    let devfs = devfs();
    let perms = Permissions::new(0o666);
    devfs
        .register_char_device("tty", numbers::TTY, perms, Arc::new(FakeTty))
        .unwrap();
    let again = devfs.register_char_device("tty2", numbers::TTY, perms, Arc::new(FakeTty));
    assert_eq!(again.unwrap_err().errno, Errno::EEXIST);
}

#[test]
fn registering_over_a_different_node_is_eexist() {
    let devfs = devfs();
    let perms = Permissions::new(0o666);
    let clash = devfs.register_char_device("null", numbers::TTY, perms, Arc::new(FakeTty));
    assert_eq!(clash.unwrap_err().errno, Errno::EEXIST);
    assert!(devfs.device(numbers::TTY).is_none());
}

#[test]
fn nested_device_names_make_directories() {
    let devfs = devfs();
    let id = DeviceId::new(136, 0);
    let perms = Permissions::new(0o620);
    devfs
        .register_char_device("pts/0", id, perms, Arc::new(FakeTty))
        .unwrap();
    let pts = devfs.root().lookup("pts").unwrap();
    assert_eq!(pts.stat().unwrap().mode, S_IFDIR | 0o755);
    assert_eq!(pts.lookup("0").unwrap().stat().unwrap().rdev, id);
}

#[test]
fn unknown_device_number_has_no_backend() {
    assert!(devfs().device(DeviceId::new(42, 42)).is_none());
}

#[test]
fn mknod_elsewhere_reaches_the_same_backend() {
    let devfs = devfs();
    let root = devfs.root();
    let dir = root
        .create("misc", FileType::Directory, CreateOptions::default())
        .unwrap();
    let opts = CreateOptions {
        rdev: numbers::ZERO,
        ..CreateOptions::default()
    };
    let node = dir.create("myzero", FileType::CharDevice, opts).unwrap();
    let backend = devfs.device(node.stat().unwrap().rdev).unwrap();
    let mut buf = [1; 4];
    backend.read_at(0, &mut buf).unwrap();
    assert_eq!(buf, [0; 4]);
    root.symlink("stdin", "/proc/self/fd/0", CreateOptions::default())
        .unwrap();
}

#[test]
fn mounts_as_devtmpfs_with_tmpfs_statfs() {
    let devfs = devfs();
    assert_eq!(devfs.name(), "devtmpfs");
    assert_eq!(devfs.statfs().unwrap().fs_type, u64::from(TMPFS_MAGIC));
    assert_eq!(devfs.root().stat().unwrap().mode, S_IFDIR | 0o755);
}
