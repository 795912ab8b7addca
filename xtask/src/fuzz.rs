//! `cargo xtask fuzz` and the `fuzz` test stage: the guest syscall fuzzer
//! (`userland/fuzz`, installed as `/fuzz/fuzz`) run by init in `initmode=fuzz`.
//!
//! A run passes when the kernel did not panic, the fuzzer finished
//! (`FUZZ_DONE calls=<n> crashes_of_kernel=0`), the free memory it read from
//! /proc/meminfo before and after came back within [`MEMORY_MARGIN_KIB`], the
//! canary's buffer was intact, and the guest powered off by itself.

use std::time::{Duration, Instant};

use crate::args::KernelKind;
use crate::console::{Console, Stop};
use crate::prereq::{self, Tool};
use crate::qemu::{self, Accel, Machine};
use crate::test::{self, Guest, Report};
use crate::util::{self, Result};
use crate::{bail, build, symbolize};

pub const USAGE: &str = "\
usage: cargo xtask fuzz [--calls N] [--seed S] [--procs P] [--seconds T]
                        [--tcg] [--release] [--smp N] [--memory SIZE]

  --calls N     syscalls to issue, all workers together (default 1000000)
  --seed S      the seed; the fuzzer prints it, and the same seed replays a run
                (default: from the clock)
  --procs P     worker processes (default 4)
  --seconds T   stop after T seconds even when calls remain (default 600)
  --tcg         never use KVM
  --release     a release kernel (the default debug kernel checks overflow)
";

/// The `fuzz` stage of `cargo xtask test`: a short run with a fixed seed.
const STAGE_CALLS: u64 = 100_000;
const STAGE_SEED: u64 = 20_260_101;
const STAGE_PROCS: u32 = 4;
const STAGE_SECONDS: u64 = 50;

/// How much less free memory after the run than before still counts as no leak:
/// the kernel heap keeps some of what it grew to, and page tables of init stay.
pub const MEMORY_MARGIN_KIB: i64 = 2048;
/// Boot, setup and the memory measurements on top of the fuzzing time.
const EXTRA_TIME: Duration = Duration::from_secs(90);
/// The fuzzer reports progress every 5 s; this much silence means the guest hung.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
const POWEROFF_TIMEOUT: Duration = Duration::from_secs(15);

/// What to fuzz with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub calls: u64,
    pub seed: Option<u64>,
    pub procs: u32,
    pub seconds: u64,
}

impl Plan {
    /// The kernel command line for init's fuzz mode.
    pub fn append(&self) -> String {
        let mut words = vec![
            format!("--calls,{}", self.calls),
            format!("--procs,{}", self.procs),
            format!("--seconds,{}", self.seconds),
        ];
        if let Some(seed) = self.seed {
            words.insert(0, format!("--seed,{seed}"));
        }
        format!("loglevel=warn initmode=fuzz fuzzargs={}", words.join(","))
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.seconds) + EXTRA_TIME
    }
}

/// What the guest's output says about a run.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub seed: Option<u64>,
    pub calls: Option<u64>,
    pub restarts: Option<u64>,
    pub lost_kib: Option<i64>,
    pub canary_ok: bool,
    pub panicked: bool,
}

/// Reads the fuzzer's summary lines (and any kernel panic) out of the serial text.
pub fn parse(text: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let field = |line: &str, name: &str| -> Option<String> {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_string)
    };
    for line in text.lines() {
        if line.contains("kernel panic") {
            outcome.panicked = true;
        }
        let Some(start) = line.find("FUZZ_") else {
            continue;
        };
        let line = &line[start..];
        if line.starts_with("FUZZ_DONE ") {
            outcome.calls = field(line, "calls").and_then(|v| v.parse().ok());
        } else if line.starts_with("FUZZ_START ") {
            outcome.seed = field(line, "seed").and_then(|v| v.parse().ok());
        } else if line.starts_with("FUZZ_STATS ") {
            outcome.restarts = field(line, "restarts").and_then(|v| v.parse().ok());
        } else if line.starts_with("FUZZ_MEM ") {
            outcome.lost_kib = field(line, "lost_kib").and_then(|v| v.parse().ok());
        } else if line.trim_end() == "FUZZ_CANARY ok" {
            outcome.canary_ok = true;
        }
    }
    outcome
}

