//! The serial console as a terminal.
//!
//! One [`Tty`] drives COM1 through the `tty` crate's line discipline and
//! job-control rules. It is `/dev/ttyS0` (4,64) and `/dev/console` (5,1),
//! through which, as on Linux, reads and writes never stop a background
//! process; `/dev/tty` (5,0) reaches it only from processes whose controlling
//! terminal it is. Received bytes arrive in [`on_serial_input`] (the serial
//! interrupt): echo goes straight back out, ^C/^\/^Z signal the foreground
//! process group, and sleepers are woken through [`crate::io::notify`].
//!
//! Reads follow the convention of `crate::io`: `read_at` never sleeps while
//! nothing has been read, it answers EAGAIN and `poll` reports when to try
//! again, so O_NONBLOCK is honoured by `io::blocking`. The exception is a
//! non-canonical read that VTIME times or that VMIN left half done: that one
//! sleeps inside `read_at` (interruptibly), because `io::blocking` has no
//! deadlines and copied bytes must not be lost. `FileOps` does not see
//! O_NONBLOCK, so for those settings [`read_nonblocking`] gives Linux's
//! nonblocking result; the read syscall tries it first for O_NONBLOCK
//! files.

use alloc::sync::Arc;
use alloc::vec::Vec;

use ::tty::{
    Caller, FlowAction, JobControl, LineDiscipline, ReadRequest, ReadStep, Termios, Winsize,
    TERMIOS_SIZE, WINSIZE_SIZE,
};
use linux_raw_sys::general as raw;
use linux_raw_sys::ioctl;
use platform::arch::irq::IrqMutex;
use process::signal::{SigInfo, Signal, SIGCONT, SIGHUP, SIGTTIN, SIGTTOU, SIGWINCH, SIG_IGN};
use spin::Once;
use vfs::file::OpenFile;
use vfs::{Errno, FileOps, Permissions, PollEvents, Result};

use crate::signal::ERESTARTSYS;
use crate::task::group::{self, Process};
use crate::task::sched::{self, Interrupted};
use crate::{io, user};

/// Modes Linux gives the device nodes.
const CONSOLE_MODE: u32 = 0o600;
const SERIAL_MODE: u32 = 0o660;
const CONTROLLING_TTY_MODE: u32 = 0o666;

/// Output bytes handed to the UART per call, which holds off interrupts
/// while it transmits.
const WRITE_CHUNK: usize = 256;

/// `TIOCSCTTY` argument asking to take a terminal another session holds.
const STEAL_TERMINAL: usize = 1;

/// The serial console.
pub struct Tty {
    ldisc: IrqMutex<LineDiscipline>,
    jobs: IrqMutex<JobControl>,
}

/// `/dev/tty`: the console, for processes it is the controlling terminal of.
struct ControllingTty(Arc<Tty>);

/// `/dev/console`: the terminal, except that reading or writing it is never
/// a background process's mistake. Linux exempts its console from SIGTTIN and
/// SIGTTOU so that anyone's messages reach it and nothing stops over it;
/// settings changes are still the foreground's alone.
struct Console(Arc<Tty>);

static CONSOLE: Once<Arc<Tty>> = Once::new();
static CONTROLLING: Once<Arc<dyn FileOps>> = Once::new();
static CONSOLE_DEVICE: Once<Arc<dyn FileOps>> = Once::new();

/// Creates the console and registers its device nodes in devfs.
pub fn init() {
    let tty = CONSOLE.call_once(|| {
        Arc::new(Tty {
            // COM1 runs at 115200 baud (`platform::serial`); like Linux's
            // serial console, it starts with no window size.
            ldisc: IrqMutex::new(LineDiscipline::with_settings(
                Termios::serial_console(raw::B115200),
                Winsize::UNKNOWN,
            )),
            jobs: IrqMutex::new(JobControl::default()),
        })
    });
    let controlling: Arc<dyn FileOps> = Arc::new(ControllingTty(tty.clone()));
    CONTROLLING.call_once(|| controlling.clone());
    let console: Arc<dyn FileOps> = Arc::new(Console(tty.clone()));
    CONSOLE_DEVICE.call_once(|| console.clone());

    let devices: [(&str, vfs::DeviceId, u32, Arc<dyn FileOps>); 3] = [
        ("console", devfs::numbers::CONSOLE, CONSOLE_MODE, console),
        ("ttyS0", devfs::numbers::TTY_S0, SERIAL_MODE, tty.clone()),
        (
            "tty",
            devfs::numbers::TTY,
            CONTROLLING_TTY_MODE,
            controlling,
        ),
    ];
    let devfs = crate::fs::devfs();
    for (name, id, mode, ops) in devices {
        if let Err(err) = devfs.register_char_device(name, id, Permissions::new(mode), ops) {
            log::error!("tty: cannot register /dev/{name}: {err}");
        }
    }
}

