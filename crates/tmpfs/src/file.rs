//! Regular file data: a sparse map of pages. A page that was never written,
//! or was cut off by a truncate, is absent and reads as zeros.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use vfs::{Errno, Result};

use crate::{Shared, PAGE_SIZE};

/// The largest file size, as Linux's `MAX_LFS_FILESIZE` on 64-bit.
pub(crate) const MAX_FILE_SIZE: u64 = i64::MAX as u64;

const PAGE: u64 = PAGE_SIZE as u64;

type Page = Box<[u8; PAGE_SIZE]>;

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
                Some(page) => out.copy_from_slice(&page[in_page..in_page + chunk]),
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
        if let Some(page) = self.pages.get_mut(&index) {
            page[in_page..in_page + data.len()].copy_from_slice(data);
            return Ok(());
        }

        shared.charge_page()?;
        let page = match new_page(in_page, data) {
            Ok(page) => page,
            Err(error) => {
                shared.release_pages(1);
                return Err(error);
            }
        };
        self.pages.insert(index, page);
        Ok(())
    }

    /// Sets the size. Growing only moves the end (the new range is a hole);
    /// shrinking frees the pages past the end and zeroes the tail of the
    /// last one, so a later growth reads zeros there.
    pub(crate) fn set_size(&mut self, shared: &Shared, size: u64) -> Result<()> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG.into());
        }
        if size < self.size {
            let first_dead = size.div_ceil(PAGE);
            let dead = self.pages.split_off(&first_dead);
            shared.release_pages(dead.len() as u64);
            let tail = (size % PAGE) as usize;
            if tail != 0 {
                if let Some(page) = self.pages.get_mut(&(size / PAGE)) {
                    page[tail..].fill(0);
                }
            }
        }
        self.size = size;
        Ok(())
    }
}

/// A page holding `data` at `in_page`, zeros elsewhere. Allocation failure
/// is ENOMEM rather than an abort, since the size comes from user space.
fn new_page(in_page: usize, data: &[u8]) -> Result<Page> {
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(PAGE_SIZE)
        .map_err(|_| Errno::ENOMEM)?;
    if in_page == 0 && data.len() == PAGE_SIZE {
        bytes.extend_from_slice(data);
    } else {
        bytes.resize(PAGE_SIZE, 0);
        bytes[in_page..in_page + data.len()].copy_from_slice(data);
    }
    bytes
        .into_boxed_slice()
        .try_into()
        .map_err(|_| Errno::ENOMEM.into())
}
