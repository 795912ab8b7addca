//! `cargo xtask bench`: the benchmarks of `userland/bench` on Kestrel and on Linux, in
//! the same QEMU machine, and a table comparing the two.
//!
//! One initramfs (the default one, which carries `/bin/kestrel-bench`) boots both
//! kernels with `initmode=bench`; init runs the benchmarks and powers off. Each
//! kernel boots `--runs` times (default 5), alternating, so that a noisy moment on
//! the host falls on both. Every guest line `BENCH <name> iters=<n> ns_per_iter=<x>`
//! is one sample; the table shows each kernel's median, the ratio ours/Linux and the
//! spread of the samples. Raw samples (`results.csv`), the table (`table.md`) and
//! each boot's serial log go to `target/bench/`. Speed never fails the command; only
//! a broken harness does (no samples at all, QEMU not starting).
//!
//! Kestrel is built in release mode. Both kernels get the same machine: one vCPU
//! with QEMU pinned to one host CPU, 512 MiB preallocated, KVM only when a probe
//! boot of each kernel works under it, else TCG.

mod table;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::args::KernelKind;
use crate::prereq::{self, Tool};
use crate::qemu::{self, Accel, Machine};
use crate::util::{self, Result};
use crate::{bail, build, linux, test};

pub const USAGE: &str = "\
usage: cargo xtask bench [--runs N] [--quick] [--only NAME]... [--tcg] [--no-pin]

  --runs N      boots of each kernel (default 5)
  --quick       shorter timed loops (about 0.05 s instead of 0.3 s per row)
  --only NAME   only the rows whose name starts with NAME; repeatable
  --tcg         never use KVM
  --no-pin      do not pin QEMU to one host CPU
  --kestrel-only  skip Linux
";

/// Guest memory; both kernels get the same, preallocated.
const MEMORY: &str = "512M";
/// Kernel log levels that keep the serial line quiet during the runs.
const APPEND: &str = "loglevel=error initmode=bench";
/// Time for one boot: the whole benchmark list under TCG, with room to spare.
const RUN_TIMEOUT: Duration = Duration::from_secs(900);
const QUICK_RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// Silence this long means the guest is stuck.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// The host-measured row: QEMU start to the benchmark's first line.
pub const HOST_BOOT_ROW: &str = "boot_to_bench_host";

#[derive(Debug)]
struct Options {
    runs: usize,
    quick: bool,
    only: Vec<String>,
    tcg: bool,
    pin: bool,
    with_linux: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut opts = Options {
        runs: 5,
        quick: false,
        only: Vec::new(),
        tcg: false,
        pin: true,
        with_linux: true,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let mut value = || -> Result<String> {
            match inline.clone().or_else(|| args.next().cloned()) {
                Some(value) => Ok(value),
                None => bail!("`{flag}` needs a value"),
            }
        };
        match flag {
            "--runs" => {
                let text = value()?;
                opts.runs = match text.parse() {
                    Ok(runs) if runs >= 1 => runs,
                    _ => bail!("`--runs` takes a number of boots, not `{text}`"),
                };
            }
            "--only" => {
                let name = value()?;
                let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
                if name.is_empty() || !name.chars().all(is_word) {
                    bail!("`--only` takes a row name, not `{name}`");
                }
                opts.only.push(name);
            }
            "--quick" => opts.quick = true,
            "--tcg" => opts.tcg = true,
            "--no-pin" => opts.pin = false,
            "--kestrel-only" => opts.with_linux = false,
            "-h" | "--help" => bail!("{USAGE}"),
            _ => bail!("`bench` does not take `{arg}`\n\n{USAGE}"),
        }
    }
    Ok(opts)
}

/// One kernel under test.
struct Subject {
    kind: KernelKind,
    label: &'static str,
    machine: Machine,
}

/// Everything one boot printed, in samples.
#[derive(Default)]
pub struct RunResult {
    /// Row name to ns per iteration and iteration count.
    pub samples: BTreeMap<String, (f64, u64)>,
    /// Row names (samples and failures) in the order the guest printed them.
    pub order: Vec<String>,
    /// Row name to why it failed.
    pub failures: BTreeMap<String, String>,
    /// `uname` of the guest, from the `BENCH_INFO` line.
    pub kernel: Option<String>,
}

