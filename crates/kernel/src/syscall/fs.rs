//! File descriptor syscalls: read, write, seek, dup, fcntl, pipes, ioctl,
//! stat of open files, directory listing, poll and select.

use alloc::sync::Arc;
use alloc::vec::Vec;

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;
use process::signal::{SigInfo, SIGPIPE};
use vfs::file::OpenFile;
use vfs::{Errno, OpenFlags, PollEvents, Result, Stat};

use super::{fd_arg, SysResult};
use crate::task::sched;
use crate::{io, pipe, user};

/// The largest chunk moved through a kernel buffer in one step.
const IO_CHUNK: usize = 64 * 1024;

/// The open file behind `fd` in the calling process.
pub fn file(fd: u64) -> Result<Arc<OpenFile>> {
    let fd = fd_arg(fd)?;
    sched::current().process.files.lock().get(fd as i32)
}

fn install(file: Arc<OpenFile>, close_on_exec: bool) -> SysResult {
    let fd = sched::current()
        .process
        .files
        .lock()
        .insert(file, close_on_exec)?;
    Ok(fd as usize)
}

/// Installs a new open file as the lowest free fd.
pub fn install_file(file: Arc<OpenFile>, flags: OpenFlags) -> SysResult {
    install(file, flags.contains(OpenFlags::CLOEXEC))
}

fn read_file(file: &OpenFile, buf: &mut [u8], offset: Option<i64>) -> Result<usize> {
    // A terminal read that VMIN or VTIME would hold inside the line
    // discipline: O_NONBLOCK takes what is there now instead.
    if offset.is_none() && file.is_nonblocking() {
        if let Some(result) = crate::tty::read_nonblocking(file, buf) {
            return result;
        }
    }
    io::blocking(file, PollEvents::IN, || match offset {
        Some(offset) => file.pread(buf, offset),
        None => file.read(buf),
    })
}

fn write_file(file: &OpenFile, data: &[u8], offset: Option<i64>) -> Result<usize> {
    let result = io::blocking(file, PollEvents::OUT, || match offset {
        Some(offset) => file.pwrite(data, offset),
        None => file.write(data),
    });
    if result.as_ref().is_err_and(|err| err.errno == Errno::EPIPE) {
        let info = SigInfo {
            signo: SIGPIPE.number(),
            ..SigInfo::default()
        };
        crate::signal::send_to_thread(&sched::current(), SIGPIPE, info);
    }
    result
}

/// EINVAL when a transfer of `len` bytes at `offset` would run past the
/// largest file offset, as Linux checks before any positioned I/O.
fn check_span(offset: Option<i64>, len: usize) -> Result<()> {
    match offset {
        Some(offset) if offset < 0 || offset.checked_add(len as i64).is_none() => {
            Err(Errno::EINVAL.into())
        }
        _ => Ok(()),
    }
}

/// Transfers of at most this many bytes go through a buffer on the kernel
/// stack instead of one from the heap.
const STACK_IO: usize = 256;

/// Runs `transfer` with a bounce buffer for a transfer of `len` bytes: one on
/// the kernel stack when it is small, else one from the heap of at most
/// `IO_CHUNK` bytes, which `transfer` fills chunk by chunk.
fn with_buffer(len: usize, transfer: impl FnOnce(&mut [u8]) -> SysResult) -> SysResult {
    if len <= STACK_IO {
        let mut buf = [0u8; STACK_IO];
        return transfer(&mut buf);
    }
    transfer(&mut user::buffer(len.min(IO_CHUNK))?)
}

/// What Linux's `vfs_read` and `vfs_write` check before anything else: EBADF
/// for a file not open in that direction, then EFAULT for a buffer that is
/// not wholly in user space, whatever the file. Returns the length.
fn check_transfer(allowed: bool, addr: u64, len: u64) -> Result<usize> {
    if !allowed {
        return Err(Errno::EBADF.into());
    }
    user::check_access(addr, len)
}

/// Reads into user memory at `addr`, chunk by chunk; stops at a short read.
fn read_to_user(file: &OpenFile, addr: u64, len: u64, offset: Option<i64>) -> SysResult {
    let len = check_transfer(file.flags().can_read(), addr, len)?;
    check_span(offset, len)?;
    with_buffer(len, |buf| read_chunks(file, addr, len, offset, buf))
}

