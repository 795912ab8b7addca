//! An in-memory filesystem: the root filesystem and `/tmp`.
//!
//! [`Tmpfs`] implements `vfs::FileSystem` and its inodes ([`TmpfsInode`])
//! implement `vfs::Inode`: regular files keep their data in a sparse map of
//! 4 KiB pages (holes cost nothing and read as zeros), directories keep their
//! entries in creation order under increasing sequence numbers (the readdir
//! cookie is the next sequence number, so a listing resumes correctly while
//! entries come and go), and symlinks, device nodes, fifos and sockets are
//! plain inodes (the kernel supplies the device or pipe behind a special file
//! when it is opened). File data pages come from a `vfs::PageSource`: the
//! heap by default, frames the kernel can map when it asks
//! ([`Tmpfs::with_page_source`]), so `MAP_SHARED` maps the file's own pages.
//! Times come from the `vfs::Clock` the instance is built with. devfs builds
//! `/dev` on top of an instance.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod dir;
mod file;
mod inode;
mod rename;

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use linux_raw_sys::general::{NAME_MAX, TMPFS_MAGIC};
use spin::Mutex;
use vfs::{
    Clock, CreateOptions, DeviceId, Errno, FileSystem, HeapPages, InodeRef, PageSource,
    Permissions, Result, StatFs, Timespec,
};

pub use inode::TmpfsInode;

/// The size of a data page, also the `st_blksize` and `f_bsize` reported.
pub const PAGE_SIZE: usize = vfs::page::PAGE_SIZE;

/// Anonymous device numbers (`st_dev` of filesystems without a backing
/// device) have major 0 on Linux.
const ANON_DEVICE_MAJOR: u32 = 0;

/// The next anonymous minor number handed to an instance built without an
/// explicit device number.
static NEXT_ANON_MINOR: AtomicU32 = AtomicU32::new(1);

/// Limits and root attributes of a new instance.
#[derive(Clone, Copy, Debug)]
pub struct TmpfsOptions {
    /// `st_dev` of every inode; `None` takes a fresh anonymous number (major 0).
    pub dev: Option<DeviceId>,
    /// Most data pages the instance may hold (`size=`); `None` is unlimited.
    pub max_pages: Option<u64>,
    /// Most inodes the instance may hold (`nr_inodes=`); `None` is unlimited.
    pub max_inodes: Option<u64>,
    /// Permissions and owner of the root directory.
    pub root: CreateOptions,
}

impl Default for TmpfsOptions {
    /// Linux's tmpfs defaults for the root: mode 1777, owned by root.
    fn default() -> TmpfsOptions {
        TmpfsOptions {
            dev: None,
            max_pages: None,
            max_inodes: None,
            root: CreateOptions {
                permissions: Permissions::new(0o1777),
                ..CreateOptions::default()
            },
        }
    }
}

/// How much of an instance is in use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TmpfsUsage {
    pub inodes: u64,
    pub pages: u64,
}

/// State every inode of one instance shares.
pub(crate) struct Shared {
    dev: DeviceId,
    clock: Arc<dyn Clock>,
    next_ino: AtomicU64,
    inodes: AtomicU64,
    pages: AtomicU64,
    max_pages: Option<u64>,
    max_inodes: Option<u64>,
    /// Where file data pages come from.
    page_source: Arc<dyn PageSource>,
    /// Held by rename and rmdir, the only operations that lock two
    /// directories at once; everything else locks one directory at a time,
    /// so directory locks cannot deadlock.
    namespace: Mutex<()>,
}

impl Shared {
    pub(crate) fn now(&self) -> Timespec {
        self.clock.now()
    }

