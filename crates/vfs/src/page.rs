//! Pages of file data in memory, and where in-memory filesystems get them.
//!
//! An in-memory filesystem (tmpfs) keeps a regular file's data in
//! [`DataPage`]s it gets from a [`PageSource`]. On the host that source is
//! the heap ([`HeapPages`]); the kernel plugs in one whose pages are physical
//! frames, so that a `MAP_SHARED` mapping of the file maps the very pages
//! `read` and `write` use ([`Inode::shared_page`]): a store through the
//! mapping is the file's data at once, and a `write` is seen at once through
//! every mapping, with nothing to copy or write back.
//!
//! Since the pages may be mapped into user space, where other threads store
//! to them at any time, their bytes are reached only by copies, never by Rust
//! references.
//!
//! [`Inode::shared_page`]: crate::Inode::shared_page

use alloc::boxed::Box;
use core::any::Any;

use spin::Mutex;

use crate::inode::Inode;

/// The size of a data page.
pub const PAGE_SIZE: usize = 4096;

/// One page of a file's data. Ranges past the page end are the caller's
/// bug: implementations may panic on them.
pub trait DataPage: Send + Sync {
    /// Copies `out.len()` bytes at `offset` into `out`.
    fn read(&self, offset: usize, out: &mut [u8]);

    /// Copies `data` into the page at `offset`.
    fn write(&self, offset: usize, data: &[u8]);

    /// Zeroes `len` bytes at `offset`.
    fn zero(&self, offset: usize, len: usize);

    /// The page as `Any`, so its source can recognise its own pages.
    fn as_any(&self) -> &dyn Any;
}

/// Where a filesystem gets data pages, and whom it tells when pages go.
pub trait PageSource: Send + Sync {
    /// A fresh zero-filled page, or `None` when memory is exhausted.
    fn alloc_zeroed(&self) -> Option<Box<dyn DataPage>>;

    /// `file` no longer has pages from `first_index` on (it was truncated):
    /// whoever maps them must stop. Called with no lock of the filesystem
    /// held, after the pages were dropped.
    fn discarded(&self, _file: &dyn Inode, _first_index: u64) {}
}

/// Pages on the heap: for filesystems nothing maps, and for host tests.
pub struct HeapPages;

impl PageSource for HeapPages {
    fn alloc_zeroed(&self) -> Option<Box<dyn DataPage>> {
        let mut bytes = alloc::vec::Vec::new();
        bytes.try_reserve_exact(PAGE_SIZE).ok()?;
        bytes.resize(PAGE_SIZE, 0);
        let bytes: Box<[u8; PAGE_SIZE]> = bytes.into_boxed_slice().try_into().ok()?;
        Some(Box::new(HeapPage(Mutex::new(bytes))))
    }
}

struct HeapPage(Mutex<Box<[u8; PAGE_SIZE]>>);

impl DataPage for HeapPage {
    fn read(&self, offset: usize, out: &mut [u8]) {
        out.copy_from_slice(&self.0.lock()[offset..offset + out.len()]);
    }

    fn write(&self, offset: usize, data: &[u8]) {
        self.0.lock()[offset..offset + data.len()].copy_from_slice(data);
    }

    fn zero(&self, offset: usize, len: usize) {
        self.0.lock()[offset..offset + len].fill(0);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_page_starts_zeroed_and_keeps_what_is_written() {
        let page = HeapPages.alloc_zeroed().unwrap();
        let mut out = [1u8; 8];
        page.read(PAGE_SIZE - 8, &mut out);
        assert_eq!(out, [0; 8]);

        page.write(100, b"kestrel");
        page.zero(101, 2);
        let mut out = [0u8; 7];
        page.read(100, &mut out);
        assert_eq!(&out, b"k\0\0trel");
    }
}