pub fn main(args: &[String]) -> Result<bool> {
    let opts = parse(args)?;
    prereq::ensure(&[Tool::Qemu])?;

    let kernel = build::kernel(true)?;
    let userland = build::userland()?;
    if userland.bench.is_none() {
        bail!("userland/bench has no C source to build");
    }
    let initramfs = build::initramfs(&userland)?;

    let mut append = APPEND.to_string();
    let mut bench_args: Vec<String> = opts.only.iter().map(|n| format!("--only={n}")).collect();
    if opts.quick {
        bench_args.insert(0, "--quick".into());
    }
    if !bench_args.is_empty() {
        append.push_str(&format!(" benchargs={}", bench_args.join(",")));
    }

    let mut subjects = Vec::new();
    if opts.with_linux {
        match linux::image() {
            Ok(image) => subjects.push(Subject {
                kind: KernelKind::Linux,
                label: "linux",
                machine: machine(&image, &initramfs, &linux::append(&append)),
            }),
            Err(err) => println!("bench: no Linux to compare with ({}); Kestrel only", err.0),
        }
    }
    subjects.push(Subject {
        kind: KernelKind::Kestrel,
        label: "kestrel",
        machine: machine(&kernel, &initramfs, &append),
    });

    let accel = choose_accel(&subjects, opts.tcg);
    for subject in &mut subjects {
        subject.machine.accel = accel;
    }
    let cpu = pinned_cpu(opts.pin);

    let out_dir = util::target_dir().join("bench");
    fs::create_dir_all(out_dir.join("logs"))?;
    let timeout = if opts.quick {
        QUICK_RUN_TIMEOUT
    } else {
        RUN_TIMEOUT
    };

    // results[subject][run]
    let mut results: Vec<Vec<RunResult>> = subjects.iter().map(|_| Vec::new()).collect();
    let mut describe = Vec::new();
    for run in 1..=opts.runs {
        for (index, subject) in subjects.iter().enumerate() {
            let log = out_dir
                .join("logs")
                .join(format!("{}-{run}.log", subject.label));
            let command = command(&subject.machine, cpu)?;
            if run == 1 {
                describe.push((subject.label, util::describe(&command)));
            }
            print!("bench: {} run {run}/{} ... ", subject.label, opts.runs);
            let _ = std::io::Write::flush(&mut std::io::stdout());
            let started = Instant::now();
            match boot(command, &log, timeout) {
                Ok(result) => {
                    println!(
                        "{} rows, {} failed, {:.0} s",
                        result.samples.len(),
                        result.failures.len(),
                        started.elapsed().as_secs_f64()
                    );
                    results[index].push(result);
                }
                Err(err) => {
                    println!("broken: {} (log: {})", err.0, util::show(&log));
                    results[index].push(RunResult::default());
                }
            }
        }
    }

    if results.iter().flatten().all(|run| run.samples.is_empty()) {
        bail!("no benchmark produced a sample; see target/bench/logs/");
    }
    let (linux, kestrel) = match subjects[0].kind {
        KernelKind::Linux => (Some(&results[0]), &results[1]),
        KernelKind::Kestrel => (None, &results[0]),
    };
    let meta = table::Meta {
        accel,
        pinned_cpu: cpu,
        runs: opts.runs,
        quick: opts.quick,
        commands: describe
            .iter()
            .map(|(label, cmd)| format!("{label}: {cmd}"))
            .collect(),
        kestrel_version: version_of(kestrel).unwrap_or_else(|| "unknown".into()),
        linux_version: linux.and_then(|runs| version_of(runs)),
    };
    let report = table::Report::new(linux.map(Vec::as_slice), kestrel, &meta);
    fs::write(
        out_dir.join("results.csv"),
        table::csv(&subjects_labels(&subjects), &results),
    )?;
    fs::write(out_dir.join("table.md"), report.markdown())?;
    println!();
    println!("{}", report.text());
    println!(
        "raw results: {}, table: {}",
        util::show(&out_dir.join("results.csv")),
        util::show(&out_dir.join("table.md"))
    );
    Ok(true)
}

