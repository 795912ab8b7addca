//! The pages a shared mapping maps: the file's own data pages.

mod common;

use std::sync::{Arc, Mutex};

use common::{file, read_all, TestClock};
use tmpfs::{Tmpfs, TmpfsOptions, PAGE_SIZE};
use vfs::{DataPage, Errno, FileSystem, HeapPages, Inode, InodeRef, PageSource, SetAttr};

/// Heap pages that also record every `discarded` call.
#[derive(Default)]
struct Recorder {
    discarded: Mutex<Vec<u64>>,
}

impl PageSource for Recorder {
    fn alloc_zeroed(&self) -> Option<Box<dyn DataPage>> {
        HeapPages.alloc_zeroed()
    }

    fn discarded(&self, file: &dyn Inode, first_index: u64) {
        assert!(file.stat().is_ok(), "the file is usable when told");
        self.discarded.lock().unwrap().push(first_index);
    }
}

fn fs_with(source: Arc<Recorder>, options: TmpfsOptions) -> Arc<Tmpfs> {
    let clock = Arc::new(TestClock::at(1_000));
    Tmpfs::with_page_source(clock, options, source)
}

/// Stores `data` at `offset` of page `index` as a mapping would.
fn store(f: &InodeRef, index: u64, offset: usize, data: &[u8]) -> vfs::Result<()> {
    f.shared_page(index, &mut |page| page.write(offset, data))
}

fn truncate(f: &InodeRef, size: u64) {
    f.set_attr(SetAttr {
        size: Some(size),
        ..SetAttr::default()
    })
    .unwrap();
}

#[test]
fn stores_to_a_shared_page_are_the_file_data() {
    let fs = fs_with(Arc::default(), TmpfsOptions::default());
    let f = file(&fs.root(), "f");
    f.write_at(0, &[b'a'; 100]).unwrap();
    store(&f, 0, 10, b"mapped").unwrap();
    let data = read_all(&f);
    assert_eq!(data.len(), 100);
    assert_eq!(&data[10..16], b"mapped");

    f.write_at(20, b"written").unwrap();
    let mut seen = [0u8; 7];
    f.shared_page(0, &mut |page| page.read(20, &mut seen))
        .unwrap();
    assert_eq!(&seen, b"written");
}

#[test]
fn a_page_wholly_past_the_end_is_enxio() {
    let fs = fs_with(Arc::default(), TmpfsOptions::default());
    let f = file(&fs.root(), "f");
    assert_eq!(store(&f, 0, 0, b"x").unwrap_err().errno, Errno::ENXIO);
    f.write_at(0, &[1; PAGE_SIZE + 1]).unwrap();
    assert!(store(&f, 1, 0, b"x").is_ok());
    assert_eq!(store(&f, 2, 0, b"x").unwrap_err().errno, Errno::ENXIO);
}

#[test]
fn a_hole_gets_a_counted_page() {
    let options = TmpfsOptions {
        max_pages: Some(1),
        ..TmpfsOptions::default()
    };
    let fs = fs_with(Arc::default(), options);
    let f = file(&fs.root(), "f");
    truncate(&f, 3 * PAGE_SIZE as u64);
    assert_eq!(fs.usage().pages, 0);
    store(&f, 1, 0, b"x").unwrap();
    assert_eq!(fs.usage().pages, 1);
    assert_eq!(f.stat().unwrap().blocks, 8);
    assert_eq!(store(&f, 2, 0, b"x").unwrap_err().errno, Errno::ENOSPC);
}

#[test]
fn stores_past_the_end_do_not_grow_the_file_and_growth_reads_zeros() {
    let fs = fs_with(Arc::default(), TmpfsOptions::default());
    let f = file(&fs.root(), "f");
    f.write_at(0, b"0123").unwrap();
    store(&f, 0, 4, b"junk").unwrap();
    assert_eq!(f.stat().unwrap().size, 4);
    assert_eq!(read_all(&f), b"0123");

    truncate(&f, 8);
    assert_eq!(read_all(&f), b"0123\0\0\0\0");

    store(&f, 0, 8, b"more").unwrap();
    f.write_at(12, b"!").unwrap();
    assert_eq!(read_all(&f), b"0123\0\0\0\0\0\0\0\0!");
}

#[test]
fn a_shrink_says_which_pages_went() {
    let source = Arc::new(Recorder::default());
    let fs = fs_with(source.clone(), TmpfsOptions::default());
    let f = file(&fs.root(), "f");
    f.write_at(0, &vec![7; 3 * PAGE_SIZE]).unwrap();

    truncate(&f, 2 * PAGE_SIZE as u64 + 1);
    truncate(&f, PAGE_SIZE as u64 + 1);
    truncate(&f, 10);
    truncate(&f, 10 * PAGE_SIZE as u64);
    truncate(&f, 0);
    assert_eq!(*source.discarded.lock().unwrap(), [2, 1, 0]);
}

#[test]
fn a_truncate_zeroes_the_tail_of_the_mapped_last_page() {
    let fs = fs_with(Arc::default(), TmpfsOptions::default());
    let f = file(&fs.root(), "f");
    f.write_at(0, &[9; 100]).unwrap();
    truncate(&f, 50);
    let mut tail = [1u8; 50];
    f.shared_page(0, &mut |page| page.read(50, &mut tail))
        .unwrap();
    assert_eq!(tail, [0; 50]);
}
