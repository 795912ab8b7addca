//! The `session` stage: a scripted BusyBox shell session over the serial console.
//!
//! The guest boots with the default init (shell mode). Once a first prompt shows
//! (output ending in `# ` or `$ `, then quiet), the prompt is set to a marker, and each
//! command of `tools/session/commands.txt` is typed, with the control keys the script
//! presses while it runs (see [`script`] for the format), waiting for the marker prompt
//! after each. The last command may power the guest off, which ends the session.
//!
//! The transcript has one block per command: `$ <command>` and the output lines that
//! followed the echoed command (a key shows as the terminal echoes it, `^C`). The block
//! of the command that powers off is only [`POWERED_OFF`]: what the shell prints while
//! init stops every process varies with scheduling (whether `poweroff` exits before
//! init's SIGTERM reaches it, whether a prompt follows). The transcript is compared,
//! command by command (the n-th run of a command with its n-th block), with
//! `tools/session/expected.txt`, recorded on Linux with
//! `cargo xtask test --kernel linux --stage session --bless`.
//!
//! Masking, applied to what the guest printed before comparing:
//! - carriage returns, ANSI escape sequences and other control characters are removed;
//! - kernel log lines (`[` and a timestamp) are removed;
//! - trailing whitespace of every line is removed;
//! - the masks a command names after `  ## ` in commands.txt (see [`mask`]) rewrite
//!   what truly varies (PIDs, sizes, times) the same way on every kernel, so the
//!   transcript and expected.txt hold masked text;
//! - in expected.txt, `{{*}}` stands for any text within one line (for what truly
//!   varies, such as version strings or dates).

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

mod mask;
mod script;

use super::contracts::is_kernel_log;
use super::{log_path, Guest, Report};
use crate::args::KernelKind;
use crate::console::{Console, Stop};
use crate::util;
use mask::Mask;
use script::Step;

const APPEND: &str = "loglevel=warn";
/// Set from the first prompt on; written so that its echo does not contain it.
pub(super) const PROMPT: &str = "@@> ";
pub(super) const SET_PROMPT: &str = "PS1='@@''> '\n";
const WILDCARD: &str = "{{*}}";
/// The transcript's last line when the guest powered off after a command.
const POWERED_OFF: &str = "<powered off>";
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
const QUIET: Duration = Duration::from_millis(700);
/// Quiet this long after a command (or key) means it is running: the next key goes.
const KEY_SETTLE: Duration = Duration::from_secs(1);
const EXIT_TIMEOUT: Duration = Duration::from_secs(15);
/// Silence this long before the first prompt means the guest is stuck.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

fn session_dir() -> PathBuf {
    util::root().join("tools/session")
}

pub fn run(guest: &Guest, bless: bool) -> Report {
    let mut report = Report::new("session");
    let steps = match fs::read_to_string(session_dir().join("commands.txt")) {
        Ok(text) => match script::parse(&text) {
            Ok(steps) => steps,
            Err(err) => return Report::broken("session", format!("commands.txt: {err}")),
        },
        Err(err) => return Report::broken("session", format!("tools/session/commands.txt: {err}")),
    };

    let log = log_path(match guest.kind {
        KernelKind::Kestrel => "session",
        KernelKind::Linux => "session-linux",
    });
    let (blocks, problem) = drive(guest, &steps, &log);

    let transcript: String = blocks.iter().map(|(_, block)| block.as_str()).collect();
    let _ = fs::write(log.with_extension("transcript"), &transcript);
    if bless && problem.is_none() {
        let path = session_dir().join("expected.txt");
        if let Err(err) = fs::write(&path, &transcript) {
            return Report::broken("session", format!("cannot write expected.txt: {err}"));
        }
        println!("session  wrote {}", util::show(&path));
    }
    let expected = fs::read_to_string(session_dir().join("expected.txt")).unwrap_or_default();
    let expected = split_blocks(&expected);

    for (index, Step { command, .. }) in steps.iter().enumerate() {
        let got = blocks.get(index).map(|(_, block)| block.as_str());
        let want = expected_block(&expected, &steps, index);
        let verdict = match (got, want) {
            (Some(got), Some(want)) if block_matches(want, got) => None,
            (Some(got), Some(want)) => Some(
                similar::TextDiff::from_lines(want, got)
                    .unified_diff()
                    .header("expected", "guest")
                    .to_string(),
            ),
            (None, _) => Some("not run".to_string()),
            (Some(_), None) => Some("not in tools/session/expected.txt".to_string()),
        };
        match verdict {
            None => {
                report.passed += 1;
                println!("session  ok      $ {command}");
            }
            Some(detail) => {
                report.failed += 1;
                println!("session  FAILED  $ {command}");
                for line in detail.lines() {
                    println!("         {line}");
                }
            }
        }
    }

    if let Some(problem) = problem {
        report.note = problem;
        if report.failed == 0 {
            report.failed = 1;
        }
    }
    if report.failed > 0 {
        guest.explain_failure(&log);
    }
    report
}