fn subjects_labels(subjects: &[Subject]) -> Vec<&'static str> {
    subjects.iter().map(|s| s.label).collect()
}

fn version_of(runs: &[RunResult]) -> Option<String> {
    runs.iter().find_map(|run| run.kernel.clone())
}

fn machine(image: &Path, initramfs: &Path, append: &str) -> Machine {
    let mut machine = Machine::new(image, Some(initramfs), append, Accel::Tcg);
    machine.memory = MEMORY.to_string();
    machine.smp = 1;
    machine
}

/// KVM only when every kernel boots under it; the same accelerator for all.
fn choose_accel(subjects: &[Subject], force_tcg: bool) -> Accel {
    let mut accel = Accel::Kvm;
    for subject in subjects {
        let marker = match subject.kind {
            KernelKind::Kestrel => test::BANNER_WORD,
            KernelKind::Linux => linux::INIT_MARKER,
        };
        if qemu::choose_accel(&subject.machine, marker, force_tcg) == Accel::Tcg {
            accel = Accel::Tcg;
            break;
        }
    }
    println!("bench: accel {} for every kernel", accel.name());
    accel
}

/// The host CPU QEMU is pinned to (the last one), when `taskset` exists.
fn pinned_cpu(pin: bool) -> Option<usize> {
    if !pin || util::which("taskset").is_none() {
        return None;
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    Some(cpus - 1)
}

/// The QEMU command of a machine, with preallocated memory, under `taskset`.
fn command(machine: &Machine, cpu: Option<usize>) -> Result<Command> {
    let qemu = machine.command(false)?;
    let mut command = match cpu {
        Some(cpu) => {
            let mut taskset = Command::new("taskset");
            taskset
                .args(["-c", &cpu.to_string()])
                .arg(qemu.get_program());
            taskset
        }
        None => Command::new(qemu.get_program()),
    };
    command.args(qemu.get_args()).arg("-mem-prealloc");
    Ok(command)
}

/// Boots once and collects the samples; the serial output goes to `log`.
fn boot(mut command: Command, log: &Path, timeout: Duration) -> Result<RunResult> {
    let mut text = format!("# {}\n", util::describe(&command));
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot start QEMU: {err}"))?;
    let lines = read_lines(&mut child);

    let mut result = RunResult::default();
    let mut done = false;
    let deadline = started + timeout;
    let mut last_output = Instant::now();
    let outcome = loop {
        let now = Instant::now();
        if now >= deadline {
            break Err(format!("timed out after {} s", timeout.as_secs()));
        }
        if now.duration_since(last_output) > IDLE_TIMEOUT {
            break Err(format!("no output for {} s", IDLE_TIMEOUT.as_secs()));
        }
        match lines.recv_timeout(Duration::from_millis(200)) {
            Ok((line, at)) => {
                last_output = at;
                text.push_str(&line);
                text.push('\n');
                if line.contains("BENCH_START") {
                    let ns = at.duration_since(started).as_nanos() as f64;
                    result.samples.insert(HOST_BOOT_ROW.into(), (ns, 1));
                    result.order.push(HOST_BOOT_ROW.into());
                }
                done |= line.contains("BENCH_DONE");
                parse_line(&line, &mut result);
            }
            Err(RecvTimeoutError::Timeout) => {}
            // Both pipes closed: QEMU has exited.
            Err(RecvTimeoutError::Disconnected) => break Ok(()),
        }
    };
    let _ = child.kill();
    let status = child.wait();
    let _ = fs::write(log, &text);

    if let Err(why) = outcome {
        if result.samples.is_empty() {
            bail!("{why}");
        }
        println!("(stopped early: {why}) ");
    } else if !done {
        let why = match status {
            Ok(status) => format!("QEMU exited ({status}) before BENCH_DONE"),
            Err(err) => format!("QEMU vanished: {err}"),
        };
        if result.samples.len() <= 1 {
            bail!("{why}");
        }
        print!("({why}) ");
    }
    Ok(result)
}

/// Lines from QEMU's stdout and stderr, each with the time it arrived.
fn read_lines(child: &mut Child) -> Receiver<(String, Instant)> {
    let (sender, lines) = mpsc::channel();
    let stdout = child
        .stdout
        .take()
        .map(|s| Box::new(s) as Box<dyn Read + Send>);
    let stderr = child
        .stderr
        .take()
        .map(|s| Box::new(s) as Box<dyn Read + Send>);
    for mut stream in [stdout, stderr].into_iter().flatten() {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let mut pending = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(count @ 1..) = stream.read(&mut buf) {
                let at = Instant::now();
                pending.extend_from_slice(&buf[..count]);
                while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    let line = String::from_utf8_lossy(&line).replace(['\r', '\n'], "");
                    if sender.send((line, at)).is_err() {
                        return;
                    }
                }
            }
            if !pending.is_empty() {
                let line = String::from_utf8_lossy(&pending).replace('\r', "");
                let _ = sender.send((line, Instant::now()));
            }
        });
    }
    lines
}

