//! Path syscalls: open, the `*at` family, stat, links, directories, mounts.

use alloc::string::String;
use alloc::sync::Arc;

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;
use vfs::cred::Access;
use vfs::mount::MountFlags;
use vfs::path::Caller;
use vfs::PathNode;
use vfs::TimeUpdate;
use vfs::{DeviceId, Errno, OpenFlags, RenameFlags, Result, Stat};

use super::fs::{file, install_file, LinuxStat};
use super::SysResult;
use crate::fs::{self as kfs, vfs};
use crate::task::sched;
use crate::user;

const AT_FDCWD: i32 = raw::AT_FDCWD;
/// `AT_FDCWD` as a 64-bit register carries it.
pub const AT_FDCWD_ARG: u64 = raw::AT_FDCWD as i64 as u64;

/// Runs `f` with a caller whose relative paths start at `dirfd`.
fn at<T>(dirfd: u64, path: &str, f: impl FnOnce(&Caller) -> Result<T>) -> Result<T> {
    let dirfd = dirfd as i32;
    if dirfd == AT_FDCWD || path.starts_with('/') {
        return kfs::with_caller(f);
    }
    let dir = file(dirfd as u32 as u64)?;
    if !dir.node().is_dir() {
        return Err(Errno::ENOTDIR.into());
    }
    let node = dir.node().clone();
    kfs::with_caller(|caller| f(&caller.at(&node)))
}

/// The node an `AT_EMPTY_PATH` call names: the fd itself.
fn empty_path_node(dirfd: u64) -> Result<Arc<PathNode>> {
    if dirfd as i32 == AT_FDCWD {
        return Ok(sched::current().process.fs.lock().cwd.clone());
    }
    Ok(file(dirfd as u32 as u64)?.node().clone())
}

/// The node `path` names from `dirfd`, or with an empty path the fd itself (the
/// caller checks AT_EMPTY_PATH).
pub fn resolve_at(dirfd: u64, path: &str, follow: bool) -> Result<Arc<PathNode>> {
    if path.is_empty() {
        return empty_path_node(dirfd);
    }
    at(dirfd, path, |caller| vfs().resolve(caller, path, follow))
}

fn path_arg(addr: u64) -> Result<String> {
    let path = user::read_path(addr)?;
    if path.is_empty() {
        return Err(Errno::ENOENT.into());
    }
    Ok(path)
}

pub fn sys_openat(dirfd: u64, path: u64, flags: u64, mode: u64) -> SysResult {
    let path = path_arg(path)?;
    let flags = OpenFlags::from_raw(flags as u32);
    let file = at(dirfd, &path, |caller| {
        kfs::open(caller, &path, flags, mode as u32)
    })?;
    install_file(file, flags)
}

pub fn sys_mkdirat(dirfd: u64, path: u64, mode: u64) -> SysResult {
    let path = path_arg(path)?;
    at(dirfd, &path, |caller| {
        vfs().mkdir(caller, &path, mode as u32)
    })?;
    Ok(0)
}

pub fn sys_mknodat(dirfd: u64, path: u64, mode: u64, dev: u64) -> SysResult {
    let path = path_arg(path)?;
    let rdev = DeviceId::decode(dev);
    at(dirfd, &path, |caller| {
        vfs().mknod(caller, &path, mode as u32, rdev)
    })?;
    Ok(0)
}

pub fn sys_unlinkat(dirfd: u64, path: u64, flags: u64) -> SysResult {
    let path = path_arg(path)?;
    let flags = flags as u32;
    if flags & !raw::AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL.into());
    }
    at(dirfd, &path, |caller| {
        if flags & raw::AT_REMOVEDIR != 0 {
            vfs().rmdir(caller, &path)
        } else {
            vfs().unlink(caller, &path)
        }
    })?;
    Ok(0)
}

pub fn sys_renameat2(old_dirfd: u64, old: u64, new_dirfd: u64, new: u64, flags: u64) -> SysResult {
    let (old, new) = (path_arg(old)?, path_arg(new)?);
    let flags = flags as u32;
    if flags & !(raw::RENAME_NOREPLACE | raw::RENAME_EXCHANGE) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let flags = RenameFlags {
        no_replace: flags & raw::RENAME_NOREPLACE != 0,
        exchange: flags & raw::RENAME_EXCHANGE != 0,
    };
    at(old_dirfd, &old, |from| {
        let from_cwd = from.cwd.clone();
        at(new_dirfd, &new, |to| {
            let from = Caller {
                cwd: &from_cwd,
                ..*to
            };
            vfs().rename(&from, &old, to, &new, flags)
        })
    })?;
    Ok(0)
}

