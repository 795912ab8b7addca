//! In-kernel tests, run when the command line holds `kestrel.ktest` (all
//! tests) or `kestrel.ktest=name,name` (those only).
//!
//! Each test is a `(name, fn() -> Result<(), String>)` pair in a module's
//! `TESTS` slice; a new module adds its slice to [`SUITES`]. Every test prints
//! one line, `ktest <name> ... ok` or `ktest <name> ... FAILED: <why>`, then a
//! summary line `ktest: N passed, M failed`, and QEMU exits through
//! `isa-debug-exit`: status 33 when all passed, 35 otherwise.

mod fs;
mod mm;
mod platform;
mod protections;
mod user;

use alloc::string::String;

use ::platform::power::{self, QemuExitCode};
use log::LevelFilter;

use crate::cmdline::TestSelection;

/// What a test returns: `Err` carries the reason it failed.
pub type TestResult = Result<(), String>;
/// A named test.
pub type Test = (&'static str, fn() -> TestResult);

/// Every suite.
const SUITES: &[&[Test]] = &[
    platform::TESTS,
    crate::cmdline::TESTS,
    user::TESTS,
    fs::TESTS,
    mm::TESTS,
    protections::TESTS,
    crate::task::count::TESTS,
];

/// Fails the current test with a formatted reason unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($reason:tt)+) => {
        if !$cond {
            return Err(alloc::format!($($reason)+));
        }
    };
}

fn all_tests() -> impl Iterator<Item = &'static Test> {
    SUITES.iter().flat_map(|suite| suite.iter())
}

/// Runs the selected tests, reports them and leaves QEMU. `initramfs` is
/// what the kernel was booted with, for the filesystem tests.
pub fn run(selection: &TestSelection, initramfs: Option<&'static [u8]>) -> ! {
    fs::set_boot_initramfs(initramfs);
    if log::max_level() < LevelFilter::Info {
        ::platform::logger::set_level(LevelFilter::Info);
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut report = |name: &str, result: TestResult| match result {
        Ok(()) => {
            passed += 1;
            log::info!("ktest {name} ... ok");
        }
        Err(why) => {
            failed += 1;
            log::error!("ktest {name} ... FAILED: {why}");
        }
    };

    match selection {
        TestSelection::All => all_tests().for_each(|(name, test)| report(name, test())),
        TestSelection::Named(names) => {
            for wanted in names {
                match all_tests().find(|(name, _)| name == wanted) {
                    Some((name, test)) => report(name, test()),
                    None => report(wanted, Err(String::from("no such test"))),
                }
            }
        }
    }

    log::info!("ktest: {passed} passed, {failed} failed");
    power::exit_qemu(if failed == 0 {
        QemuExitCode::Success
    } else {
        QemuExitCode::Failure
    })
}
