//! Changing mappings: insert, unmap, protect, and fork's page sharing.

use alloc::vec::Vec;

use platform::mm::page::Page;
use vfs::{Errno, Result};
use x86_64::structures::paging::PageTableFlags as Flags;

use super::{page_down, release, MmInner, Prot, Vma, MMAP_BASE, MMAP_MIN_ADDR};

/// Most mappings a process may have, Linux's default `vm.max_map_count`.
/// Each costs kernel heap, so the bound keeps one process from filling it.
pub const MAX_MAP_COUNT: usize = 65530;

/// ENOMEM when `mm` has no room for `more` mappings (new or split off).
pub fn room_for(mm: &MmInner, more: usize) -> Result<()> {
    if mm.vmas.len().saturating_add(more) > MAX_MAP_COUNT {
        return Err(vfs::Error::with_reason(
            Errno::ENOMEM,
            "max_map_count reached",
        ));
    }
    Ok(())
}

/// Page table flags for a page of a mapping with `prot`; `writable` is false
/// for pages that must fault on write (copy-on-write, read-only).
pub fn pte_flags(prot: Prot, writable: bool) -> Flags {
    let mut flags = Flags::PRESENT | Flags::USER_ACCESSIBLE;
    if writable && prot.contains(Prot::WRITE) {
        flags |= Flags::WRITABLE;
    }
    if !prot.contains(Prot::EXEC) {
        flags |= Flags::NO_EXECUTE;
    }
    flags
}

/// Splits mappings so that `addr` is a boundary.
fn split_at(mm: &mut MmInner, addr: u64) {
    let Some((&start, vma)) = mm.vmas.range(..addr).next_back() else {
        return;
    };
    if vma.end <= addr {
        return;
    }
    let (low, high) = (vma.slice(start, addr), vma.slice(addr, vma.end));
    mm.vmas.insert(start, low);
    mm.vmas.insert(addr, high);
}

/// Removes the mappings in `[start, end)` and frees their pages.
pub fn unmap_range(mm: &mut MmInner, start: u64, end: u64) {
    mm.free_cache = FreeCache::default();
    split_at(mm, start);
    split_at(mm, end);
    let doomed: Vec<u64> = mm.vmas.range(start..end).map(|(&s, _)| s).collect();
    for vma_start in doomed {
        if let Some(vma) = mm.vmas.remove(&vma_start) {
            unmap_pages(mm, vma.start, vma.end);
        }
    }
}

/// The addresses of the present pages in `[start, end)`. The page table walk
/// skips empty tables, so a huge, sparsely touched range costs what is mapped,
/// not its length.
pub fn present_pages(mm: &mut MmInner, start: u64, end: u64) -> Vec<u64> {
    let mut found = Vec::new();
    mm.space.walk(start, end, |addr, _, flags| {
        found.push(addr);
        flags
    });
    found
}

/// Drops every present page in `[start, end)` from the page tables.
pub fn unmap_pages(mm: &mut MmInner, start: u64, end: u64) {
    for addr in present_pages(mm, start, end) {
        if let Some(frame) = mm.space.unmap(addr) {
            release(frame);
        }
    }
}

/// Adds `vma`, replacing whatever was mapped in its range (MAP_FIXED).
pub fn insert(mm: &mut MmInner, vma: Vma) {
    if mm.overlaps(vma.start, vma.end) {
        unmap_range(mm, vma.start, vma.end);
    }
    if let Some((top, hole)) = mm.free_cache.proposed.take() {
        if top == vma.start {
            mm.free_cache = FreeCache {
                top,
                hole,
                proposed: None,
            };
        }
    }
    mm.vmas.insert(vma.start, vma);
}

