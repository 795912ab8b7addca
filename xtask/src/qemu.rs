//! QEMU command lines, the KVM probe, and a console that drives a guest with a timeout.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

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
            debug_exit: false,
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

/// How a wait on the console ended, when it did not find what it looked for.
#[derive(Debug)]
pub enum Stop {
    TimedOut,
    /// No output for longer than the idle limit: the guest is stuck.
    Idle(Duration),
    Exited(Option<i32>),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::TimedOut => write!(f, "timed out"),
            Stop::Idle(limit) => write!(f, "no output for {}s", limit.as_secs()),
            Stop::Exited(Some(code)) => write!(f, "QEMU exited with status {code}"),
            Stop::Exited(None) => write!(f, "QEMU was killed by a signal"),
        }
    }
}

/// A running guest whose serial output is collected (and logged) as it arrives.
pub struct Console {
    child: Child,
    stdin: Option<ChildStdin>,
    chunks: Receiver<Vec<u8>>,
    log: File,
    output: Vec<u8>,
    status: Option<ExitStatus>,
    last_output: Instant,
    idle_limit: Option<Duration>,
}

impl Console {
    /// Starts QEMU with the serial line on pipes; its stdout and stderr go to `log`.
    pub fn start(machine: &Machine, log: &Path) -> Result<Console> {
        if let Some(dir) = log.parent() {
            fs::create_dir_all(dir)?;
        }
        let mut log_file = File::create(log)?;
        let mut qemu = machine.command(false)?;
        writeln!(log_file, "# {}", util::describe(&qemu))?;
        let mut child = qemu
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| format!("cannot start qemu-system-x86_64: {err}"))?;

        let (sender, chunks) = mpsc::channel();
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        for mut stream in [stdout, stderr].into_iter().flatten() {
            let sender = sender.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(count @ 1..) = stream.read(&mut buf) {
                    if sender.send(buf[..count].to_vec()).is_err() {
                        break;
                    }
                }
            });
        }
        let stdin = child.stdin.take();
        Ok(Console {
            child,
            stdin,
            chunks,
            log: log_file,
            output: Vec::new(),
            status: None,
            last_output: Instant::now(),
            idle_limit: None,
        })
    }

    /// Everything the guest printed so far, `\r` removed.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.output).replace('\r', "")
    }

    /// Byte length of the output so far (a position for [`Console::text_since`]).
    pub fn position(&self) -> usize {
        self.output.len()
    }

    pub fn text_since(&self, position: usize) -> String {
        String::from_utf8_lossy(&self.output[position.min(self.output.len())..]).replace('\r', "")
    }

    /// Makes waits give up when the guest prints nothing for `limit`.
    pub fn set_idle_limit(&mut self, limit: Duration) {
        self.idle_limit = Some(limit);
    }

    /// Types text on the serial line.
    pub fn send(&mut self, text: &str) -> Result<()> {
        let _ = writeln!(self.log, "\n# sent: {text:?}");
        let Some(stdin) = self.stdin.as_mut() else {
            crate::bail!("the serial input is closed");
        };
        stdin.write_all(text.as_bytes())?;
        stdin.flush()?;
        Ok(())
    }

    /// Waits until `done` holds for the output, QEMU exits, or `timeout` passes.
    pub fn wait_for(
        &mut self,
        done: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> std::result::Result<(), Stop> {
        self.wait_for_since(0, done, timeout)
    }

    /// Like [`Console::wait_for`], looking only at output after `position`.
    pub fn wait_for_since(
        &mut self,
        position: usize,
        done: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> std::result::Result<(), Stop> {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.text_since(position)) {
                return Ok(());
            }
            if let Some(status) = self.status {
                return Err(Stop::Exited(status.code()));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Stop::TimedOut);
            }
            if let Some(limit) = self.idle_limit {
                if now.duration_since(self.last_output) > limit {
                    return Err(Stop::Idle(limit));
                }
            }
            self.pump(deadline - now);
        }
    }

    /// Waits for QEMU to exit by itself; kills it after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::result::Result<Option<i32>, Stop> {
        match self.wait_for(|_| false, timeout) {
            Err(Stop::Exited(code)) => Ok(code),
            _ => {
                self.kill();
                Err(Stop::TimedOut)
            }
        }
    }

    /// Waits until no output arrived for `quiet`, or `timeout` passed.
    pub fn settle(&mut self, quiet: Duration, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && self.status.is_none() {
            let before = self.output.len();
            self.pump(quiet);
            if self.output.len() == before {
                return;
            }
        }
    }

    /// Receives output for at most `limit`, and notices when QEMU has exited.
    fn pump(&mut self, limit: Duration) {
        let limit = limit.min(Duration::from_millis(100));
        match self.chunks.recv_timeout(limit) {
            Ok(chunk) => self.take(chunk),
            Err(RecvTimeoutError::Timeout) => self.poll_exit(),
            Err(RecvTimeoutError::Disconnected) => {
                // Both pipes closed: QEMU is gone or going; reap it.
                if let Ok(status) = self.child.wait() {
                    self.status = Some(status);
                }
            }
        }
    }

    fn poll_exit(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            // Collect what the reader threads still hold before declaring the exit.
            while let Ok(chunk) = self.chunks.recv_timeout(Duration::from_millis(50)) {
                self.take(chunk);
            }
            self.status = Some(status);
        }
    }

    fn take(&mut self, chunk: Vec<u8>) {
        self.last_output = Instant::now();
        let _ = self.log.write_all(&chunk);
        self.output.extend_from_slice(&chunk);
    }

    /// Stops QEMU if it still runs.
    pub fn kill(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            if let Ok(status) = self.child.wait() {
                self.status = Some(status);
            }
            while let Ok(chunk) = self.chunks.try_recv() {
                self.take(chunk);
            }
            let _ = writeln!(self.log, "\n# killed by xtask");
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.kill();
    }
}
