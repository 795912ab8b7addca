//! The console terminal (minimal: raw bytes in and out, no line discipline).

use alloc::collections::VecDeque;
use alloc::sync::Arc;

use spin::Mutex;
use vfs::{Errno, FileOps, Permissions, PollEvents, Result};

use crate::task::Process;

static INPUT: Mutex<VecDeque<u8>> = Mutex::new(VecDeque::new());

struct Console;

impl FileOps for Console {
    fn read_at(&self, _offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut input = INPUT.lock();
        if input.is_empty() {
            return Err(Errno::EAGAIN.into());
        }
        let n = buf.len().min(input.len());
        for slot in buf.iter_mut().take(n) {
            *slot = input.pop_front().unwrap_or(0);
        }
        Ok(n)
    }

    fn write_at(&self, _offset: u64, buf: &[u8]) -> Result<usize> {
        for &byte in buf {
            if byte == b'\n' {
                platform::serial::write_bytes(b"\r");
            }
            platform::serial::write_bytes(&[byte]);
        }
        Ok(buf.len())
    }

    fn poll(&self) -> PollEvents {
        if INPUT.lock().is_empty() {
            PollEvents::OUT
        } else {
            PollEvents::IN | PollEvents::OUT
        }
    }

    fn is_seekable(&self) -> bool {
        false
    }
}

pub fn init() {
    let console: Arc<dyn FileOps> = Arc::new(Console);
    let devfs = crate::fs::devfs();
    let _ = devfs.register_char_device(
        "console",
        vfs::DeviceId::new(5, 1),
        Permissions::new(0o600),
        console.clone(),
    );
}

pub fn on_serial_input() {
    while let Some(byte) = platform::serial::read_byte() {
        let byte = if byte == b'\r' { b'\n' } else { byte };
        platform::serial::write_bytes(&[byte]);
        INPUT.lock().push_back(byte);
    }
    crate::io::notify();
}

pub fn on_process_exit(_process: &Process) {}

pub fn on_new_session(_process: &Process) {}

pub fn process_terminal(_process: &Process) -> (u32, i32) {
    (0, -1)
}