/// The serial interrupt: runs every received byte through the line
/// discipline, writes the echo, signals the foreground group, wakes readers.
pub fn on_serial_input() {
    let Some(tty) = CONSOLE.get() else {
        while platform::serial::read_byte().is_some() {}
        return;
    };
    let mut echo = Vec::new();
    let mut signals = Vec::new();
    {
        let mut ldisc = tty.ldisc.lock();
        while let Some(byte) = platform::serial::read_byte() {
            if let Some(signal) = ldisc.receive(byte, &mut echo).signal {
                signals.push(signal);
            }
        }
    }
    write_to_device(&echo);
    for number in signals {
        if let Some(signal) = Signal::new(number) {
            tty.signal_foreground(signal);
        }
    }
    io::notify();
}

/// A process exited: a session leader's exit frees its controlling
/// terminal, and the foreground group gets SIGHUP (POSIX `_exit`).
pub fn on_process_exit(process: &Process) {
    let Some(tty) = CONSOLE.get() else { return };
    if process.pid != process.sid() {
        return;
    }
    let detached = tty.jobs.lock().detach_session(process.sid());
    // FIXME: Linux also hangs up the terminal for the session's open files
    // (reads see end of file, writes EIO); here they keep working, so init
    // can go on using the console after the shell's session ended.
    if let Some(pgid) = detached.and_then(|d| d.foreground) {
        log::debug!(
            "tty: session {} ended; hanging up group {pgid}",
            process.sid()
        );
        signal_group(pgid, SIGHUP);
    }
}

/// `setsid` made a new session, which has no controlling terminal: forget a
/// record of an earlier session with the same id (its leader's PID reused).
pub fn on_new_session(process: &Process) {
    if let Some(tty) = CONSOLE.get() {
        tty.jobs.lock().detach_session(process.sid());
    }
}

/// `/proc/<pid>/stat`'s `tty_nr` and `tpgid`: the controlling terminal's
/// device number (0 without one) and its foreground group (-1 without one).
pub fn process_terminal(process: &Process) -> (u32, i32) {
    let Some(tty) = CONSOLE.get() else {
        return (0, -1);
    };
    let jobs = *tty.jobs.lock();
    if jobs.session() != Some(process.sid()) {
        return (0, -1);
    }
    let foreground = jobs.foreground().map_or(-1, |pgid| pgid as i32);
    (devfs::numbers::TTY_S0.encode() as u32, foreground)
}

/// A nonblocking read with Linux's semantics when `file` is a terminal
/// (`None` otherwise): what is there now, or EAGAIN; never a sleep.
pub fn read_nonblocking(file: &OpenFile, buf: &mut [u8]) -> Option<Result<usize>> {
    let ops = file.ops()?;
    let tty = CONSOLE.get()?;
    let is = |device: &Once<Arc<dyn FileOps>>| {
        device
            .get()
            .is_some_and(|d| core::ptr::addr_eq(Arc::as_ptr(ops), Arc::as_ptr(d)))
    };
    if is(&CONSOLE_DEVICE) {
        return Some(tty.read_now(buf, false));
    }
    if is(&CONTROLLING) {
        if let Err(err) = ControllingTty::check(tty) {
            return Some(Err(err));
        }
    } else if !core::ptr::addr_eq(Arc::as_ptr(ops), Arc::as_ptr(tty)) {
        return None;
    }
    Some(tty.read_now(buf, true))
}

