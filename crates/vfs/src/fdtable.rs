//! File descriptor tables.
//!
//! An [`FdTable`] maps small integers to shared
//! [`OpenFile`](crate::OpenFile)s plus the one per-fd flag, close-on-exec.
//! It is plain data: the process layer wraps it in a lock and an `Arc`
//! (threads made with `CLONE_FILES` share one table, `fork` clones it).
//! Operations that remove files return them, so the caller can drop them
//! (and run whatever a last close does) after releasing the table's lock.

use alloc::vec::Vec;

use linux_raw_sys::general as raw;

use crate::errno::{Errno, Result};
use crate::file::OpenFileRef;
use crate::types::OpenFlags;

/// A file descriptor number as syscalls pass it.
pub type Fd = i32;

/// The default `RLIMIT_NOFILE` soft limit, as on Linux.
pub const DEFAULT_FD_LIMIT: usize = 1024;

/// `fcntl` commands and the per-fd flag.
pub const F_DUPFD: u32 = raw::F_DUPFD;
pub const F_DUPFD_CLOEXEC: u32 = raw::F_DUPFD_CLOEXEC;
pub const F_GETFD: u32 = raw::F_GETFD;
pub const F_SETFD: u32 = raw::F_SETFD;
pub const F_GETFL: u32 = raw::F_GETFL;
pub const F_SETFL: u32 = raw::F_SETFL;
pub const FD_CLOEXEC: u32 = raw::FD_CLOEXEC;

/// `close_range` flags (`linux/close_range.h`, not in linux-raw-sys).
pub const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
pub const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

#[derive(Clone)]
struct Slot {
    file: OpenFileRef,
    close_on_exec: bool,
}

/// One process's (or thread group's) file descriptors.
#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
    /// Descriptors must stay below this (`RLIMIT_NOFILE`).
    limit: usize,
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable::new(DEFAULT_FD_LIMIT)
    }
}

