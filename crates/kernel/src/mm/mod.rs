//! User address spaces: the mappings of a process and the page faults that fill them.
//!
//! An [`Mm`] pairs the platform's page tables with an ordered map of
//! [`Vma`]s. Pages are filled on first touch (demand paging); fork shares
//! every private page read-only and copies it on the first write
//! (copy-on-write, with reference-counted [`Page`]s). Shared mappings map
//! the same pages in every process: anonymous ones from a [`shared`]
//! object, file ones the file's own pages ([`shared_file`]).

mod fault;
mod map;
pub mod oom;
pub mod overcommit;
pub mod shared;
pub mod shared_file;
pub mod vma;

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use platform::mm::page::Page;
use platform::mm::user::AddressSpace;
use spin::Mutex;
use vfs::{Errno, Result};

pub use fault::{handle_page_fault, Access, FaultKind};
pub use map::{
    find_free, insert as insert_vma, present_pages, protect, pte_flags, room_for, unmap_range,
};
pub use vma::{Backing, Prot, Vma, VmaRole};

pub const PAGE_SIZE: u64 = 4096;

/// The top of the initial stack; the stack mapping ends here.
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// The size of the stack mapping (the default RLIMIT_STACK).
pub const STACK_SIZE: u64 = 8 * 1024 * 1024;
/// Where top-down `mmap` placement starts, below the stack and a gap.
pub const MMAP_BASE: u64 = 0x7fff_f7ff_f000;
/// The lowest address `mmap` hands out without MAP_FIXED (`mmap_min_addr`).
pub const MMAP_MIN_ADDR: u64 = 0x10000;

pub const fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

pub const fn page_up(addr: u64) -> u64 {
    page_down(addr.saturating_add(PAGE_SIZE - 1))
}

/// A user address space.
pub struct Mm {
    inner: Mutex<MmInner>,
}

pub struct MmInner {
    pub space: AddressSpace,
    /// Mappings by start address; they never overlap.
    pub vmas: BTreeMap<u64, Vma>,
    /// Where the heap starts (just above the executable) and where it ends now.
    pub brk_start: u64,
    pub brk: u64,
    /// Where argv and envp strings live (for /proc/<pid>/cmdline and environ).
    pub args: (u64, u64),
    pub env: (u64, u64),
    /// The auxiliary vector exec gave the program (/proc/<pid>/auxv).
    pub auxv: Arc<[u8]>,
    pub start_code: u64,
    pub end_code: u64,
    /// As Linux reports them: the highest segment's start, and the end of
    /// the file-backed part of the highest one.
    pub start_data: u64,
    pub end_data: u64,
    pub start_stack: u64,
    /// Faults that needed no I/O (fresh or copied pages), for /proc.
    pub minor_faults: u64,
    /// Where the last top-down `mmap` placement searched to.
    pub free_cache: map::FreeCache,
}

impl Mm {
    /// An empty address space, sharing the kernel half.
    pub fn new() -> Result<Arc<Mm>> {
        let space = AddressSpace::new().ok_or(Errno::ENOMEM)?;
        Ok(Arc::new(Mm {
            inner: Mutex::new(MmInner {
                space,
                vmas: BTreeMap::new(),
                brk_start: 0,
                brk: 0,
                args: (0, 0),
                env: (0, 0),
                auxv: Arc::from(&[][..]),
                start_code: 0,
                end_code: 0,
                start_data: 0,
                end_data: 0,
                start_stack: 0,
                minor_faults: 0,
                free_cache: map::FreeCache::default(),
            }),
        }))
    }

    /// Locks the address space. Never hold this across a user-memory copy:
    /// a fault during the copy takes it again.
    pub fn lock(&self) -> spin::MutexGuard<'_, MmInner> {
        self.inner.lock()
    }

    pub fn try_lock(&self) -> Option<spin::MutexGuard<'_, MmInner>> {
        self.inner.try_lock()
    }

    /// Makes this address space the one the CPU translates with.
    pub fn activate(&self) {
        self.inner.lock().space.activate();
    }

    /// Writes `data` at user address `addr` of this address space (which
    /// need not be the active one), filling pages as a fault would.
    pub fn write(&self, addr: u64, data: &[u8]) -> Result<()> {
        let mut done = 0;
        while done < data.len() {
            let at = addr + done as u64;
            let page_start = page_down(at);
            let offset = (at - page_start) as usize;
            let n = (PAGE_SIZE as usize - offset).min(data.len() - done);
            handle_page_fault(
                self,
                at,
                Access {
                    write: true,
                    exec: false,
                },
            )
            .map_err(|_| Errno::EFAULT)?;
            let frame = self
                .inner
                .lock()
                .space
                .translate(page_start)
                .map(|(f, _)| f);
            let page = frame.and_then(Page::share_mapped).ok_or(Errno::EFAULT)?;
            page.write(offset, &data[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// A copy-on-write duplicate for fork: private pages are shared
    /// read-only by both, shared mappings stay shared.
    pub fn fork(&self) -> Result<Arc<Mm>> {
        let child = Mm::new()?;
        {
            let mut parent = self.inner.lock();
            let mut copy = child.inner.lock();
            copy.vmas = parent.vmas.clone();
            copy.brk_start = parent.brk_start;
            copy.brk = parent.brk;
            copy.args = parent.args;
            copy.env = parent.env;
            copy.auxv = parent.auxv.clone();
            copy.start_code = parent.start_code;
            copy.end_code = parent.end_code;
            copy.start_data = parent.start_data;
            copy.end_data = parent.end_data;
            copy.start_stack = parent.start_stack;
            let vmas: alloc::vec::Vec<Vma> = parent.vmas.values().cloned().collect();
            for vma in &vmas {
                map::share_range(&mut parent, &mut copy, vma)?;
            }
            copy.minor_faults = 0;
        }
        platform::mm::paging::flush_all();
        let files: alloc::vec::Vec<vfs::InodeRef> = child
            .lock()
            .vmas
            .values()
            .filter_map(|vma| match &vma.backing {
                Backing::SharedFile { inode, .. } => Some(inode.clone()),
                _ => None,
            })
            .collect();
        for file in &files {
            shared_file::register(&child, file);
        }
        Ok(child)
    }
}

impl MmInner {
    /// The mapping that contains `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.vmas
            .range(..=addr)
            .next_back()
            .map(|(_, vma)| vma)
            .filter(|vma| vma.contains(addr))
    }

    /// Whether any mapping intersects `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        if let Some((_, vma)) = self.vmas.range(..end).next_back() {
            return vma.end > start;
        }
        false
    }

    /// Total mapped bytes (VmSize).
    pub fn total_size(&self) -> u64 {
        self.vmas.values().map(Vma::len).sum()
    }

    /// Resident pages (present in the page tables).
    pub fn resident_pages(&mut self) -> u64 {
        self.space.mapped_pages()
    }
}

impl Drop for MmInner {
    fn drop(&mut self) {
        self.space.clear(|_, frame| release(frame));
    }
}

/// Drops the reference a page table entry held.
fn release(frame: x86_64::structures::paging::PhysFrame) {
    drop(Page::from_mapped(frame));
}
