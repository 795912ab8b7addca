//! Drives the line discipline with arbitrary bytes read as operations.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../body.rs"]
mod body;

fuzz_target!(|data: &[u8]| {
    body::run(data);
});