pub fn sys_symlinkat(target: u64, dirfd: u64, path: u64) -> SysResult {
    let target = path_arg(target)?;
    let path = path_arg(path)?;
    at(dirfd, &path, |caller| vfs().symlink(caller, &target, &path))?;
    Ok(0)
}

pub fn sys_linkat(old_dirfd: u64, old: u64, new_dirfd: u64, new: u64, flags: u64) -> SysResult {
    let (old, new) = (path_arg(old)?, path_arg(new)?);
    let follow = flags as u32 & raw::AT_SYMLINK_FOLLOW != 0;
    at(old_dirfd, &old, |from| {
        let from_cwd = from.cwd.clone();
        at(new_dirfd, &new, |to| {
            let from = Caller {
                cwd: &from_cwd,
                ..*to
            };
            vfs().link(&from, &old, to, &new, follow)
        })
    })?;
    Ok(0)
}

pub fn sys_readlinkat(dirfd: u64, path: u64, buf: u64, len: u64) -> SysResult {
    let path = path_arg(path)?;
    let len = len as i64;
    if len <= 0 {
        return Err(Errno::EINVAL.into());
    }
    let target = at(dirfd, &path, |caller| vfs().readlink(caller, &path))?;
    let n = target.len().min(len as usize);
    user::write_bytes(buf, &target.as_bytes()[..n])?;
    Ok(n)
}

fn stat_at(dirfd: u64, path_addr: u64, flags: u32) -> Result<Stat> {
    let path = user::read_path(path_addr)?;
    if path.is_empty() {
        if flags & raw::AT_EMPTY_PATH != 0 {
            return empty_path_node(dirfd)?.inode().stat();
        }
        return Err(Errno::ENOENT.into());
    }
    let follow = flags & raw::AT_SYMLINK_NOFOLLOW == 0;
    at(dirfd, &path, |caller| vfs().stat(caller, &path, follow))
}

pub fn sys_newfstatat(dirfd: u64, path: u64, buf: u64, flags: u64) -> SysResult {
    let stat = stat_at(dirfd, path, flags as u32)?;
    user::write(buf, &LinuxStat::from_stat(&stat))?;
    Ok(0)
}

pub fn sys_stat(path: u64, buf: u64, follow: bool) -> SysResult {
    let flags = if follow { 0 } else { raw::AT_SYMLINK_NOFOLLOW };
    sys_newfstatat(AT_FDCWD_ARG, path, buf, flags as u64)
}

#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct StatxTimestamp {
    sec: i64,
    nsec: u32,
    reserved: i32,
}

/// `struct statx`.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct Statx {
    mask: u32,
    blksize: u32,
    attributes: u64,
    nlink: u32,
    uid: u32,
    gid: u32,
    mode: u16,
    spare0: u16,
    ino: u64,
    size: u64,
    blocks: u64,
    attributes_mask: u64,
    atime: StatxTimestamp,
    btime: StatxTimestamp,
    ctime: StatxTimestamp,
    mtime: StatxTimestamp,
    rdev_major: u32,
    rdev_minor: u32,
    dev_major: u32,
    dev_minor: u32,
    mnt_id: u64,
    dio_mem_align: u32,
    dio_offset_align: u32,
    spare3: [u64; 12],
}

fn timestamp(time: vfs::Timespec) -> StatxTimestamp {
    StatxTimestamp {
        sec: time.sec,
        nsec: time.nsec,
        reserved: 0,
    }
}

pub fn sys_statx(dirfd: u64, path: u64, flags: u64, _mask: u64, buf: u64) -> SysResult {
    let stat = stat_at(dirfd, path, flags as u32)?;
    let statx = Statx {
        mask: raw::STATX_BASIC_STATS | raw::STATX_BTIME,
        blksize: stat.blksize,
        nlink: stat.nlink,
        uid: stat.uid,
        gid: stat.gid,
        mode: stat.mode as u16,
        ino: stat.ino,
        size: stat.size,
        blocks: stat.blocks,
        atime: timestamp(stat.atime),
        btime: timestamp(stat.btime),
        ctime: timestamp(stat.ctime),
        mtime: timestamp(stat.mtime),
        rdev_major: stat.rdev.major,
        rdev_minor: stat.rdev.minor,
        dev_major: stat.dev.major,
        dev_minor: stat.dev.minor,
        ..Statx::default()
    };
    user::write(buf, &statx)?;
    Ok(0)
}