fn read_chunks(
    file: &OpenFile,
    addr: u64,
    len: usize,
    offset: Option<i64>,
    buf: &mut [u8],
) -> SysResult {
    let mut done = 0;
    while done < len {
        let want = (len - done).min(buf.len());
        let at = offset.map(|o| o + done as i64);
        let got = match read_file(file, &mut buf[..want], at) {
            Ok(got) => got,
            Err(_) if done > 0 => break,
            Err(err) => return Err(err),
        };
        if let Err(err) = user::write_bytes(addr + done as u64, &buf[..got]) {
            // Bytes that never reached the caller were not read: give the
            // position back, as a read that faults leaves it on Linux.
            if offset.is_none() && file.is_seekable() {
                let _ = file.seek(-(got as i64), raw::SEEK_CUR);
            }
            if done > 0 {
                break;
            }
            return Err(err);
        }
        done += got;
        if got < want {
            break;
        }
    }
    Ok(done)
}

fn write_from_user(file: &OpenFile, addr: u64, len: u64, offset: Option<i64>) -> SysResult {
    let len = check_transfer(file.flags().can_write(), addr, len)?;
    check_span(offset, len)?;
    with_buffer(len, |buf| write_chunks(file, addr, len, offset, buf))
}

fn write_chunks(
    file: &OpenFile,
    addr: u64,
    len: usize,
    offset: Option<i64>,
    buf: &mut [u8],
) -> SysResult {
    let mut done = 0;
    while done < len {
        let want = (len - done).min(buf.len());
        user::read_into(addr + done as u64, &mut buf[..want])?;
        let at = offset.map(|o| o + done as i64);
        let wrote = match write_file(file, &buf[..want], at) {
            Ok(wrote) => wrote,
            Err(_) if done > 0 => break,
            Err(err) => return Err(err),
        };
        done += wrote;
        if wrote < want {
            break;
        }
    }
    Ok(done)
}

fn check_len(len: u64) -> Result<usize> {
    usize::try_from(len)
        .ok()
        .filter(|&len| len <= isize::MAX as usize)
        .ok_or(Errno::EINVAL.into())
}

pub fn sys_read(fd: u64, addr: u64, len: u64) -> SysResult {
    read_to_user(&*file(fd)?, addr, len, None)
}

pub fn sys_write(fd: u64, addr: u64, len: u64) -> SysResult {
    write_from_user(&*file(fd)?, addr, len, None)
}

pub fn sys_pread64(fd: u64, addr: u64, len: u64, offset: u64) -> SysResult {
    let offset = offset as i64;
    if offset < 0 {
        return Err(Errno::EINVAL.into());
    }
    read_to_user(&*file(fd)?, addr, len, Some(offset))
}

pub fn sys_pwrite64(fd: u64, addr: u64, len: u64, offset: u64) -> SysResult {
    let offset = offset as i64;
    if offset < 0 {
        return Err(Errno::EINVAL.into());
    }
    write_from_user(&*file(fd)?, addr, len, Some(offset))
}

/// The iovecs of a readv/writev, with the span they cover checked at `offset`.
fn iovecs_at(iov: u64, count: u64, offset: Option<i64>) -> Result<Vec<user::IoVec>> {
    let count = usize::try_from(count).map_err(|_| Errno::EINVAL)?;
    let iovecs = user::read_iovecs(iov, count)?;
    // read_iovecs keeps the total within isize::MAX.
    let total: u64 = iovecs.iter().map(|vec| vec.len).sum();
    check_span(offset, total as usize)?;
    Ok(iovecs)
}

pub fn sys_readv(fd: u64, iov: u64, count: u64, offset: Option<i64>) -> SysResult {
    let file = file(fd)?;
    let mut total = 0;
    for vec in iovecs_at(iov, count, offset)? {
        let at = offset.map(|o| o + total as i64);
        let got = read_to_user(&file, vec.base, vec.len, at)?;
        total += got;
        if got < vec.len as usize {
            break;
        }
    }
    Ok(total)
}

pub fn sys_writev(fd: u64, iov: u64, count: u64, offset: Option<i64>) -> SysResult {
    let file = file(fd)?;
    let mut total = 0;
    for vec in iovecs_at(iov, count, offset)? {
        let at = offset.map(|o| o + total as i64);
        let wrote = write_from_user(&file, vec.base, vec.len, at)?;
        total += wrote;
        if wrote < vec.len as usize {
            break;
        }
    }
    Ok(total)
}

