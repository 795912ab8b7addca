//! The kernel's filesystem wiring: the root tmpfs unpacked from the
//! initramfs, devtmpfs, procfs, the mount table, and the helpers syscalls
//! use to resolve paths as the calling process.

use alloc::string::String;
use alloc::sync::Arc;

use devfs::Devfs;
use procfs::ProcFs;
use spin::Once;
use tmpfs::{Tmpfs, TmpfsOptions};
use vfs::cred::{Access, Credentials};
use vfs::fdtable::FdTable;
use vfs::file::OpenFile;
use vfs::mount::MountFlags;
use vfs::path::Caller;
use vfs::PathNode;
use vfs::Vfs;
use vfs::{Clock, DeviceId, Errno, Error, FileSystem, FileType, OpenFlags, Result, Stat, Timespec};

use crate::mm::shared_file::FramePages;
use crate::task::group::FsContext;
use crate::task::sched;

/// Linux's device number of `/dev/console`.
pub const CONSOLE_DEVICE: DeviceId = DeviceId::new(5, 1);
/// The default file creation mask of init.
pub const INIT_UMASK: u32 = 0o022;
const DEV_DIR_MODE: u32 = 0o755;
const CONSOLE_MODE: u32 = 0o600;

/// The wall clock filesystems stamp files with.
pub struct KernelClock;

impl Clock for KernelClock {
    fn now(&self) -> Timespec {
        Timespec::from_nanos(platform::time::realtime_ns())
    }
}

static VFS: Once<Vfs> = Once::new();
static DEVFS: Once<Arc<Devfs>> = Once::new();
static PROCFS: Once<Arc<ProcFs>> = Once::new();

pub fn vfs() -> &'static Vfs {
    VFS.get().expect("the root filesystem is mounted at boot")
}

pub fn devfs() -> &'static Arc<Devfs> {
    DEVFS.get().expect("devfs is created at boot")
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(KernelClock)
}

/// A tmpfs whose file data is in frames, so that `MAP_SHARED` can map it,
/// with Linux's default limits: half of memory for data, and as many
/// inodes as half of memory has pages. The inode limit is what bounds the
/// kernel heap a flood of empty files can take.
fn new_tmpfs() -> Arc<Tmpfs> {
    let half = platform::mm::frame::stats().total / 2;
    let options = TmpfsOptions {
        max_pages: Some(half),
        max_inodes: Some(half),
        ..TmpfsOptions::default()
    };
    Tmpfs::with_page_source(clock(), options, Arc::new(FramePages))
}

/// Builds the root: a tmpfs filled from the initramfs, as Linux's rootfs.
/// A malformed archive is logged and what came before it is kept.
pub fn init(initramfs: &[u8], random_seed: [u8; 32]) -> Result<()> {
    let root = new_tmpfs();
    let root_inode: vfs::InodeRef = root.root_inode();
    let started = platform::time::monotonic_ns();
    match initramfs::unpack(initramfs, &root_inode) {
        Ok(summary) => {
            let elapsed_us = (platform::time::monotonic_ns() - started) / 1000;
            let mib_per_s = (summary.archive_bytes * 1_000_000)
                .checked_div(elapsed_us.max(1) * 1024 * 1024)
                .unwrap_or(0);
            log::info!(
                "initramfs: {} entries, {} bytes of data unpacked in {} us ({} MiB/s)",
                summary.entries,
                summary.data_bytes,
                elapsed_us,
                mib_per_s
            );
        }
        Err(err) => log::error!(
            "initramfs: {err}; keeping the {} entries ({} bytes of data) unpacked before it",
            err.summary.entries,
            err.summary.data_bytes
        ),
    }
    let root = Arc::new(RootFs(root));
    VFS.call_once(|| Vfs::new(root, "rootfs", MountFlags::empty(), clock()));

    let devfs = Devfs::with_page_source(clock(), random_seed, Arc::new(FramePages))?;
    DEVFS.call_once(|| devfs);
    PROCFS.call_once(|| ProcFs::new(Arc::new(crate::procfs_source::KernelPidSource)));

    ensure_console_node()?;
    Ok(())
}

/// The root tmpfs under the type name Linux gives it in `/proc/mounts`.
struct RootFs(Arc<Tmpfs>);

impl FileSystem for RootFs {
    fn name(&self) -> &str {
        "rootfs"
    }

    fn root(&self) -> vfs::InodeRef {
        self.0.root()
    }

    fn statfs(&self) -> Result<vfs::StatFs> {
        self.0.statfs()
    }
}

/// Linux's rootfs always has `/dev/console`, so init can open it even from
/// an initramfs that lacks one.
fn ensure_console_node() -> Result<()> {
    let creds = Credentials::root();
    let root = vfs().root();
    let caller = Caller {
        root: &root,
        cwd: &root,
        creds: &creds,
        umask: 0,
    };
    match vfs().mkdir(&caller, "/dev", DEV_DIR_MODE) {
        Ok(()) => {}
        Err(err) if err.errno == Errno::EEXIST => {}
        Err(err) => return Err(err),
    }
    match vfs().mknod(
        &caller,
        "/dev/console",
        libc_mode(FileType::CharDevice, CONSOLE_MODE),
        CONSOLE_DEVICE,
    ) {
        Ok(()) => Ok(()),
        Err(err) if err.errno == Errno::EEXIST => Ok(()),
        Err(err) => Err(err),
    }
}

fn libc_mode(kind: FileType, permissions: u32) -> u32 {
    kind.mode_bits() | permissions
}

