//! Host prerequisites: find each tool, install what is missing with apt-get when we may,
//! otherwise print the exact command and stop.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::util::{self, Result};

/// A host tool some command needs, with the Debian package that provides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Qemu,
    /// The host's C compiler, which the kernel's build script uses for the vDSO.
    CCompiler,
    /// The host's C++ compiler, which builds libFuzzer for `fuzz-host`.
    CxxCompiler,
    MuslGcc,
    /// gcc with glibc's static libraries, for the contracts built against glibc.
    GlibcStatic,
    Busybox,
    Xorriso,
    Ovmf,
    Addr2line,
}

impl Tool {
    fn package(self) -> &'static str {
        match self {
            Tool::Qemu => "qemu-system-x86",
            Tool::CCompiler => "gcc",
            Tool::CxxCompiler => "g++",
            Tool::MuslGcc => "musl-tools",
            Tool::GlibcStatic => "gcc libc6-dev",
            Tool::Busybox => "busybox-static",
            Tool::Xorriso => "xorriso",
            Tool::Ovmf => "ovmf",
            Tool::Addr2line => "binutils",
        }
    }

    fn is_present(self) -> bool {
        match self {
            Tool::Qemu => util::which("qemu-system-x86_64").is_some(),
            Tool::CCompiler => util::which("cc").is_some(),
            Tool::CxxCompiler => util::which("c++").is_some(),
            Tool::MuslGcc => util::which("musl-gcc").is_some(),
            Tool::GlibcStatic => {
                util::which("gcc").is_some()
                    && Path::new("/usr/lib/x86_64-linux-gnu/libc.a").is_file()
            }
            Tool::Busybox => is_static_elf(Path::new(BUSYBOX)),
            Tool::Xorriso => util::which("xorriso").is_some(),
            Tool::Ovmf => ovmf_code().is_some(),
            Tool::Addr2line => util::which("addr2line").is_some(),
        }
    }
}

/// The static BusyBox that goes into the initramfs (Debian's busybox-static).
pub const BUSYBOX: &str = "/bin/busybox";

/// The OVMF firmware image for UEFI runs, from Debian's `ovmf` package.
pub fn ovmf_code() -> Option<PathBuf> {
    [
        "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/OVMF/OVMF_CODE_4M.fd",
        "/usr/share/ovmf/OVMF.fd",
        "/usr/share/qemu/OVMF.fd",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|path| path.is_file())
}

/// Makes sure every tool is there, installing the missing ones when possible.
pub fn ensure(tools: &[Tool]) -> Result<()> {
    let mut packages: Vec<&str> = tools
        .iter()
        .filter(|tool| !tool.is_present())
        .flat_map(|tool| tool.package().split_whitespace())
        .collect();
    packages.dedup();
    if packages.is_empty() {
        return Ok(());
    }

    let list = packages.join(" ");
    let is_debian = Path::new("/etc/debian_version").exists();
    if !(is_debian && util::is_root()) {
        let command = format!("sudo apt-get update && sudo apt-get install -y {list}");
        bail!("missing host tools ({list}); on Debian or Ubuntu install them with:\n    {command}");
    }

    eprintln!("xtask: installing {list}");
    util::run(Command::new("apt-get").arg("update"))?;
    util::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&packages),
    )?;
    if let Some(tool) = tools.iter().find(|tool| !tool.is_present()) {
        bail!(
            "`{}` is still missing after installing {}",
            tool.package(),
            tool.package()
        );
    }
    Ok(())
}

/// Makes sure the bare-metal Rust target is installed (rust-toolchain.toml names it,
/// which rustup normally honours by itself).
pub fn ensure_rust_target() -> Result<()> {
    const TARGET: &str = "x86_64-unknown-none";
    let Some(rustup) = util::which("rustup") else {
        // Without rustup we cannot tell; cargo will say so if the target is missing.
        return Ok(());
    };
    let installed = util::output(Command::new(&rustup).args(["target", "list", "--installed"]))?;
    if installed.lines().any(|line| line.trim() == TARGET) {
        return Ok(());
    }
    eprintln!("xtask: adding the Rust target {TARGET}");
    util::run(Command::new(rustup).args(["target", "add", TARGET]))
}

/// Whether `path` is an ELF executable without a program interpreter (statically linked).
pub fn is_static_elf(path: &Path) -> bool {
    const PT_INTERP: u32 = 3;
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" || bytes[4] != 2 {
        return false;
    }
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(bytes[32..40].try_into().unwrap_or_default()) as usize;
    let (phentsize, phnum) = (u16_at(54), u16_at(56));
    (0..phnum).all(|index| {
        let at = phoff + index * phentsize;
        match bytes.get(at..at + 4) {
            Some(kind) => u32::from_le_bytes(kind.try_into().unwrap_or_default()) != PT_INTERP,
            None => false,
        }
    })
}

/// `cargo xtask prereq`: check everything any command may need.
pub fn check_all() -> Result<()> {
    ensure(&[
        Tool::Qemu,
        Tool::CCompiler,
        Tool::CxxCompiler,
        Tool::MuslGcc,
        Tool::GlibcStatic,
        Tool::Busybox,
        Tool::Xorriso,
        Tool::Ovmf,
    ])?;
    ensure(&[Tool::Addr2line])?;
    ensure_rust_target()?;
    println!("all host tools are present");
    Ok(())
}