/// Boots, runs every step, and returns `(command, block)` for those that completed,
/// plus what went wrong, if anything.
fn drive(
    guest: &Guest,
    steps: &[Step],
    log: &std::path::Path,
) -> (Vec<(String, String)>, Option<String>) {
    let mut blocks = Vec::new();
    let mut console = match Console::start(&guest.machine(APPEND), log) {
        Ok(console) => console,
        Err(err) => return (blocks, Some(err.0)),
    };

    console.set_idle_limit(IDLE_TIMEOUT);
    let first_prompt = |out: &str| {
        let out = strip_controls(out);
        out.ends_with("# ") || out.ends_with("$ ")
    };
    if let Err(stop) = console.wait_for(first_prompt, BOOT_TIMEOUT) {
        return (blocks, Some(describe_stop(stop, "before the first prompt")));
    }
    console.settle(QUIET, Duration::from_secs(5));

    let start = console.position();
    if let Err(err) = console.send(SET_PROMPT) {
        return (blocks, Some(err.0));
    }
    if let Err(stop) = console.wait_for_since(start, at_prompt, COMMAND_TIMEOUT) {
        return (blocks, Some(describe_stop(stop, "setting the prompt")));
    }

    for step in steps {
        let start = console.position();
        let ending = match run_step(&mut console, step) {
            Ok(ending) => ending,
            Err(problem) => return (blocks, Some(problem)),
        };
        match ending {
            Ending::Prompt => {
                let block = block(&step.command, &step.masks, &console.text_since(start));
                blocks.push((step.command.clone(), block));
            }
            Ending::Exited(code) => {
                let block = format!("$ {}\n{}\n", step.command, exit_line(code));
                blocks.push((step.command.clone(), block));
                return (blocks, None);
            }
        }
    }

    let _ = console.send("exit\n");
    let problem = match console.wait_exit(EXIT_TIMEOUT) {
        Ok(_) => None,
        Err(_) => Some("the guest did not power off when the shell exited".to_string()),
    };
    (blocks, problem)
}

pub(super) fn at_prompt(out: &str) -> bool {
    strip_controls(out).ends_with(PROMPT)
}

/// How a step ended.
enum Ending {
    /// Back at the prompt.
    Prompt,
    /// QEMU exited with this status after a command that powers off.
    Exited(Option<i32>),
}

/// Types a step's command, presses its keys, and waits for the prompt.
fn run_step(console: &mut Console, step: &Step) -> Result<Ending, String> {
    let command = &step.command;
    let mut sent = console.position();
    console.send(&format!("{command}\n")).map_err(|err| err.0)?;
    if step.powers_off {
        return match console.wait_exit(EXIT_TIMEOUT) {
            Ok(code) => Ok(Ending::Exited(code)),
            Err(_) => Err(format!("the guest did not power off after `{command}`")),
        };
    }

    for key in &step.keys {
        // The text shows before the shell is done: `fg` prints the command,
        // then hands the terminal to the job. Quiet output says it has.
        if let Some(text) = &key.after {
            let shown = |out: &str| strip_controls(out).contains(text.as_str());
            if let Err(stop) = console.wait_for_since(sent, shown, COMMAND_TIMEOUT) {
                let when = format!("before {} in `{command}`", key.name);
                return Err(describe_stop(stop, &when));
            }
        }
        console.settle(KEY_SETTLE, COMMAND_TIMEOUT);
        sent = console.position();
        console.send_bytes(&[key.byte]).map_err(|err| err.0)?;
    }

    match console.wait_for_since(sent, at_prompt, COMMAND_TIMEOUT) {
        Ok(()) => Ok(Ending::Prompt),
        Err(stop) => Err(describe_stop(stop, &format!("after `{command}`"))),
    }
}

/// The transcript line that ends the session after a command that powers off: QEMU
/// exits with status 0 when the guest powers off.
fn exit_line(code: Option<i32>) -> String {
    match code {
        Some(0) => POWERED_OFF.to_string(),
        Some(code) => format!("<QEMU exited with status {code}>"),
        None => "<QEMU was killed by a signal>".to_string(),
    }
}