fn write_to_device(bytes: &[u8]) {
    for chunk in bytes.chunks(WRITE_CHUNK) {
        platform::serial::write_bytes(chunk);
    }
}

/// The calling process, by its ids.
fn current_caller() -> Caller {
    let process = &sched::current().process;
    Caller {
        pid: process.pid,
        pgid: process.pgid(),
        sid: process.sid(),
    }
}

fn signal_group(pgid: u32, signal: Signal) {
    let info = SigInfo {
        signo: signal.number(),
        code: raw::SI_KERNEL as i32,
        ..SigInfo::default()
    };
    for member in group::group_members(pgid) {
        crate::signal::send_to_process(&member, signal, info);
    }
}

impl Tty {
    fn signal_foreground(&self, signal: Signal) {
        let foreground = self.jobs.lock().foreground();
        if let Some(pgid) = foreground {
            signal_group(pgid, signal);
        }
    }

    /// A background process touching its controlling terminal: SIGTTIN for
    /// reads, SIGTTOU for writes under TOSTOP and settings changes. The
    /// syscall restarts once the group is continued in the foreground.
    fn check_foreground(&self, signal: Signal) -> Result<()> {
        let caller = current_caller();
        if !self.jobs.lock().is_background(&caller) {
            return Ok(());
        }
        let task = sched::current();
        let blocked = task.signals.lock().blocked.contains(signal);
        let ignored = task.process.sigactions.lock().get(signal).handler == SIG_IGN;
        if blocked || ignored {
            return if signal == SIGTTIN {
                Err(Errno::EIO.into())
            } else {
                Ok(())
            };
        }
        if group::is_orphaned_group(caller.pgid, caller.sid) {
            return Err(Errno::EIO.into());
        }
        signal_group(caller.pgid, signal);
        Err(ERESTARTSYS.into())
    }

    /// One step of a read that may not sleep; `stops_background` is false
    /// through `/dev/console`.
    fn read_now(&self, buf: &mut [u8], stops_background: bool) -> Result<usize> {
        if stops_background {
            self.check_foreground(SIGTTIN)?;
        }
        let now = platform::time::monotonic_ns();
        let mut ldisc = self.ldisc.lock();
        let mut request = ReadRequest::new(&ldisc, buf.len(), now);
        match request.step(&mut ldisc, buf, now) {
            ReadStep::Done(n) => Ok(n),
            ReadStep::Wait { .. } if request.copied() > 0 => Ok(request.copied()),
            ReadStep::Wait { .. } => Err(Errno::EAGAIN.into()),
        }
    }

    fn has_input(&self) -> bool {
        self.ldisc.lock().buffered_bytes() > 0
    }

    fn set_termios(&self, cmd: u32, arg: usize) -> Result<usize> {
        self.check_foreground(SIGTTOU)?;
        let bytes: [u8; TERMIOS_SIZE] = user::read(arg as u64)?;
        let termios = Termios::from_bytes(&bytes);
        // TCSETSW and TCSETSF wait for output to drain first; output is
        // written synchronously, so there never is any left.
        let mut ldisc = self.ldisc.lock();
        if cmd == ioctl::TCSETSF {
            ldisc.flush_input();
        }
        ldisc.set_termios(termios);
        drop(ldisc);
        io::notify();
        Ok(0)
    }

    fn set_winsize(&self, arg: usize) -> Result<usize> {
        let bytes: [u8; WINSIZE_SIZE] = user::read(arg as u64)?;
        if self.ldisc.lock().set_winsize(Winsize::from_bytes(&bytes)) {
            self.signal_foreground(SIGWINCH);
        }
        Ok(0)
    }

    fn attach(&self, arg: usize) -> Result<usize> {
        let caller = current_caller();
        let is_root = sched::current().process.creds.lock().is_root();
        self.jobs
            .lock()
            .attach(&caller, arg == STEAL_TERMINAL && is_root)?;
        log::debug!("tty: controlling terminal of session {}", caller.sid);
        Ok(0)
    }

