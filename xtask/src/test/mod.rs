//! `cargo xtask test`: every stage, a summary table, and a last line `N passed, N failed`.
//!
//! Stages, in order:
//! - `host`: `cargo test` of each host-testable workspace crate, counting tests;
//! - `ktest`: the in-kernel tests, booted through PVH with `kestrel.ktest`;
//! - `boot`: a plain PVH boot reaches the kernel banner;
//! - `contracts`: the contract suite, on the host's Linux and in one boot of the guest;
//! - `session`: a scripted BusyBox shell session over the serial console;
//! - `limits`: the shell drives a small guest to its resource limits (see [`limits`]);
//! - `fuzz`: a short run of the guest syscall fuzzer (see `crate::fuzz`).

mod boot;
mod contracts;
mod host;
mod ktest;
mod limits;
mod session;

pub use boot::BANNER_WORD;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::args::{KernelKind, Options};
use crate::build::{self, Artifacts};
use crate::prereq::{self, Tool};
use crate::qemu::{self, Accel, Machine};
use crate::util::{self, Result};
use crate::{bail, linux, symbolize};

/// Every stage, in the order they run.
const STAGES: [&str; 7] = [
    "host",
    "ktest",
    "boot",
    "contracts",
    "session",
    "limits",
    "fuzz",
];
/// The stages `--quick` runs.
const QUICK_STAGES: [&str; 3] = ["host", "ktest", "boot"];
/// The stages that make sense for a Linux guest.
const LINUX_STAGES: [&str; 3] = ["boot", "contracts", "session"];

/// The outcome of one stage.
pub struct Report {
    pub stage: &'static str,
    pub passed: usize,
    pub failed: usize,
    pub xfail: usize,
    pub note: String,
    pub time: Duration,
}

impl Report {
    pub fn new(stage: &'static str) -> Self {
        Report {
            stage,
            passed: 0,
            failed: 0,
            xfail: 0,
            note: String::new(),
            time: Duration::ZERO,
        }
    }

    /// One failure that stands for the whole stage (a build error, a timeout...).
    pub fn broken(stage: &'static str, note: impl Into<String>) -> Self {
        Report {
            failed: 1,
            note: note.into(),
            ..Report::new(stage)
        }
    }
}

/// What the QEMU stages share: the guest to boot and the accelerator.
pub struct Guest {
    pub kind: KernelKind,
    /// The kernel ELF (Kestrel) or bzImage (Linux).
    pub image: PathBuf,
    /// Kestrel's ELF, for symbolizing backtraces.
    pub kestrel_elf: Option<PathBuf>,
    pub artifacts: Artifacts,
    pub accel: Accel,
    pub smp: u32,
    pub memory: String,
}

impl Guest {
    /// A machine booting this guest directly with the default initramfs.
    pub fn machine(&self, append: &str) -> Machine {
        let append = match self.kind {
            KernelKind::Kestrel => append.to_string(),
            KernelKind::Linux => linux::append(append),
        };
        let mut machine = Machine::new(
            &self.image,
            Some(&self.artifacts.initramfs),
            &append,
            self.accel,
        );
        machine.smp = self.smp;
        machine.memory = self.memory.clone();
        machine
    }

    /// Prints the tail of a failed run's log and symbolizes a kernel backtrace in it.
    pub fn explain_failure(&self, log: &Path) {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        println!("--- last lines of {} ---", util::show(log));
        println!("{}", util::tail(&text, 30));
        println!("---");
        if let Some(elf) = &self.kestrel_elf {
            symbolize::print(&text, elf);
        }
    }
}

/// The log of a QEMU stage: `target/test-logs/<stage>.log`.
pub fn log_path(stage: &str) -> PathBuf {
    util::target_dir()
        .join("test-logs")
        .join(format!("{stage}.log"))
}

pub fn main(opts: &Options) -> Result<bool> {
    let stages = selected_stages(opts)?;
    if opts.bless && !(opts.kernel == KernelKind::Linux && stages == ["session"]) {
        bail!("`--bless` records Linux's transcript: use it with --kernel linux --stage session");
    }

    let mut reports = Vec::new();
    if stages.contains(&"host") {
        reports.push(timed(host::run));
    }

    let qemu_stages: Vec<&str> = stages.iter().copied().filter(|s| *s != "host").collect();
    if !qemu_stages.is_empty() {
        match prepare_guest(opts) {
            Ok(guest) => {
                for stage in qemu_stages {
                    reports.push(timed(|| run_stage(stage, &guest, opts)));
                }
            }
            Err(err) => {
                println!("cannot prepare the guest: {}", err.0);
                for stage in qemu_stages {
                    reports.push(Report::broken(stage_name(stage), "build failed"));
                }
            }
        }
    }

    print_summary(&reports);
    Ok(reports.iter().all(|report| report.failed == 0))
}

