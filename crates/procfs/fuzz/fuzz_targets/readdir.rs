//! Lists and reads /proc while processes come and go, resuming listings
//! from the cookies they gave and from arbitrary ones.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/mod.rs"]
mod common;

#[path = "../body.rs"]
mod body;

fuzz_target!(|data: &[u8]| {
    body::run(data);
});