/// sendfile: copies from `in_fd` (at `*offset` when given) to `out_fd`
/// through a kernel buffer.
pub fn sys_sendfile(out_fd: u64, in_fd: u64, offset_addr: u64, count: u64) -> SysResult {
    let (output, input) = (file(out_fd)?, file(in_fd)?);
    let count = check_len(count)?;
    let mut offset = if offset_addr == 0 {
        None
    } else {
        let start: i64 = user::read(offset_addr)?;
        if start < 0 {
            return Err(Errno::EINVAL.into());
        }
        Some(start)
    };
    check_span(offset, count)?;
    let mut buf = user::buffer(count.min(IO_CHUNK))?;
    let mut done = 0;
    while done < count {
        let want = (count - done).min(buf.len());
        let got = match read_file(&input, &mut buf[..want], offset) {
            Ok(0) => break,
            Ok(got) => got,
            Err(_) if done > 0 => break,
            Err(err) => return Err(err),
        };
        let wrote = match write_file(&output, &buf[..got], None) {
            Ok(wrote) => wrote,
            Err(_) if done > 0 => break,
            Err(err) => return Err(err),
        };
        done += wrote;
        offset = offset.map(|o| o + wrote as i64);
        if wrote < got {
            // Give back what was read but not written, as Linux's sendfile
            // leaves the input position after the bytes it sent.
            if offset.is_none() && input.is_seekable() {
                let _ = input.seek(wrote as i64 - got as i64, raw::SEEK_CUR);
            }
            break;
        }
    }
    if let (Some(end), true) = (offset, offset_addr != 0) {
        user::write(offset_addr, &end)?;
    }
    Ok(done)
}

pub fn sys_lseek(fd: u64, offset: u64, whence: u64) -> SysResult {
    Ok(file(fd)?.seek(offset as i64, whence as u32)? as usize)
}

pub fn sys_close(fd: u64) -> SysResult {
    let fd = fd_arg(fd)?;
    let closed = sched::current().process.files.lock().close(fd as i32)?;
    drop(closed);
    Ok(0)
}

pub fn sys_close_range(first: u64, last: u64, flags: u64) -> SysResult {
    let closed = sched::current().process.files.lock().close_range(
        first as u32,
        last as u32,
        flags as u32,
    )?;
    drop(closed);
    Ok(0)
}

pub fn sys_dup(fd: u64) -> SysResult {
    let fd = fd_arg(fd)?;
    Ok(sched::current().process.files.lock().dup(fd as i32)? as usize)
}

pub fn sys_dup2(old: u64, new: u64) -> SysResult {
    let (old, new) = (fd_arg(old)?, fd_arg(new)?);
    let (fd, replaced) = sched::current()
        .process
        .files
        .lock()
        .dup2(old as i32, new as i32)?;
    drop(replaced);
    Ok(fd as usize)
}

pub fn sys_dup3(old: u64, new: u64, flags: u64) -> SysResult {
    let (old, new) = (fd_arg(old)?, fd_arg(new)?);
    let (fd, replaced) = sched::current().process.files.lock().dup3(
        old as i32,
        new as i32,
        OpenFlags::from_raw(flags as u32),
    )?;
    drop(replaced);
    Ok(fd as usize)
}

pub fn sys_fcntl(fd: u64, cmd: u64, arg: u64) -> SysResult {
    let fd = fd_arg(fd)?;
    match cmd as u32 {
        raw::F_GETLK | raw::F_SETLK | raw::F_SETLKW => {
            // TODO: POSIX record locks are not kept; F_GETLK reports no lock
            // would be wrong, so lock requests fail honestly.
            Err(Errno::ENOLCK.into())
        }
        cmd => Ok(sched::current()
            .process
            .files
            .lock()
            .fcntl(fd as i32, cmd, arg as usize)?),
    }
}

pub fn sys_pipe2(fds_addr: u64, flags: u64) -> SysResult {
    let flags = OpenFlags::from_raw(flags as u32);
    let allowed = OpenFlags::CLOEXEC | OpenFlags::NONBLOCK | OpenFlags::DIRECT;
    if !allowed.contains(flags) {
        return Err(Errno::EINVAL.into());
    }
    let (reader, writer) = pipe::new_pipe();
    let node = crate::fs::pipe_node(reader.0.ino);
    let status = flags & OpenFlags::NONBLOCK;
    let read_end = Arc::new(OpenFile::new(node.clone(), Some(reader), status));
    let write_end = Arc::new(OpenFile::new(
        node,
        Some(writer),
        status | OpenFlags::WRONLY,
    ));
    let cloexec = flags.contains(OpenFlags::CLOEXEC);
    let process = sched::current().process.clone();
    let (read_fd, write_fd) = {
        let mut files = process.files.lock();
        let read_fd = files.insert(read_end, cloexec)?;
        match files.insert(write_end, cloexec) {
            Ok(write_fd) => (read_fd, write_fd),
            Err(err) => {
                let _ = files.close(read_fd);
                return Err(err);
            }
        }
    };
    if let Err(err) = user::write(fds_addr, &[read_fd, write_fd]) {
        let mut files = process.files.lock();
        let _ = files.close(read_fd);
        let _ = files.close(write_fd);
        return Err(err);
    }
    Ok(0)
}

