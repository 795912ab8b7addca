//! Turns the raw kernel addresses of a logged backtrace into function names and lines.

use std::path::Path;
use std::process::Command;

use crate::util;

/// Kernel text lives in the top 2 GiB; its addresses print as `0xffffffff8…`.
const KERNEL_TEXT_PREFIX: &str = "0xffffffff8";

/// Every distinct kernel text address of the backtrace lines (`#3  0x…`) and
/// the faulting `rip` in `log`, in order of appearance. Register dumps are left
/// out: their values only look like code addresses.
pub fn addresses(log: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in log.lines() {
        let lower = line.to_ascii_lowercase();
        let text = match (lower.find(" #"), lower.find("rip 0x")) {
            (Some(at), _) if is_frame(&lower[at + 2..]) => &lower[at..],
            (_, Some(at)) => &lower[at + 4..],
            _ => continue,
        };
        let Some(start) = text.find(KERNEL_TEXT_PREFIX) else {
            continue;
        };
        let tail = &text[start + 2..];
        let digits = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits == 16 {
            let address = format!("0x{}", &tail[..digits]);
            if !found.contains(&address) {
                found.push(address);
            }
        }
    }
    found
}

/// Whether `text` (what follows a `#`) is a frame number and an address.
fn is_frame(text: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && text[digits..].trim_start().starts_with("0x")
}

/// One symbolized backtrace address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub address: String,
    pub function: String,
    pub location: String,
}

/// The backtrace addresses of `log` that `addr2line` names a function for;
/// empty without addresses, without the ELF or without addr2line.
pub fn frames(log: &str, elf: &Path) -> Vec<Frame> {
    let addresses = addresses(log);
    if addresses.is_empty() || !elf.is_file() {
        return Vec::new();
    }
    let Some(addr2line) = util::which("addr2line") else {
        eprintln!("(install binutils for addr2line to symbolize the backtrace)");
        return Vec::new();
    };
    let out = Command::new(addr2line)
        .args(["-f", "-C", "-e"])
        .arg(elf)
        .args(&addresses)
        .output();
    let Ok(out) = out else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    addresses
        .iter()
        .zip(lines.chunks(2))
        .map(|(address, pair)| Frame {
            address: address.clone(),
            function: pair.first().copied().unwrap_or("??").to_string(),
            location: pair.get(1).copied().unwrap_or("??").to_string(),
        })
        // Stack and data addresses in the same range are not code.
        .filter(|frame| frame.function != "??")
        .collect()
}

/// Prints the symbolized backtrace of `log`, if it has one.
pub fn print(log: &str, elf: &Path) {
    let frames = frames(log, elf);
    if frames.is_empty() {
        return;
    }
    println!("backtrace, symbolized with {}:", util::show(elf));
    for frame in frames {
        println!(
            "  {}  {}  at {}",
            frame.address, frame.function, frame.location
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_frames_and_rip_are_taken() {
        let log =
            "[ 0.1] ERROR trap:   error code 0x0  rip 0xffffffff802c6368  rsp 0xffffffff8032b6c0\n\
                   [ 0.1] ERROR trap:   rax 0xffffd00000000000 rbx 0xffffffff8032eff0\n\
                   [ 0.1] ERROR panic:   #0  0xffffffff8025787b\n\
                   [ 0.1] ERROR panic:   #1  0xffffffff802df96d\n\
                   [ 0.1] ERROR panic:   #2  0xffffffff8025787b\n";
        assert_eq!(
            addresses(log),
            [
                "0xffffffff802c6368",
                "0xffffffff8025787b",
                "0xffffffff802df96d"
            ]
        );
    }
}