/// Changes the protection of `[start, end)` mapping by mapping, in address
/// order, as Linux does: a hole stops it with ENOMEM, and a shared mapping
/// of a file not open for writing refuses PROT_WRITE with EACCES, after
/// the mappings before them were changed.
pub fn protect(mm: &mut MmInner, start: u64, end: u64, prot: Prot) -> Result<()> {
    let mut cursor = start;
    while cursor < end {
        // Checked before splitting, so a refused mapping stays whole.
        let vma = mm.find(cursor).ok_or(Errno::ENOMEM)?;
        if prot.contains(Prot::WRITE) && !vma.may_write()
            || prot.contains(Prot::EXEC) && !vma.may_exec()
        {
            return Err(Errno::EACCES.into());
        }
        let past_end = vma.end > end;
        room_for(mm, usize::from(vma.start < cursor) + usize::from(past_end))?;
        split_at(mm, cursor);
        if past_end {
            split_at(mm, end);
        }
        let Some(vma) = mm.vmas.get_mut(&cursor) else {
            return Err(Errno::ENOMEM.into());
        };
        vma.prot = prot;
        let (vma_start, vma_end, shared) = (vma.start, vma.end, vma.shared);
        mm.space.walk(vma_start, vma_end, |_, frame, _| {
            // A page still shared with another process stays read-only so
            // the next write copies it.
            let writable = shared || !platform::mm::page::is_shared(frame);
            pte_flags(prot, writable)
        });
        cursor = vma_end;
    }
    Ok(())
}

/// Where the last top-down search for free space ended, so that a process
/// mapping one region after another does not walk all its mappings each
/// time: the gaps above `top` are all smaller than `hole`. A search only
/// proposes a new point; it holds once a mapping is inserted there (the
/// mmap may still fail). Any unmap resets it, since that may open a gap.
#[derive(Clone, Copy, Debug)]
pub struct FreeCache {
    top: u64,
    hole: u64,
    proposed: Option<(u64, u64)>,
}

impl Default for FreeCache {
    fn default() -> FreeCache {
        FreeCache {
            top: MMAP_BASE,
            hole: 0,
            proposed: None,
        }
    }
}

/// A free range of `len` bytes for mmap: `hint` when it is free, else the
/// highest gap below [`MMAP_BASE`].
pub fn find_free(mm: &mut MmInner, hint: u64, len: u64) -> Option<u64> {
    let hint = page_down(hint);
    if hint >= MMAP_MIN_ADDR
        && hint.checked_add(len).is_some_and(|end| end <= MMAP_BASE)
        && !mm.overlaps(hint, hint + len)
    {
        return Some(hint);
    }
    // Below the cached point unless a gap above it might be big enough.
    let (mut top, mut hole) = if len > mm.free_cache.hole {
        (mm.free_cache.top, mm.free_cache.hole)
    } else {
        (MMAP_BASE, 0)
    };
    let mut found = None;
    for (_, vma) in mm.vmas.range(..top).rev() {
        if vma.end <= top {
            if top - vma.end >= len {
                found = Some(top - len);
                break;
            }
            hole = hole.max(top - vma.end);
        }
        top = top.min(vma.start);
    }
    let start = found.or_else(|| (top >= MMAP_MIN_ADDR + len).then(|| top - len))?;
    mm.free_cache.proposed = Some((start, hole));
    Some(start)
}

/// Fork: maps every present page of `vma` into `child` too. Private pages
/// become read-only in both (copy-on-write); shared ones stay writable.
pub fn share_range(parent: &mut MmInner, child: &mut MmInner, vma: &Vma) -> Result<()> {
    let mut result = Ok(());
    let child_flags = pte_flags(vma.prot, vma.shared);
    parent.space.walk(vma.start, vma.end, |addr, frame, flags| {
        if result.is_err() {
            return flags;
        }
        let Some(page) = Page::share_mapped(frame) else {
            result = Err(Errno::ENOMEM.into());
            return flags;
        };
        if child.space.map(addr, page.frame(), child_flags).is_err() {
            result = Err(Errno::ENOMEM.into());
            return flags;
        }
        let _ = page.into_frame();
        if vma.shared {
            flags
        } else {
            flags & !Flags::WRITABLE
        }
    });
    result
}
