//! The `session` stage: a scripted BusyBox shell session over the serial console.
//!
//! The guest boots with the default init (shell mode). Once a first prompt shows
//! (output ending in `# ` or `$ `, then quiet), the prompt is set to a marker, and each
//! line of `tools/session/commands.txt` is typed, waiting for the marker prompt after
//! each. The transcript has one block per command: `$ <command>` and the output lines
//! that followed the echoed command. It is compared, command by command, with
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

use super::contracts::is_kernel_log;
use super::{log_path, Guest, Report};
use crate::args::KernelKind;
use crate::console::{Console, Stop};
use crate::util;
use mask::Mask;

const APPEND: &str = "loglevel=warn";
/// Set from the first prompt on; written so that its echo does not contain it.
const PROMPT: &str = "@@> ";
const SET_PROMPT: &str = "PS1='@@''> '\n";
const WILDCARD: &str = "{{*}}";
/// Separates a command in commands.txt from the names of its masks.
const MASK_MARK: &str = "  ## ";
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
const QUIET: Duration = Duration::from_millis(700);
const EXIT_TIMEOUT: Duration = Duration::from_secs(15);
/// Silence this long before the first prompt means the guest is stuck.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

fn session_dir() -> PathBuf {
    util::root().join("tools/session")
}

pub fn run(guest: &Guest, bless: bool) -> Report {
    let mut report = Report::new("session");
    let commands = match fs::read_to_string(session_dir().join("commands.txt")) {
        Ok(text) => match parse_commands(&text) {
            Ok(commands) => commands,
            Err(err) => return Report::broken("session", format!("commands.txt: {err}")),
        },
        Err(err) => return Report::broken("session", format!("tools/session/commands.txt: {err}")),
    };

    let log = log_path(match guest.kind {
        KernelKind::Kestrel => "session",
        KernelKind::Linux => "session-linux",
    });
    let (blocks, problem) = drive(guest, &commands, &log);

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

    for (index, Command { text: command, .. }) in commands.iter().enumerate() {
        let got = blocks.get(index).map(|(_, block)| block.as_str());
        let want = expected
            .iter()
            .find(|(cmd, _)| cmd == command)
            .map(|(_, b)| b.as_str());
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

/// Boots, types every command, and returns `(command, block)` for those that
/// completed, plus what went wrong, if anything.
fn drive(
    guest: &Guest,
    commands: &[Command],
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

    let at_prompt = |out: &str| strip_controls(out).ends_with(PROMPT);
    let start = console.position();
    if let Err(err) = console.send(SET_PROMPT) {
        return (blocks, Some(err.0));
    }
    if let Err(stop) = console.wait_for_since(start, at_prompt, COMMAND_TIMEOUT) {
        return (blocks, Some(describe_stop(stop, "setting the prompt")));
    }

    for Command {
        text: command,
        masks,
    } in commands
    {
        let start = console.position();
        if let Err(err) = console.send(&format!("{command}\n")) {
            return (blocks, Some(err.0));
        }
        if let Err(stop) = console.wait_for_since(start, at_prompt, COMMAND_TIMEOUT) {
            return (
                blocks,
                Some(describe_stop(stop, &format!("after `{command}`"))),
            );
        }
        let reply = console.text_since(start);
        blocks.push((command.clone(), block(command, masks, &reply)));
    }

    let _ = console.send("exit\n");
    let problem = match console.wait_exit(EXIT_TIMEOUT) {
        Ok(_) => None,
        Err(_) => Some("the guest did not power off when the shell exited".to_string()),
    };
    (blocks, problem)
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

/// A line of commands.txt: what to type, and the masks for what it prints.
struct Command {
    text: String,
    masks: Vec<Mask>,
}

/// Commands to type: non-empty lines that are not `#` comments, each with the masks
/// named after [`MASK_MARK`].
fn parse_commands(text: &str) -> std::result::Result<Vec<Command>, String> {
    text.lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|line| {
            let (command, masks) = line.split_once(MASK_MARK).unwrap_or((line, ""));
            let masks = masks
                .split_whitespace()
                .map(|name| Mask::parse(name).ok_or(format!("unknown mask `{name}`")))
                .collect::<std::result::Result<_, _>>()?;
            Ok(Command {
                text: command.trim_end().to_string(),
                masks,
            })
        })
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
    fn masks_follow_the_mark() {
        let commands = parse_commands("# c\nps  ## pids numbers\nls\n").unwrap();
        assert_eq!(commands[0].text, "ps");
        assert_eq!(commands[0].masks, [Mask::Pids, Mask::Numbers]);
        assert!(commands[1].masks.is_empty());
        assert!(parse_commands("ls  ## nonsense").is_err());
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
}