    /// Takes an inode number and counts the inode against the limit.
    pub(crate) fn allocate_inode(&self) -> Result<u64> {
        reserve(&self.inodes, 1, self.max_inodes)?;
        Ok(self.next_ino.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn release_inode(&self) {
        self.inodes.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn charge_page(&self) -> Result<()> {
        reserve(&self.pages, 1, self.max_pages)
    }

    pub(crate) fn release_pages(&self, count: u64) {
        self.pages.fetch_sub(count, Ordering::Relaxed);
    }
}

/// Adds `amount` to `counter` unless that passes `limit` (ENOSPC).
fn reserve(counter: &AtomicU64, amount: u64, limit: Option<u64>) -> Result<()> {
    let Some(limit) = limit else {
        counter.fetch_add(amount, Ordering::Relaxed);
        return Ok(());
    };
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
            used.checked_add(amount).filter(|&total| total <= limit)
        })
        .map(|_| ())
        .map_err(|_| Errno::ENOSPC.into())
}

/// One tmpfs instance.
pub struct Tmpfs {
    shared: Arc<Shared>,
    root: Arc<TmpfsInode>,
}

impl Tmpfs {
    /// An unlimited instance with Linux's default root (mode 1777).
    pub fn new(clock: Arc<dyn Clock>) -> Arc<Tmpfs> {
        Tmpfs::with_options(clock, TmpfsOptions::default())
    }

    /// An instance keeping file data on the heap ([`HeapPages`]).
    pub fn with_options(clock: Arc<dyn Clock>, options: TmpfsOptions) -> Arc<Tmpfs> {
        Tmpfs::with_page_source(clock, options, Arc::new(HeapPages))
    }

    /// An instance keeping file data in pages from `page_source`; the
    /// kernel gives one whose pages it can map, for `MAP_SHARED`.
    pub fn with_page_source(
        clock: Arc<dyn Clock>,
        options: TmpfsOptions,
        page_source: Arc<dyn PageSource>,
    ) -> Arc<Tmpfs> {
        let dev = options.dev.unwrap_or_else(|| {
            let minor = NEXT_ANON_MINOR.fetch_add(1, Ordering::Relaxed);
            DeviceId::new(ANON_DEVICE_MAJOR, minor)
        });
        let shared = Arc::new(Shared {
            dev,
            clock,
            // Linux numbers the tmpfs root 1.
            next_ino: AtomicU64::new(1),
            inodes: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            max_pages: options.max_pages,
            // The root always exists, whatever the limit says.
            max_inodes: options.max_inodes.map(|limit| limit.max(1)),
            page_source,
            namespace: Mutex::new(()),
        });
        let root = TmpfsInode::new_root(&shared, options.root);
        Arc::new(Tmpfs { shared, root })
    }

    /// The root directory with its concrete type.
    pub fn root_inode(&self) -> Arc<TmpfsInode> {
        self.root.clone()
    }

    /// The `st_dev` of this instance.
    pub fn dev(&self) -> DeviceId {
        self.shared.dev
    }

    pub fn usage(&self) -> TmpfsUsage {
        TmpfsUsage {
            inodes: self.shared.inodes.load(Ordering::Relaxed),
            pages: self.shared.pages.load(Ordering::Relaxed),
        }
    }
}

impl FileSystem for Tmpfs {
    fn name(&self) -> &str {
        "tmpfs"
    }

    fn root(&self) -> InodeRef {
        self.root.clone()
    }

    /// As Linux, block and inode totals are reported only for a limited
    /// instance; an unlimited one reports zeros there.
    fn statfs(&self) -> Result<StatFs> {
        let usage = self.usage();
        let mut stat = StatFs {
            fs_type: TMPFS_MAGIC.into(),
            block_size: PAGE_SIZE as u64,
            fragment_size: PAGE_SIZE as u64,
            name_max: NAME_MAX.into(),
            ..StatFs::default()
        };
        if let Some(max_pages) = self.shared.max_pages {
            stat.blocks = max_pages;
            stat.blocks_free = max_pages.saturating_sub(usage.pages);
            stat.blocks_available = stat.blocks_free;
        }
        if let Some(max_inodes) = self.shared.max_inodes {
            stat.files = max_inodes;
            stat.files_free = max_inodes.saturating_sub(usage.inodes);
        }
        Ok(stat)
    }
}
