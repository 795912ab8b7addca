//! Feeds arbitrary files to exec's loader: `#!` lines, ELF headers, and
//! the initial stack built from strings cut out of the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../body.rs"]
mod body;

fuzz_target!(|data: &[u8]| {
    body::run(data);
});
