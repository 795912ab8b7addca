//! Anonymous memory shared across fork (`MAP_SHARED|MAP_ANONYMOUS`).

use alloc::collections::BTreeMap;

use platform::mm::page::Page;
use spin::Mutex;

/// The pages of one shared anonymous object, by page index, filled on first
/// touch. Every mapping of the object (in any process) sees the same pages.
pub struct SharedPages {
    pages: Mutex<BTreeMap<u64, Page>>,
}

impl SharedPages {
    pub fn new() -> SharedPages {
        SharedPages {
            pages: Mutex::new(BTreeMap::new()),
        }
    }

    /// A reference to page `index`, allocated zeroed on first use.
    pub fn page(&self, index: u64) -> Option<Page> {
        let mut pages = self.pages.lock();
        if let Some(page) = pages.get(&index) {
            return Some(page.clone());
        }
        let page = Page::alloc_zeroed()?;
        pages.insert(index, page.clone());
        Some(page)
    }
}