/// The problems of a run, empty when it passed.
pub fn judge(outcome: &Outcome, stop: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    if outcome.panicked {
        problems.push("the kernel panicked".to_string());
    }
    if let Some(stop) = stop {
        problems.push(stop.to_string());
    }
    if outcome.calls.is_none() {
        problems.push("the fuzzer did not finish (no FUZZ_DONE)".to_string());
        return problems;
    }
    match outcome.lost_kib {
        Some(lost) if lost > MEMORY_MARGIN_KIB => problems.push(format!(
            "{lost} KiB less free memory after the run (margin {MEMORY_MARGIN_KIB} KiB)"
        )),
        Some(_) => {}
        None => problems.push("no FUZZ_MEM line".to_string()),
    }
    if !outcome.canary_ok {
        problems.push("the canary's memory changed".to_string());
    }
    problems
}

/// Boots `machine` (already set up for fuzz mode), waits for the end of the run and
/// returns the outcome and what went wrong.
fn run(machine: &Machine, plan: &Plan, log: &std::path::Path) -> (Outcome, Vec<String>) {
    let mut console = match Console::start(machine, log) {
        Ok(console) => console,
        Err(err) => return (Outcome::default(), vec![err.0]),
    };
    console.set_idle_limit(IDLE_TIMEOUT);
    let done = |out: &str| out.contains("FUZZ_DONE") || out.contains("kernel panic");
    let stop = match console.wait_for(done, plan.timeout()) {
        Ok(()) if console.text().contains("kernel panic") => {
            // Let the backtrace arrive.
            console.settle(Duration::from_secs(2), Duration::from_secs(10));
            None
        }
        Ok(()) => match console.wait_exit(POWEROFF_TIMEOUT) {
            Ok(Some(0)) | Ok(None) => None,
            Ok(Some(code)) => Some(format!("QEMU exited with status {code}")),
            Err(_) => Some("the guest did not power off after the run".to_string()),
        },
        Err(Stop::TimedOut) => Some(format!(
            "the run did not end within {}s",
            plan.timeout().as_secs()
        )),
        Err(stop) => Some(format!("{stop} before the run ended")),
    };
    console.kill();
    let outcome = parse(&console.text());
    let problems = judge(&outcome, stop.as_deref());
    (outcome, problems)
}

fn summary(outcome: &Outcome, plan: &Plan) -> String {
    let seed = outcome
        .seed
        .or(plan.seed)
        .map_or("?".to_string(), |s| s.to_string());
    format!(
        "{} calls, {} processes, {} restarts, seed {seed}, {} KiB less free memory",
        outcome.calls.map_or("?".to_string(), |c| c.to_string()),
        plan.procs,
        outcome.restarts.map_or("?".to_string(), |r| r.to_string()),
        outcome.lost_kib.map_or("?".to_string(), |k| k.to_string()),
    )
}

/// The `fuzz` stage of `cargo xtask test`.
pub fn stage(guest: &Guest) -> Report {
    let mut report = Report::new("fuzz");
    if guest.kind != KernelKind::Kestrel {
        report.note = "Kestrel only".into();
        return report;
    }
    if guest.artifacts.userland.fuzz.is_none() {
        return Report::broken("fuzz", "userland/fuzz has no C source");
    }
    let plan = Plan {
        calls: STAGE_CALLS,
        seed: Some(STAGE_SEED),
        procs: STAGE_PROCS,
        seconds: STAGE_SECONDS,
    };
    let log = test::log_path("fuzz");
    let (outcome, problems) = run(&guest.machine(&plan.append()), &plan, &log);
    report.note = summary(&outcome, &plan);
    if problems.is_empty() {
        report.passed = 1;
        println!("fuzz   {}", report.note);
    } else {
        report.failed = 1;
        for problem in &problems {
            println!("fuzz   FAILED: {problem}");
        }
        guest.explain_failure(&log);
    }
    report
}

