//! Regular file data: a sparse map of pages. A page that was never written,
//! or was cut off by a truncate, is absent and reads as zeros.
//!
//! The pages come from the instance's [`vfs::PageSource`], and a shared
//! mapping may map them, so user stores can land in them at any time: in
//! the last page, past the end of the file, too. Those bytes are not the
//! file's; they are zeroed whenever the file grows over them, so a grown
//! file reads zeros there as POSIX wants.

use alloc::boxed::Box;
use alloc::collections::btree_map::Entry;
use alloc::collections::BTreeMap;

use vfs::{DataPage, Errno, Result};

use crate::{Shared, PAGE_SIZE};

/// The largest file size, as Linux's `MAX_LFS_FILESIZE` on 64-bit.
pub(crate) const MAX_FILE_SIZE: u64 = i64::MAX as u64;

const PAGE: u64 = PAGE_SIZE as u64;

type Page = Box<dyn DataPage>;

#[derive(Default)]
pub(crate) struct FileData {
    pages: BTreeMap<u64, Page>,
    size: u64,
}

impl FileData {
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn page_count(&self) -> u64 {
        self.pages.len() as u64
    }

    pub(crate) fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.size {
            return 0;
        }
        let len = buf
            .len()
            .min(usize::try_from(self.size - offset).unwrap_or(usize::MAX));
        let mut done = 0;
        while done < len {
            let position = offset + done as u64;
            let in_page = (position % PAGE) as usize;
            let chunk = (PAGE_SIZE - in_page).min(len - done);
            let out = &mut buf[done..done + chunk];
            match self.pages.get(&(position / PAGE)) {
                Some(page) => page.read(in_page, out),
                None => out.fill(0),
            }
            done += chunk;
        }
        len
    }

    /// Writes `buf` at `offset`, allocating pages as needed. When the
    /// filesystem fills up part way, the bytes written so far count (as a
    /// short write); only a write that stored nothing fails.
    pub(crate) fn write(&mut self, shared: &Shared, offset: u64, buf: &[u8]) -> Result<usize> {
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG.into());
        }
        let room = usize::try_from(MAX_FILE_SIZE - offset).unwrap_or(usize::MAX);
        let len = buf.len().min(room);
        if offset + len as u64 > self.size {
            self.zero_past_end();
        }

        let mut done = 0;
        while done < len {
            let position = offset + done as u64;
            let in_page = (position % PAGE) as usize;
            let chunk = (PAGE_SIZE - in_page).min(len - done);
            let data = &buf[done..done + chunk];
            if let Err(error) = self.store(shared, position / PAGE, in_page, data) {
                if done == 0 {
                    return Err(error);
                }
                break;
            }
            done += chunk;
            self.size = self.size.max(offset + done as u64);
        }
        Ok(done)
    }

    fn store(&mut self, shared: &Shared, index: u64, in_page: usize, data: &[u8]) -> Result<()> {
        self.page(shared, index)?.write(in_page, data);
        Ok(())
    }

    /// Page `index`, made (zeroed, and counted against the instance's
    /// limit) when it is a hole. Allocation failure is ENOMEM rather than
    /// an abort, since sizes come from user space.
    fn page(&mut self, shared: &Shared, index: u64) -> Result<&dyn DataPage> {
        let page = match self.pages.entry(index) {
            Entry::Occupied(page) => page.into_mut(),
            Entry::Vacant(hole) => {
                shared.charge_page()?;
                let Some(page) = shared.page_source.alloc_zeroed() else {
                    shared.release_pages(1);
                    return Err(Errno::ENOMEM.into());
                };
                hole.insert(page)
            }
        };
        Ok(&**page)
    }

    /// Page `index` for a shared mapping; see [`vfs::Inode::shared_page`].
    pub(crate) fn shared_page(&mut self, shared: &Shared, index: u64) -> Result<&dyn DataPage> {
        if index >= self.size.div_ceil(PAGE) {
            return Err(Errno::ENXIO.into());
        }
        self.page(shared, index)
    }

    /// Zeroes the last page past the end of the file, where stores through
    /// a shared mapping may have left bytes that are not the file's.
    fn zero_past_end(&mut self) {
        let tail = (self.size % PAGE) as usize;
        if tail != 0 {
            if let Some(page) = self.pages.get(&(self.size / PAGE)) {
                page.zero(tail, PAGE_SIZE - tail);
            }
        }
    }

    /// Sets the size. Growing only moves the end (the new range is a hole);
    /// shrinking frees the pages past the end and zeroes the tail of the
    /// last one, so a later growth reads zeros there. Returns the index of
    /// the first page a shrink dropped, for the mappings of those pages.
    pub(crate) fn set_size(&mut self, shared: &Shared, size: u64) -> Result<Option<u64>> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG.into());
        }
        let mut discarded = None;
        if size < self.size {
            let first_dead = size.div_ceil(PAGE);
            let dead = self.pages.split_off(&first_dead);
            shared.release_pages(dead.len() as u64);
            if first_dead < self.size.div_ceil(PAGE) {
                discarded = Some(first_dead);
            }
        } else {
            self.zero_past_end();
        }
        self.size = size;
        self.zero_past_end();
        Ok(discarded)
    }
}
