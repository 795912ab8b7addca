//! Runs the fuzz body (see fuzz/body.rs) over its seed corpus and over
//! random byte strings, so what the cargo-fuzz target checks holds on
//! every host test run; cargo-fuzz itself needs a nightly toolchain.

#[path = "../fuzz/body.rs"]
mod body;

use proptest::prelude::*;

#[test]
fn seed_corpus_runs_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/ldisc");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        body::run(&std::fs::read(entry.unwrap().path()).unwrap());
        seen += 1;
    }
    assert!(seen > 0);
}

/// Bytes weighted toward commands and characters with a meaning.
fn fuzz_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => any::<u8>(),
        2 => 0xf0..=0xffu8,
        2 => prop::sample::select(vec![0x03, 0x04, 0x0d, 0x0a, 0x15, 0x16, 0x17, 0x7f, 0x09]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_operation_streams_hold_the_invariants(
        data in prop::collection::vec(fuzz_byte(), 0..512)
    ) {
        body::run(&data);
    }
}
