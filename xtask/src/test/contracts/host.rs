//! Running a contract test on the host's Linux for the expected output.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::build::Contract;

const TIMEOUT: Duration = Duration::from_secs(10);

/// What the test did on Linux: its combined stdout and stderr, and how it ended.
pub struct HostRun {
    pub output: String,
    pub status: i32,
    pub problem: Option<String>,
}

impl HostRun {
    /// Why this run cannot serve as the reference, if it cannot.
    pub fn broken(&self) -> Option<String> {
        if let Some(problem) = &self.problem {
            return Some(problem.clone());
        }
        if self.status != 0 {
            return Some(format!("exits with {}:\n{}", self.status, self.output));
        }
        None
    }
}

/// Runs one test binary in a fresh temporary folder, with a time limit.
pub fn run(contract: &Contract) -> HostRun {
    let failed = |problem: String| HostRun {
        output: String::new(),
        status: -1,
        problem: Some(problem),
    };
    let dir = temp_dir(contract);
    if let Err(err) = std::fs::create_dir_all(&dir) {
        return failed(format!("cannot create {}: {err}", dir.display()));
    }
    let result = run_in(contract, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result.unwrap_or_else(failed)
}

fn run_in(contract: &Contract, dir: &PathBuf) -> Result<HostRun, String> {
    // One pipe for both streams keeps their order as on the guest's console.
    let (mut reader, writer) = std::io::pipe().map_err(|e| e.to_string())?;
    let mut child = Command::new(&contract.binary)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(writer.try_clone().map_err(|e| e.to_string())?)
        .stderr(writer)
        .spawn()
        .map_err(|err| format!("cannot start: {err}"))?;

    // The parent's copies of the write end are gone with the Command; the reader sees
    // EOF once the test and any children it left behind close theirs.
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        let _ = sender.send(bytes);
    });

    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {}s", TIMEOUT.as_secs()));
            }
        }
    };
    let bytes = receiver
        .recv_timeout(Duration::from_secs(2))
        .unwrap_or_default();
    let output = String::from_utf8_lossy(&bytes).replace('\r', "");
    let output = if output.is_empty() || output.ends_with('\n') {
        output
    } else {
        output + "\n"
    };

    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Ok(HostRun {
            output,
            status: code,
            problem: None,
        }),
        (None, signal) => Ok(HostRun {
            output,
            status: -1,
            problem: Some(format!("is killed by signal {}", signal.unwrap_or(0))),
        }),
    }
}

fn temp_dir(contract: &Contract) -> PathBuf {
    let unique = format!(
        "kestrel-contract-{}-{}-{}",
        std::process::id(),
        contract.area,
        contract.name
    );
    std::env::temp_dir().join(unique)
}
