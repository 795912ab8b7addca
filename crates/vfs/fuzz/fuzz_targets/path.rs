//! Resolves arbitrary paths in a small tmpfs tree with symlinks, a mount
//! and chroot-like roots, while the input also grows the tree.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../body.rs"]
mod body;

fuzz_target!(|data: &[u8]| {
    body::run(data);
});