    fn set_foreground(&self, arg: usize) -> Result<usize> {
        let caller = current_caller();
        if !self.jobs.lock().is_controlling(&caller) {
            return Err(Errno::ENOTTY.into());
        }
        self.check_foreground(SIGTTOU)?;
        let pgid: i32 = user::read(arg as u64)?;
        let group_session = u32::try_from(pgid)
            .ok()
            .and_then(|pgid| group::group_members(pgid).first().map(|p| p.sid()));
        self.jobs
            .lock()
            .set_foreground(&caller, pgid, group_session)?;
        Ok(0)
    }

    fn release(&self) -> Result<usize> {
        let detached = self.jobs.lock().release(&current_caller())?;
        // FIXME: a member that is not the session leader keeps the terminal;
        // the controlling terminal is recorded per session, not per process.
        if let Some(pgid) = detached.and_then(|d| d.foreground) {
            signal_group(pgid, SIGHUP);
            signal_group(pgid, SIGCONT);
        }
        Ok(0)
    }

    fn flush(&self, arg: usize) -> Result<usize> {
        self.check_foreground(SIGTTOU)?;
        match arg as u32 {
            // Output is written synchronously: nothing waits to be flushed.
            raw::TCOFLUSH => {}
            raw::TCIFLUSH | raw::TCIOFLUSH => self.ldisc.lock().flush_input(),
            _ => return Err(Errno::EINVAL.into()),
        }
        Ok(0)
    }

    fn flow(&self, arg: usize) -> Result<usize> {
        self.check_foreground(SIGTTOU)?;
        let action = match arg as u32 {
            raw::TCOOFF => FlowAction::SuspendOutput,
            raw::TCOON => FlowAction::ResumeOutput,
            raw::TCIOFF => FlowAction::SendStop,
            raw::TCION => FlowAction::SendStart,
            _ => return Err(Errno::EINVAL.into()),
        };
        let byte = self.ldisc.lock().flow_control(action);
        if let Some(byte) = byte {
            write_to_device(&[byte]);
        }
        io::notify();
        Ok(0)
    }

    fn put_int(arg: usize, value: i32) -> Result<usize> {
        user::write(arg as u64, &value)?;
        Ok(0)
    }
}

impl Tty {
    /// A read; a background process is stopped with SIGTTIN first when
    /// `stops_background` (any device but `/dev/console`).
    fn read(&self, buf: &mut [u8], stops_background: bool) -> Result<usize> {
        if stops_background {
            self.check_foreground(SIGTTIN)?;
        }
        let mut request = {
            let ldisc = self.ldisc.lock();
            ReadRequest::new(&ldisc, buf.len(), platform::time::monotonic_ns())
        };
        loop {
            let now = platform::time::monotonic_ns();
            let step = request.step(&mut self.ldisc.lock(), buf, now);
            let deadline_ns = match step {
                ReadStep::Done(n) => return Ok(n),
                ReadStep::Wait { deadline_ns: None } if request.copied() == 0 => {
                    return Err(Errno::EAGAIN.into());
                }
                ReadStep::Wait { deadline_ns } => deadline_ns,
            };

            // VTIME runs or VMIN is half met: wait here (see the module doc).
            let queue = Some(io::wait_queue());
            let arrived = || self.has_input().then_some(());
            match sched::wait_until(queue, deadline_ns, true, arrived) {
                Ok(()) | Err(Interrupted::TimedOut) => {}
                Err(Interrupted::Signal) if request.copied() > 0 => return Ok(request.copied()),
                Err(Interrupted::Signal) => return Err(ERESTARTSYS.into()),
            }
        }
    }

    /// A write; under TOSTOP a background process is stopped with SIGTTOU
    /// first when `stops_background`.
    fn write(&self, data: &[u8], stops_background: bool) -> Result<usize> {
        if stops_background && self.ldisc.lock().termios().lflag(raw::TOSTOP) {
            self.check_foreground(SIGTTOU)?;
        }
        let mut written = 0;
        let mut out = Vec::new();
        for chunk in data.chunks(WRITE_CHUNK) {
            {
                let mut ldisc = self.ldisc.lock();
                if ldisc.is_output_stopped() {
                    break;
                }
                out.clear();
                ldisc.process_output(chunk, &mut out);
            }
            platform::serial::write_bytes(&out);
            written += chunk.len();
        }
        if written == 0 && !data.is_empty() {
            // Stopped by ^S or TCOOFF: `poll` reports OUT once it restarts.
            return Err(Errno::EAGAIN.into());
        }
        Ok(written)
    }
}

