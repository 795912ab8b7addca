//! The `contracts` stage. Each `userland/contracts/<area>/<name>.c` is built once as a
//! static musl binary, run on the host's Linux for the expected output, then all of
//! them run in a single boot of the guest (`initmode=contracts`). Init frames each test
//! on the serial line:
//!
//! ```text
//! @@CONTRACT BEGIN <area>/<name>
//! <the test's output>
//! @@CONTRACT END <area>/<name> status=<n>      (or signal=<n>, or timeout)
//! @@CONTRACTS DONE
//! ```
//!
//! then powers off. Kernel log lines (`[` and a timestamp) are ignored. Verdicts:
//! PASS (same output and status as on Linux), DIVERGE (same status, different
//! output), FAIL, TIMEOUT, and XFAIL/XPASS for tests listed in
//! `userland/contracts/xfail.txt` (`area/name  reason`).

mod framing;
mod host;

use std::collections::BTreeMap;
use std::time::Duration;

use super::{log_path, Guest, Report};
use crate::args::KernelKind;
use crate::console::{Console, Stop};
use crate::util;
pub use framing::is_kernel_log;
use framing::{Ending, GuestRun};
use host::HostRun;

const APPEND: &str = "loglevel=warn initmode=contracts";
/// Time for the whole guest run: a boot, plus a share per test.
const BOOT_TIMEOUT: Duration = Duration::from_secs(90);
/// Init gives each test 20 s; this leaves room for the framing around it.
const PER_TEST_TIMEOUT: Duration = Duration::from_secs(25);
/// Silence longer than init's per-test limit means the guest is stuck.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// How long QEMU may take to power off after `@@CONTRACTS DONE`.
const POWEROFF_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Diverge,
    Fail,
    Timeout,
    Xfail,
    Xpass,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Diverge => "DIVERGE",
            Verdict::Fail => "FAIL",
            Verdict::Timeout => "TIMEOUT",
            Verdict::Xfail => "XFAIL",
            Verdict::Xpass => "XPASS",
        }
    }
}

pub fn run(guest: &Guest) -> Report {
    let mut report = Report::new("contracts");
    let contracts = &guest.artifacts.userland.contracts;
    if contracts.is_empty() {
        report.note = "no contract tests in userland/contracts".into();
        return report;
    }
    // Expected failures are ours to list, and only for our kernel.
    let xfail = match guest.kind {
        KernelKind::Kestrel => read_xfail(),
        KernelKind::Linux => BTreeMap::new(),
    };

    let expected: Vec<HostRun> = contracts.iter().map(host::run).collect();

    let log = log_path(match guest.kind {
        KernelKind::Kestrel => "contracts",
        KernelKind::Linux => "contracts-linux",
    });
    let (runs, problem) = run_guest(guest, contracts.len(), &log);

    for (contract, host) in contracts.iter().zip(&expected) {
        let id = contract.id();
        let got = runs.get(&id);
        let (verdict, detail) = judge(host, got);
        let verdict = match (xfail.get(&id), verdict) {
            (Some(_), Verdict::Pass) => Verdict::Xpass,
            (Some(_), _) => Verdict::Xfail,
            (None, verdict) => verdict,
        };
        match verdict {
            Verdict::Pass | Verdict::Xpass => report.passed += 1,
            Verdict::Xfail => report.xfail += 1,
            _ => report.failed += 1,
        }
        let reason = xfail
            .get(&id)
            .map(|r| format!("  ({r})"))
            .unwrap_or_default();
        println!("{:<8} {id}{reason}", verdict.label());
        // When the guest ran nothing, the stage note says so once.
        let is_quiet = runs.is_empty() && got.is_none();
        if !is_quiet && !matches!(verdict, Verdict::Pass | Verdict::Xpass | Verdict::Xfail) {
            for line in detail.lines() {
                println!("         {line}");
            }
        }
    }

    if guest.kind == KernelKind::Kestrel {
        let serial = std::fs::read_to_string(&log).unwrap_or_default();
        let missing = unimplemented_syscalls(&serial);
        let list = if missing.is_empty() {
            "none".to_string()
        } else {
            missing.join(", ")
        };
        println!("syscalls that returned ENOSYS during the suite: {list}");
    }

    report.note = match (problem, runs.is_empty()) {
        (Some(problem), true) => format!("no test ran in the guest: {problem}"),
        (Some(problem), false) => problem,
        (None, true) => "no test ran in the guest".into(),
        (None, false) => String::new(),
    };
    if report.failed > 0 {
        guest.explain_failure(&log);
    }
    report
}

