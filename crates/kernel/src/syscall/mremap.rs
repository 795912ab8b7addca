//! mremap: grow, shrink or move a mapping, keeping its contents.
//!
//! The checks follow Linux's order, so a call that breaks several rules gets
//! the errno Linux gives. A growing mapping grows in place when the old
//! range ends its mapping and the pages after it are free; otherwise, with
//! MREMAP_MAYMOVE, it moves. A move carries the page table entries over, so
//! the pages themselves (private copies, shared objects, file pages) go
//! along untouched. MREMAP_FIXED names the destination, which is unmapped
//! first; MREMAP_DONTUNMAP leaves the old range mapped, and empty.

use linux_raw_sys::general as raw;
use platform::mm::user::USER_SPACE_END;
use vfs::{Errno, Result};

use super::mm::{current_mm, page_align};
use super::SysResult;
use crate::mm::{self, MmInner, Vma, VmaRole, PAGE_SIZE};

const KNOWN_FLAGS: u32 = raw::MREMAP_MAYMOVE | raw::MREMAP_FIXED | raw::MREMAP_DONTUNMAP;

pub fn sys_mremap(old: u64, old_len: u64, new_len: u64, flags: u64, new_addr: u64) -> SysResult {
    let flags = flags as u32;
    if flags & !KNOWN_FLAGS != 0 || !old.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL.into());
    }
    let (old_len, new_len) = (page_align(old_len), page_align(new_len));
    // A zero old length asks for a second mapping of a shared object.
    if new_len == 0 || new_len > USER_SPACE_END {
        return Err(Errno::EINVAL.into());
    }
    let may_move = flags & raw::MREMAP_MAYMOVE != 0;
    let fixed = flags & raw::MREMAP_FIXED != 0;
    let keep_old = flags & raw::MREMAP_DONTUNMAP != 0;
    let to_new_place = fixed || keep_old;
    if to_new_place {
        let overlaps =
            new_addr < old.saturating_add(old_len) && old < new_addr.saturating_add(new_len);
        if new_addr > USER_SPACE_END - new_len
            || !new_addr.is_multiple_of(PAGE_SIZE)
            || !may_move
            || (keep_old && old_len != new_len)
            || overlaps
        {
            return Err(Errno::EINVAL.into());
        }
    }
    let old_end = old
        .checked_add(old_len)
        .filter(|&end| end <= USER_SPACE_END)
        .ok_or(Errno::EINVAL)?;

    let memory = current_mm()?;
    let mut inner = memory.lock();
    let vma = inner.find(old).cloned().ok_or(Errno::EFAULT)?;
    let growing = new_len > old_len;
    let shrinking = new_len < old_len;
    if growing || to_new_place {
        if old_len == 0 && !vma.shared {
            return Err(Errno::EINVAL.into());
        }
        // A shrink may reach past the mapping: it only unmaps.
        let kept_len = if shrinking { new_len } else { old_len };
        if kept_len > vma.end - old {
            return Err(Errno::EFAULT.into());
        }
        if growing && vma.is_accountable() {
            mm::overcommit::check(new_len - old_len)?;
        }
    }

    if !to_new_place {
        if shrinking {
            mm::unmap_range(&mut inner, old + new_len, old_end);
        }
        if !growing {
            return Ok(old as usize);
        }
        if old_end == vma.end && grow_in_place(&mut inner, &vma, old, new_len) {
            return Ok(old as usize);
        }
        if !may_move {
            return Err(Errno::ENOMEM.into());
        }
        let target = mm::find_free(&mut inner, 0, new_len).ok_or(Errno::ENOMEM)?;
        move_range(&mut inner, old, old_len, target, new_len, false)?;
        return Ok(target as usize);
    }

    if fixed {
        mm::unmap_range(&mut inner, new_addr, new_addr + new_len);
    }
    let mut moved_len = old_len;
    if shrinking {
        mm::unmap_range(&mut inner, old + new_len, old_end);
        moved_len = new_len;
    }
    let target = if fixed {
        new_addr
    } else {
        mm::find_free(&mut inner, new_addr, new_len).ok_or(Errno::ENOMEM)?
    };
    move_range(&mut inner, old, moved_len, target, new_len, keep_old)?;
    Ok(target as usize)
}

/// Grows the mapping that the range at `old` ends to `new_len` bytes from
/// `old`, when the addresses after it are free.
fn grow_in_place(inner: &mut MmInner, vma: &Vma, old: u64, new_len: u64) -> bool {
    let Some(grow_end) = old.checked_add(new_len) else {
        return false;
    };
    if grow_end > USER_SPACE_END || inner.overlaps(vma.end, grow_end) {
        return false;
    }
    if let Some(grown) = inner.vmas.get_mut(&vma.start) {
        grown.end = grow_end;
    }
    true
}

/// Moves `[old, old + old_len)` to a new mapping of `new_len` bytes at
/// `target` (free, and not overlapping the old range), carrying the mapped
/// pages over; the old range is unmapped unless `keep_old`. When a page
/// table cannot be allocated, everything moved so far goes back and the
/// call fails with ENOMEM, leaving the old mapping as it was.
fn move_range(
    inner: &mut MmInner,
    old: u64,
    old_len: u64,
    target: u64,
    new_len: u64,
    keep_old: bool,
) -> Result<()> {
    let vma = inner.find(old).cloned().ok_or(Errno::EFAULT)?;
    let mut moved = vma.slice(old, old + old_len);
    moved.start = target;
    moved.end = target + new_len;
    // Only the range brk manages is the heap, and only one stack grows.
    moved.role = VmaRole::Plain;
    inner.vmas.insert(target, moved.clone());

    let pages = mm::present_pages(inner, old, old + old_len);
    for (done, &addr) in pages.iter().enumerate() {
        let Some(frame) = inner.space.unmap(addr) else {
            continue;
        };
        if inner
            .space
            .map(target + (addr - old), frame, flags_for(&moved, frame))
            .is_ok()
        {
            continue;
        }
        // The old addresses' page tables are still there, so these remaps
        // need no memory and cannot fail.
        let _ = inner.space.map(addr, frame, flags_for(&moved, frame));
        for &back in &pages[..done] {
            if let Some(frame) = inner.space.unmap(target + (back - old)) {
                let _ = inner.space.map(back, frame, flags_for(&moved, frame));
            }
        }
        inner.vmas.remove(&target);
        return Err(Errno::ENOMEM.into());
    }
    if !keep_old && old_len > 0 {
        mm::unmap_range(inner, old, old + old_len);
    }
    Ok(())
}

/// The page table flags of `frame` in `vma`: a private page another
/// process still shares stays read-only for copy-on-write.
fn flags_for(
    vma: &Vma,
    frame: x86_64::structures::paging::PhysFrame,
) -> x86_64::structures::paging::PageTableFlags {
    let writable = vma.shared || !platform::mm::page::is_shared(frame);
    mm::pte_flags(vma.prot, writable)
}
