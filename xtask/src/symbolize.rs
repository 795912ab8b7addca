//! Turns the raw kernel addresses of a logged backtrace into function names and lines.

use std::path::Path;
use std::process::Command;

use crate::util;

/// Kernel text lives in the top 2 GiB; its addresses print as `0xffffffff8…`.
const KERNEL_TEXT_PREFIX: &str = "0xffffffff8";

/// Every distinct kernel text address in `log`, in order of appearance.
pub fn addresses(log: &str) -> Vec<String> {
    let lower = log.to_ascii_lowercase();
    let mut found: Vec<String> = Vec::new();
    let mut rest = lower.as_str();
    while let Some(start) = rest.find(KERNEL_TEXT_PREFIX) {
        let tail = &rest[start + 2..];
        let digits = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits == 16 {
            let address = format!("0x{}", &tail[..digits]);
            if !found.contains(&address) {
                found.push(address);
            }
        }
        rest = &tail[digits..];
    }
    found
}

/// Prints `addr2line` output for the backtrace addresses of `log`, if there are any.
pub fn print(log: &str, elf: &Path) {
    let addresses = addresses(log);
    if addresses.is_empty() || !elf.is_file() {
        return;
    }
    let Some(addr2line) = util::which("addr2line") else {
        eprintln!("(install binutils for addr2line to symbolize the backtrace)");
        return;
    };
    let out = Command::new(addr2line)
        .args(["-f", "-C", "-e"])
        .arg(elf)
        .args(&addresses)
        .output();
    let Ok(out) = out else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    println!("backtrace, symbolized with {}:", util::show(elf));
    for (address, pair) in addresses.iter().zip(lines.chunks(2)) {
        let function = pair.first().copied().unwrap_or("??");
        let location = pair.get(1).copied().unwrap_or("??");
        // Stack and data addresses in the same range are not code; skip them.
        if function == "??" {
            continue;
        }
        println!("  {address}  {function}  at {location}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kernel_address_once() {
        let log = "  0: 0xffffffff80001234\n  1: 0xFFFFFFFF80005678 x 0xffffffff80001234\n \
                   user 0x0000000000401000 short 0xffffffff8000";
        assert_eq!(addresses(log), ["0xffffffff80001234", "0xffffffff80005678"]);
    }
}