fn describe_stop(stop: Stop, when: &str) -> String {
    format!("{stop} {when}")
}

/// The transcript block of one command from the raw reply: the echoed command line
/// is replaced by `$ <command>`, the final prompt is dropped, and `masks` apply.
fn block(command: &str, masks: &[Mask], reply: &str) -> String {
    let text = strip_controls(reply);
    let text = text.strip_suffix(PROMPT).unwrap_or(&text);
    let mut out = format!("$ {command}\n");
    let mut lines: Vec<String> = mask_lines(text).into_iter().skip(1).collect();
    for mask in masks {
        lines = mask.apply(lines);
    }
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Removes `\r`, ANSI escape sequences and control characters other than `\n` and `\t`.
pub fn strip_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                // CSI: parameters and intermediates up to a final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Lines without kernel log lines and without trailing whitespace.
fn mask_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !is_kernel_log(line))
        .map(|line| line.trim_end().to_string())
        .collect()
}

/// `(command, block)` pairs of a transcript; a block starts at a `$ ` line.
fn split_blocks(transcript: &str) -> Vec<(String, String)> {
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in transcript.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            blocks.push((command.to_string(), String::new()));
        }
        if let Some((_, block)) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks
}

/// The expected block of step `index`: of the blocks for its command, the one whose
/// rank is the rank of this run of the command among the steps.
fn expected_block<'a>(
    expected: &'a [(String, String)],
    steps: &[Step],
    index: usize,
) -> Option<&'a str> {
    let command = &steps[index].command;
    let rank = steps[..index]
        .iter()
        .filter(|step| &step.command == command)
        .count();
    expected
        .iter()
        .filter(|(cmd, _)| cmd == command)
        .nth(rank)
        .map(|(_, block)| block.as_str())
}

fn block_matches(want: &str, got: &str) -> bool {
    let want: Vec<&str> = want.lines().collect();
    let got: Vec<&str> = got.lines().collect();
    want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| line_matches(w, g))
}

/// Whether `line` matches `pattern`, where `{{*}}` matches any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split(WILDCARD).collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_carriage_returns_are_stripped() {
        let raw = "\x1b[6n\x1b]0;title\x07echo hi\r\nhi\r\n\x1b[1;32m@@> \x1b[0m";
        assert_eq!(strip_controls(raw), "echo hi\nhi\n@@> ");
    }

    #[test]
    fn block_replaces_the_echo_and_drops_the_prompt() {
        let reply = "echo hi | cat\r\nhi\r\n[    2.5] WARN kernel: x\r\n@@> ";
        assert_eq!(block("echo hi | cat", &[], reply), "$ echo hi | cat\nhi\n");
    }

    #[test]
    fn wildcard_matches_within_a_line() {
        assert!(line_matches("Linux {{*}} x86_64", "Linux 6.1.0 x86_64"));
        assert!(line_matches("{{*}}", "anything"));
        assert!(!line_matches("Linux {{*}} x86_64", "Linux 6.1.0 i686"));
        assert!(line_matches("exact", "exact"));
    }

    #[test]
    fn transcripts_split_into_command_blocks() {
        let blocks = split_blocks("$ a\n1\n$ b\n$ c\n2\n3\n");
        let names: Vec<&str> = blocks.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(blocks[2].1, "$ c\n2\n3\n");
    }

    #[test]
    fn a_repeated_command_is_compared_with_its_own_block() {
        let steps = script::parse("jobs\nsleep 1\njobs\n").unwrap();
        let expected = split_blocks("$ jobs\n[1] Running\n$ sleep 1\n$ jobs\n");
        assert_eq!(
            expected_block(&expected, &steps, 0),
            Some("$ jobs\n[1] Running\n")
        );
        assert_eq!(expected_block(&expected, &steps, 1), Some("$ sleep 1\n"));
        assert_eq!(expected_block(&expected, &steps, 2), Some("$ jobs\n"));
        let fewer = split_blocks("$ jobs\n");
        assert_eq!(expected_block(&fewer, &steps, 2), None);
    }

    #[test]
    fn a_key_echo_stays_in_the_block() {
        let reply = "sleep 100\r\n^C\r\n@@> ";
        assert_eq!(block("sleep 100", &[], reply), "$ sleep 100\n^C\n");
    }

    #[test]
    fn an_exit_is_told_in_the_transcript() {
        assert_eq!(exit_line(Some(0)), POWERED_OFF);
        assert_eq!(exit_line(Some(3)), "<QEMU exited with status 3>");
    }
}
