//! The `boot` stage: a plain PVH boot (`-kernel <ELF>`, as for Linux) reaches the
//! kernel banner. For a Linux guest, it reaches the start of `/init`.

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
        KernelKind::Kestrel => console.wait_for(has_banner, TIMEOUT),
        KernelKind::Linux => console.wait_for(|out| out.contains(linux::INIT_MARKER), TIMEOUT),
    };
    console.kill();

    match reached {
        Ok(()) => {
            report.passed = 1;
            report.note = format!("reached under {}", guest.accel.name());
            println!("boot   banner                                   ok");
        }
        Err(stop) => {
            report.failed = 1;
            report.note = match stop {
                Stop::TimedOut => format!("no banner within {}s", TIMEOUT.as_secs()),
                stop => format!("{stop} before the banner"),
            };
            println!("boot   banner                                   FAILED");
            guest.explain_failure(&log);
        }
    }
    report
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
}
