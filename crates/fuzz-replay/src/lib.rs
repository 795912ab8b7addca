//! Replays a fuzz target's body as an ordinary host test: first every file
//! of its committed seed corpus, then a fixed number of mutations of those
//! seeds drawn from a generator with a fixed seed. A body that asserts fails
//! the test the same way on every run, and proptest shrinks the input it
//! failed on before reporting it. The crates with a `fuzz/` directory use
//! this from their `tests/fuzz_*.rs`; libFuzzer itself runs through
//! `cargo xtask fuzz-host`.

#![forbid(unsafe_code)]

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// One change to an input.
#[derive(Clone, Debug)]
enum Edit {
    Set(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Truncate(Index),
    /// Copies up to 16 bytes from the first place to the second.
    Copy(Index, Index),
    /// Writes a little-endian word, small or at a boundary, for the size and
    /// offset fields of binary formats.
    Word(Index, u64),
}

fn edit() -> impl Strategy<Value = Edit> {
    let word = prop_oneof![
        0..4096u64,
        Just(u64::MAX),
        Just(1 << 63),
        Just(u64::from(u32::MAX)),
        any::<u64>(),
    ];
    prop_oneof![
        3 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Edit::Set(at, byte)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Edit::Insert(at, byte)),
        2 => any::<Index>().prop_map(Edit::Remove),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(from, to)| Edit::Copy(from, to)),
        2 => (any::<Index>(), word).prop_map(|(at, value)| Edit::Word(at, value)),
    ]
}

fn apply(input: &mut Vec<u8>, edit: &Edit) {
    let len = input.len();
    match *edit {
        Edit::Set(at, byte) if len > 0 => input[at.index(len)] = byte,
        Edit::Insert(at, byte) => input.insert(at.index(len + 1), byte),
        Edit::Remove(at) if len > 0 => {
            input.remove(at.index(len));
        }
        Edit::Truncate(at) => input.truncate(at.index(len + 1)),
        Edit::Copy(from, to) if len > 0 => {
            let start = from.index(len);
            let chunk = input[start..len.min(start + 16)].to_vec();
            let to = to.index(len + 1);
            input.splice(to..to, chunk);
        }
        Edit::Word(at, value) if len >= 8 => {
            let at = at.index(len - 7);
            input[at..at + 8].copy_from_slice(&value.to_le_bytes());
        }
        _ => {}
    }
}

/// The files of a seed directory, by name.
pub fn seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("a seed directory lists").path())
        .collect();
    paths.sort();
    let seeds: Vec<Vec<u8>> = paths
        .iter()
        .map(|path| std::fs::read(path).expect("a seed reads"))
        .collect();
    assert!(!seeds.is_empty(), "{} holds no seeds", dir.display());
    seeds
}

/// Runs `body` on every seed in `dir`, then on `cases` mutated seeds.
pub fn replay(dir: &Path, cases: u32, body: impl Fn(&[u8])) {
    let seeds = seeds(dir);
    for seed in &seeds {
        body(seed);
    }

    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mutated = (
        prop::sample::select(seeds),
        prop::collection::vec(edit(), 1..8),
    )
        .prop_map(|(mut input, edits)| {
            for edit in &edits {
                apply(&mut input, edit);
            }
            input
        });
    let result = TestRunner::new_with_rng(config, rng).run(&mutated, |input| {
        body(&input);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("the fuzz body failed: {failure}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_body_fails_the_replay() {
        let dir = std::env::temp_dir().join(format!("fuzz-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("seed"), b"seed").unwrap();
        let outcome = std::panic::catch_unwind(|| {
            replay(&dir, 200, |input| assert_eq!(input, b"seed"));
        });
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(outcome.is_err());
    }
}