pub fn sys_faccessat2(dirfd: u64, path: u64, mode: u64, flags: u64) -> SysResult {
    let path = path_arg(path)?;
    let mode = mode as u32;
    if mode & !(raw::R_OK | raw::W_OK | raw::X_OK) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let mut want = Access::empty();
    want.set(Access::READ, mode & raw::R_OK != 0);
    want.set(Access::WRITE, mode & raw::W_OK != 0);
    want.set(Access::EXEC, mode & raw::X_OK != 0);
    let follow = flags as u32 & raw::AT_SYMLINK_NOFOLLOW == 0;
    at(dirfd, &path, |caller| {
        vfs().access(caller, &path, want, follow)
    })?;
    Ok(0)
}

pub fn sys_fchmodat(dirfd: u64, path: u64, mode: u64) -> SysResult {
    let path = path_arg(path)?;
    at(dirfd, &path, |caller| {
        vfs().chmod(caller, &path, mode as u32, true)
    })?;
    Ok(0)
}

pub fn sys_fchmod(fd: u64, mode: u64) -> SysResult {
    let file = file(fd)?;
    let creds = sched::current().process.creds.lock().clone();
    vfs().chmod_node(&creds, file.node(), mode as u32)?;
    Ok(0)
}

fn owner_arg(value: u64) -> Option<u32> {
    (value as u32 != u32::MAX).then_some(value as u32)
}

pub fn sys_fchownat(dirfd: u64, path: u64, uid: u64, gid: u64, flags: u64) -> SysResult {
    let flags = flags as u32;
    let (uid, gid) = (owner_arg(uid), owner_arg(gid));
    let creds = sched::current().process.creds.lock().clone();
    let raw_path = user::read_path(path)?;
    if raw_path.is_empty() && flags & raw::AT_EMPTY_PATH != 0 {
        vfs().chown_node(&creds, &*empty_path_node(dirfd)?, uid, gid)?;
        return Ok(0);
    }
    let path = path_arg(path)?;
    let follow = flags & raw::AT_SYMLINK_NOFOLLOW == 0;
    at(dirfd, &path, |caller| {
        vfs().chown(caller, &path, uid, gid, follow)
    })?;
    Ok(0)
}

pub fn sys_fchown(fd: u64, uid: u64, gid: u64) -> SysResult {
    let file = file(fd)?;
    let creds = sched::current().process.creds.lock().clone();
    vfs().chown_node(&creds, file.node(), owner_arg(uid), owner_arg(gid))?;
    Ok(0)
}

pub fn sys_utimensat(dirfd: u64, path: u64, times: u64, flags: u64) -> SysResult {
    let (atime, mtime) = if times == 0 {
        (TimeUpdate::Now, TimeUpdate::Now)
    } else {
        let spec: [i64; 4] = user::read(times)?;
        (
            TimeUpdate::from_timespec(spec[0], spec[1])?,
            TimeUpdate::from_timespec(spec[2], spec[3])?,
        )
    };
    let creds = sched::current().process.creds.lock().clone();
    if path == 0 {
        vfs().utimens_node(&creds, &*empty_path_node(dirfd)?, atime, mtime)?;
        return Ok(0);
    }
    let path = path_arg(path)?;
    let follow = flags as u32 & raw::AT_SYMLINK_NOFOLLOW == 0;
    at(dirfd, &path, |caller| {
        vfs().utimens(caller, &path, atime, mtime, follow)
    })?;
    Ok(0)
}

pub fn sys_truncate(path: u64, len: u64) -> SysResult {
    let path = path_arg(path)?;
    if (len as i64) < 0 {
        return Err(Errno::EINVAL.into());
    }
    kfs::with_caller(|caller| vfs().truncate(caller, &path, len))?;
    Ok(0)
}

pub fn sys_chdir(path: u64) -> SysResult {
    let path = path_arg(path)?;
    let node = kfs::with_caller(|caller| vfs().chdir(caller, &path))?;
    sched::current().process.fs.lock().cwd = node;
    Ok(0)
}

pub fn sys_fchdir(fd: u64) -> SysResult {
    let node = file(fd)?.node().clone();
    if !node.is_dir() {
        return Err(Errno::ENOTDIR.into());
    }
    sched::current().process.fs.lock().cwd = node;
    Ok(0)
}

