//! `cargo xtask fuzz-host`: the libFuzzer targets of the host-testable
//! crates, built on the stable toolchain with coverage instrumentation only
//! (no AddressSanitizer; those crates forbid `unsafe`) and run one at a time.
//!
//! Each target's committed seeds are copied into a scratch corpus under
//! `target/hostfuzz/`, so a run starts from them and what it learns never
//! dirties the tree. A target passes when libFuzzer ran for the whole time,
//! exited with 0 and wrote no crash, timeout or out-of-memory artifact.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::bail;
use crate::prereq::{self, Tool};
use crate::util::{self, Result};

pub const USAGE: &str = "\
usage: cargo xtask fuzz-host [TARGET...] [--seconds N]

  TARGET        a host fuzz target (default: all of them, in this order):
                cpio, ldisc, elf, path, readdir
  --seconds N   how long each target runs (default 600)
";

/// A cargo-fuzz target: its binary name and the fuzz workspace holding it.
struct Target {
    name: &'static str,
    dir: &'static str,
}

const TARGETS: [Target; 5] = [
    Target {
        name: "cpio",
        dir: "crates/initramfs/fuzz",
    },
    Target {
        name: "ldisc",
        dir: "crates/tty/fuzz",
    },
    Target {
        name: "elf",
        dir: "crates/loader/fuzz",
    },
    Target {
        name: "path",
        dir: "crates/vfs/fuzz",
    },
    Target {
        name: "readdir",
        dir: "crates/procfs/fuzz",
    },
];

const DEFAULT_SECONDS: u64 = 600;
const HOST_TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// The coverage flags cargo-fuzz would pass, minus the sanitizer, which
/// needs nightly.
const SANCOV_RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// File name prefixes libFuzzer gives the inputs that failed.
const ARTIFACT_KINDS: [&str; 4] = ["crash-", "timeout-", "oom-", "leak-"];

/// What one run amounted to.
#[derive(Debug, Default, PartialEq, Eq)]
struct RunResult {
    runs: Option<u64>,
    /// libFuzzer's count, or the wall time when it printed none.
    seconds: u64,
    exit_ok: bool,
    artifacts: Vec<PathBuf>,
}

impl RunResult {
    fn passed(&self) -> bool {
        self.exit_ok && self.artifacts.is_empty() && self.runs.is_some()
    }
}

/// Reads libFuzzer's closing line, `Done 123 runs in 60 second(s)`.
fn parse_done(log: &str) -> Option<(u64, u64)> {
    log.lines().rev().find_map(|line| {
        let rest = line.trim().strip_prefix("Done ")?;
        let (runs, rest) = rest.split_once(" runs in ")?;
        let (seconds, _) = rest.split_once(" second")?;
        Some((runs.parse().ok()?, seconds.parse().ok()?))
    })
}

/// `cargo xtask fuzz-host`.
pub fn main(args: &[String]) -> Result<bool> {
    let (targets, seconds) = parse_args(args)?;
    prereq::ensure(&[Tool::CCompiler, Tool::CxxCompiler])?;

    let scratch = util::target_dir().join("hostfuzz");
    let mut results = Vec::new();
    for target in targets {
        let binary = build(target, &scratch)?;
        println!("fuzz-host {}: {seconds} s", target.name);
        let result = run(target, &binary, &scratch, seconds)?;
        results.push((target.name, result));
    }

    println!("\ntarget     runs          seconds  result");
    let mut all_passed = true;
    for (name, result) in &results {
        let runs = result.runs.map_or("?".to_string(), |n| n.to_string());
        let verdict = if result.passed() {
            "ok".to_string()
        } else if result.artifacts.is_empty() {
            "FAILED (libFuzzer did not finish cleanly)".to_string()
        } else {
            format!("FAILED ({} artifacts)", result.artifacts.len())
        };
        println!("{name:<10} {runs:<13} {:<8} {verdict}", result.seconds);
        for artifact in &result.artifacts {
            println!("           {}", util::show(artifact));
        }
        all_passed &= result.passed();
    }
    Ok(all_passed)
}

fn parse_args(args: &[String]) -> Result<(Vec<&'static Target>, u64)> {
    let mut targets = Vec::new();
    let mut seconds = DEFAULT_SECONDS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        match flag {
            "--seconds" => {
                let Some(text) = inline.or_else(|| args.next().cloned()) else {
                    bail!("`--seconds` needs a value");
                };
                seconds = match text.parse::<u64>() {
                    Ok(n) if n > 0 => n,
                    _ => bail!("`--seconds` takes a positive number, not `{text}`"),
                };
            }
            "-h" | "--help" => bail!("{USAGE}"),
            name => match TARGETS.iter().find(|target| target.name == name) {
                Some(target) => targets.push(target),
                None => bail!("`fuzz-host` does not take `{arg}`\n\n{USAGE}"),
            },
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().collect();
    }
    Ok((targets, seconds))
}

