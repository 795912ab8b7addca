//! Feeds arbitrary bytes to the initramfs unpacker.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../body.rs"]
mod body;

fuzz_target!(|data: &[u8]| {
    body::run(data);
});
