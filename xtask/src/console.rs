//! A guest whose serial line is driven by the xtask: output collected and logged as it
//! arrives, input typed, and every wait bounded by a timeout.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::qemu::Machine;
use crate::util::{self, Result};

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
        self.send_bytes(text.as_bytes())
    }

    /// Sends bytes on the serial line, control characters included.
    pub fn send_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        let _ = writeln!(self.log, "\n# sent: {:?}", String::from_utf8_lossy(bytes));
        let Some(stdin) = self.stdin.as_mut() else {
            crate::bail!("the serial input is closed");
        };
        stdin.write_all(bytes)?;
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