/// Builds one target with coverage instrumentation; returns the binary.
fn build(target: &Target, scratch: &Path) -> Result<PathBuf> {
    let build_dir = scratch.join("build");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(util::root().join(target.dir))
        .env("RUSTFLAGS", SANCOV_RUSTFLAGS)
        .args(["build", "--release", "--target", HOST_TRIPLE, "--bin"])
        .arg(target.name)
        .arg("--target-dir")
        .arg(&build_dir);
    util::run(&mut command)?;
    Ok(build_dir
        .join(HOST_TRIPLE)
        .join("release")
        .join(target.name))
}

/// Copies the seeds into a fresh corpus and fuzzes for `seconds`.
fn run(target: &Target, binary: &Path, scratch: &Path, seconds: u64) -> Result<RunResult> {
    let corpus = scratch.join("corpus").join(target.name);
    let artifacts = scratch.join("artifacts").join(target.name);
    let log = scratch.join(format!("{}.log", target.name));
    let _ = fs::remove_dir_all(&artifacts);
    fs::create_dir_all(&corpus)?;
    fs::create_dir_all(&artifacts)?;
    copy_seeds(
        &util::root()
            .join(target.dir)
            .join("seeds")
            .join(target.name),
        &corpus,
    )?;

    let mut prefix = artifacts.clone().into_os_string();
    prefix.push("/");
    let mut command = Command::new(binary);
    command
        .arg(&corpus)
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}", prefix.to_string_lossy()))
        .stdin(Stdio::null())
        .stdout(fs::File::create(
            scratch.join(format!("{}.out", target.name)),
        )?)
        .stderr(fs::File::create(&log)?);
    println!("  {}  (log {})", util::describe(&command), util::show(&log));
    let started = Instant::now();
    let status = util::status(&mut command)?;

    let text = fs::read_to_string(&log).unwrap_or_default();
    let done = parse_done(&text);
    let result = RunResult {
        runs: done.map(|(runs, _)| runs),
        seconds: done.map_or(started.elapsed().as_secs(), |(_, secs)| secs),
        exit_ok: status.success(),
        artifacts: failed_inputs(&artifacts)?,
    };
    if !result.passed() {
        println!("{}", util::tail(&text, 30));
    }
    Ok(result)
}

/// Copies every file of `seeds` (which may be missing) into `corpus`.
fn copy_seeds(seeds: &Path, corpus: &Path) -> Result<()> {
    let Ok(entries) = fs::read_dir(seeds) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if let Some(name) = path.file_name().filter(|_| path.is_file()) {
            fs::copy(&path, corpus.join(name))?;
        }
    }
    Ok(())
}

/// The inputs libFuzzer saved because they crashed, hung or ran out of memory.
fn failed_inputs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if ARTIFACT_KINDS.iter().any(|kind| name.starts_with(kind)) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN_LOG: &str = "\
INFO: Running with entropic power schedule (0xFF, 100).
#2\tINITED cov: 120 ft: 130 corp: 7/180b exec/s: 0 rss: 30Mb
#5242880\tpulse  cov: 640 ft: 2100 corp: 300/40Kb lim: 4096 exec/s: 87381 rss: 60Mb
#5318322\tDONE   cov: 640 ft: 2103 corp: 301/40Kb lim: 4096 exec/s: 88638 rss: 60Mb
Done 5318322 runs in 60 second(s)
";

    #[test]
    fn the_closing_line_gives_runs_and_seconds() {
        assert_eq!(parse_done(CLEAN_LOG), Some((5_318_322, 60)));
        assert_eq!(parse_done("Done 1 runs in 1 second(s)"), Some((1, 1)));
    }

    #[test]
    fn a_crashed_run_has_no_closing_line() {
        let crashed = "\
#1000\tNEW    cov: 50 ft: 60 corp: 3/10b
==42== ERROR: libFuzzer: deadly signal
artifact_prefix='target/hostfuzz/artifacts/elf/'; Test unit written to crash-0a1b
";
        assert_eq!(parse_done(crashed), None);
        assert_eq!(parse_done("Done many runs in 3 second(s)"), None);
    }

    #[test]
    fn a_run_passes_only_when_finished_cleanly() {
        let clean = RunResult {
            runs: Some(10),
            seconds: 1,
            exit_ok: true,
            artifacts: Vec::new(),
        };
        assert!(clean.passed());
        let crashed = RunResult {
            artifacts: vec![PathBuf::from("crash-1")],
            ..RunResult::default()
        };
        assert!(!crashed.passed());
        assert!(!RunResult {
            exit_ok: false,
            ..clean
        }
        .passed());
    }

    #[test]
    fn targets_and_seconds_parse() {
        let words = ["ldisc", "--seconds=5", "cpio"].map(String::from);
        let (targets, seconds) = parse_args(&words).unwrap();
        let names: Vec<&str> = targets.iter().map(|target| target.name).collect();
        assert_eq!((names, seconds), (vec!["ldisc", "cpio"], 5));
        let (all, seconds) = parse_args(&[]).unwrap();
        assert_eq!((all.len(), seconds), (TARGETS.len(), DEFAULT_SECONDS));
        assert!(parse_args(&["nope".to_string()]).is_err());
        assert!(parse_args(&["--seconds".to_string(), "0".to_string()]).is_err());
    }
}
