//! `/proc/<pid>/maps`: one line per mapping.

use alloc::vec::Vec;

use super::{push_escaped_path, put, Text};
use crate::source::{MapEntry, MapName};

/// Linux pads the fixed part of a line with spaces to this column (25 plus
/// six times the pointer size, less one) before the separator and the name.
const NAME_PAD_COLUMN: usize = 25 + 6 * 8 - 1;

/// The text of `/proc/<pid>/maps` for `entries`.
pub fn pid_maps(entries: &[MapEntry]) -> Vec<u8> {
    let mut text = Text::new();
    for entry in entries {
        push_entry(&mut text, entry);
    }
    text.into_bytes()
}

fn push_entry(text: &mut Text, entry: &MapEntry) {
    let line_start = text.len();
    let flag = |set: bool, letter: char| if set { letter } else { '-' };
    put!(
        text,
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        entry.start,
        entry.end,
        flag(entry.read, 'r'),
        flag(entry.write, 'w'),
        flag(entry.exec, 'x'),
        if entry.shared { 's' } else { 'p' },
        entry.offset,
        entry.dev.major,
        entry.dev.minor,
        entry.inode
    );

    let name = match &entry.name {
        MapName::Anonymous => None,
        MapName::File(path) => Some(path.as_str()),
        MapName::Heap => Some("[heap]"),
        MapName::Stack => Some("[stack]"),
        MapName::Vdso => Some("[vdso]"),
        MapName::Vvar => Some("[vvar]"),
        MapName::Vsyscall => Some("[vsyscall]"),
    };
    if let Some(name) = name {
        text.pad_to(line_start + NAME_PAD_COLUMN);
        text.push(b' ');
        // A newline in a file name would split the line.
        push_escaped_path(text, name, b"\n");
    }
    text.push(b'\n');
}
