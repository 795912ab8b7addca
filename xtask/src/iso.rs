//! `cargo xtask iso`: a hybrid BIOS/UEFI ISO that boots Kestrel through Limine.
//!
//! Layout of the image (tools/limine.conf refers to these paths):
//!   /boot/kernel                 the kernel ELF
//!   /boot/initramfs.cpio         the default initramfs, loaded as a module
//!   /boot/limine/limine.conf     the boot menu
//!   /boot/limine/limine-*.{sys,bin}, /EFI/BOOT/BOOTX64.EFI   Limine itself
//!
//! Limine is never downloaded: its files come from `LIMINE_DIR` or an installed copy.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::prereq::{self, Tool};
use crate::util::{self, Result};

/// Limine files the ISO needs, as named in a Limine binary release.
const LIMINE_FILES: [&str; 4] = [
    "limine-bios.sys",
    "limine-bios-cd.bin",
    "limine-uefi-cd.bin",
    "BOOTX64.EFI",
];

/// Where Limine's files are looked for after `LIMINE_DIR`.
const LIMINE_DIRS: [&str; 2] = ["/usr/share/limine", "/usr/local/share/limine"];

/// The folder holding every Limine file, if any.
pub fn limine_dir() -> Option<PathBuf> {
    let from_env = std::env::var_os("LIMINE_DIR").map(PathBuf::from);
    from_env
        .into_iter()
        .chain(LIMINE_DIRS.iter().map(PathBuf::from))
        .find(|dir| LIMINE_FILES.iter().all(|file| dir.join(file).is_file()))
}

/// The Limine folder, or an error that says what to install or set.
pub fn require_limine() -> Result<PathBuf> {
    if let Some(dir) = limine_dir() {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os("LIMINE_DIR").map(PathBuf::from) {
        let missing: Vec<&str> = LIMINE_FILES
            .iter()
            .copied()
            .filter(|file| !dir.join(file).is_file())
            .collect();
        bail!("LIMINE_DIR={} lacks {}", dir.display(), missing.join(", "));
    }
    bail!(
        "Limine not found: set LIMINE_DIR to an unpacked Limine binary release (v8 or later) \
         holding {}, or install Limine under /usr/share/limine",
        LIMINE_FILES.join(", ")
    )
}

/// Builds `target/kestrel.iso` from a kernel ELF and an initramfs; `cmdline` replaces
/// the `cmdline:` of tools/limine.conf when given.
pub fn build(kernel: &Path, initramfs: &Path, cmdline: Option<&str>) -> Result<PathBuf> {
    let limine = require_limine()?;
    prereq::ensure(&[Tool::Xorriso])?;
    let conf_path = util::root().join("tools/limine.conf");
    let Ok(conf) = fs::read_to_string(&conf_path) else {
        bail!("{} is missing", util::show(&conf_path));
    };

    let staging = util::target_dir().join("iso_root");
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    let boot = staging.join("boot");
    let limine_out = boot.join("limine");
    let efi = staging.join("EFI/BOOT");
    fs::create_dir_all(&limine_out)?;
    fs::create_dir_all(&efi)?;

    fs::copy(kernel, boot.join("kernel"))?;
    fs::copy(initramfs, boot.join("initramfs.cpio"))?;
    fs::write(limine_out.join("limine.conf"), with_cmdline(&conf, cmdline))?;
    for file in &LIMINE_FILES[..3] {
        fs::copy(limine.join(file), limine_out.join(file))?;
    }
    fs::copy(limine.join("BOOTX64.EFI"), efi.join("BOOTX64.EFI"))?;

    let iso = util::target_dir().join("kestrel.iso");
    let mut xorriso = Command::new("xorriso");
    xorriso
        .args(["-as", "mkisofs", "-R", "-r", "-J"])
        .args(["-b", "boot/limine/limine-bios-cd.bin"])
        .args(["-no-emul-boot", "-boot-load-size", "4", "-boot-info-table"])
        .args(["-hfsplus", "-apm-block-size", "2048"])
        .args(["--efi-boot", "boot/limine/limine-uefi-cd.bin"])
        .args([
            "-efi-boot-part",
            "--efi-boot-image",
            "--protective-msdos-label",
        ])
        .arg(&staging)
        .arg("-o")
        .arg(&iso)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    util::run(&mut xorriso)?;

    // The `limine` host tool writes the BIOS boot code for USB-stick (hybrid) booting;
    // CD-ROM booting works without it.
    let host_tool = [limine.join("limine"), PathBuf::from("limine")]
        .into_iter()
        .find(|tool| tool.is_file())
        .or_else(|| util::which("limine"));
    match host_tool {
        Some(tool) => util::run(Command::new(tool).arg("bios-install").arg(&iso))?,
        None => eprintln!("xtask: no `limine` host tool: the ISO boots as a CD, not from USB"),
    }
    println!("wrote {}", util::show(&iso));
    Ok(iso)
}

/// The config with its `cmdline:` lines replaced, when a command line is given.
fn with_cmdline(conf: &str, cmdline: Option<&str>) -> String {
    let Some(cmdline) = cmdline else {
        return conf.to_string();
    };
    conf.lines()
        .map(|line| {
            let indent = &line[..line.len() - line.trim_start().len()];
            if line.trim_start().starts_with("cmdline:") {
                format!("{indent}cmdline: {cmdline}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_is_replaced_keeping_indentation() {
        let conf = "/Kestrel\n    protocol: limine\n    cmdline: loglevel=info\n";
        let out = with_cmdline(conf, Some("loglevel=debug"));
        assert_eq!(
            out,
            "/Kestrel\n    protocol: limine\n    cmdline: loglevel=debug\n"
        );
    }
}
