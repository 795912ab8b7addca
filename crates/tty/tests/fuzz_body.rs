//! Runs the fuzz body (see fuzz/body.rs) over its seed corpus and over
//! random byte strings, so what the cargo-fuzz target checks holds on
//! every host test run; libFuzzer itself runs through
//! `cargo xtask fuzz-host ldisc`.

#[path = "../fuzz/body.rs"]
mod body;

use proptest::prelude::*;

#[test]
fn seed_corpus_runs_clean() {
    // `seeds` fails on an empty corpus.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/ldisc");
    for seed in fuzz_replay::seeds(dir.as_ref()) {
        body::run(&seed);
    }
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
