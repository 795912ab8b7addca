//! The `ktest` stage: the kernel runs its in-kernel tests and leaves QEMU through
//! `isa-debug-exit` (33 = all passed, 35 = some failed). Each test logs one line,
//! `ktest <name> ... ok` or `ktest <name> ... FAILED` (optionally `FAILED: <why>`).
//! Logs: `target/test-logs/ktest-tcg.log` (and `ktest-kvm.log`).

use std::time::Duration;

use super::{log_path, Guest, Report};
use crate::console::Console;
use crate::qemu::{Accel, EXIT_FAILURE, EXIT_SUCCESS};

const APPEND: &str = "loglevel=info kestrel.ktest";
const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the tests under TCG, and once more under KVM when the probe found it working.
pub fn run(guest: &Guest) -> Report {
    let mut report = Report::new("ktest");
    let mut accels = vec![Accel::Tcg];
    if guest.accel == Accel::Kvm {
        accels.push(Accel::Kvm);
    }
    let mut notes = Vec::new();
    for accel in accels {
        let (passed, failed, problem) = run_under(guest, accel);
        report.passed += passed;
        report.failed += failed;
        notes.extend(problem.map(|problem| format!("{}: {problem}", accel.name())));
    }
    report.note = notes.join("; ");
    report
}

/// One boot in test mode: (passed, failed, what went wrong besides failed tests).
fn run_under(guest: &Guest, accel: Accel) -> (usize, usize, Option<String>) {
    let log = log_path(&format!("ktest-{}", accel.name()));
    let mut machine = guest.machine(APPEND);
    machine.accel = accel;
    machine.debug_exit = true;
    let mut console = match Console::start(&machine, &log) {
        Ok(console) => console,
        Err(err) => return (0, 1, Some(err.0)),
    };
    let exit = console.wait_exit(TIMEOUT);

    let results = parse(&console.text());
    for (name, verdict) in &results {
        println!("ktest  {name:<40} {verdict}  ({})", accel.name());
    }
    let passed = results
        .iter()
        .filter(|(_, verdict)| verdict == "ok")
        .count();
    let mut failed = results.len() - passed;

    // The exit status must agree with the lines; a mismatch is one more failure.
    let problem = match exit {
        Ok(Some(EXIT_SUCCESS)) if results.is_empty() => Some("no ktest lines".to_string()),
        Ok(Some(EXIT_SUCCESS)) if failed > 0 => Some("exit 33 despite failures".into()),
        Ok(Some(EXIT_SUCCESS)) => None,
        Ok(Some(EXIT_FAILURE)) if failed > 0 => None,
        Ok(Some(EXIT_FAILURE)) => Some("exit status 35 (failure)".into()),
        Ok(Some(code)) => Some(format!("QEMU exit status {code}, not 33 or 35")),
        Ok(None) => Some("QEMU was killed by a signal".into()),
        Err(_) => Some(format!("timeout after {}s", TIMEOUT.as_secs())),
    };
    if problem.is_some() {
        failed += 1;
    }
    if failed > 0 {
        guest.explain_failure(&log);
    }
    (passed, failed, problem)
}

/// `(name, verdict)` for each `ktest <name> ... ok|FAILED[: why]` line, in order; the
/// verdict is `ok` or starts with `FAILED`.
pub fn parse(output: &str) -> Vec<(String, String)> {
    output
        .lines()
        .filter_map(|line| {
            let at = line.find("ktest ")?;
            let (name, verdict) = line[at + "ktest ".len()..].split_once(" ... ")?;
            let verdict = verdict.trim();
            if verdict != "ok" && !verdict.starts_with("FAILED") {
                return None;
            }
            Some((name.trim().to_string(), verdict.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_with_a_log_prefix() {
        let out = "[    0.012] INFO  kernel::ktest: ktest paging::round_trip ... ok\n\
                   ktest heap::grow ... FAILED: 3 != 4\r\nktest running 3 tests\nnoise";
        let results = parse(&out.replace('\r', ""));
        let expected = [
            ("paging::round_trip", "ok"),
            ("heap::grow", "FAILED: 3 != 4"),
        ];
        let expected = expected.map(|(name, verdict)| (name.to_string(), verdict.to_string()));
        assert_eq!(results, expected);
    }
}
