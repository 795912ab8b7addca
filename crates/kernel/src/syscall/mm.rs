//! Memory syscalls: mmap, munmap, mprotect, brk, madvise, msync (mremap
//! has its own file).

use alloc::sync::Arc;

use linux_raw_sys::general as raw;
use vfs::{Errno, FileType, Result};

use super::fs::file;
use super::SysResult;
use crate::mm::shared::SharedPages;
use crate::mm::{self, page_up, Backing, Prot, Vma, VmaRole, PAGE_SIZE};
use crate::task::sched;

pub use super::mremap::sys_mremap;

fn prot_arg(prot: u64) -> Result<Prot> {
    let prot = prot as u32;
    if prot & !(raw::PROT_READ | raw::PROT_WRITE | raw::PROT_EXEC) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let mut out = Prot::empty();
    out.set(Prot::READ, prot & raw::PROT_READ != 0);
    out.set(Prot::WRITE, prot & raw::PROT_WRITE != 0);
    out.set(Prot::EXEC, prot & raw::PROT_EXEC != 0);
    Ok(out)
}

pub(super) fn current_mm() -> Result<Arc<mm::Mm>> {
    sched::current().mm().ok_or(Errno::EFAULT.into())
}

/// Checks `[addr, addr + len)` is a page-aligned user range.
fn user_range(addr: u64, len: u64) -> Result<(u64, u64)> {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL.into());
    }
    let end = addr.checked_add(page_up(len)).ok_or(Errno::EINVAL)?;
    if end > platform::mm::user::USER_SPACE_END {
        return Err(Errno::EINVAL.into());
    }
    Ok((addr, end))
}

/// The flags `MAP_SHARED_VALIDATE` accepts (Linux's `LEGACY_MAP_MASK`);
/// plain `MAP_SHARED` ignores any others.
const KNOWN_MAP_FLAGS: u32 = raw::MAP_SHARED
    | raw::MAP_PRIVATE
    | raw::MAP_FIXED
    | raw::MAP_ANONYMOUS
    | raw::MAP_DENYWRITE
    | raw::MAP_EXECUTABLE
    | raw::MAP_UNINITIALIZED
    | raw::MAP_GROWSDOWN
    | raw::MAP_LOCKED
    | raw::MAP_NORESERVE
    | raw::MAP_POPULATE
    | raw::MAP_NONBLOCK
    | raw::MAP_STACK
    | raw::MAP_HUGETLB;

/// The largest file offset a mapping may reach (`MAX_LFS_FILESIZE`).
const MAX_FILE_OFFSET: u64 = i64::MAX as u64;