impl FdTable {
    pub fn new(limit: usize) -> FdTable {
        FdTable {
            slots: Vec::new(),
            limit,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Sets the limit for new descriptors; open ones above it stay open.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    fn index(fd: Fd) -> Result<usize> {
        usize::try_from(fd).map_err(|_| Errno::EBADF.into())
    }

    fn slot(&self, fd: Fd) -> Result<&Slot> {
        self.slots
            .get(Self::index(fd)?)
            .and_then(Option::as_ref)
            .ok_or(Errno::EBADF.into())
    }

    fn slot_mut(&mut self, fd: Fd) -> Result<&mut Slot> {
        self.slots
            .get_mut(Self::index(fd)?)
            .and_then(Option::as_mut)
            .ok_or(Errno::EBADF.into())
    }

    /// The open file behind `fd`; `EBADF` if none.
    pub fn get(&self, fd: Fd) -> Result<OpenFileRef> {
        Ok(self.slot(fd)?.file.clone())
    }

    /// The lowest free descriptor at or above `min`; `EMFILE` past the limit.
    fn lowest_free(&self, min: usize) -> Result<usize> {
        let free = (min..self.slots.len())
            .find(|&index| self.slots[index].is_none())
            .unwrap_or(self.slots.len().max(min));
        if free >= self.limit {
            return Err(Errno::EMFILE.into());
        }
        Ok(free)
    }

    fn put(&mut self, index: usize, slot: Slot) -> Option<OpenFileRef> {
        if index >= self.slots.len() {
            self.slots.resize(index + 1, None);
        }
        self.slots[index].replace(slot).map(|old| old.file)
    }

    /// Installs `file` at the lowest free descriptor.
    pub fn insert(&mut self, file: OpenFileRef, close_on_exec: bool) -> Result<Fd> {
        self.insert_from(0, file, close_on_exec)
    }

    fn insert_from(&mut self, min: usize, file: OpenFileRef, close_on_exec: bool) -> Result<Fd> {
        let index = self.lowest_free(min)?;
        self.put(
            index,
            Slot {
                file,
                close_on_exec,
            },
        );
        Fd::try_from(index).map_err(|_| Errno::EMFILE.into())
    }

    /// `close`: removes `fd` and returns its file for the caller to drop.
    pub fn close(&mut self, fd: Fd) -> Result<OpenFileRef> {
        let index = Self::index(fd)?;
        let slot = self.slots.get_mut(index).and_then(Option::take);
        let slot = slot.ok_or(Errno::EBADF)?;
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(slot.file)
    }

    /// `dup`: a new descriptor (lowest free) for the same open file, without
    /// close-on-exec.
    pub fn dup(&mut self, fd: Fd) -> Result<Fd> {
        let file = self.get(fd)?;
        self.insert(file, false)
    }

    /// `dup2`: makes `new_fd` refer to `old_fd`'s file, closing what was
    /// there (returned). The same descriptor twice is a valid no-op.
    pub fn dup2(&mut self, old_fd: Fd, new_fd: Fd) -> Result<(Fd, Option<OpenFileRef>)> {
        let file = self.get(old_fd)?;
        if old_fd == new_fd {
            return Ok((new_fd, None));
        }
        self.replace_at(file, new_fd, false)
    }

    /// `dup3`: like `dup2` with `O_CLOEXEC` as the only accepted flag, and
    /// `EINVAL` for the same descriptor twice.
    pub fn dup3(
        &mut self,
        old_fd: Fd,
        new_fd: Fd,
        flags: OpenFlags,
    ) -> Result<(Fd, Option<OpenFileRef>)> {
        if old_fd == new_fd || !OpenFlags::CLOEXEC.contains(flags) {
            return Err(Errno::EINVAL.into());
        }
        let file = self.get(old_fd)?;
        self.replace_at(file, new_fd, flags.contains(OpenFlags::CLOEXEC))
    }

    fn replace_at(
        &mut self,
        file: OpenFileRef,
        new_fd: Fd,
        close_on_exec: bool,
    ) -> Result<(Fd, Option<OpenFileRef>)> {
        let index = Self::index(new_fd)?;
        if index >= self.limit {
            return Err(Errno::EBADF.into());
        }
        let old = self.put(
            index,
            Slot {
                file,
                close_on_exec,
            },
        );
        Ok((new_fd, old))
    }

    /// `fcntl(F_DUPFD)` and `F_DUPFD_CLOEXEC`: the lowest free descriptor
    /// at or above `min`; `EINVAL` when `min` is past the limit.
    pub fn dup_from(&mut self, fd: Fd, min: usize, close_on_exec: bool) -> Result<Fd> {
        let file = self.get(fd)?;
        if min >= self.limit {
            return Err(Errno::EINVAL.into());
        }
        self.insert_from(min, file, close_on_exec)
    }

    pub fn close_on_exec(&self, fd: Fd) -> Result<bool> {
        Ok(self.slot(fd)?.close_on_exec)
    }

    pub fn set_close_on_exec(&mut self, fd: Fd, close_on_exec: bool) -> Result<()> {
        self.slot_mut(fd)?.close_on_exec = close_on_exec;
        Ok(())
    }

    /// The descriptor-level `fcntl` commands (`F_DUPFD`, `F_DUPFD_CLOEXEC`,
    /// `F_GETFD`, `F_SETFD`, `F_GETFL`, `F_SETFL`); `EINVAL` for others,
    /// which the syscall layer handles itself (locks, pipes, ownership).
    pub fn fcntl(&mut self, fd: Fd, cmd: u32, arg: usize) -> Result<usize> {
        let as_fd = |fd: Fd| usize::try_from(fd).map_err(|_| Errno::EMFILE.into());
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                // Linux reads the minimum as an unsigned int: negative values
                // become huge and fail the limit check with EINVAL.
                let min = arg as u32 as usize;
                as_fd(self.dup_from(fd, min, cmd == F_DUPFD_CLOEXEC)?)
            }
            F_GETFD => Ok(if self.close_on_exec(fd)? {
                FD_CLOEXEC as usize
            } else {
                0
            }),
            F_SETFD => {
                self.set_close_on_exec(fd, arg & FD_CLOEXEC as usize != 0)?;
                Ok(0)
            }
            F_GETFL => Ok(self.slot(fd)?.file.flags().bits() as usize),
            F_SETFL => {
                let flags = OpenFlags::from_raw(arg as u32);
                self.slot(fd)?.file.set_status_flags(flags);
                Ok(0)
            }
            _ => Err(Errno::EINVAL.into()),
        }
    }

    /// `close_range(first, last, flags)`: closes (or, with
    /// `CLOSE_RANGE_CLOEXEC`, marks close-on-exec) every open descriptor in
    /// `first..=last`. `CLOSE_RANGE_UNSHARE` is accepted: unsharing the
    /// table is the caller's business. Returns the closed files.
    pub fn close_range(&mut self, first: u32, last: u32, flags: u32) -> Result<Vec<OpenFileRef>> {
        if first > last || flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let start = first as usize;
        let end = (last as usize).saturating_add(1).min(self.slots.len());
        let mut closed = Vec::new();
        for slot in self.slots.get_mut(start..end).unwrap_or_default() {
            if flags & CLOSE_RANGE_CLOEXEC != 0 {
                if let Some(slot) = slot {
                    slot.close_on_exec = true;
                }
            } else if let Some(slot) = slot.take() {
                closed.push(slot.file);
            }
        }
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(closed)
    }

    /// The `execve` sweep: closes every close-on-exec descriptor and
    /// returns the files.
    pub fn close_on_exec_sweep(&mut self) -> Vec<OpenFileRef> {
        let mut closed = Vec::new();
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|slot| slot.close_on_exec) {
                closed.extend(slot.take().map(|slot| slot.file));
            }
        }
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        closed
    }

    /// Open descriptors in increasing order (for `/proc/<pid>/fd`).
    pub fn iter(&self) -> impl Iterator<Item = (Fd, &OpenFileRef)> + '_ {
        self.slots.iter().enumerate().filter_map(|(index, slot)| {
            let fd = Fd::try_from(index).ok()?;
            slot.as_ref().map(|slot| (fd, &slot.file))
        })
    }

    /// Number of open descriptors.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|slot| slot.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
