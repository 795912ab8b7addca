//! The physical memory map and its normalization.
//!
//! Firmware maps can overlap, leave entries unaligned or list the same range
//! twice with different types. Nothing here trusts them: free memory is the
//! page-aligned part of the wanted entries, minus every byte that any other
//! entry claims, minus the ranges the caller excludes.

use arrayvec::ArrayVec;

use super::PhysRange;

const PAGE_SIZE: u64 = 4096;

/// Most disjoint ranges a normalized map holds.
pub const MAX_RANGES: usize = 256;

/// What a range of physical memory holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    Usable,
    /// Loader data and page tables, free once the kernel copied what it needs.
    BootloaderReclaimable,
    AcpiReclaimable,
    AcpiNvs,
    Reserved,
    BadMemory,
    /// The kernel image and modules (Limine reports them separately).
    KernelAndModules,
    Framebuffer,
}

impl MemoryKind {
    /// RAM the kernel maps into its direct map at boot.
    pub fn is_mapped_ram(self) -> bool {
        !matches!(self, MemoryKind::Reserved | MemoryKind::BadMemory)
    }
}

/// One memory map entry, `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    pub start: u64,
    pub end: u64,
    pub kind: MemoryKind,
}

/// A half-open physical range `start..end`, page aligned once normalized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeRange {
    pub start: u64,
    pub end: u64,
}

/// Sorted, disjoint, page-aligned ranges.
pub type RangeList = ArrayVec<FreeRange, MAX_RANGES>;

/// Normalizes `map`: the page-aligned parts of entries of kind `wanted`,
/// merged, with every entry of another kind and every `exclude` range cut
/// out (those rounded outwards to whole pages).
pub fn free_ranges(map: &[MemoryRegion], wanted: MemoryKind, exclude: &[PhysRange]) -> RangeList {
    let mut ranges = RangeList::new();
    for region in map.iter().filter(|r| r.kind == wanted) {
        let start = align_up(region.start);
        let end = align_down(region.end);
        if start < end && ranges.try_push(FreeRange { start, end }).is_err() {
            log::warn!("too many entries, {:#x}..{:#x} ignored", start, end);
        }
    }
    ranges.sort_unstable_by_key(|r| r.start);
    merge(&mut ranges);

    for region in map.iter().filter(|r| r.kind != wanted) {
        subtract(&mut ranges, align_down(region.start), align_up(region.end));
    }
    for range in exclude {
        subtract(&mut ranges, align_down(range.start), align_up(range.end()));
    }
    ranges
}

/// Sum of the lengths of `ranges`, in bytes.
pub fn total_bytes(ranges: &[FreeRange]) -> u64 {
    ranges.iter().map(|r| r.end - r.start).sum()
}

fn merge(ranges: &mut RangeList) {
    let mut merged = RangeList::new();
    for range in ranges.iter() {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(*range),
        }
    }
    *ranges = merged;
}

fn subtract(ranges: &mut RangeList, cut_start: u64, cut_end: u64) {
    if cut_start >= cut_end {
        return;
    }
    let mut result = RangeList::new();
    for range in ranges.iter() {
        if range.end <= cut_start || range.start >= cut_end {
            push_or_warn(&mut result, *range);
            continue;
        }
        if range.start < cut_start {
            push_or_warn(
                &mut result,
                FreeRange {
                    start: range.start,
                    end: cut_start,
                },
            );
        }
        if range.end > cut_end {
            push_or_warn(
                &mut result,
                FreeRange {
                    start: cut_end,
                    end: range.end,
                },
            );
        }
    }
    *ranges = result;
}

fn push_or_warn(ranges: &mut RangeList, range: FreeRange) {
    if ranges.try_push(range).is_err() {
        log::warn!(
            "too many ranges, {:#x}..{:#x} ignored",
            range.start,
            range.end
        );
    }
}

fn align_up(addr: u64) -> u64 {
    addr.checked_next_multiple_of(PAGE_SIZE)
        .unwrap_or(!(PAGE_SIZE - 1))
}

fn align_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}
