//! Memory shared across fork (`MAP_SHARED|MAP_ANONYMOUS`), and the fixed
//! pages of the vDSO that every process maps.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use platform::mm::page::Page;
use spin::Mutex;

use super::fault::FaultKind;

/// The pages of one shared object, by page index. Every mapping of the
/// object (in any process) sees the same pages.
pub struct SharedPages {
    pages: Mutex<BTreeMap<u64, Page>>,
    /// Whether pages that do not exist yet are made (zeroed) on first touch;
    /// a fixed object has only the pages it was built with.
    grows: bool,
}

impl SharedPages {
    /// An anonymous object, filled with zeroed pages as they are touched.
    pub fn new() -> SharedPages {
        SharedPages {
            pages: Mutex::new(BTreeMap::new()),
            grows: true,
        }
    }

    /// An object of exactly `pages`, numbered from 0. A touch past them is a
    /// bus error, as past the end of a file.
    pub fn fixed(pages: Vec<Page>) -> SharedPages {
        SharedPages {
            pages: Mutex::new((0..).zip(pages).collect()),
            grows: false,
        }
    }

    /// A reference to page `index`, allocated zeroed on first use when the
    /// object grows.
    pub fn page(&self, index: u64) -> Result<Page, FaultKind> {
        let mut pages = self.pages.lock();
        if let Some(page) = pages.get(&index) {
            return Ok(page.clone());
        }
        if !self.grows {
            return Err(FaultKind::Io);
        }
        let page = Page::alloc_zeroed().ok_or(FaultKind::OutOfMemory)?;
        pages.insert(index, page.clone());
        Ok(page)
    }
}