impl FileOps for Tty {
    fn read_at(&self, _offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read(buf, true)
    }

    fn write_at(&self, _offset: u64, data: &[u8]) -> Result<usize> {
        self.write(data, true)
    }

    fn poll(&self) -> PollEvents {
        let ldisc = self.ldisc.lock();
        let mut events = PollEvents::empty();
        if ldisc.readable() {
            events |= PollEvents::IN | PollEvents::RDNORM;
        }
        if !ldisc.is_output_stopped() {
            events |= PollEvents::OUT | PollEvents::WRNORM;
        }
        events
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize> {
        match cmd {
            ioctl::TCGETS => {
                let bytes = self.ldisc.lock().termios().to_bytes();
                user::write(arg as u64, &bytes)?;
                Ok(0)
            }
            ioctl::TCSETS | ioctl::TCSETSW | ioctl::TCSETSF => self.set_termios(cmd, arg),
            ioctl::TIOCGWINSZ => {
                let bytes = self.ldisc.lock().winsize().to_bytes();
                user::write(arg as u64, &bytes)?;
                Ok(0)
            }
            ioctl::TIOCSWINSZ => self.set_winsize(arg),
            ioctl::TIOCSCTTY => self.attach(arg),
            ioctl::TIOCNOTTY => self.release(),
            ioctl::TIOCGPGRP => {
                let pgid = self.jobs.lock().foreground_for(&current_caller())?;
                Self::put_int(arg, pgid as i32)
            }
            ioctl::TIOCSPGRP => self.set_foreground(arg),
            ioctl::TIOCGSID => {
                let sid = self.jobs.lock().session_for(&current_caller())?;
                Self::put_int(arg, sid as i32)
            }
            ioctl::FIONREAD => {
                let pending = self.ldisc.lock().pending_bytes();
                Self::put_int(arg, pending as i32)
            }
            // Output goes to the UART synchronously; nothing is ever queued.
            ioctl::TIOCOUTQ => Self::put_int(arg, 0),
            ioctl::TIOCGETD => Self::put_int(arg, i32::from(::tty::termios::N_TTY)),
            ioctl::TCFLSH => self.flush(arg),
            ioctl::TCXONC => self.flow(arg),
            // tcdrain: output is already drained.
            ioctl::TCSBRK if arg != 0 => Ok(0),
            // TODO: sending a break needs a UART line-control call in
            // platform::serial; tcsendbreak fails until then.
            ioctl::TCSBRK => Err(Errno::EOPNOTSUPP.into()),
            _ => Err(Errno::ENOTTY.into()),
        }
    }

    fn is_seekable(&self) -> bool {
        false
    }
}

impl ControllingTty {
    /// Linux refuses to open `/dev/tty` without a controlling terminal; the
    /// device is looked up per open file here, so each operation checks.
    fn check(tty: &Tty) -> Result<()> {
        if tty.jobs.lock().is_controlling(&current_caller()) {
            Ok(())
        } else {
            Err(Errno::ENXIO.into())
        }
    }
}

impl FileOps for Console {
    fn read_at(&self, _offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.0.read(buf, false)
    }

    fn write_at(&self, _offset: u64, data: &[u8]) -> Result<usize> {
        self.0.write(data, false)
    }

    fn poll(&self) -> PollEvents {
        self.0.poll()
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize> {
        self.0.ioctl(cmd, arg)
    }

    fn is_seekable(&self) -> bool {
        false
    }
}

impl FileOps for ControllingTty {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        Self::check(&self.0)?;
        self.0.read_at(offset, buf)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<usize> {
        Self::check(&self.0)?;
        self.0.write_at(offset, buf)
    }

    fn poll(&self) -> PollEvents {
        match Self::check(&self.0) {
            Ok(()) => self.0.poll(),
            Err(_) => PollEvents::ERR,
        }
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize> {
        Self::check(&self.0)?;
        self.0.ioctl(cmd, arg)
    }

    fn is_seekable(&self) -> bool {
        false
    }
}
