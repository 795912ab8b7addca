//! Pipes and fifos: a bounded byte buffer between a read end and a write end.
//!
//! The bytes live in whole pages, taken as writes need them and given back
//! as reads drain them, as Linux's pipe buffers are: a full pipe holds 16
//! frames, which leave the kernel heap alone and return to the free pool
//! when the pipe empties or closes. The process that made the pipe is
//! charged for them (see [`crate::mm::oom`]).
//!
//! The ends never block themselves: an empty read or a full write returns
//! EAGAIN, and the syscall layer sleeps on [`crate::io::wait_queue`] until
//! `poll` says the end is ready (or returns EAGAIN for O_NONBLOCK files).

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::{Arc, Weak};

use spin::Mutex;
use vfs::file::OpenFile;
use vfs::{Errno, FileOps, PollEvents, Result};

use crate::io;
use crate::mm::oom::KernelCharge;
use crate::task::sched;
use platform::mm::page::{Page, PAGE_SIZE};

/// Linux's default pipe capacity (16 pages).
pub const PIPE_CAPACITY: usize = 65536;
/// Writes up to this size are atomic (`PIPE_BUF`).
pub const PIPE_BUF: usize = 4096;

/// The queued bytes: `len` of them from offset `head` of the first page on.
#[derive(Default)]
struct Buffer {
    pages: VecDeque<Page>,
    head: usize,
    len: usize,
}

impl Buffer {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends as much of `data` as pages can be had for; each new page
    /// is charged to `charge`.
    fn push(&mut self, data: &[u8], charge: &KernelCharge) -> usize {
        let mut done = 0;
        while done < data.len() {
            let end = self.head + self.len;
            if end == self.pages.len() * PAGE_SIZE {
                let Some(page) = Page::alloc_zeroed() else {
                    break;
                };
                self.pages.push_back(page);
                charge.add(PAGE_SIZE);
            }
            let offset = end - (self.pages.len() - 1) * PAGE_SIZE;
            let n = (data.len() - done).min(PAGE_SIZE - offset);
            let page = self
                .pages
                .back()
                .expect("a page with room was just ensured");
            page.write(offset, &data[done..done + n]);
            done += n;
            self.len += n;
        }
        done
    }

    /// Takes up to `out.len()` bytes from the front; drained pages go back,
    /// but the last one stays for the next write.
    fn pop(&mut self, out: &mut [u8], charge: &KernelCharge) -> usize {
        let mut done = 0;
        while done < out.len() && self.len > 0 {
            let n = (out.len() - done).min(self.len).min(PAGE_SIZE - self.head);
            self.pages[0].read(self.head, &mut out[done..done + n]);
            done += n;
            self.head += n;
            self.len -= n;
            if self.len == 0 {
                self.head = 0;
                while self.pages.len() > 1 {
                    self.pages.pop_back();
                    charge.sub(PAGE_SIZE);
                }
            } else if self.head == PAGE_SIZE {
                self.pages.pop_front();
                charge.sub(PAGE_SIZE);
                self.head = 0;
            }
        }
        done
    }
}

struct PipeState {
    buffer: Buffer,
    readers: usize,
    writers: usize,
}

/// The shared buffer of one pipe.
pub struct Pipe {
    state: Mutex<PipeState>,
    /// Inode number shown in `pipe:[ino]`.
    pub ino: u64,
    /// The process that made the pipe pays for its buffer.
    charge: Arc<KernelCharge>,
}

static NEXT_PIPE_INO: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);

impl Pipe {
    fn new() -> Arc<Pipe> {
        Arc::new(Pipe {
            state: Mutex::new(PipeState {
                buffer: Buffer::default(),
                readers: 0,
                writers: 0,
            }),
            ino: NEXT_PIPE_INO.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
            charge: sched::current().process.kernel_charge.clone(),
        })
    }

    pub fn reader(self: &Arc<Self>) -> Arc<PipeReader> {
        self.state.lock().readers += 1;
        Arc::new(PipeReader(self.clone()))
    }

    pub fn writer(self: &Arc<Self>) -> Arc<PipeWriter> {
        self.state.lock().writers += 1;
        Arc::new(PipeWriter(self.clone()))
    }
}

