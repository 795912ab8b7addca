//! Directory listing shared by every procfs directory: cookies, fixed
//! tables, and name parsing.
//!
//! A cookie is the position to resume at. Positions below [`DYNAMIC_BASE`]
//! count fixed entries (`.`, `..`, then a table); from there on a cookie
//! means "the next id to list is at least `cookie - DYNAMIC_BASE`", so a
//! listing resumed after ids came and went neither repeats nor skips one
//! that stayed.

use alloc::string::{String, ToString};

use vfs::{DirEntry, DirSink, Errno, FileType, Result};

use crate::node::Node;

/// First cookie of the id-numbered part of a directory.
pub const DYNAMIC_BASE: u64 = 256;

/// The cookie that resumes a listing at the first id `>= id`.
pub const fn id_cookie(id: u32) -> u64 {
    DYNAMIC_BASE + id as u64
}

/// The smallest id a cookie at or past [`DYNAMIC_BASE`] still has to list;
/// `None` when every id has been listed.
pub fn cookie_id(cookie: u64) -> Option<u32> {
    u32::try_from(cookie - DYNAMIC_BASE).ok()
}

/// Sends one entry; `false` when the sink is full.
pub fn emit(sink: &mut DirSink<'_>, name: &str, node: &Node, next_cookie: u64) -> bool {
    emit_raw(
        sink,
        name.to_string(),
        node.ino(),
        node.file_type(),
        next_cookie,
    )
}

/// Sends one entry whose name is already made.
pub fn emit_raw(
    sink: &mut DirSink<'_>,
    name: String,
    ino: u64,
    file_type: FileType,
    next_cookie: u64,
) -> bool {
    sink(DirEntry {
        ino,
        file_type,
        name,
        next_cookie,
    })
}

/// Lists `.`, `..` and `entries` from `cookie`. Returns the cookie to
/// continue with past the table (`DYNAMIC_BASE`), or `None` when the sink
/// filled up.
pub fn list_fixed(
    cookie: u64,
    sink: &mut DirSink<'_>,
    this: &Node,
    parent: &Node,
    entries: &[(&str, Node)],
) -> Option<u64> {
    let mut position = cookie;
    let fixed_count = 2 + entries.len() as u64;
    while position < fixed_count {
        let next = if position + 1 == fixed_count {
            DYNAMIC_BASE
        } else {
            position + 1
        };
        let sent = match position {
            0 => emit(sink, ".", this, next),
            1 => emit(sink, "..", parent, next),
            _ => {
                let (name, node) = &entries[(position - 2) as usize];
                emit(sink, name, node, next)
            }
        };
        if !sent {
            return None;
        }
        position += 1;
    }
    Some(position.max(DYNAMIC_BASE))
}

/// Finds `name` in a fixed table.
pub fn find_fixed(entries: &[(&str, Node)], name: &str) -> Result<Node> {
    entries
        .iter()
        .find(|(entry, _)| *entry == name)
        .map(|(_, node)| *node)
        .ok_or_else(|| Errno::ENOENT.into())
}

/// The name of id `id` in a listing: its decimal digits, made without the
/// formatting machinery and in one allocation of the exact size, since the
/// root listing makes one per process.
pub fn id_name(id: u32) -> String {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut rest = id;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut name = String::with_capacity(digits.len() - start);
    name.extend(digits[start..].iter().map(|&digit| char::from(digit)));
    name
}

/// Parses a PID, tid or fd name: canonical decimal only, as Linux accepts
/// (no sign, no leading zero, no trailing junk, fits in 32 bits). "0" parses,
/// since fd 0 exists; `/proc/0` is ENOENT because no process has PID 0.
pub fn parse_id(name: &str) -> Option<u32> {
    let bytes = name.as_bytes();
    let canonical = !bytes.is_empty()
        && bytes.iter().all(u8::is_ascii_digit)
        && !(bytes.len() > 1 && bytes[0] == b'0');
    if !canonical {
        return None;
    }
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_names_are_plain_decimal() {
        for id in [0, 7, 10, 4_194_304, u32::MAX] {
            assert_eq!(id_name(id), alloc::format!("{id}"));
        }
        assert_eq!(id_name(12345).capacity(), 5);
    }
}
