//! Small per-process files: `limits`, `fdinfo/<n>`, and `fd/<n>` targets.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{put, Text};
use crate::source::{FdTarget, OpenFd, ProcessInfo, RLIMIT_COUNT, RLIM_INFINITY};

/// Row names and units of `limits`, indexed by `RLIMIT_*`.
const LIMIT_ROWS: [(&str, &str); RLIMIT_COUNT] = [
    ("Max cpu time", "seconds"),
    ("Max file size", "bytes"),
    ("Max data size", "bytes"),
    ("Max stack size", "bytes"),
    ("Max core file size", "bytes"),
    ("Max resident set", "bytes"),
    ("Max processes", "processes"),
    ("Max open files", "files"),
    ("Max locked memory", "bytes"),
    ("Max address space", "bytes"),
    ("Max file locks", "locks"),
    ("Max pending signals", "signals"),
    ("Max msgqueue size", "bytes"),
    ("Max nice priority", ""),
    ("Max realtime priority", ""),
    ("Max realtime timeout", "us"),
];

/// The table of `/proc/<pid>/limits`: fixed-width columns, values or
/// `unlimited`, a unit where the limit has one.
pub fn pid_limits(info: &ProcessInfo) -> Vec<u8> {
    let mut text = Text::new();
    put!(
        &mut text,
        "{:<25} {:<20} {:<20} {:<10}\n",
        "Limit",
        "Soft Limit",
        "Hard Limit",
        "Units"
    );
    for ((name, unit), limit) in LIMIT_ROWS.iter().zip(info.limits.iter()) {
        put!(&mut text, "{:<25} ", name);
        for value in [limit.soft, limit.hard] {
            if value == RLIM_INFINITY {
                put!(&mut text, "{:<20} ", "unlimited");
            } else {
                put!(&mut text, "{:<20} ", value);
            }
        }
        if !unit.is_empty() {
            put!(&mut text, "{:<10}", unit);
        }
        text.push(b'\n');
    }
    text.into_bytes()
}

/// The text of `/proc/<pid>/fdinfo/<n>`: flags in octal with a leading 0.
pub fn fd_info(fd: &OpenFd) -> Vec<u8> {
    let mut text = Text::new();
    put!(
        &mut text,
        "pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n",
        fd.pos,
        fd.flags,
        fd.mnt_id,
        fd.ino
    );
    text.into_bytes()
}

/// What `readlink` of `/proc/<pid>/fd/<n>` gives.
pub fn fd_target(target: &FdTarget) -> String {
    match target {
        FdTarget::Path(path) => path.clone(),
        FdTarget::Pipe(ino) => format!("pipe:[{}]", ino),
        FdTarget::Socket(ino) => format!("socket:[{}]", ino),
        FdTarget::AnonInode(name) => format!("anon_inode:{}", name),
    }
}
