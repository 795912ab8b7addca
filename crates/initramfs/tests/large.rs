//! A 20 MiB archive unpacks completely and correctly. The work must be
//! dominated by copying data; there is no timing assertion, but an O(n²)
//! step would make this test crawl.

mod common;

use common::{contents, gzip, lookup, new_root, Archive};
use initramfs::unpack;

const BIG_FILES: usize = 150;
const BIG_FILE_LEN: usize = 136 * 1024;
const SMALL_DIRS: usize = 20;
const SMALL_PER_DIR: usize = 100;

fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 31 + seed * 7) % 251) as u8)
        .collect()
}

fn large_archive() -> Vec<u8> {
    let mut archive = Archive::new();
    archive.dir("big", 0o755);
    for i in 0..BIG_FILES {
        archive.file(&format!("big/file{i}"), 0o644, &pattern(i, BIG_FILE_LEN));
    }
    for d in 0..SMALL_DIRS {
        for f in 0..SMALL_PER_DIR {
            let data = format!("small {d}/{f}");
            archive.file(&format!("small/d{d}/f{f}"), 0o600, data.as_bytes());
        }
    }
    archive.trailer().build()
}

#[test]
fn twenty_mib_archive_unpacks_completely() {
    let input = large_archive();
    assert!(input.len() > 20 << 20, "{} bytes", input.len());
    let root = new_root();
    let summary = unpack(&input, &root).unwrap();

    assert_eq!(
        summary.files as usize,
        BIG_FILES + SMALL_DIRS * SMALL_PER_DIR
    );
    assert_eq!(summary.archive_bytes, input.len() as u64);
    for i in [0, 73, BIG_FILES - 1] {
        assert_eq!(
            contents(&root, &format!("big/file{i}")),
            pattern(i, BIG_FILE_LEN)
        );
    }
    assert_eq!(contents(&root, "small/d19/f99"), b"small 19/99");
    let mut count = 0;
    lookup(&root, "small/d7")
        .readdir(0, &mut |_| {
            count += 1;
            true
        })
        .unwrap();
    assert_eq!(count, SMALL_PER_DIR + 2);
}

#[test]
fn large_gzip_archive_unpacks_completely() {
    let mut archive = Archive::new();
    for i in 0..16 {
        archive.file(&format!("f{i}"), 0o644, &pattern(i, 256 * 1024));
    }
    let plain = archive.trailer().build();
    let compressed = gzip(&plain);
    let root = new_root();
    let summary = unpack(&compressed, &root).unwrap();
    assert_eq!(summary.archive_bytes, plain.len() as u64);
    assert_eq!(contents(&root, "f15"), pattern(15, 256 * 1024));
}
