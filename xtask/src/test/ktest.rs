//! The `ktest` stage: the kernel runs its in-kernel tests and leaves QEMU through
//! `isa-debug-exit` (33 = all passed, 35 = some failed). Each test logs one line,
//! `ktest <name> ... ok` or `ktest <name> ... FAILED`.

use std::time::Duration;

use super::{log_path, Guest, Report};
use crate::qemu::{Console, EXIT_FAILURE, EXIT_SUCCESS};

const APPEND: &str = "loglevel=info kestrel.ktest";
const TIMEOUT: Duration = Duration::from_secs(120);

pub fn run(guest: &Guest) -> Report {
    let mut report = Report::new("ktest");
    let log = log_path("ktest");
    let mut machine = guest.machine(APPEND);
    machine.debug_exit = true;
    let mut console = match Console::start(&machine, &log) {
        Ok(console) => console,
        Err(err) => return Report::broken("ktest", err.0),
    };
    let exit = console.wait_exit(TIMEOUT);

    let results = parse(&console.text());
    for (name, passed) in &results {
        println!(
            "ktest  {:<40} {}",
            name,
            if *passed { "ok" } else { "FAILED" }
        );
    }
    report.passed = results.iter().filter(|(_, passed)| *passed).count();
    report.failed = results.len() - report.passed;

    // The exit status must agree with the lines; a mismatch is one more failure.
    let problem = match exit {
        Ok(Some(EXIT_SUCCESS)) if results.is_empty() => Some("no ktest lines".to_string()),
        Ok(Some(EXIT_SUCCESS)) if report.failed > 0 => Some("exit 33 despite failures".into()),
        Ok(Some(EXIT_SUCCESS)) => None,
        Ok(Some(EXIT_FAILURE)) if report.failed > 0 => None,
        Ok(Some(EXIT_FAILURE)) => Some("exit status 35 (failure)".into()),
        Ok(Some(code)) => Some(format!("QEMU exit status {code}, not 33 or 35")),
        Ok(None) => Some("QEMU was killed by a signal".into()),
        Err(_) => Some(format!("timeout after {}s", TIMEOUT.as_secs())),
    };
    if let Some(problem) = problem {
        report.failed += 1;
        report.note = problem;
    }
    if report.failed > 0 {
        guest.explain_failure(&log);
    }
    report
}

/// `(name, passed)` for each `ktest <name> ... ok|FAILED` line, in order.
pub fn parse(output: &str) -> Vec<(String, bool)> {
    output
        .lines()
        .filter_map(|line| {
            let at = line.find("ktest ")?;
            let (name, verdict) = line[at + "ktest ".len()..].rsplit_once(" ... ")?;
            let passed = match verdict.trim() {
                "ok" => true,
                "FAILED" => false,
                _ => return None,
            };
            Some((name.trim().to_string(), passed))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_with_a_log_prefix() {
        let out = "[    0.012] INFO  kernel::ktest: ktest paging::round_trip ... ok\n\
                   ktest heap::grow ... FAILED\r\nktest running 3 tests\nnoise";
        let results = parse(&out.replace('\r', ""));
        assert_eq!(
            results,
            [
                ("paging::round_trip".to_string(), true),
                ("heap::grow".to_string(), false)
            ]
        );
    }
}
