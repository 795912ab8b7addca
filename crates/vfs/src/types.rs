//! Plain data the VFS passes around: file types, modes, times, `Stat`, directory entries.

use alloc::string::String;

use bitflags::bitflags;
use linux_raw_sys::general as raw;

/// The kind of an inode, as `S_IFMT` and `d_type` encode it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    /// The `S_IFMT` bits of `st_mode`.
    pub const fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => raw::S_IFREG,
            FileType::Directory => raw::S_IFDIR,
            FileType::Symlink => raw::S_IFLNK,
            FileType::CharDevice => raw::S_IFCHR,
            FileType::BlockDevice => raw::S_IFBLK,
            FileType::Fifo => raw::S_IFIFO,
            FileType::Socket => raw::S_IFSOCK,
        }
    }

    /// Decodes the `S_IFMT` bits of a mode; `None` for an invalid type.
    pub const fn from_mode(mode: u32) -> Option<FileType> {
        match mode & raw::S_IFMT {
            raw::S_IFREG => Some(FileType::Regular),
            raw::S_IFDIR => Some(FileType::Directory),
            raw::S_IFLNK => Some(FileType::Symlink),
            raw::S_IFCHR => Some(FileType::CharDevice),
            raw::S_IFBLK => Some(FileType::BlockDevice),
            raw::S_IFIFO => Some(FileType::Fifo),
            raw::S_IFSOCK => Some(FileType::Socket),
            _ => None,
        }
    }

    /// The `d_type` byte getdents64 reports.
    pub const fn dirent_type(self) -> u8 {
        (match self {
            FileType::Regular => raw::DT_REG,
            FileType::Directory => raw::DT_DIR,
            FileType::Symlink => raw::DT_LNK,
            FileType::CharDevice => raw::DT_CHR,
            FileType::BlockDevice => raw::DT_BLK,
            FileType::Fifo => raw::DT_FIFO,
            FileType::Socket => raw::DT_SOCK,
        }) as u8
    }

    pub const fn is_dir(self) -> bool {
        matches!(self, FileType::Directory)
    }
}

/// The permission part of a mode (`0o7777`: rwx for user, group, other, plus
/// setuid, setgid and sticky).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Permissions(u16);

impl Permissions {
    pub const MASK: u32 = 0o7777;

    pub const fn new(bits: u32) -> Permissions {
        Permissions((bits & Self::MASK) as u16)
    }

    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    /// These permissions with the bits of `umask` cleared.
    pub const fn with_umask(self, umask: u32) -> Permissions {
        Permissions::new(self.bits() & !umask)
    }
}

/// A device number, split as Linux splits it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeviceId {
    pub major: u32,
    pub minor: u32,
}

impl DeviceId {
    pub const fn new(major: u32, minor: u32) -> DeviceId {
        DeviceId { major, minor }
    }

    /// The glibc/Linux `makedev` encoding used in `st_dev` and `st_rdev`.
    pub const fn encode(self) -> u64 {
        let major = self.major as u64;
        let minor = self.minor as u64;
        ((major & 0xffff_f000) << 32)
            | ((major & 0xfff) << 8)
            | ((minor & 0xffff_ff00) << 12)
            | (minor & 0xff)
    }

    /// Inverse of [`DeviceId::encode`].
    pub const fn decode(dev: u64) -> DeviceId {
        let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff);
        let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0xff);
        DeviceId {
            major: major as u32,
            minor: minor as u32,
        }
    }
}

/// A point in time or a duration, as `struct timespec`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    pub const ZERO: Timespec = Timespec { sec: 0, nsec: 0 };

    pub const fn from_nanos(nanos: u64) -> Timespec {
        Timespec {
            sec: (nanos / 1_000_000_000) as i64,
            nsec: (nanos % 1_000_000_000) as u32,
        }
    }
}

/// Everything `stat` and `statx` report about an inode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// Device of the filesystem holding the inode (`st_dev`).
    pub dev: DeviceId,
    pub ino: u64,
    /// Type and permission bits, as `st_mode`.
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    /// Device this inode stands for, for device nodes (`st_rdev`).
    pub rdev: DeviceId,
    pub size: u64,
    pub blksize: u32,
    /// Size in 512-byte blocks actually allocated.
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    pub btime: Timespec,
}

impl Stat {
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode)
    }
}

/// One directory entry as readdir yields it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    pub file_type: FileType,
    pub name: String,
    /// The cookie that resumes the listing just after this entry. A reader
    /// that consumed this entry stores it as the directory's file position.
    pub next_cookie: u64,
}

/// Filesystem-wide figures for `statfs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    /// The filesystem magic (`TMPFS_MAGIC`, `PROC_SUPER_MAGIC`, ...).
    pub fs_type: u64,
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_available: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u64,
    pub fragment_size: u64,
    pub flags: u64,
}

bitflags! {
    /// Readiness bits as `poll` reports them.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct PollEvents: u16 {
        const IN = raw::POLLIN as u16;
        const PRI = raw::POLLPRI as u16;
        const OUT = raw::POLLOUT as u16;
        const ERR = raw::POLLERR as u16;
        const HUP = raw::POLLHUP as u16;
        const NVAL = raw::POLLNVAL as u16;
        const RDNORM = raw::POLLRDNORM as u16;
        const WRNORM = raw::POLLWRNORM as u16;
    }
}

bitflags! {
    /// The `open(2)` flags the VFS understands. Access mode lives in the low two
    /// bits (`O_RDONLY`, `O_WRONLY`, `O_RDWR`); see [`OpenFlags::can_read`].
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct OpenFlags: u32 {
        const WRONLY = raw::O_WRONLY;
        const RDWR = raw::O_RDWR;
        const CREAT = raw::O_CREAT;
        const EXCL = raw::O_EXCL;
        const NOCTTY = raw::O_NOCTTY;
        const TRUNC = raw::O_TRUNC;
        const APPEND = raw::O_APPEND;
        const NONBLOCK = raw::O_NONBLOCK;
        const DSYNC = raw::O_DSYNC;
        const ASYNC = raw::FASYNC;
        const DIRECT = raw::O_DIRECT;
        const LARGEFILE = raw::O_LARGEFILE;
        const DIRECTORY = raw::O_DIRECTORY;
        const NOFOLLOW = raw::O_NOFOLLOW;
        const NOATIME = raw::O_NOATIME;
        const CLOEXEC = raw::O_CLOEXEC;
        const SYNC = raw::O_SYNC;
        const PATH = raw::O_PATH;
        const TMPFILE = raw::O_TMPFILE;
    }
}

impl OpenFlags {
    const ACCESS_MODE: u32 = raw::O_ACCMODE;

    /// The flags with unknown bits dropped, as Linux ignores them.
    pub const fn from_raw(bits: u32) -> OpenFlags {
        OpenFlags::from_bits_truncate(bits)
    }

    pub const fn can_read(self) -> bool {
        let mode = self.bits() & Self::ACCESS_MODE;
        !self.contains(OpenFlags::PATH) && (mode == raw::O_RDONLY || mode == raw::O_RDWR)
    }

    pub const fn can_write(self) -> bool {
        let mode = self.bits() & Self::ACCESS_MODE;
        !self.contains(OpenFlags::PATH) && (mode == raw::O_WRONLY || mode == raw::O_RDWR)
    }
}
