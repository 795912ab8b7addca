//! `#!` scripts: the interpreter line, parsed as Linux's binfmt_script does.

use alloc::vec::Vec;

use vfs::{Errno, Error, Result};

/// Linux reads at most this many bytes of a script's first line (`BINPRM_BUF_SIZE`).
pub const SHEBANG_MAX: usize = 256;

/// The interpreter and its optional single argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shebang {
    pub interpreter: Vec<u8>,
    pub argument: Option<Vec<u8>>,
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// Parses `#!interpreter [argument]` from the start of a file. `None` when
/// the file does not start with `#!`. Everything after the interpreter name,
/// trimmed, is one argument, as on Linux. An interpreter name cut off by the
/// 256-byte limit is ENOEXEC.
pub fn parse_shebang(first: &[u8]) -> Option<Result<Shebang>> {
    let rest = first.strip_prefix(b"#!")?;
    let window = &rest[..rest.len().min(SHEBANG_MAX - 2)];
    let (line, complete) = match window.iter().position(|&b| b == b'\n') {
        Some(end) => (&window[..end], true),
        None => (window, rest.len() < SHEBANG_MAX - 2),
    };

    let line = trim(line);
    let name_len = line.iter().position(|&b| is_blank(b)).unwrap_or(line.len());
    if name_len == 0 {
        return Some(Err(Error::with_reason(Errno::ENOEXEC, "empty interpreter")));
    }
    if !complete && name_len == line.len() {
        return Some(Err(Error::with_reason(
            Errno::ENOEXEC,
            "interpreter name too long",
        )));
    }
    let interpreter = line[..name_len].to_vec();
    let argument = trim(&line[name_len..]);
    Some(Ok(Shebang {
        interpreter,
        argument: (!argument.is_empty()).then(|| argument.to_vec()),
    }))
}

fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = bytes {
        if !is_blank(*first) && *first != b'\r' {
            break;
        }
        bytes = rest;
    }
    while let [rest @ .., last] = bytes {
        if !is_blank(*last) && *last != b'\r' {
            break;
        }
        bytes = rest;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Shebang {
        parse_shebang(text).unwrap().unwrap()
    }

    #[test]
    fn plain_interpreter() {
        assert_eq!(parse(b"#!/bin/sh\necho hi\n").interpreter, b"/bin/sh");
        assert_eq!(parse(b"#!/bin/sh\n").argument, None);
    }

    #[test]
    fn everything_after_the_name_is_one_argument() {
        let script = parse(b"#!  /usr/bin/env  python3 -u \n");
        assert_eq!(script.interpreter, b"/usr/bin/env");
        assert_eq!(script.argument.as_deref(), Some(&b"python3 -u"[..]));
    }

    #[test]
    fn not_a_script() {
        assert!(parse_shebang(b"\x7fELF").is_none());
    }

    #[test]
    fn empty_interpreter_is_enoexec() {
        assert_eq!(
            parse_shebang(b"#!   \n").unwrap().unwrap_err().errno,
            Errno::ENOEXEC
        );
    }

    #[test]
    fn truncated_interpreter_name_is_enoexec() {
        let mut text = b"#!/".to_vec();
        text.resize(400, b'a');
        assert!(parse_shebang(&text).unwrap().is_err());
    }
}