pub fn sys_chroot(path: u64) -> SysResult {
    let path = path_arg(path)?;
    let node = kfs::with_caller(|caller| vfs().chroot(caller, &path))?;
    sched::current().process.fs.lock().root = node;
    Ok(0)
}

pub fn sys_getcwd(buf: u64, len: u64) -> SysResult {
    let cwd = kfs::with_caller(|caller| vfs().getcwd(caller))?;
    let needed = cwd.len() + 1;
    if (len as usize) < needed {
        return Err(Errno::ERANGE.into());
    }
    user::write_bytes(buf, cwd.as_bytes())?;
    user::write(buf + cwd.len() as u64, &0u8)?;
    Ok(needed)
}

pub fn sys_umask(mask: u64) -> SysResult {
    let process = sched::current().process.clone();
    let mut fs = process.fs.lock();
    let old = fs.umask;
    fs.umask = mask as u32 & 0o777;
    Ok(old as usize)
}

/// `struct statfs` of x86_64.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct LinuxStatFs {
    fs_type: i64,
    bsize: i64,
    blocks: u64,
    bfree: u64,
    bavail: u64,
    files: u64,
    ffree: u64,
    fsid: [i32; 2],
    namelen: i64,
    frsize: i64,
    flags: i64,
    spare: [i64; 4],
}

fn write_statfs(buf: u64, s: vfs::StatFs) -> SysResult {
    let out = LinuxStatFs {
        fs_type: s.fs_type as i64,
        bsize: s.block_size as i64,
        blocks: s.blocks,
        bfree: s.blocks_free,
        bavail: s.blocks_available,
        files: s.files,
        ffree: s.files_free,
        fsid: [0; 2],
        namelen: s.name_max as i64,
        frsize: s.fragment_size as i64,
        flags: s.flags as i64,
        spare: [0; 4],
    };
    user::write(buf, &out)?;
    Ok(0)
}

pub fn sys_statfs(path: u64, buf: u64) -> SysResult {
    let path = path_arg(path)?;
    let stats = kfs::with_caller(|caller| vfs().statfs(caller, &path))?;
    write_statfs(buf, stats)
}

pub fn sys_fstatfs(fd: u64, buf: u64) -> SysResult {
    let stats = vfs().statfs_node(file(fd)?.node())?;
    write_statfs(buf, stats)
}

pub fn sys_mount(source: u64, target: u64, fstype: u64, flags: u64, _data: u64) -> SysResult {
    let target = path_arg(target)?;
    let flags = flags as u32;
    let source = if source == 0 {
        String::from("none")
    } else {
        user::read_path(source)?
    };
    let mut mount_flags = MountFlags::from_bits_truncate(flags);
    // As on Linux, relatime unless noatime or strictatime is asked for.
    if !mount_flags.intersects(MountFlags::NOATIME | MountFlags::STRICTATIME) {
        mount_flags |= MountFlags::RELATIME;
    }
    mount_flags.remove(MountFlags::STRICTATIME);
    if flags & raw::MS_BIND != 0 {
        kfs::with_caller(|caller| vfs().bind_mount(caller, &source, &target, mount_flags))?;
        return Ok(0);
    }
    if flags & (raw::MS_REMOUNT | raw::MS_MOVE) != 0 {
        // TODO: remounting and moving mounts are not supported.
        return Err(Errno::EINVAL.into());
    }
    let fstype = user::read_path(fstype)?;
    let fs = kfs::filesystem_for(&fstype)?;
    kfs::with_caller(|caller| vfs().mount(caller, &target, fs, &source, mount_flags))?;
    Ok(0)
}

pub fn sys_umount2(target: u64, flags: u64) -> SysResult {
    const MNT_FORCE: u64 = 1;
    const MNT_DETACH: u64 = 2;
    const MNT_EXPIRE: u64 = 4;
    const UMOUNT_NOFOLLOW: u64 = 8;
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0
        || (flags & MNT_EXPIRE != 0 && flags & (MNT_FORCE | MNT_DETACH) != 0)
    {
        return Err(Errno::EINVAL.into());
    }
    let target = path_arg(target)?;
    if flags & MNT_EXPIRE != 0 {
        // TODO: expiry marks; the first MNT_EXPIRE only marks, as here.
        return Err(Errno::EAGAIN.into());
    }
    // MNT_FORCE only matters to network filesystems.
    let detach = flags & MNT_DETACH != 0;
    let follow = flags & UMOUNT_NOFOLLOW == 0;
    kfs::with_caller(|caller| vfs().unmount_with(caller, &target, detach, follow))?;
    Ok(0)
}
