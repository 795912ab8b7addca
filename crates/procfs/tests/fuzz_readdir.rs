//! Runs the readdir fuzz body (see fuzz/body.rs) over the seed corpus and a
//! few thousand deterministic mutations of it, so what the libFuzzer target
//! checks also holds on every host test run.

mod common;

#[path = "../fuzz/body.rs"]
mod body;

#[test]
fn seeds_and_their_mutations_hold_the_invariants() {
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/readdir");
    fuzz_replay::replay(seeds.as_ref(), 3000, body::run);
}