pub fn sys_ioctl(fd: u64, cmd: u64, arg: u64) -> SysResult {
    let file = file(fd)?;
    match cmd as u32 {
        linux_raw_sys::ioctl::FIONBIO => {
            let on: i32 = user::read(arg)?;
            let mut flags = file.flags();
            flags.set(OpenFlags::NONBLOCK, on != 0);
            file.set_status_flags(flags);
            Ok(0)
        }
        linux_raw_sys::ioctl::FIOCLEX | linux_raw_sys::ioctl::FIONCLEX => {
            let fd = fd_arg(fd)? as i32;
            let on = cmd as u32 == linux_raw_sys::ioctl::FIOCLEX;
            sched::current()
                .process
                .files
                .lock()
                .set_close_on_exec(fd, on)?;
            Ok(0)
        }
        cmd => file.ioctl(cmd, arg as usize),
    }
}

/// `struct stat` of x86_64.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
pub struct LinuxStat {
    dev: u64,
    ino: u64,
    nlink: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    pad0: u32,
    rdev: u64,
    size: i64,
    blksize: i64,
    blocks: i64,
    atime: i64,
    atime_nsec: i64,
    mtime: i64,
    mtime_nsec: i64,
    ctime: i64,
    ctime_nsec: i64,
    unused: [i64; 3],
}

impl LinuxStat {
    pub fn from_stat(stat: &Stat) -> LinuxStat {
        LinuxStat {
            dev: stat.dev.encode(),
            ino: stat.ino,
            nlink: stat.nlink as u64,
            mode: stat.mode,
            uid: stat.uid,
            gid: stat.gid,
            pad0: 0,
            rdev: stat.rdev.encode(),
            size: stat.size as i64,
            blksize: stat.blksize as i64,
            blocks: stat.blocks as i64,
            atime: stat.atime.sec,
            atime_nsec: stat.atime.nsec as i64,
            mtime: stat.mtime.sec,
            mtime_nsec: stat.mtime.nsec as i64,
            ctime: stat.ctime.sec,
            ctime_nsec: stat.ctime.nsec as i64,
            unused: [0; 3],
        }
    }
}

pub fn sys_fstat(fd: u64, addr: u64) -> SysResult {
    let stat = file(fd)?.stat()?;
    user::write(addr, &LinuxStat::from_stat(&stat))?;
    Ok(0)
}

pub fn sys_getdents64(fd: u64, addr: u64, len: u64) -> SysResult {
    let file = file(fd)?;
    let len = (len as usize).min(IO_CHUNK);
    let mut buf = user::buffer(len)?;
    let cookie = file.position();
    let written = file.getdents64(&mut buf)?;
    if let Err(err) = user::write_bytes(addr, &buf[..written]) {
        // The entries never reached the caller: list them again next time.
        let _ = file.seek(cookie as i64, raw::SEEK_SET);
        return Err(err);
    }
    Ok(written)
}

pub fn sys_ftruncate(fd: u64, len: u64) -> SysResult {
    let len = len as i64;
    if len < 0 {
        return Err(Errno::EINVAL.into());
    }
    file(fd)?.truncate(len as u64)?;
    Ok(0)
}

pub fn sys_fsync(fd: u64) -> SysResult {
    file(fd)?.sync()?;
    Ok(0)
}

/// `struct pollfd`.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

/// The most fds one poll may watch (RLIMIT_NOFILE's hard default).
const POLL_MAX: usize = 4096;

