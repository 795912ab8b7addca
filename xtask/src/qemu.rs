//! QEMU command lines and the KVM probe.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::console::Console;
use crate::prereq;
use crate::util::{self, Result};

/// The I/O port of QEMU's `isa-debug-exit` device; writing `v` exits with `(v << 1) | 1`.
pub const DEBUG_EXIT_DEVICE: &str = "isa-debug-exit,iobase=0xf4,iosize=0x04";
/// QEMU's exit status after the guest wrote the "success" value (0x10) to the exit port.
pub const EXIT_SUCCESS: i32 = 33;
/// QEMU's exit status after the guest wrote the "failure" value (0x11) to the exit port.
pub const EXIT_FAILURE: i32 = 35;

/// How long a probe boot under KVM may take to print its marker; a healthy KVM boots
/// either kernel to it in well under a second, and one much slower is no gain over TCG.
const KVM_PROBE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// What to put in the virtual machine.
#[derive(Clone, Debug)]
pub struct Machine {
    /// An ELF (PVH) or bzImage given to `-kernel`; unused when `cdrom` is set.
    pub kernel: PathBuf,
    pub initrd: Option<PathBuf>,
    pub append: String,
    /// A bootable ISO (Limine) instead of `-kernel`.
    pub cdrom: Option<PathBuf>,
    pub uefi: bool,
    pub accel: Accel,
    pub smp: u32,
    pub memory: String,
    pub gdb: bool,
    /// The `isa-debug-exit` device, through which a kernel panic ends QEMU with a
    /// failure status instead of halting the machine forever; on by default (Linux
    /// never touches its port).
    pub debug_exit: bool,
}

impl Machine {
    pub fn new(kernel: &Path, initrd: Option<&Path>, append: &str, accel: Accel) -> Self {
        Machine {
            kernel: kernel.to_path_buf(),
            initrd: initrd.map(Path::to_path_buf),
            append: append.to_string(),
            cdrom: None,
            uefi: false,
            accel,
            smp: 1,
            memory: "512M".to_string(),
            gdb: false,
            debug_exit: true,
        }
    }

    /// The QEMU command; `interactive` multiplexes the monitor on the terminal (Ctrl-A X
    /// quits), otherwise the serial line alone is on stdin/stdout for a program to drive.
    pub fn command(&self, interactive: bool) -> Result<Command> {
        let mut qemu = Command::new("qemu-system-x86_64");
        qemu.args([
            "-M",
            "q35",
            "-m",
            &self.memory,
            "-smp",
            &self.smp.to_string(),
        ]);
        let serial = if interactive { "mon:stdio" } else { "stdio" };
        qemu.args([
            "-serial",
            serial,
            "-display",
            "none",
            "-no-reboot",
            "-net",
            "none",
        ]);
        match self.accel {
            Accel::Kvm => qemu.args(["-enable-kvm", "-cpu", "host,-arch-capabilities"]),
            // TCG's ERMS/FSRM string copies are slow; without them code takes faster paths.
            Accel::Tcg => qemu.args(["-accel", "tcg", "-cpu", "max,-erms,-fsrm"]),
        };
        if self.uefi {
            let Some(code) = prereq::ovmf_code() else {
                crate::bail!("no OVMF firmware found (install the `ovmf` package)");
            };
            let drive = format!("if=pflash,format=raw,readonly=on,file={}", code.display());
            qemu.args(["-drive", &drive]);
        }
        match &self.cdrom {
            Some(iso) => {
                qemu.arg("-cdrom").arg(iso);
            }
            None => {
                qemu.arg("-kernel").arg(&self.kernel);
                if let Some(initrd) = &self.initrd {
                    qemu.arg("-initrd").arg(initrd);
                }
                qemu.args(["-append", &self.append]);
            }
        }
        if self.debug_exit {
            qemu.args(["-device", DEBUG_EXIT_DEVICE]);
        }
        if self.gdb {
            qemu.args(["-s", "-S"]);
        }
        Ok(qemu)
    }
}

/// Chooses KVM when a probe boot of `machine` under KVM prints `marker` in time.
///
/// `/dev/kvm` existing proves little: a broken nested setup may accept the guest and
/// then never run it. So the probe boots the very kernel we are about to run, with a
/// short timeout, and trusts KVM only if the marker shows up. The verdict is cached
/// per kernel image (size and mtime) under `target/kvm-probe/`.
pub fn choose_accel(machine: &Machine, marker: &str, force_tcg: bool) -> Accel {
    if force_tcg {
        return Accel::Tcg;
    }
    if fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_err()
    {
        eprintln!("xtask: accel: tcg (/dev/kvm is not usable)");
        return Accel::Tcg;
    }

    let fingerprint = fingerprint(&machine.kernel);
    let cache = util::target_dir()
        .join("kvm-probe")
        .join(file_key(&machine.kernel));
    if let Ok(text) = fs::read_to_string(&cache) {
        if let Some(verdict) = text.strip_prefix(&format!("{fingerprint} ")) {
            let accel = if verdict.trim() == "kvm" {
                Accel::Kvm
            } else {
                Accel::Tcg
            };
            eprintln!("xtask: accel: {} (KVM probe result cached)", accel.name());
            return accel;
        }
    }

    eprintln!(
        "xtask: probing KVM with a test boot ({}s at most)",
        KVM_PROBE_TIMEOUT.as_secs()
    );
    let mut probe = machine.clone();
    probe.accel = Accel::Kvm;
    probe.gdb = false;
    let log = util::target_dir().join("kvm-probe").join("probe.log");
    let accel = match Console::start(&probe, &log) {
        Ok(mut console) => {
            let seen = console.wait_for(|out| out.contains(marker), KVM_PROBE_TIMEOUT);
            console.kill();
            if seen.is_ok() {
                Accel::Kvm
            } else {
                Accel::Tcg
            }
        }
        Err(_) => Accel::Tcg,
    };
    let verdict = match accel {
        Accel::Kvm => "KVM works",
        Accel::Tcg => "KVM probe boot failed",
    };
    eprintln!("xtask: accel: {} ({verdict})", accel.name());
    let _ = fs::write(&cache, format!("{fingerprint} {}\n", accel.name()));
    accel
}

fn fingerprint(path: &Path) -> String {
    let meta = path.metadata().ok();
    let size = meta.as_ref().map_or(0, |m| m.len());
    let mtime = meta
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{size}-{mtime}")
}

fn file_key(path: &Path) -> String {
    path.to_string_lossy().replace(['/', ' '], "_")
}
