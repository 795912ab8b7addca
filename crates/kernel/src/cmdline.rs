//! The kernel command line.
//!
//! Words are separated by spaces. The kernel takes `init=`, `rdinit=`,
//! `loglevel=` and `kestrel.ktest[=name,name]`; everything after `--` and
//! every other word is left for init, as Linux does: `name=value` words
//! become its environment, plain words its arguments. Those words are
//! logged, since the kernel itself ignores them.

use alloc::vec::Vec;

use log::LevelFilter;
use platform::arch::trap::DeliberateFault;

/// Options that ask for the in-kernel tests.
const KTEST_OPTION: &str = "kestrel.ktest";
/// Prefix of options meant for this kernel: unknown ones are not passed on.
const KERNEL_NAMESPACE: &str = "kestrel.";
/// Linux options that mean nothing here and are dropped quietly.
const IGNORED_LINUX_OPTIONS: &[&str] = &["console", "earlyprintk", "quiet", "panic", "rw", "ro"];

/// `kestrel.crash=KIND`: fault on purpose after boot, to check the reports.
const CRASH_OPTION: &str = "kestrel.crash";

/// A crash asked for on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crash {
    Panic,
    Fault(DeliberateFault),
}

impl Crash {
    fn from_name(name: &str) -> Option<Crash> {
        match name {
            "panic" => Some(Crash::Panic),
            "page_fault" => Some(Crash::Fault(DeliberateFault::PageFault)),
            "invalid_opcode" => Some(Crash::Fault(DeliberateFault::InvalidOpcode)),
            "breakpoint" => Some(Crash::Fault(DeliberateFault::Breakpoint)),
            _ => None,
        }
    }
}

/// Which in-kernel tests to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestSelection {
    All,
    Named(Vec<&'static str>),
}

/// The parsed command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub init: Option<&'static str>,
    pub rdinit: Option<&'static str>,
    pub log_level: Option<LevelFilter>,
    pub ktest: Option<TestSelection>,
    pub crash: Option<Crash>,
    /// Arguments for init after its own name.
    pub init_args: Vec<&'static str>,
    /// `NAME=value` strings for init's environment.
    pub init_env: Vec<&'static str>,
}

/// The `loglevel=` value alone, read before the heap exists.
pub fn early_log_level(cmdline: &str) -> Option<LevelFilter> {
    cmdline
        .split_ascii_whitespace()
        .take_while(|word| *word != "--")
        .filter_map(|word| word.strip_prefix("loglevel="))
        .filter_map(platform::logger::parse_level)
        .last()
}

/// Parses the whole command line, logging what the kernel does not use.
pub fn parse(cmdline: &'static str) -> Options {
    let mut options = Options::default();
    let mut words = cmdline.split_ascii_whitespace();
    for word in words.by_ref() {
        if word == "--" {
            break;
        }
        let (name, value) = match word.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (word, None),
        };
        match (name, value) {
            ("init", Some(path)) => options.init = Some(path),
            ("rdinit", Some(path)) => options.rdinit = Some(path),
            ("loglevel", Some(level)) => match platform::logger::parse_level(level) {
                Some(level) => options.log_level = Some(level),
                None => log::warn!("bad loglevel `{level}` ignored"),
            },
            (KTEST_OPTION, None) => options.ktest = Some(TestSelection::All),
            (KTEST_OPTION, Some(names)) => {
                let names = names.split(',').filter(|name| !name.is_empty()).collect();
                options.ktest = Some(TestSelection::Named(names));
            }
            (CRASH_OPTION, Some(kind)) => match Crash::from_name(kind) {
                Some(crash) => options.crash = Some(crash),
                None => log::warn!("unknown crash kind `{kind}` ignored"),
            },
            _ if name.starts_with(KERNEL_NAMESPACE) => {
                log::warn!("unknown option `{word}` ignored");
            }
            _ if IGNORED_LINUX_OPTIONS.contains(&name) => {
                log::debug!("`{word}` has no meaning here, ignored");
            }
            (_, Some(_)) => {
                log::info!("unknown option `{word}` ignored, passed to init's environment");
                options.init_env.push(word);
            }
            (_, None) => {
                log::info!("unknown option `{word}` ignored, passed to init as an argument");
                options.init_args.push(word);
            }
        }
    }
    options.init_args.extend(words);
    options
}

/// Command-line parsing tests, run in the kernel.
pub const TESTS: &[crate::ktest::Test] = &[("cmdline_parse", test_parse)];

fn test_parse() -> crate::ktest::TestResult {
    use crate::ensure;

    let options = parse("init=/bin/sh loglevel=debug foo=bar single kestrel.ktest=a,b -- -x y");
    ensure!(options.init == Some("/bin/sh"), "init: {:?}", options.init);
    ensure!(
        options.log_level == Some(LevelFilter::Debug),
        "level: {:?}",
        options.log_level
    );
    ensure!(
        options.init_env == ["foo=bar"],
        "env: {:?}",
        options.init_env
    );
    ensure!(
        options.init_args == ["single", "-x", "y"],
        "args: {:?}",
        options.init_args
    );
    ensure!(
        options.ktest == Some(TestSelection::Named(alloc::vec!["a", "b"])),
        "ktest: {:?}",
        options.ktest
    );
    let options = parse("rdinit=/init loglevel=4 kestrel.ktest kestrel.bogus console=ttyS0");
    ensure!(
        options.rdinit == Some("/init"),
        "rdinit: {:?}",
        options.rdinit
    );
    ensure!(
        options.log_level == Some(LevelFilter::Warn),
        "numeric level"
    );
    ensure!(
        options.ktest == Some(TestSelection::All),
        "bare kestrel.ktest"
    );
    ensure!(
        options.init_env.is_empty() && options.init_args.is_empty(),
        "leftovers passed on"
    );
    Ok(())
}
