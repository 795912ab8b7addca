//! Regular file data: growth, shrinking, holes, limits.

mod common;

use common::{file, new_fs, read_all, root};
use tmpfs::{Tmpfs, TmpfsOptions};
use vfs::{Errno, FileSystem, SetAttr};

const GIB: u64 = 1 << 30;

#[test]
fn write_grows_the_file_and_reads_back() {
    let f = file(&root(), "f");
    assert_eq!(f.write_at(0, b"hello").unwrap(), 5);
    assert_eq!(f.write_at(5, b", world").unwrap(), 7);
    assert_eq!(f.stat().unwrap().size, 12);
    assert_eq!(read_all(&f), b"hello, world");
}

#[test]
fn write_across_page_boundaries_reads_back() {
    let f = file(&root(), "f");
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(f.write_at(1000, &data).unwrap(), data.len());
    let mut back = vec![0; data.len()];
    assert_eq!(f.read_at(1000, &mut back).unwrap(), data.len());
    assert_eq!(back, data);
}

#[test]
fn read_past_end_returns_nothing() {
    let f = file(&root(), "f");
    f.write_at(0, b"abc").unwrap();
    let mut buf = [0; 8];
    assert_eq!(f.read_at(3, &mut buf).unwrap(), 0);
    assert_eq!(f.read_at(100, &mut buf).unwrap(), 0);
    assert_eq!(f.read_at(1, &mut buf).unwrap(), 2);
}

#[test]
fn holes_read_as_zeros() {
    let f = file(&root(), "f");
    f.write_at(10_000, b"x").unwrap();
    let data = read_all(&f);
    assert_eq!(data.len(), 10_001);
    assert!(data[..10_000].iter().all(|&b| b == 0));
    assert_eq!(data[10_000], b'x');
}

#[test]
fn writing_at_one_gib_allocates_one_page() {
    let (fs, _) = new_fs();
    let f = file(&fs.root(), "f");
    f.write_at(GIB, b"far").unwrap();
    let stat = f.stat().unwrap();
    assert_eq!(stat.size, GIB + 3);
    assert_eq!(stat.blocks, 8);
    assert_eq!(fs.usage().pages, 1);
}

#[test]
fn truncate_shrinks_and_frees_pages() {
    let (fs, _) = new_fs();
    let f = file(&fs.root(), "f");
    f.write_at(0, &[7; 3 * 4096]).unwrap();
    assert_eq!(fs.usage().pages, 3);
    f.set_attr(SetAttr {
        size: Some(100),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(f.stat().unwrap().size, 100);
    assert_eq!(fs.usage().pages, 1);
    assert_eq!(read_all(&f), vec![7; 100]);
}

#[test]
fn growing_after_shrink_reads_zeros_in_the_cut_tail() {
    let f = file(&root(), "f");
    f.write_at(0, &[9; 4096]).unwrap();
    f.set_attr(SetAttr {
        size: Some(10),
        ..SetAttr::default()
    })
    .unwrap();
    f.set_attr(SetAttr {
        size: Some(4096),
        ..SetAttr::default()
    })
    .unwrap();
    let data = read_all(&f);
    assert_eq!(&data[..10], &[9; 10]);
    assert!(data[10..].iter().all(|&b| b == 0));
}

#[test]
fn truncate_up_makes_a_hole_without_pages() {
    let (fs, _) = new_fs();
    let f = file(&fs.root(), "f");
    f.set_attr(SetAttr {
        size: Some(GIB),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(f.stat().unwrap().size, GIB);
    assert_eq!(fs.usage().pages, 0);
    let mut buf = [1; 16];
    assert_eq!(f.read_at(GIB - 8, &mut buf).unwrap(), 8);
    assert_eq!(&buf[..8], &[0; 8]);
}

#[test]
fn unlinked_file_frees_its_pages_when_last_reference_goes() {
    let (fs, _) = new_fs();
    let root = fs.root();
    let f = file(&root, "f");
    f.write_at(0, &[1; 8192]).unwrap();
    root.unlink("f").unwrap();
    assert_eq!(fs.usage().pages, 2, "an open file keeps its data");
    assert_eq!(read_all(&f).len(), 8192);
    drop(f);
    assert_eq!(fs.usage().pages, 0);
}

#[test]
fn write_beyond_max_file_size_is_efbig() {
    let f = file(&root(), "f");
    let err = f.write_at(i64::MAX as u64, b"x").err().unwrap();
    assert_eq!(err.errno, Errno::EFBIG);
    let err = f.set_attr(SetAttr {
        size: Some(u64::MAX),
        ..SetAttr::default()
    });
    assert_eq!(err.err().unwrap().errno, Errno::EFBIG);
}

#[test]
fn full_instance_gives_short_write_then_enospc() {
    let clock = new_fs().1;
    let options = TmpfsOptions {
        max_pages: Some(2),
        ..TmpfsOptions::default()
    };
    let fs = Tmpfs::with_options(clock, options);
    let f = file(&fs.root(), "f");
    assert_eq!(f.write_at(0, &[1; 3 * 4096]).unwrap(), 2 * 4096);
    assert_eq!(
        f.write_at(2 * 4096, b"x").err().unwrap().errno,
        Errno::ENOSPC
    );
    assert_eq!(f.stat().unwrap().size, 2 * 4096);
}

#[test]
fn truncate_of_a_directory_is_eisdir() {
    let root = root();
    let err = root.set_attr(SetAttr {
        size: Some(0),
        ..SetAttr::default()
    });
    assert_eq!(err.err().unwrap().errno, Errno::EISDIR);
}

#[test]
fn reading_a_directory_is_eisdir() {
    let mut buf = [0; 4];
    assert_eq!(
        root().read_at(0, &mut buf).err().unwrap().errno,
        Errno::EISDIR
    );
}
