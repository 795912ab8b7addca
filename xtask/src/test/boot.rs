//! The `boot` stage: a plain PVH boot (`-kernel <ELF>`, as for Linux) reaches the
//! kernel banner, then unpacks the initramfs; the stage shows the boot time and the
//! unpack throughput the kernel logs. A second boot without an initramfs must say so
//! in one line and power off cleanly. Two boots crash on purpose (`kestrel.crash=panic`
//! and `=page_fault`): each must report the crash with a backtrace that symbolizes
//! into kernel functions and stop QEMU with the failure status. For a Linux guest,
//! it reaches the start of `/init`.

use std::time::Duration;

use super::{log_path, Guest, Report};
use crate::args::KernelKind;
use crate::console::{Console, Stop};
use crate::linux;

/// The banner is a line with this word and the workspace version, e.g.
/// `Kestrel 0.1.0 (rev 1a2b3c4)`.
pub const BANNER_WORD: &str = "Kestrel";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const TIMEOUT: Duration = Duration::from_secs(60);

/// The kernel's line after unpacking the initramfs, e.g. `initramfs: 365 entries,
/// 6461153 bytes of data unpacked in 36942 us (168 MiB/s)`.
const UNPACK_MARK: &str = "initramfs: ";
/// The kernel's boot-time line, e.g. `boot: entry to kernel_main 1.707 ms, ready after
/// 29.604 ms (guest time)`.
const BOOT_TIME_MARK: &str = "boot: entry to kernel_main";

/// What the kernel says when it was given no initramfs, before it powers off.
const NO_INITRAMFS_MARK: &str = "no initramfs: ";

/// The text after `mark` on the first complete line that has it.
fn line_after<'a>(output: &'a str, mark: &str) -> Option<&'a str> {
    output
        .split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .find_map(|line| line.split_once(mark).map(|(_, rest)| rest.trim()))
}

/// Whether `output` holds the banner line.
pub fn has_banner(output: &str) -> bool {
    output
        .lines()
        .any(|line| line.contains(BANNER_WORD) && line.contains(VERSION))
}

pub fn run(guest: &Guest) -> Report {
    let mut report = Report::new("boot");
    let log = log_path("boot");
    let machine = guest.machine("loglevel=info");
    let mut console = match Console::start(&machine, &log) {
        Ok(console) => console,
        Err(err) => return Report::broken("boot", err.0),
    };
    let reached = match guest.kind {
        KernelKind::Kestrel => console
            .wait_for(has_banner, TIMEOUT)
            .and_then(|()| console.wait_for(|out| line_after(out, UNPACK_MARK).is_some(), TIMEOUT)),
        KernelKind::Linux => console.wait_for(|out| out.contains(linux::INIT_MARKER), TIMEOUT),
    };
    let output = console.text();
    console.kill();
    if let Some(time) = line_after(&output, BOOT_TIME_MARK) {
        println!("boot   time: entry to kernel_main {time}");
    }
    if let Some(unpack) = line_after(&output, UNPACK_MARK) {
        println!("boot   initramfs: {unpack}");
    }

    match reached {
        Ok(()) => {
            report.passed = 1;
            report.note = format!("reached under {}", guest.accel.name());
            println!("boot   banner                                   ok");
        }
        Err(stop) => {
            report.failed = 1;
            report.note = match stop {
                Stop::TimedOut if has_banner(&output) => {
                    format!("no initramfs summary within {}s", TIMEOUT.as_secs())
                }
                Stop::TimedOut => format!("no banner within {}s", TIMEOUT.as_secs()),
                stop => format!("{stop} before the banner and the initramfs summary"),
            };
            println!("boot   banner                                   FAILED");
            guest.explain_failure(&log);
        }
    }
    if guest.kind == KernelKind::Kestrel {
        check_no_initramfs(guest, &mut report);
        for crash in CRASHES {
            check_crash_report(guest, crash, &mut report);
        }
    }
    report
}

/// The deliberate crashes (`kestrel.crash=KIND`) whose reports are checked.
const CRASHES: [&str; 2] = ["panic", "page_fault"];
/// QEMU's status when the kernel writes its failure code to `isa-debug-exit`
/// (`(0x11 << 1) | 1`).
const FAILURE_STATUS: i32 = 35;

