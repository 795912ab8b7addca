//! Tests of memory the kernel manages for user space without a process:
//! tmpfs file data kept in frames, as shared mappings map it.

use alloc::format;
use alloc::sync::Arc;
use alloc::vec;

use platform::mm::frame;
use tmpfs::{Tmpfs, TmpfsOptions};
use vfs::{CreateOptions, FileSystem, FileType, SetAttr};

use super::{Test, TestResult};
use crate::ensure;
use crate::fs::KernelClock;
use crate::mm::shared_file::{self, FramePages};
use crate::mm::PAGE_SIZE;

pub const TESTS: &[Test] = &[(
    "mm_shared_file_frames_outlive_truncate_and_return",
    shared_file_frames_outlive_truncate_and_return,
)];

const FILE_PAGES: usize = 3;

/// A file's frames: a mapping's reference keeps a page that a truncate cut
/// off, and once the mapping and the file are gone every frame is free.
fn shared_file_frames_outlive_truncate_and_return() -> TestResult {
    // A first round lets the heap grow to what the round needs.
    one_round()?;
    let free_before = frame::stats().free;
    one_round()?;
    let free_after = frame::stats().free;
    ensure!(
        free_after == free_before,
        "{} frames free before, {} after",
        free_before,
        free_after
    );
    Ok(())
}

fn one_round() -> TestResult {
    let fs = Tmpfs::with_page_source(
        Arc::new(KernelClock),
        TmpfsOptions::default(),
        Arc::new(FramePages),
    );
    let file = fs
        .root()
        .create("f", FileType::Regular, CreateOptions::default())
        .map_err(|err| format!("create: {err}"))?;
    let free_empty = frame::stats().free;
    let data = vec![0x5au8; FILE_PAGES * PAGE_SIZE as usize];
    file.write_at(0, &data)
        .map_err(|err| format!("write: {err}"))?;
    let used = free_empty.saturating_sub(frame::stats().free);
    ensure!(used >= FILE_PAGES as u64, "the data took {used} frames");

    let page = shared_file::page(&file, 1).map_err(|kind| format!("page: {kind:?}"))?;
    file.set_attr(SetAttr {
        size: Some(0),
        ..SetAttr::default()
    })
    .map_err(|err| format!("truncate: {err}"))?;
    let mut byte = [0u8];
    page.read(100, &mut byte);
    ensure!(byte[0] == 0x5a, "the held page changed to {:#x}", byte[0]);
    ensure!(
        shared_file::page(&file, 0).is_err(),
        "a page past the end was handed out"
    );
    drop(page);
    Ok(())
}
