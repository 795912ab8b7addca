//! A Linux kernel image to boot beside Kestrel on the same initramfs.
//!
//! Taken from `LINUX_IMAGE`, else from Debian's `linux-image-*-amd64` package downloaded
//! and unpacked under `target/linux/` (never installed on the host).

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::bail;
use crate::util::{self, Result};

/// Printed by Linux once it starts the initramfs' `/init`.
pub const INIT_MARKER: &str = "Run /init as init process";

/// Options every Linux boot gets: the console on the serial line, and a panic that ends
/// QEMU (with `-no-reboot`) instead of hanging.
pub const BASE_APPEND: &str = "console=ttyS0,115200 panic=-1";

/// A command line for Linux: [`BASE_APPEND`], then `args` with our named log levels
/// turned into Linux's numbers (Linux rejects `loglevel=warn`). Linux prints messages
/// whose level is below the number: `loglevel=5` shows warnings and worse.
pub fn append(args: &str) -> String {
    let mut words = vec![BASE_APPEND.to_string()];
    for word in args.split_whitespace() {
        let level = match word.strip_prefix("loglevel=") {
            Some("error") => "4",
            Some("warn") => "5",
            Some("info") => "7",
            Some("debug") | Some("trace") => "8",
            _ => {
                words.push(word.to_string());
                continue;
            }
        };
        words.push(format!("loglevel={level}"));
    }
    words.join(" ")
}

pub fn image() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("LINUX_IMAGE") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("LINUX_IMAGE={} is not a file", path.display());
        }
        return Ok(path);
    }

    let dir = util::target_dir().join("linux");
    if let Some(found) = unpacked_image(&dir) {
        return Ok(found);
    }

    let hint = "set LINUX_IMAGE to a bzImage, or run on Debian/Ubuntu where \
                `apt-get download linux-image-amd64` works";
    if util::which("apt-get").is_none() || util::which("dpkg").is_none() {
        bail!("no Linux kernel image: {hint}");
    }
    let package = match image_package() {
        Ok(package) => package,
        Err(err) => bail!("no Linux kernel image ({}): {hint}", err.0),
    };

    eprintln!("xtask: downloading {package} into {}", util::show(&dir));
    fs::create_dir_all(&dir)?;
    util::run(
        Command::new("apt-get")
            .current_dir(&dir)
            .args(["download", &package]),
    )?;
    let deb = fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "deb"));
    let Some(deb) = deb else {
        bail!(
            "apt-get download {package} left no .deb in {}",
            util::show(&dir)
        );
    };
    util::run(
        Command::new("dpkg")
            .arg("-x")
            .arg(&deb)
            .arg(dir.join("root")),
    )?;
    let _ = fs::remove_file(&deb);
    match unpacked_image(&dir) {
        Some(found) => Ok(found),
        None => bail!("{package} holds no boot/vmlinuz-*"),
    }
}

fn unpacked_image(dir: &std::path::Path) -> Option<PathBuf> {
    let boot = dir.join("root/boot");
    let mut images: Vec<PathBuf> = fs::read_dir(boot)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .collect();
    images.sort();
    images.pop()
}

/// The versioned package that `linux-image-amd64` depends on, e.g.
/// `linux-image-6.1.0-57-amd64`.
fn image_package() -> Result<String> {
    let find = || -> Option<String> {
        let out = Command::new("apt-cache")
            .args(["depends", "linux-image-amd64"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| line.trim().strip_prefix("Depends:"))
            .map(str::trim)
            .find(|dep| dep.starts_with("linux-image-") && dep.ends_with("-amd64"))
            .map(str::to_string)
    };
    if let Some(package) = find() {
        return Ok(package);
    }
    if util::is_root() {
        util::run(Command::new("apt-get").arg("update"))?;
        if let Some(package) = find() {
            return Ok(package);
        }
    }
    bail!("apt-cache knows no linux-image-amd64")
}