/// Boots with a deliberate kernel crash: the kernel must report it with a
/// backtrace that symbolizes into kernel functions, then stop QEMU with the
/// failure status.
fn check_crash_report(guest: &Guest, crash: &str, report: &mut Report) {
    let log = log_path(&format!("boot-crash-{crash}"));
    let machine = guest.machine(&format!("loglevel=info kestrel.crash={crash}"));
    let Some((exit, text)) = run_to_exit(&machine, &log, report) else {
        return;
    };
    let frames = guest
        .kestrel_elf
        .as_deref()
        .map(|elf| crate::symbolize::frames(&text, elf))
        .unwrap_or_default();
    let named = frames.iter().any(|frame| {
        frame.function.starts_with("kernel::") || frame.function.starts_with("platform::")
    });
    let label = format!("crash={crash}: panic, symbolized backtrace, status {FAILURE_STATUS}");
    // A panic says `kernel panic`; a fault in kernel mode says `oops`.
    let reported = text.contains("kernel panic") || text.contains("oops:");
    if reported && named && matches!(exit, Ok(Some(FAILURE_STATUS))) {
        report.passed += 1;
        println!("boot   {label}  ok");
        if let Some(frame) = frames.first() {
            println!("       e.g. {}  {}", frame.address, frame.function);
        }
    } else {
        report.failed += 1;
        report.note = format!(
            "kestrel.crash={crash}: panic reported {reported}, {} symbolized frames, exit {exit:?}",
            frames.len()
        );
        println!("boot   {label}  FAILED");
        guest.explain_failure(&log);
    }
}

/// Boots `machine` until QEMU exits (or [`TIMEOUT`]); returns how it exited and
/// what it printed, or `None` with the failure counted when QEMU did not start.
fn run_to_exit(
    machine: &crate::qemu::Machine,
    log: &std::path::Path,
    report: &mut Report,
) -> Option<(Result<Option<i32>, Stop>, String)> {
    let mut console = match Console::start(machine, log) {
        Ok(console) => console,
        Err(err) => {
            report.failed += 1;
            report.note = err.0;
            return None;
        }
    };
    let exit = console.wait_exit(TIMEOUT);
    let text = console.text();
    console.kill();
    Some((exit, text))
}

/// Boots without `-initrd`: one clear line, then a clean power-off (status 0).
fn check_no_initramfs(guest: &Guest, report: &mut Report) {
    let log = log_path("boot-no-initramfs");
    let mut machine = guest.machine("loglevel=info");
    machine.initrd = None;
    let Some((exit, text)) = run_to_exit(&machine, &log, report) else {
        return;
    };
    let said = line_after(&text, NO_INITRAMFS_MARK).is_some();
    if said && matches!(exit, Ok(Some(0))) {
        report.passed += 1;
        println!("boot   no initramfs: one line, then power-off  ok");
    } else {
        report.failed += 1;
        report.note = format!("without an initramfs: said it {said}, exit {exit:?}");
        println!("boot   no initramfs: one line, then power-off  FAILED");
        guest.explain_failure(&log);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_needs_name_and_version() {
        assert!(has_banner(&format!(
            "[ 0.001] INFO Kestrel {VERSION} (rev abc)\n"
        )));
        assert!(!has_banner("Kestrel starting\n"));
    }

    #[test]
    fn unpack_summary_is_found_after_its_mark() {
        let log = "[ 0.06] INFO  kernel::fs: initramfs: 3 entries, 10 bytes of data \
                   unpacked in 5 us (1 MiB/s)\n";
        assert_eq!(
            line_after(log, UNPACK_MARK),
            Some("3 entries, 10 bytes of data unpacked in 5 us (1 MiB/s)")
        );
        assert_eq!(line_after("[ 0.01] INFO  other\n", UNPACK_MARK), None);
        assert_eq!(
            line_after("[ 0.06] INFO  initramfs: 3 ent", UNPACK_MARK),
            None
        );
    }
}
