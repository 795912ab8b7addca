//! Shared file mappings (`MAP_SHARED` of a regular file).
//!
//! There is no page cache beside the filesystem: tmpfs keeps each file's
//! data in pages it gets from a `vfs::PageSource`, and the kernel's source,
//! [`FramePages`], hands out physical frames. A shared mapping maps those
//! very frames ([`page`]), so a store through any mapping, in any process,
//! is the file's data at once; `read` and `write` copy from and into the
//! same frames, so they see the stores and are seen through every mapping.
//! Nothing is ever written back, which is why `msync` has nothing to do.
//!
//! A frame is counted once by the file and once by each page table entry
//! mapping it, and is freed when the last of them lets go: an unlinked file
//! stays mapped as long as a mapping holds it, and dropping the file frees
//! the frames no mapping holds.
//!
//! Only a truncate takes pages away from under mappings. tmpfs then tells
//! the source ([`PageSource::discarded`]), and the mappings of the pages past
//! the new end are removed from every address space that maps the file, so
//! the next touch there is past the end of the file and raises SIGBUS, as on
//! Linux. Finding those address spaces is what [`register`] is for: each
//! records, per file, the address spaces that mapped it shared. A truncate
//! that shrinks the last page in place needs nothing: tmpfs zeroes its tail
//! in the frame itself.
//!
//! A fault and a truncate cannot interleave on one CPU, since the kernel is
//! not preemptible. FIXME: with more CPUs, a fork copying a mapping's page
//! table entries while a truncate of the file runs could give the child a
//! page past the new end; Linux takes a per-file lock around both.
//!
//! Private file mappings do not use these frames: they copy the file's bytes
//! at first touch (see `fault.rs`).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

use platform::mm::page::Page;
use spin::Mutex;
use vfs::{DataPage, Errno, Inode, InodeRef, PageSource};

use super::fault::FaultKind;
use super::{map, Backing, Mm, PAGE_SIZE};

/// File data pages in physical frames, which mappings can map.
pub struct FramePages;

struct FramePage(Page);

impl DataPage for FramePage {
    fn read(&self, offset: usize, out: &mut [u8]) {
        self.0.read(offset, out);
    }

    fn write(&self, offset: usize, data: &[u8]) {
        self.0.write(offset, data);
    }

    fn zero(&self, offset: usize, len: usize) {
        self.0.zero(offset, len);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl PageSource for FramePages {
    fn alloc_zeroed(&self) -> Option<Box<dyn DataPage>> {
        let page = Page::alloc_zeroed()?;
        Some(Box::new(FramePage(page)))
    }

    fn discarded(&self, file: &dyn Inode, first_index: u64) {
        unmap_discarded(file, first_index);
    }
}

/// A new reference to the frame holding page `index` of `file`, for a
/// shared mapping. Past the end of the file, or when the filesystem is full
/// or keeps its data elsewhere, the fault becomes SIGBUS; with no memory
/// left, the process is killed.
pub fn page(file: &InodeRef, index: u64) -> Result<Page, FaultKind> {
    let mut frame = None;
    file.shared_page(index, &mut |page| {
        frame = page
            .as_any()
            .downcast_ref::<FramePage>()
            .map(|page| page.0.clone());
    })
    .map_err(|error| match error.errno {
        Errno::ENOMEM => FaultKind::OutOfMemory,
        _ => FaultKind::Io,
    })?;
    frame.ok_or(FaultKind::Io)
}

/// The address spaces that mapped one file shared.
struct Mappers {
    file: Weak<dyn Inode>,
    spaces: Vec<Weak<Mm>>,
}

/// Mappers by the address of the file's inode.
static MAPPERS: Mutex<BTreeMap<usize, Mappers>> = Mutex::new(BTreeMap::new());

fn key(file: &dyn Inode) -> usize {
    file as *const dyn Inode as *const () as usize
}

/// Records that `mm` maps `file` shared, so a truncate of the file can find
/// the mapping. Records of files and address spaces that are gone are
/// dropped on the way, which keeps the table as small as what is mapped.
pub fn register(mm: &Arc<Mm>, file: &InodeRef) {
    let mut mappers = MAPPERS.lock();
    mappers.retain(|_, entry| {
        entry.spaces.retain(|space| space.strong_count() > 0);
        entry.file.strong_count() > 0 && !entry.spaces.is_empty()
    });
    let entry = mappers.entry(key(&**file)).or_insert_with(|| Mappers {
        file: Arc::downgrade(file),
        spaces: Vec::new(),
    });
    let known = entry
        .spaces
        .iter()
        .any(|space| core::ptr::eq(space.as_ptr(), Arc::as_ptr(mm)));
    if !known {
        entry.spaces.push(Arc::downgrade(mm));
    }
}

/// Removes, from every address space mapping `file` shared, the pages of
/// the file from `first_index` on.
fn unmap_discarded(file: &dyn Inode, first_index: u64) {
    let spaces: Vec<Arc<Mm>> = match MAPPERS.lock().get(&key(file)) {
        Some(entry) => entry.spaces.iter().filter_map(Weak::upgrade).collect(),
        None => return,
    };
    let first_offset = first_index.saturating_mul(PAGE_SIZE);
    for space in spaces {
        let mut inner = space.lock();
        let ranges: Vec<(u64, u64)> = inner
            .vmas
            .values()
            .filter_map(|vma| {
                let Backing::SharedFile { inode, offset, .. } = &vma.backing else {
                    return None;
                };
                if key(&**inode) != key(file) {
                    return None;
                }
                let skip = first_offset.saturating_sub(*offset);
                (skip < vma.len()).then(|| (vma.start + skip, vma.end))
            })
            .collect();
        for (start, end) in ranges {
            map::unmap_pages(&mut inner, start, end);
        }
    }
}