/// Boots the guest once in contracts mode and collects every framed test.
fn run_guest(guest: &Guest, count: usize, log: &std::path::Path) -> (GuestRun, Option<String>) {
    let machine = guest.machine(APPEND);
    let mut console = match Console::start(&machine, log) {
        Ok(console) => console,
        Err(err) => return (GuestRun::new(), Some(err.0)),
    };
    console.set_idle_limit(IDLE_TIMEOUT);
    let timeout = BOOT_TIMEOUT + PER_TEST_TIMEOUT * count as u32;
    let finished = console.wait_for(|out| out.contains(framing::DONE), timeout);
    let problem = match finished {
        Ok(()) => match console.wait_exit(POWEROFF_TIMEOUT) {
            Ok(_) => None,
            Err(_) => Some("the guest did not power off after the suite".to_string()),
        },
        Err(Stop::TimedOut) => Some(format!("suite unfinished after {}s", timeout.as_secs())),
        Err(stop) => Some(format!("{stop} before the suite ended")),
    };
    console.kill();
    (framing::parse(&console.text()), problem)
}

/// Compares the guest's run of one test with the host's.
fn judge(host: &HostRun, got: Option<&framing::Framed>) -> (Verdict, String) {
    if let Some(broken) = host.broken() {
        return (Verdict::Fail, format!("broken test: on Linux it {broken}"));
    }
    let Some(got) = got else {
        return (
            Verdict::Fail,
            "never ran in the guest (no BEGIN/END frame)".into(),
        );
    };
    let diff = || {
        similar::TextDiff::from_lines(&host.output, &got.output)
            .unified_diff()
            .context_radius(3)
            .header("linux", "guest")
            .to_string()
    };
    match got.ending {
        Ending::Timeout => (Verdict::Timeout, "killed by init's time limit".into()),
        Ending::Unfinished => (Verdict::Timeout, format!("no END frame\n{}", diff())),
        Ending::Signal(signal) => (
            Verdict::Fail,
            format!("killed by signal {signal}\n{}", diff()),
        ),
        Ending::Status(status) if status != host.status => {
            let why = format!("exit status {status}, Linux {}", host.status);
            (Verdict::Fail, format!("{why}\n{}", diff()))
        }
        Ending::Status(_) if got.output != host.output => (Verdict::Diverge, diff()),
        Ending::Status(_) => (Verdict::Pass, String::new()),
    }
}

/// Names from the kernel's `syscall <name> (<nr>) is not implemented` warnings,
/// sorted and without repeats.
fn unimplemented_syscalls(serial: &str) -> Vec<String> {
    let mut names: Vec<String> = serial
        .lines()
        .filter(|line| line.contains("is not implemented"))
        .filter_map(|line| {
            let rest = &line[line.find("syscall ")? + "syscall ".len()..];
            rest.split_whitespace().next().map(str::to_string)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `area/name -> reason` from `userland/contracts/xfail.txt`.
fn read_xfail() -> BTreeMap<String, String> {
    let path = util::root().join("userland/contracts/xfail.txt");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    parse_xfail(&text)
}

fn parse_xfail(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| match line.split_once(char::is_whitespace) {
            Some((id, reason)) => (id.to_string(), reason.trim().to_string()),
            None => (line.to_string(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unimplemented_syscalls_are_listed_once() {
        let serial =
            "[ 0.1] WARN  kernel::syscall: syscall rseq (334) is not implemented: ENOSYS\n\
                      [ 0.2] WARN  kernel::syscall: syscall membarrier (324) is not implemented\n\
                      [ 0.3] WARN  kernel::syscall: syscall rseq (334) is not implemented\n";
        assert_eq!(unimplemented_syscalls(serial), ["membarrier", "rseq"]);
    }

    #[test]
    fn xfail_lines_have_an_id_and_a_reason() {
        let parsed = parse_xfail("# comment\n\nvm/tlb_shootdown   needs SMP\nvm/x\n");
        assert_eq!(
            parsed.get("vm/tlb_shootdown").map(String::as_str),
            Some("needs SMP")
        );
        assert_eq!(parsed.get("vm/x").map(String::as_str), Some(""));
        assert_eq!(parsed.len(), 2);
    }
}
