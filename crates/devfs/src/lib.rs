//! `/dev`, mounted as `devtmpfs`.
//!
//! [`Devfs`] is a [`tmpfs::Tmpfs`] tree (so `mkdir`, `mknod` and `symlink`
//! work in it, as in Linux's devtmpfs) plus a table of character device
//! backends keyed by device number. It makes the memory devices itself
//! (`null`, `zero`, `full`, `random`, `urandom`; the random ones are a ChaCha20
//! generator seeded with bytes the kernel gathered from the CPU), and the
//! kernel adds the devices it implements, such as the terminals, with
//! [`Devfs::register_char_device`]. A device node only carries a number: when
//! any character device node is opened, on this or another filesystem, the
//! kernel asks [`Devfs::device`] for the backend behind that number.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod mem;

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use spin::RwLock;
use tmpfs::{Tmpfs, TmpfsOptions};
use vfs::{
    Clock, CreateOptions, DeviceId, Errno, FileOps, FileSystem, FileType, HeapPages, InodeRef,
    PageSource, Permissions, Result, StatFs,
};

pub use mem::{Full, Null, Random, Zero, SEED_LEN};

/// Linux's numbers for the devices devfs knows by name.
pub mod numbers {
    use vfs::DeviceId;

    pub const NULL: DeviceId = DeviceId::new(1, 3);
    pub const ZERO: DeviceId = DeviceId::new(1, 5);
    pub const FULL: DeviceId = DeviceId::new(1, 7);
    pub const RANDOM: DeviceId = DeviceId::new(1, 8);
    pub const URANDOM: DeviceId = DeviceId::new(1, 9);
    /// The first serial port, `ttyS0`.
    pub const TTY_S0: DeviceId = DeviceId::new(4, 64);
    /// The calling process's controlling terminal.
    pub const TTY: DeviceId = DeviceId::new(5, 0);
    pub const CONSOLE: DeviceId = DeviceId::new(5, 1);
}

/// The mode Linux gives the memory devices.
const MEM_DEVICE_PERMISSIONS: u32 = 0o666;

/// The mode of directories made for nested device names (`pts/0`).
const DIRECTORY_PERMISSIONS: u32 = 0o755;

/// The devtmpfs root is `drwxr-xr-x` on Linux, not tmpfs's 1777.
const ROOT_PERMISSIONS: u32 = 0o755;

/// One `/dev` instance.
pub struct Devfs {
    tree: Arc<Tmpfs>,
    /// Backends keyed by `DeviceId::encode`.
    devices: RwLock<BTreeMap<u64, Arc<dyn FileOps>>>,
}

impl Devfs {
    /// A `/dev` holding the memory devices, its random generator seeded with
    /// `seed` (from RDSEED/RDRAND where the CPU has them).
    pub fn new(clock: Arc<dyn Clock>, seed: [u8; SEED_LEN]) -> Result<Arc<Devfs>> {
        Devfs::with_page_source(clock, seed, Arc::new(HeapPages))
    }

    /// As [`Devfs::new`], keeping the data of regular files made in it in
    /// pages from `page_source` (see `tmpfs::Tmpfs::with_page_source`).
    pub fn with_page_source(
        clock: Arc<dyn Clock>,
        seed: [u8; SEED_LEN],
        page_source: Arc<dyn PageSource>,
    ) -> Result<Arc<Devfs>> {
        let options = TmpfsOptions {
            root: CreateOptions {
                permissions: Permissions::new(ROOT_PERMISSIONS),
                ..CreateOptions::default()
            },
            ..TmpfsOptions::default()
        };
        let devfs = Arc::new(Devfs {
            tree: Tmpfs::with_page_source(clock, options, page_source),
            devices: RwLock::new(BTreeMap::new()),
        });

        let random = Arc::new(Random::new(seed));
        let mem_devices: [(&str, DeviceId, Arc<dyn FileOps>); 5] = [
            ("null", numbers::NULL, Arc::new(Null)),
            ("zero", numbers::ZERO, Arc::new(Zero)),
            ("full", numbers::FULL, Arc::new(Full)),
            ("random", numbers::RANDOM, random.clone()),
            ("urandom", numbers::URANDOM, random),
        ];
        let permissions = Permissions::new(MEM_DEVICE_PERMISSIONS);
        for (name, id, backend) in mem_devices {
            devfs.register_char_device(name, id, permissions, backend)?;
        }
        Ok(devfs)
    }

    /// Adds the character device `id`, served by `backend`, and its node
    /// `name` (which may contain `/`: missing directories are made). A node
    /// that already exists with this number is kept. Fails with EEXIST when
    /// `id` already has a backend or `name` is taken by something else.
    pub fn register_char_device(
        &self,
        name: &str,
        id: DeviceId,
        permissions: Permissions,
        backend: Arc<dyn FileOps>,
    ) -> Result<()> {
        if self.devices.read().contains_key(&id.encode()) {
            return Err(Errno::EEXIST.into());
        }
        self.make_node(name, id, permissions)?;
        let mut devices = self.devices.write();
        if devices.contains_key(&id.encode()) {
            return Err(Errno::EEXIST.into());
        }
        devices.insert(id.encode(), backend);
        Ok(())
    }

    /// The backend of character device `rdev`, for the kernel to open in
    /// place of a device node; `None` when no such device exists (ENXIO).
    pub fn device(&self, rdev: DeviceId) -> Option<Arc<dyn FileOps>> {
        self.devices.read().get(&rdev.encode()).cloned()
    }

    /// The tmpfs tree behind this instance.
    pub fn tree(&self) -> &Arc<Tmpfs> {
        &self.tree
    }

    fn make_node(&self, name: &str, id: DeviceId, permissions: Permissions) -> Result<()> {
        let (dirs, leaf) = match name.rsplit_once('/') {
            Some((dirs, leaf)) => (dirs, leaf),
            None => ("", name),
        };
        let mut dir = self.tree.root();
        for component in dirs.split('/').filter(|c| !c.is_empty()) {
            dir = self.subdirectory(&dir, component)?;
        }

        let opts = CreateOptions {
            permissions,
            rdev: id,
            ..CreateOptions::default()
        };
        match dir.create(leaf, FileType::CharDevice, opts) {
            Ok(_) => Ok(()),
            Err(error) if error.errno == Errno::EEXIST => {
                let existing = dir.lookup(leaf)?.stat()?;
                let is_same_node =
                    existing.file_type() == Some(FileType::CharDevice) && existing.rdev == id;
                if is_same_node {
                    Ok(())
                } else {
                    Err(error)
                }
            }
            Err(error) => Err(error),
        }
    }

    fn subdirectory(&self, dir: &InodeRef, name: &str) -> Result<InodeRef> {
        let opts = CreateOptions {
            permissions: Permissions::new(DIRECTORY_PERMISSIONS),
            ..CreateOptions::default()
        };
        match dir.create(name, FileType::Directory, opts) {
            Err(error) if error.errno == Errno::EEXIST => {
                let existing = dir.lookup(name)?;
                if existing.file_type().is_dir() {
                    Ok(existing)
                } else {
                    Err(Errno::ENOTDIR.into())
                }
            }
            result => result,
        }
    }
}

impl FileSystem for Devfs {
    fn name(&self) -> &str {
        "devtmpfs"
    }

    fn root(&self) -> InodeRef {
        self.tree.root()
    }

    /// devtmpfs is a tmpfs, and reports itself as one.
    fn statfs(&self) -> Result<StatFs> {
        self.tree.statfs()
    }
}
