//! Runs the fuzz body over a few thousand mutated archives with a fixed
//! seed, so the properties the fuzz target checks hold on every host test
//! run (libFuzzer itself runs through `cargo xtask fuzz-host cpio`). The
//! mutations here know the format (hex header fields, `../` in names),
//! unlike the generic ones of `fuzz_replay`.

mod common;

#[path = "../fuzz/body.rs"]
mod body;

use common::{gzip, Archive, Entry};
use linux_raw_sys::general::S_IFREG;

const CASES: usize = 4000;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let mut plain = Archive::new();
    plain
        .dir("bin", 0o755)
        .file("bin/busybox", 0o755, &[0x7f; 300])
        .symlink("bin/sh", "busybox")
        .char_device("console", 5, 1)
        .fifo("fifo")
        .file("a/b/c", 0o644, b"deep");
    let link = |name: &str, data: &[u8]| Entry {
        ino: 5,
        nlink: 2,
        ..Entry::new(name, S_IFREG | 0o644, data)
    };
    plain.add(link("x", b"")).add(link("y", b"linked"));
    let plain = plain.trailer().build();

    let checked = Archive::checksummed()
        .file("sum", 0o600, b"checked")
        .trailer()
        .build();
    let mut two = plain.clone();
    two.extend_from_slice(&[0; 8]);
    two.extend(gzip(&checked));
    vec![plain.clone(), checked, gzip(&plain), two]
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(input.len());
        match rng.below(7) {
            0 if !input.is_empty() => input[at] = rng.next() as u8,
            1 if !input.is_empty() => input[at] = b"0123456789abcdefFgx/."[rng.below(21)],
            2 => input.truncate(at),
            3 => {
                let bytes: Vec<u8> = (0..rng.below(16)).map(|_| rng.next() as u8).collect();
                input.splice(at..at, bytes);
            }
            4 if !input.is_empty() => {
                let len = rng.below(input.len() - at);
                let copy = input[at..at + len].to_vec();
                let to = rng.below(input.len());
                input.splice(to..to, copy);
            }
            5 if input.len() >= at + 8 => {
                // A random value in what may be a header field.
                let value = format!("{:08x}", rng.next() as u32);
                input[at..at + 8].copy_from_slice(value.as_bytes());
            }
            _ => input.insert(at.min(input.len()), b"../"[rng.below(3)]),
        }
    }
}

#[test]
fn fuzz_body_survives_mutated_archives() {
    let seeds = seeds();
    for seed in &seeds {
        assert!(body::run(seed));
    }
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut unpacked = 0;
    for _ in 0..CASES {
        let mut input = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut input);
        unpacked += usize::from(body::run(&input));
    }
    // Both outcomes must be exercised for the run to mean anything.
    assert!(
        unpacked > CASES / 50 && unpacked < CASES - CASES / 50,
        "{unpacked}"
    );
}

#[test]
fn fuzz_body_survives_random_bytes_after_a_magic() {
    let mut rng = Rng(0x0bad_5eed_0000_0002);
    for _ in 0..CASES / 4 {
        let len = rng.below(400);
        let mut input = b"070701".to_vec();
        input.extend((0..len).map(|_| b"0123456789ABCDEF"[rng.below(16)]));
        body::run(&input);
    }
}

#[test]
fn committed_seed_corpus_runs_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/cpio");
    let seeds = fuzz_replay::seeds(dir.as_ref());
    let unpacked = seeds.iter().filter(|seed| body::run(seed)).count();
    assert!(unpacked > 0);
}
