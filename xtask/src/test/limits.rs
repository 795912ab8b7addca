//! The `limits` stage: drives a small guest to its limits from the shell and checks
//! that the kernel answers with errors or kills, never with its own death.
//!
//! Kestrel boots with [`MEMORY`] of RAM into the BusyBox shell, and each step types a
//! command: `userlandkestrel-hog` (installed as `kestrel-hog`) using up descriptors,
//! tasks, memory, mappings and pipe buffers, several at once; a flood of files in
//! tmpfs; and a shell fork bomb, stopped with `kill -9 -1`. Each step must print
//! what it expects (the errno that stopped the hog, or the shell's word that it
//! ended), and the shell must answer after it. Last, `poweroff` must power the
//! machine off cleanly. A kernel panic anywhere fails the stage. Linux is not run:
//! these steps would only measure the host's patience.

use std::time::{Duration, Instant};

use super::session::{at_prompt, strip_controls, PROMPT, SET_PROMPT};
use super::{log_path, Guest, Report};
use crate::args::KernelKind;
use crate::console::{Console, Stop};

/// Small, so that every limit is reached within seconds under TCG.
const MEMORY: &str = "128M";
const APPEND: &str = "loglevel=warn";
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const STEP_TIMEOUT: Duration = Duration::from_secs(120);
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);
/// Init, the shell and the `sleep` that may still be a zombie.
const MAX_LEFT: u32 = 3;
/// How long the fork bomb runs before it is stopped.
const BOMB_TIME: Duration = Duration::from_secs(10);

/// One command and what its output must hold.
struct Step {
    name: &'static str,
    command: &'static str,
    /// Every one of these must show.
    expect: &'static [&'static str],
    /// And at least one of these, when not empty.
    any_of: &'static [&'static str],
}

const STEPS: &[Step] = &[
    Step {
        name: "RLIMIT_NOFILE gives EMFILE",
        command: "kestrel-hog files",
        expect: &["files: EMFILE after"],
        any_of: &[],
    },
    Step {
        name: "the task cap gives EAGAIN",
        command: "kestrel-hog tasks",
        expect: &["tasks: EAGAIN after"],
        any_of: &[],
    },
    Step {
        name: "memory exhaustion: ENOMEM or the hog is killed",
        command: "kestrel-hog pages; echo status=$?",
        expect: &["status="],
        any_of: &["pages: ENOMEM", "status=137"],
    },
    Step {
        name: "four pipe hogs at once",
        command: "for i in 1 2 3 4; do kestrel-hog pipes & done; wait; echo pipes over",
        expect: &["pipes over"],
        any_of: &["pipes: ENOMEM", "pipes: EMFILE", "Killed"],
    },
    Step {
        name: "eight mapping hogs at once",
        command: "for i in 1 2 3 4 5 6 7 8; do kestrel-hog maps & done; wait; echo maps over",
        expect: &["maps over"],
        any_of: &["maps: ENOMEM", "Killed"],
    },
    Step {
        name: "a flood of files fills tmpfs",
        command: "mkdir /tmp/f && cd /tmp/f && i=0; while echo -n >$i; do i=$((i+1)); done; \
                  cd /; rm -rf /tmp/f; echo flood over",
        expect: &["No space left on device", "flood over"],
        any_of: &[],
    },
];

pub fn run(guest: &Guest) -> Report {
    let mut report = Report::new("limits");
    if guest.kind != KernelKind::Kestrel {
        report.note = "Kestrel only".into();
        return report;
    }
    if guest.artifacts.userland.hog.is_none() {
        return Report::broken("limits", "userland/limits has no C source");
    }
    let log = log_path("limits");
    let mut machine = guest.machine(APPEND);
    machine.memory = MEMORY.to_string();
    let mut console = match Console::start(&machine, &log) {
        Ok(console) => console,
        Err(err) => return Report::broken("limits", err.0),
    };
    let problem = drive(&mut console, &mut report);
    let text = console.text();
    console.kill();
    if text.contains("kernel panic") {
        report.failed += 1;
        report.note = "the kernel panicked".into();
    } else if let Some(problem) = problem {
        report.failed += 1;
        report.note = problem;
    } else {
        let kills = text.matches("out of memory").count();
        report.note = format!("{kills} processes killed for memory");
    }
    if report.failed > 0 {
        guest.explain_failure(&log);
    }
    report
}