/// Takes one guest line into the result, wherever the marker starts in it.
pub fn parse_line(line: &str, result: &mut RunResult) {
    if let Some(at) = line.find("BENCH_INFO kernel=") {
        result.kernel = Some(line[at + "BENCH_INFO kernel=".len()..].trim().to_string());
    } else if let Some(at) = line.find("BENCH_FAIL ") {
        let rest = &line[at + "BENCH_FAIL ".len()..];
        let (name, why) = rest.split_once(' ').unwrap_or((rest, ""));
        result
            .failures
            .insert(name.to_string(), why.trim().to_string());
        result.order.push(name.to_string());
    } else if let Some(at) = line.find("BENCH ") {
        let mut words = line[at + "BENCH ".len()..].split_whitespace();
        let Some(name) = words.next() else { return };
        let mut iters = None;
        let mut ns = None;
        for word in words {
            if let Some(value) = word.strip_prefix("iters=") {
                iters = value.parse::<u64>().ok();
            } else if let Some(value) = word.strip_prefix("ns_per_iter=") {
                ns = value
                    .parse::<f64>()
                    .ok()
                    .filter(|ns| ns.is_finite() && *ns >= 0.0);
            }
        }
        if let (Some(iters), Some(ns)) = (iters, ns) {
            result.samples.insert(name.to_string(), (ns, iters));
            result.order.push(name.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_samples_and_failures() {
        let mut result = RunResult::default();
        parse_line("BENCH getpid iters=1000 ns_per_iter=812.5", &mut result);
        parse_line(
            "garbage[ 1.0] BENCH fstat iters=7 ns_per_iter=3",
            &mut result,
        );
        parse_line(
            "BENCH_FAIL vfork_exec_wait execve: No such file",
            &mut result,
        );
        parse_line("BENCH broken iters=x ns_per_iter=1", &mut result);
        parse_line("BENCH_INFO kernel=Linux 6.1.0 #1", &mut result);
        assert_eq!(result.samples["getpid"], (812.5, 1000));
        assert_eq!(result.samples["fstat"], (3.0, 7));
        assert!(!result.samples.contains_key("broken"));
        assert_eq!(result.failures["vfork_exec_wait"], "execve: No such file");
        assert_eq!(result.kernel.as_deref(), Some("Linux 6.1.0 #1"));
    }

    #[test]
    fn options_parse() {
        let args: Vec<String> = ["--runs", "3", "--quick", "--only=getpid", "--only", "fork"]
            .map(String::from)
            .to_vec();
        let opts = parse(&args).unwrap();
        assert_eq!(opts.runs, 3);
        assert!(opts.quick);
        assert_eq!(opts.only, ["getpid", "fork"]);
        assert!(parse(&["--runs".to_string(), "0".to_string()]).is_err());
        assert!(parse(&["--only=a,b".to_string()]).is_err());
    }
}