/// The fd table of init: the console on 0, 1 and 2 (when it opens).
pub fn init_files() -> FdTable {
    let mut table = FdTable::new(
        process::limits::ResourceLimits::default()
            .get(linux_raw_sys::general::RLIMIT_NOFILE)
            .map_or(1024, |l| l.soft as usize),
    );
    let creds = Credentials::root();
    let root = vfs().root();
    let caller = Caller {
        root: &root,
        cwd: &root,
        creds: &creds,
        umask: INIT_UMASK,
    };
    match open(&caller, "/dev/console", OpenFlags::RDWR, 0) {
        Ok(console) => {
            for _ in 0..3 {
                let _ = table.insert(console.clone(), false);
            }
        }
        Err(err) => log::warn!("init: cannot open /dev/console: {err}"),
    }
    table
}

/// The filesystem context of init.
pub fn init_fs_context() -> FsContext {
    FsContext {
        root: vfs().root(),
        cwd: vfs().root(),
        umask: INIT_UMASK,
    }
}

/// Opens `path` for `caller`, substituting the device behind a device node
/// and a pipe behind a fifo.
pub fn open(caller: &Caller, path: &str, flags: OpenFlags, mode: u32) -> Result<Arc<OpenFile>> {
    let file = vfs().open(caller, path, flags, mode)?;
    attach_special(file, flags)
}

/// Gives an open file of a device node or fifo its real backend.
pub fn attach_special(file: Arc<OpenFile>, flags: OpenFlags) -> Result<Arc<OpenFile>> {
    if flags.contains(OpenFlags::PATH) {
        return Ok(file);
    }
    match file.inode().file_type() {
        FileType::CharDevice => {
            let rdev = file.inode().stat()?.rdev;
            let ops = devfs().device(rdev).ok_or(Errno::ENXIO)?;
            Ok(Arc::new(OpenFile::new(
                file.node().clone(),
                Some(ops),
                file.flags(),
            )))
        }
        FileType::BlockDevice => Err(Errno::ENXIO.into()),
        FileType::Fifo => crate::pipe::open_fifo(&file),
        _ => Ok(file),
    }
}

/// Runs `f` with the calling process's path context.
pub fn with_caller<T>(f: impl FnOnce(&Caller) -> Result<T>) -> Result<T> {
    let process = sched::current().process.clone();
    let (root, cwd, umask) = {
        let fs = process.fs.lock();
        (fs.root.clone(), fs.cwd.clone(), fs.umask)
    };
    let creds = process.creds.lock().clone();
    f(&Caller {
        root: &root,
        cwd: &cwd,
        creds: &creds,
        umask,
    })
}

/// Resolves `path` as the calling process would.
pub fn resolve_for_current(path: &str, follow: bool) -> Result<Arc<PathNode>> {
    with_caller(|caller| vfs().resolve(caller, path, follow))
}

/// Checks the calling process's access to an inode with `stat`.
pub fn check_access_current(stat: &Stat, want: Access) -> Result<()> {
    let creds = sched::current().process.creds.lock().clone();
    creds.check(stat, want)
}

/// The filesystem to mount for a `mount(2)` type name.
pub fn filesystem_for(fstype: &str) -> Result<Arc<dyn FileSystem>> {
    match fstype {
        "tmpfs" | "ramfs" => Ok(new_tmpfs()),
        "devtmpfs" => Ok(devfs().clone()),
        "proc" => Ok(PROCFS.get().ok_or(Errno::ENODEV)?.clone()),
        _ => Err(Error::with_reason(Errno::ENODEV, "unknown filesystem type")),
    }
}

/// `/proc/filesystems`.
pub const FILESYSTEMS: &[(&str, bool)] = &[
    ("tmpfs", true),
    ("ramfs", true),
    ("devtmpfs", true),
    ("proc", true),
];

/// The absolute path of `node` as the calling process sees it.
pub fn path_of(node: &PathNode) -> String {
    let root = sched::current().process.fs.lock().root.clone();
    node.path_from(&root)
}

/// The inode every pipe end shows through fstat and /proc/<pid>/fd.
struct PipeInode {
    ino: u64,
    dev: DeviceId,
}

impl vfs::Inode for PipeInode {
    fn stat(&self) -> Result<Stat> {
        let now = Timespec::from_nanos(platform::time::realtime_ns());
        Ok(Stat {
            dev: self.dev,
            ino: self.ino,
            mode: FileType::Fifo.mode_bits() | PIPE_MODE,
            nlink: 1,
            blksize: 4096,
            atime: now,
            mtime: now,
            ctime: now,
            ..Stat::default()
        })
    }

    fn file_type(&self) -> FileType {
        FileType::Fifo
    }

    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

const PIPE_MODE: u32 = 0o600;

static PIPE_MOUNT: Once<(Arc<vfs::mount::Mount>, DeviceId)> = Once::new();

/// A path node for pipe `ino`, named `pipe:[ino]` as Linux shows it.
pub fn pipe_node(ino: u64) -> Arc<PathNode> {
    let (mount, dev) = PIPE_MOUNT.call_once(|| {
        let fs = Tmpfs::new(clock());
        let dev = fs.dev();
        (vfs().kernel_mount(fs, "pipefs"), dev)
    });
    let inode: vfs::InodeRef = Arc::new(PipeInode { ino, dev: *dev });
    PathNode::anonymous(inode, mount.clone(), alloc::format!("pipe:[{ino}]"))
}