fn selected_stages(opts: &Options) -> Result<Vec<&'static str>> {
    for stage in &opts.stages {
        if !STAGES.contains(&stage.as_str()) {
            bail!("unknown stage `{stage}`; stages: {}", STAGES.join(", "));
        }
    }
    let applicable: &[&str] = match opts.kernel {
        KernelKind::Kestrel => &STAGES,
        KernelKind::Linux => &LINUX_STAGES,
    };
    let wanted = |stage: &&str| {
        (opts.stages.is_empty() || opts.stages.iter().any(|s| s == stage))
            && (!opts.quick || QUICK_STAGES.contains(stage))
    };
    if let Some(stage) = opts
        .stages
        .iter()
        .find(|s| !applicable.contains(&s.as_str()))
    {
        bail!("stage `{stage}` does not apply to a Linux guest");
    }
    Ok(applicable.iter().copied().filter(wanted).collect())
}

fn stage_name(stage: &str) -> &'static str {
    STAGES.iter().copied().find(|s| *s == stage).unwrap_or("?")
}

fn run_stage(stage: &str, guest: &Guest, opts: &Options) -> Report {
    match stage {
        "ktest" => ktest::run(guest),
        "boot" => boot::run(guest),
        "contracts" => contracts::run(guest),
        "session" => session::run(guest, opts.bless),
        "limits" => limits::run(guest),
        "fuzz" => crate::fuzz::stage(guest),
        _ => Report::broken(stage_name(stage), "unknown stage"),
    }
}

fn timed(stage: impl FnOnce() -> Report) -> Report {
    let start = Instant::now();
    let mut report = stage();
    report.time = start.elapsed();
    report
}

/// Builds what the QEMU stages boot and chooses the accelerator.
fn prepare_guest(opts: &Options) -> Result<Guest> {
    prereq::ensure(&[Tool::Qemu, Tool::MuslGcc, Tool::Busybox])?;
    let (artifacts, image, kestrel_elf, marker) = match opts.kernel {
        KernelKind::Kestrel => {
            let artifacts = build::all(opts.release)?;
            let elf = artifacts.kernel.clone();
            (artifacts, elf.clone(), Some(elf), boot::BANNER_WORD)
        }
        KernelKind::Linux => {
            let userland = build::userland()?;
            let initramfs = build::initramfs(&userland)?;
            let kernel = build::kernel_path(opts.release);
            let artifacts = Artifacts {
                kernel,
                initramfs,
                userland,
            };
            (artifacts, linux::image()?, None, linux::INIT_MARKER)
        }
    };
    let mut guest = Guest {
        kind: opts.kernel,
        image,
        kestrel_elf,
        artifacts,
        accel: Accel::Tcg,
        smp: opts.smp,
        memory: opts.memory.clone(),
    };
    let probe = guest.machine("");
    guest.accel = qemu::choose_accel(&probe, marker, opts.tcg);
    Ok(guest)
}

fn print_summary(reports: &[Report]) {
    println!();
    println!(
        "{:<10} {:>7} {:>7} {:>6} {:>8}  result",
        "stage", "passed", "failed", "xfail", "time"
    );
    for report in reports {
        let result = if report.failed == 0 { "ok" } else { "FAILED" };
        let note = if report.note.is_empty() {
            String::new()
        } else {
            format!(" ({})", report.note)
        };
        println!(
            "{:<10} {:>7} {:>7} {:>6} {:>7.1}s  {result}{note}",
            report.stage,
            report.passed,
            report.failed,
            report.xfail,
            report.time.as_secs_f64()
        );
    }
    let passed: usize = reports.iter().map(|r| r.passed).sum();
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    let xfail: usize = reports.iter().map(|r| r.xfail).sum();
    if xfail > 0 {
        println!("{xfail} expected failures (userland/contracts/xfail.txt) are in neither count");
    }
    println!("{passed} passed, {failed} failed");
}
