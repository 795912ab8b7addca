//! Parsing the framed output of a contracts-mode boot.

use std::collections::BTreeMap;

pub const BEGIN: &str = "@@CONTRACT BEGIN ";
pub const END: &str = "@@CONTRACT END ";
pub const DONE: &str = "@@CONTRACTS DONE";

/// How a test ended in the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Status(i32),
    Signal(i32),
    Timeout,
    /// BEGIN without END: the guest stopped (or the run timed out) inside the test.
    Unfinished,
}

/// One framed test: its output (lines joined with `\n`, each ended by `\n`) and ending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Framed {
    pub output: String,
    pub ending: Ending,
}

/// `area/name -> Framed`.
pub type GuestRun = BTreeMap<String, Framed>;

/// Whether a line is a kernel log line: `[`, optional spaces, a timestamp in seconds
/// with a fraction (both kernels print one), `]`. A shell's job number (`[1]+  Done`)
/// has no fraction.
pub fn is_kernel_log(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((stamp, _)) = rest.split_once(']') else {
        return false;
    };
    let Some((seconds, fraction)) = stamp.trim().split_once('.') else {
        return false;
    };
    let is_number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    is_number(seconds) && is_number(fraction)
}

pub fn parse(serial: &str) -> GuestRun {
    let mut runs = GuestRun::new();
    let mut current: Option<(String, String)> = None;

    for raw in serial.replace('\r', "").lines() {
        if is_kernel_log(raw) {
            continue;
        }
        // Output without a final newline leaves the END marker mid-line.
        let (text, marker) = match raw.find("@@CONTRACT") {
            Some(at) => (&raw[..at], Some(&raw[at..])),
            None => (raw, None),
        };
        if let Some((_, output)) = current.as_mut() {
            if marker.is_none() || !text.is_empty() {
                output.push_str(text);
                output.push('\n');
            }
        }
        let Some(marker) = marker else {
            continue;
        };

        if let Some(id) = marker.strip_prefix(BEGIN) {
            close_unfinished(&mut runs, current.take());
            current = Some((id.trim().to_string(), String::new()));
        } else if let Some(rest) = marker.strip_prefix(END) {
            let (id, ending) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
            match current.take() {
                Some((open, output)) if open == id => {
                    runs.insert(
                        open,
                        Framed {
                            output,
                            ending: parse_ending(ending),
                        },
                    );
                }
                other => close_unfinished(&mut runs, other),
            }
        }
    }
    close_unfinished(&mut runs, current);
    runs
}

fn close_unfinished(runs: &mut GuestRun, open: Option<(String, String)>) {
    if let Some((id, output)) = open {
        runs.insert(
            id,
            Framed {
                output,
                ending: Ending::Unfinished,
            },
        );
    }
}

fn parse_ending(text: &str) -> Ending {
    let text = text.trim();
    let number = |value: &str| value.trim().parse::<i32>().ok();
    if let Some(status) = text.strip_prefix("status=").and_then(number) {
        Ending::Status(status)
    } else if let Some(signal) = text.strip_prefix("signal=").and_then(number) {
        Ending::Signal(signal)
    } else if text == "timeout" {
        Ending::Timeout
    } else {
        Ending::Unfinished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERIAL: &str = "[    0.100] WARN  kernel: something\r\n\
        @@CONTRACT BEGIN vm/brk_basic\r\n\
        grow: ok\r\n\
        [    1.5] INFO kernel: interleaved\r\n\
        CONTRACT_PASS\r\n\
        @@CONTRACT END vm/brk_basic status=0\r\n\
        @@CONTRACT BEGIN vm/fork_cow\r\n\
        no newline@@CONTRACT END vm/fork_cow signal=11\r\n\
        @@CONTRACT BEGIN vm/slow\r\n\
        @@CONTRACT END vm/slow timeout\r\n\
        @@CONTRACT BEGIN vm/crash\r\n\
        partial\r\n\
        @@CONTRACTS DONE\r\n";

    #[test]
    fn frames_are_parsed_and_kernel_lines_dropped() {
        let runs = parse(SERIAL);
        let brk = &runs["vm/brk_basic"];
        assert_eq!(brk.output, "grow: ok\nCONTRACT_PASS\n");
        assert_eq!(brk.ending, Ending::Status(0));
        assert_eq!(runs["vm/fork_cow"].output, "no newline\n");
        assert_eq!(runs["vm/fork_cow"].ending, Ending::Signal(11));
        assert_eq!(runs["vm/slow"].ending, Ending::Timeout);
        assert_eq!(runs["vm/crash"].ending, Ending::Unfinished);
        assert_eq!(runs["vm/crash"].output, "partial\n");
    }

    #[test]
    fn kernel_log_lines_need_a_timestamp() {
        assert!(is_kernel_log("[    0.012345] INFO x"));
        assert!(is_kernel_log("[12.5] x"));
        assert!(!is_kernel_log("[ok] test"));
        assert!(!is_kernel_log("[1]+  Running    sleep 100"));
        assert!(!is_kernel_log("[1.] x"));
        assert!(!is_kernel_log("[] x"));
        assert!(!is_kernel_log("plain"));
    }
}