/// `cargo xtask fuzz`.
pub fn main(args: &[String]) -> Result<bool> {
    let (plan, opts) = parse_args(args)?;
    prereq::ensure(&[Tool::Qemu, Tool::MuslGcc, Tool::Busybox])?;
    let artifacts = build::all(opts.release)?;
    if artifacts.userland.fuzz.is_none() {
        bail!("userland/fuzz has no C source to build");
    }
    let mut machine = Machine::new(
        &artifacts.kernel,
        Some(&artifacts.initramfs),
        &plan.append(),
        Accel::Tcg,
    );
    machine.smp = opts.smp;
    machine.memory = opts.memory.clone();
    let probe = Machine {
        append: String::new(),
        ..machine.clone()
    };
    machine.accel = qemu::choose_accel(&probe, test::BANNER_WORD, opts.tcg);

    let log = util::target_dir().join("fuzz").join("fuzz.log");
    println!(
        "fuzz: {} calls, {} processes, under {}; serial log {}",
        plan.calls,
        plan.procs,
        machine.accel.name(),
        util::show(&log)
    );
    let started = Instant::now();
    let (outcome, problems) = run(&machine, &plan, &log);
    println!(
        "fuzz: {} in {:.0}s",
        summary(&outcome, &plan),
        started.elapsed().as_secs_f64()
    );
    if problems.is_empty() {
        println!("fuzz: passed");
        return Ok(true);
    }
    for problem in &problems {
        println!("fuzz: FAILED: {problem}");
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    println!("--- last lines of {} ---", util::show(&log));
    println!("{}", util::tail(&text, 30));
    println!("---");
    symbolize::print(&text, &artifacts.kernel);
    if let Some(seed) = outcome.seed.or(plan.seed) {
        println!(
            "reproduce: cargo xtask fuzz --seed {seed} --calls {} --procs {}",
            plan.calls, plan.procs
        );
    }
    Ok(false)
}

/// The machine options of `cargo xtask fuzz`.
struct MachineOptions {
    tcg: bool,
    release: bool,
    smp: u32,
    memory: String,
}

fn parse_args(args: &[String]) -> Result<(Plan, MachineOptions)> {
    let mut plan = Plan {
        calls: 1_000_000,
        seed: None,
        procs: 4,
        seconds: 600,
    };
    let mut opts = MachineOptions {
        tcg: false,
        release: false,
        smp: 1,
        memory: "512M".into(),
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
        let mut number = |name: &str| -> Result<u64> {
            let text = value()?;
            match text.parse::<u64>() {
                Ok(n) => Ok(n),
                Err(_) => bail!("`{name}` takes a number, not `{text}`"),
            }
        };
        match flag {
            "--calls" => plan.calls = number("--calls")?.max(1),
            "--seed" => plan.seed = Some(number("--seed")?),
            "--procs" => plan.procs = number("--procs")?.clamp(1, 32) as u32,
            "--seconds" => plan.seconds = number("--seconds")?.max(1),
            "--smp" => opts.smp = number("--smp")?.max(1) as u32,
            "--memory" => opts.memory = value()?,
            "--tcg" => opts.tcg = true,
            "--release" => opts.release = true,
            "-h" | "--help" => bail!("{USAGE}"),
            _ => bail!("`fuzz` does not take `{arg}`\n\n{USAGE}"),
        }
    }
    Ok((plan, opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
[ 1.0] WARN something
FUZZ_START seed=7 calls=100 procs=2 seconds=5
FUZZ_PROGRESS calls=0 restarts=0
FUZZ_STATS procs=2 restarts=3 by_signal=2 by_exit=1 hung=0 ms=900
FUZZ_MEM before_kib=1000 after_kib=990 lost_kib=10
FUZZ_CANARY ok
FUZZ_SEED 7
FUZZ_DONE calls=100 crashes_of_kernel=0
";

    #[test]
    fn a_clean_run_passes() {
        let outcome = parse(GOOD);
        assert_eq!(outcome.seed, Some(7));
        assert_eq!(outcome.calls, Some(100));
        assert_eq!(outcome.restarts, Some(3));
        assert_eq!(outcome.lost_kib, Some(10));
        assert!(outcome.canary_ok && !outcome.panicked);
        assert!(judge(&outcome, None).is_empty());
    }

    #[test]
    fn panics_leaks_and_canaries_fail() {
        let panic = format!("{GOOD}[ 2.0] ERROR kernel panic: oops\n");
        assert!(!judge(&parse(&panic), None).is_empty());
        let leak = GOOD.replace("lost_kib=10", "lost_kib=99999");
        assert_eq!(judge(&parse(&leak), None).len(), 1);
        let canary = GOOD.replace("FUZZ_CANARY ok", "FUZZ_CANARY corrupted (status 0x100)");
        assert_eq!(judge(&parse(&canary), None).len(), 1);
        let unfinished = GOOD.replace("FUZZ_DONE", "FUZZ_PROGRESS");
        assert!(!judge(&parse(&unfinished), None).is_empty());
    }

    #[test]
    fn the_command_line_carries_the_plan() {
        let plan = Plan {
            calls: 5,
            seed: Some(9),
            procs: 2,
            seconds: 3,
        };
        assert_eq!(
            plan.append(),
            "loglevel=warn initmode=fuzz fuzzargs=--seed,9,--calls,5,--procs,2,--seconds,3"
        );
    }

    #[test]
    fn arguments_parse() {
        let words: Vec<String> = ["--calls", "10", "--seed=4", "--procs", "99", "--tcg"]
            .map(String::from)
            .to_vec();
        let (plan, opts) = parse_args(&words).unwrap();
        assert_eq!((plan.calls, plan.seed, plan.procs), (10, Some(4), 32));
        assert!(opts.tcg);
        assert!(parse_args(&["--bogus".to_string()]).is_err());
    }
}