/// poll/ppoll: `timeout_ns` None waits forever.
pub fn do_poll(addr: u64, count: u64, timeout_ns: Option<u64>) -> SysResult {
    let count = count as usize;
    if count > POLL_MAX {
        return Err(Errno::EINVAL.into());
    }
    let mut fds = alloc::vec![PollFd::default(); count];
    user::read_into(addr, bytemuck::cast_slice_mut(&mut fds))?;
    let files: Vec<Option<Arc<OpenFile>>> = fds
        .iter()
        .map(|p| {
            if p.fd < 0 {
                None
            } else {
                file(p.fd as u64).ok()
            }
        })
        .collect();

    let deadline = timeout_ns.map(|ns| platform::time::monotonic_ns().saturating_add(ns));
    let scan = |fds: &mut [PollFd]| -> usize {
        let mut ready = 0;
        for (pollfd, file) in fds.iter_mut().zip(&files) {
            pollfd.revents = 0;
            if pollfd.fd < 0 {
                continue;
            }
            let revents = match file {
                Some(file) => {
                    let wanted = PollEvents::from_bits_truncate(pollfd.events as u16)
                        | PollEvents::ERR
                        | PollEvents::HUP;
                    file.poll() & wanted
                }
                None => PollEvents::NVAL,
            };
            pollfd.revents = revents.bits() as i16;
            if !revents.is_empty() {
                ready += 1;
            }
        }
        ready
    };
    let result = sched::wait_until(Some(io::wait_queue()), deadline, true, || {
        let ready = scan(&mut fds);
        (ready > 0 || timeout_ns == Some(0)).then_some(ready)
    });
    let ready = match result {
        Ok(ready) => ready,
        Err(sched::Interrupted::TimedOut) => scan(&mut fds),
        Err(sched::Interrupted::Signal) => return Err(crate::signal::ERESTARTNOHAND.into()),
    };
    user::write_bytes(addr, bytemuck::cast_slice(&fds))?;
    Ok(ready)
}

/// select/pselect6 over fd_set bitmaps.
pub fn do_select(
    nfds: u64,
    read: u64,
    write: u64,
    except: u64,
    timeout_ns: Option<u64>,
) -> SysResult {
    let nfds = nfds as usize;
    if nfds > POLL_MAX {
        return Err(Errno::EINVAL.into());
    }
    let words = nfds.div_ceil(64);
    let load = |addr: u64| -> Result<Vec<u64>> {
        let mut set = alloc::vec![0u64; words];
        if addr != 0 && words > 0 {
            user::read_into(addr, bytemuck::cast_slice_mut(&mut set))?;
        }
        Ok(set)
    };
    let (want_read, want_write, want_except) = (load(read)?, load(write)?, load(except)?);
    let mut files = Vec::new();
    for fd in 0..nfds {
        let bit = |set: &Vec<u64>| set[fd / 64] & (1 << (fd % 64)) != 0;
        if bit(&want_read) || bit(&want_write) || bit(&want_except) {
            files.push((fd, file(fd as u64)?));
        }
    }

    let deadline = timeout_ns.map(|ns| platform::time::monotonic_ns().saturating_add(ns));
    let scan = || {
        let (mut r, mut w, mut e) = (
            alloc::vec![0u64; words],
            alloc::vec![0u64; words],
            alloc::vec![0u64; words],
        );
        let mut ready = 0;
        for (fd, file) in &files {
            let events = file.poll();
            let (word, bit) = (fd / 64, 1u64 << (fd % 64));
            let readable = PollEvents::IN | PollEvents::HUP | PollEvents::ERR;
            if want_read[word] & bit != 0 && events.intersects(readable) {
                r[word] |= bit;
                ready += 1;
            }
            if want_write[word] & bit != 0 && events.intersects(PollEvents::OUT | PollEvents::ERR) {
                w[word] |= bit;
                ready += 1;
            }
            if want_except[word] & bit != 0 && events.contains(PollEvents::PRI) {
                e[word] |= bit;
                ready += 1;
            }
        }
        (ready, r, w, e)
    };
    let result = sched::wait_until(Some(io::wait_queue()), deadline, true, || {
        let outcome = scan();
        (outcome.0 > 0 || timeout_ns == Some(0)).then_some(outcome)
    });
    let (ready, r, w, e) = match result {
        Ok(outcome) => outcome,
        Err(sched::Interrupted::TimedOut) => scan(),
        Err(sched::Interrupted::Signal) => return Err(crate::signal::ERESTARTNOHAND.into()),
    };
    for (addr, set) in [(read, r), (write, w), (except, e)] {
        if addr != 0 && words > 0 {
            user::write_bytes(addr, bytemuck::cast_slice(&set))?;
        }
    }
    Ok(ready)
}