/// Runs every step, counting checks into `report`; returns what stopped the run.
fn drive(console: &mut Console, report: &mut Report) -> Option<String> {
    let first_prompt = |out: &str| {
        let out = strip_controls(out);
        out.ends_with("# ") || out.ends_with("$ ")
    };
    if let Err(stop) = console.wait_for(first_prompt, BOOT_TIMEOUT) {
        return Some(format!("{stop} before the first prompt"));
    }
    if let Err(problem) = command(console, SET_PROMPT.trim_end()) {
        return Some(problem);
    }

    for step in STEPS {
        let started = Instant::now();
        let output = match command(console, step.command) {
            Ok(output) => output,
            Err(problem) => return Some(format!("{}: {problem}", step.name)),
        };
        let missing: Vec<&str> = step
            .expect
            .iter()
            .copied()
            .filter(|want| !output.contains(want))
            .collect();
        let any = step.any_of.is_empty() || step.any_of.iter().any(|want| output.contains(want));
        verdict(
            report,
            step.name,
            started,
            missing.is_empty() && any,
            &output,
        );
    }

    if let Some(problem) = fork_bomb(console, report) {
        return Some(problem);
    }

    let started = Instant::now();
    console.send("poweroff\n").ok()?;
    let powered_off = matches!(console.wait_exit(EXIT_TIMEOUT), Ok(Some(0)));
    verdict(report, "poweroff still works", started, powered_off, "");
    None
}

/// The classic shell fork bomb, left to run for [`BOMB_TIME`], then stopped with
/// the shell's own `kill -9 -1` (a builtin: no fork needed).
fn fork_bomb(console: &mut Console, report: &mut Report) -> Option<String> {
    let started = Instant::now();
    if let Err(problem) = command(console, "b() { b | b & }; b 2>/dev/null") {
        return Some(format!("fork bomb: {problem}"));
    }
    std::thread::sleep(BOMB_TIME);
    let output = match command(console, "kill -9 -1; echo bomb over") {
        Ok(output) => output,
        Err(problem) => return Some(format!("stopping the fork bomb: {problem}")),
    };
    verdict(
        report,
        "a fork bomb, then kill -9 -1",
        started,
        output.contains("bomb over"),
        &output,
    );
    let started = Instant::now();
    // Init reaps the killed bombers; then only init and the shell are left.
    let output = match command(
        console,
        "sleep 2; set -- /proc/[0-9]*; echo $# processes left",
    ) {
        Ok(output) => output,
        Err(problem) => return Some(format!("after the fork bomb: {problem}")),
    };
    let left = last_line(&output, "processes left");
    println!("limits   {left}");
    let count: Option<u32> = left.split_whitespace().next().and_then(|n| n.parse().ok());
    let survived = count.is_some_and(|n| n <= MAX_LEFT);
    verdict(
        report,
        "no bomber survives kill -9 -1",
        started,
        survived,
        &output,
    );
    None
}

/// Types `text` and waits for the marker prompt; returns what the guest printed.
fn command(console: &mut Console, text: &str) -> Result<String, String> {
    let start = console.position();
    console.send(&format!("{text}\n")).map_err(|err| err.0)?;
    match console.wait_for_since(start, at_prompt, STEP_TIMEOUT) {
        Ok(()) => Ok(strip_controls(&console.text_since(start))),
        Err(Stop::TimedOut) => Err(format!("no prompt within {}s", STEP_TIMEOUT.as_secs())),
        Err(stop) => Err(format!("{stop} before the prompt came back")),
    }
}

fn verdict(report: &mut Report, name: &str, started: Instant, ok: bool, output: &str) {
    let time = started.elapsed().as_secs_f64();
    if ok {
        report.passed += 1;
        println!("limits   ok      {name} ({time:.1}s)");
    } else {
        report.failed += 1;
        println!("limits   FAILED  {name} ({time:.1}s)");
        for line in output
            .lines()
            .filter(|line| !line.ends_with(PROMPT.trim_end()))
        {
            println!("         | {line}");
        }
    }
}

/// The last line of `output` that holds `mark`, or an empty string.
fn last_line<'a>(output: &'a str, mark: &str) -> &'a str {
    output
        .lines()
        .rev()
        .find(|line| line.contains(mark) && !line.contains("echo"))
        .unwrap_or("")
}