/// Rounds `len` up to whole pages the way Linux's `PAGE_ALIGN` does: a
/// length within a page of the top wraps to 0, which callers refuse.
pub(super) const fn page_align(len: u64) -> u64 {
    len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

/// Whether `inode`'s filesystem keeps its data in pages a shared mapping
/// can map. Asking for a page past the end of any file costs nothing where
/// it does (ENXIO, nothing allocated); elsewhere the answer is ENODEV.
fn keeps_pages(inode: &vfs::InodeRef) -> bool {
    match inode.shared_page(u64::MAX, &mut |_| {}) {
        Err(error) => error.errno != Errno::ENODEV,
        Ok(()) => true,
    }
}

/// mmap, with its checks in Linux's order, since a call that breaks several
/// rules gets the errno of the first.
pub fn sys_mmap(addr: u64, len: u64, prot: u64, flags: u64, fd: u64, offset: u64) -> SysResult {
    // Unlike mprotect, mmap ignores PROT bits it does not know.
    let prot = prot_arg(prot & u64::from(raw::PROT_READ | raw::PROT_WRITE | raw::PROT_EXEC))?;
    let flags = flags as u32;
    if !offset.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL.into());
    }
    let file = match flags & raw::MAP_ANONYMOUS {
        0 => Some(file(fd)?),
        _ => None,
    };
    if len == 0 {
        return Err(Errno::EINVAL.into());
    }
    let len = page_align(len);
    if len == 0 {
        return Err(Errno::ENOMEM.into());
    }
    let space_end = platform::mm::user::USER_SPACE_END;
    let fixed = flags & (raw::MAP_FIXED | raw::MAP_FIXED_NOREPLACE) != 0;
    if len > space_end || (fixed && addr > space_end - len) {
        return Err(Errno::ENOMEM.into());
    }
    if fixed && !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL.into());
    }

    let map_type = flags & raw::MAP_TYPE;
    let growsdown = flags & raw::MAP_GROWSDOWN != 0;
    let (shared, backing) = match file {
        Some(file) => {
            let inode = file.inode();
            if offset > MAX_FILE_OFFSET - len.min(MAX_FILE_OFFSET) {
                return Err(Errno::EOVERFLOW.into());
            }
            let shared = match map_type {
                raw::MAP_SHARED => true,
                raw::MAP_SHARED_VALIDATE if flags & !KNOWN_MAP_FLAGS != 0 => {
                    return Err(Errno::EOPNOTSUPP.into())
                }
                raw::MAP_SHARED_VALIDATE => true,
                raw::MAP_PRIVATE => false,
                _ => return Err(Errno::EINVAL.into()),
            };
            let writable = file.flags().can_write();
            if (shared && prot.contains(Prot::WRITE) && !writable) || !file.flags().can_read() {
                return Err(Errno::EACCES.into());
            }
            if inode.file_type() != FileType::Regular || (shared && !keeps_pages(inode)) {
                return Err(Errno::ENODEV.into());
            }
            if growsdown {
                return Err(Errno::EINVAL.into());
            }
            let path = crate::fs::path_of(file.node());
            let backing = if shared {
                Backing::SharedFile {
                    inode: inode.clone(),
                    offset,
                    writable,
                    path,
                }
            } else {
                Backing::File {
                    inode: inode.clone(),
                    offset,
                    file_end: file.stat()?.size,
                    path,
                }
            };
            (shared, backing)
        }
        None => match map_type {
            raw::MAP_SHARED if growsdown => return Err(Errno::EINVAL.into()),
            raw::MAP_SHARED => {
                let pages = Arc::new(SharedPages::new());
                let backing = Backing::Shared {
                    pages,
                    first_index: 0,
                };
                (true, backing)
            }
            raw::MAP_PRIVATE => (false, Backing::Anonymous),
            _ => return Err(Errno::EINVAL.into()),
        },
    };
    // MAP_STACK, MAP_GROWSDOWN, MAP_POPULATE and friends are hints this
    // kernel may ignore; pages are always filled on demand.

    let memory = current_mm()?;
    let mut inner = memory.lock();
    let start = if fixed {
        if flags & raw::MAP_FIXED_NOREPLACE != 0 && inner.overlaps(addr, addr + len) {
            return Err(Errno::EEXIST.into());
        }
        addr
    } else {
        mm::find_free(&mut inner, addr, len).ok_or(Errno::ENOMEM)?
    };
    // A fixed mapping inside another splits it in three.
    mm::room_for(&inner, if fixed { 2 } else { 1 })?;
    let vma = Vma {
        start,
        end: start + len,
        prot,
        shared,
        backing,
        role: VmaRole::Plain,
    };
    let anonymous_shared = matches!(vma.backing, Backing::Shared { .. });
    if (vma.is_accountable() || anonymous_shared) && flags & raw::MAP_NORESERVE == 0 {
        mm::overcommit::check(len)?;
    }
    // Registered before the mapping exists, so a truncate never misses it.
    if let Backing::SharedFile { inode, .. } = &vma.backing {
        mm::shared_file::register(&memory, inode);
    }
    mm::insert_vma(&mut inner, vma);
    Ok(start as usize)
}

pub fn sys_munmap(addr: u64, len: u64) -> SysResult {
    let (start, end) = user_range(addr, len)?;
    let memory = current_mm()?;
    mm::unmap_range(&mut memory.lock(), start, end);
    Ok(0)
}

/// mprotect, with Linux's order of checks: the range before the PROT bits,
/// and a range past the end of user space is unmapped (ENOMEM), not invalid.
pub fn sys_mprotect(addr: u64, len: u64, prot: u64) -> SysResult {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL.into());
    }
    if len == 0 {
        return Ok(0);
    }
    let end = addr
        .checked_add(page_align(len))
        .filter(|&end| end > addr)
        .ok_or(Errno::ENOMEM)?;
    let prot = prot_arg(prot)?;
    let memory = current_mm()?;
    mm::protect(&mut memory.lock(), addr, end, prot)?;
    Ok(0)
}

