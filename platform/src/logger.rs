//! The `log` backend: one line per record on the serial console,
//! `[seconds.micros] LEVEL module: message`, time counted from boot.

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::{serial, time};

struct SerialLogger;

static LOGGER: SerialLogger = SerialLogger;

/// Level used until the command line says otherwise.
pub const DEFAULT_LEVEL: LevelFilter = LevelFilter::Info;

impl Log for SerialLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let now_us = time::monotonic_ns() / 1_000;
        serial::write_fmt_locked(format_args!(
            "[{:>5}.{:06}] {:<5} {}: {}\n",
            now_us / 1_000_000,
            now_us % 1_000_000,
            level_name(record.level()),
            record.target(),
            record.args()
        ));
    }

    fn flush(&self) {}
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARN",
        Level::Info => "INFO",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
    }
}

/// Installs the logger. Safe to call more than once.
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(DEFAULT_LEVEL);
    }
}

/// Changes the most verbose level printed.
pub fn set_level(level: LevelFilter) {
    log::set_max_level(level);
}

/// Parses a `loglevel=` value: a level name (`error` .. `trace`, `off`) or a
/// Linux console level number (0-3 errors, 4 warnings, 5-6 info, 7 debug).
pub fn parse_level(value: &str) -> Option<LevelFilter> {
    if let Ok(number) = value.parse::<u8>() {
        return match number {
            0..=3 => Some(LevelFilter::Error),
            4 => Some(LevelFilter::Warn),
            5 | 6 => Some(LevelFilter::Info),
            7 => Some(LevelFilter::Debug),
            _ => Some(LevelFilter::Trace),
        };
    }
    value.parse::<LevelFilter>().ok()
}