/// A new pipe's read and write ends.
pub fn new_pipe() -> (Arc<PipeReader>, Arc<PipeWriter>) {
    let pipe = Pipe::new();
    (pipe.reader(), pipe.writer())
}

pub struct PipeReader(pub Arc<Pipe>);
pub struct PipeWriter(pub Arc<Pipe>);

impl FileOps for PipeReader {
    fn read_at(&self, _offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut state = self.0.state.lock();
        if state.buffer.is_empty() {
            if state.writers == 0 || buf.is_empty() {
                return Ok(0);
            }
            return Err(Errno::EAGAIN.into());
        }
        let n = state.buffer.pop(buf, &self.0.charge);
        drop(state);
        io::notify();
        Ok(n)
    }

    fn poll(&self) -> PollEvents {
        let state = self.0.state.lock();
        let mut events = PollEvents::empty();
        if !state.buffer.is_empty() {
            events |= PollEvents::IN | PollEvents::RDNORM;
        }
        if state.writers == 0 {
            events |= PollEvents::HUP;
        }
        events
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize> {
        if cmd == linux_raw_sys::ioctl::FIONREAD {
            let queued = self.0.state.lock().buffer.len() as i32;
            crate::user::write(arg as u64, &queued)?;
            return Ok(0);
        }
        Err(Errno::ENOTTY.into())
    }

    fn is_seekable(&self) -> bool {
        false
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        self.0.state.lock().readers -= 1;
        io::notify();
    }
}

impl FileOps for PipeWriter {
    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Errno::EBADF.into())
    }

    fn write_at(&self, _offset: u64, buf: &[u8]) -> Result<usize> {
        let mut state = self.0.state.lock();
        if state.readers == 0 {
            return Err(Errno::EPIPE.into());
        }
        let room = PIPE_CAPACITY - state.buffer.len();
        // Small writes go in whole or not at all (PIPE_BUF atomicity).
        if room == 0 || (buf.len() <= PIPE_BUF && room < buf.len()) {
            return Err(Errno::EAGAIN.into());
        }
        let n = buf.len().min(room);
        let n = state.buffer.push(&buf[..n], &self.0.charge);
        if n == 0 {
            return Err(Errno::ENOMEM.into());
        }
        drop(state);
        io::notify();
        Ok(n)
    }

    fn poll(&self) -> PollEvents {
        let state = self.0.state.lock();
        let mut events = PollEvents::empty();
        if PIPE_CAPACITY - state.buffer.len() >= PIPE_BUF {
            events |= PollEvents::OUT | PollEvents::WRNORM;
        }
        if state.readers == 0 {
            events |= PollEvents::ERR;
        }
        events
    }

    fn is_seekable(&self) -> bool {
        false
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        self.0.state.lock().writers -= 1;
        io::notify();
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.charge
            .sub(self.state.get_mut().buffer.pages.len() * PAGE_SIZE);
    }
}

/// Pipes behind fifo inodes, by (device, inode), while any end is open.
static FIFOS: Mutex<BTreeMap<(u64, u64), Weak<Pipe>>> = Mutex::new(BTreeMap::new());

/// Opens a fifo: the end its access mode asks for, on the pipe shared by
/// everyone who has the fifo open.
pub fn open_fifo(file: &Arc<OpenFile>) -> Result<Arc<OpenFile>> {
    let stat = file.inode().stat()?;
    let key = (stat.dev.encode(), stat.ino);
    let pipe = {
        let mut fifos = FIFOS.lock();
        fifos.retain(|_, pipe| pipe.strong_count() > 0);
        match fifos.get(&key).and_then(Weak::upgrade) {
            Some(pipe) => pipe,
            None => {
                let pipe = Pipe::new();
                fifos.insert(key, Arc::downgrade(&pipe));
                pipe
            }
        }
    };
    let flags = file.flags();
    let ops: Arc<dyn FileOps> = if flags.can_write() && !flags.can_read() {
        pipe.writer()
    } else if flags.can_read() && !flags.can_write() {
        pipe.reader()
    } else {
        // TODO: O_RDWR on a fifo needs an end that both reads and writes.
        return Err(Errno::EINVAL.into());
    };
    Ok(Arc::new(OpenFile::new(
        file.node().clone(),
        Some(ops),
        flags,
    )))
}