/// brk: a failed request returns the current break, never an error.
pub fn sys_brk(addr: u64) -> SysResult {
    let memory = current_mm()?;
    let mut inner = memory.lock();
    let current = inner.brk;
    if addr < inner.brk_start {
        return Ok(current as usize);
    }
    let old_end = page_up(current);
    let new_end = page_up(addr);
    if new_end > old_end {
        if new_end > mm::MMAP_BASE
            || inner.overlaps(old_end, new_end)
            || mm::overcommit::check(new_end - old_end).is_err()
        {
            return Ok(current as usize);
        }
        let heap = Vma::anonymous(old_end, new_end, Prot::READ | Prot::WRITE, VmaRole::Heap);
        mm::insert_vma(&mut inner, heap);
        merge_heap(&mut inner);
    } else if new_end < old_end {
        mm::unmap_range(&mut inner, new_end, old_end);
    }
    inner.brk = addr;
    Ok(addr as usize)
}

/// Keeps the heap one mapping as it grows (so /proc shows one `[heap]`).
fn merge_heap(inner: &mut mm::MmInner) {
    let starts: alloc::vec::Vec<u64> = inner
        .vmas
        .iter()
        .filter(|(_, vma)| vma.role == VmaRole::Heap)
        .map(|(&start, _)| start)
        .collect();
    for pair in starts.windows(2) {
        let (low, high) = (pair[0], pair[1]);
        let low_end = inner.vmas.get(&low).map(|v| v.end);
        if low_end == Some(high) {
            if let Some(upper) = inner.vmas.remove(&high) {
                if let Some(lower) = inner.vmas.get_mut(&low) {
                    lower.end = upper.end;
                }
            }
        }
    }
    // Merging may have left the first pair merged into a vma whose start we
    // still iterate; one pass per growth is enough since growth adds one.
}

pub fn sys_madvise(addr: u64, len: u64, advice: u64) -> SysResult {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL.into());
    }
    if len == 0 {
        return Ok(0);
    }
    let (start, end) = user_range(addr, len)?;
    match advice as u32 {
        raw::MADV_DONTNEED => {
            // Private pages read back as zero (or the file) next time.
            let memory = current_mm()?;
            let mut inner = memory.lock();
            for at in mm::present_pages(&mut inner, start, end) {
                let private = inner.find(at).is_some_and(|vma| !vma.shared);
                if private {
                    if let Some(frame) = inner.space.unmap(at) {
                        drop(platform::mm::page::Page::from_mapped(frame));
                    }
                }
            }
            Ok(0)
        }
        // Advice about access patterns changes nothing we keep.
        raw::MADV_NORMAL
        | raw::MADV_RANDOM
        | raw::MADV_SEQUENTIAL
        | raw::MADV_WILLNEED
        | raw::MADV_FREE
        | raw::MADV_HUGEPAGE
        | raw::MADV_NOHUGEPAGE
        | raw::MADV_DONTDUMP
        | raw::MADV_DODUMP => Ok(0),
        _ => Err(Errno::EINVAL.into()),
    }
}

/// msync: shared file mappings map the file's own pages (see
/// `mm::shared_file`), so there is never anything to write back or to
/// invalidate; what is left is Linux's checking of the arguments and of the
/// range, which must be mapped throughout (ENOMEM otherwise).
pub fn sys_msync(addr: u64, len: u64, flags: u64) -> SysResult {
    let flags = flags as u32;
    if flags & !(raw::MS_ASYNC | raw::MS_SYNC | raw::MS_INVALIDATE) != 0
        || !addr.is_multiple_of(PAGE_SIZE)
        || (flags & raw::MS_ASYNC != 0 && flags & raw::MS_SYNC != 0)
    {
        return Err(Errno::EINVAL.into());
    }
    let end = addr.wrapping_add(page_align(len));
    if end < addr {
        return Err(Errno::ENOMEM.into());
    }
    let memory = current_mm()?;
    let inner = memory.lock();
    let mut cursor = addr;
    while cursor < end {
        let vma = inner.find(cursor).ok_or(Errno::ENOMEM)?;
        cursor = vma.end;
    }
    Ok(0)
}
