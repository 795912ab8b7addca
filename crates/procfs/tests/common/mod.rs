//! A fake `PidSource` for host tests, and helpers to walk and list /proc.

#![allow(dead_code)] // Each test binary uses a different part.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use procfs::*;
use vfs::{DirEntry, Errno, FileSystem, InodeRef, OpenFlags};

/// One fake process: its snapshot plus the heavier parts.
#[derive(Clone, Default)]
pub struct FakeProcess {
    pub info: ProcessInfo,
    /// Extra threads (tid -> view); the leader is `info`.
    pub threads: BTreeMap<u32, ProcessInfo>,
    pub cmdline: Vec<u8>,
    pub environ: Option<Vec<u8>>,
    pub auxv: Vec<u8>,
    pub exe: Option<String>,
    pub cwd: Option<String>,
    pub root: Option<String>,
    pub fds: Vec<OpenFd>,
    pub maps: Vec<MapEntry>,
    pub mounts: Option<Vec<MountEntry>>,
}

#[derive(Default)]
pub struct FakeState {
    pub processes: BTreeMap<u32, FakeProcess>,
    pub current: Option<Caller>,
    pub system: SystemInfo,
    pub memory: MemInfo,
    pub cpus: Vec<CpuInfo>,
    pub kernel: KernelInfo,
    pub comm_writes: Vec<(u32, Vec<u8>)>,
    pub hostname_writes: Vec<Vec<u8>>,
    /// Calls of `process` and `thread`, the costly snapshots.
    pub snapshots: usize,
}

#[derive(Default)]
pub struct FakeSource {
    pub state: Mutex<FakeState>,
}

impl FakeSource {
    pub fn new() -> Arc<FakeSource> {
        Arc::new(FakeSource::default())
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut FakeState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    /// Adds a running root process with a plausible snapshot.
    pub fn add(&self, pid: u32) {
        self.with(|state| {
            state.processes.insert(pid, fake_process(pid));
        });
    }

    pub fn remove(&self, pid: u32) {
        self.with(|state| {
            state.processes.remove(&pid);
        });
    }

    pub fn add_thread(&self, tgid: u32, tid: u32) {
        self.with(|state| {
            let process = state.processes.get_mut(&tgid).unwrap();
            let mut view = process.info.clone();
            view.pid = tid;
            process.threads.insert(tid, view);
            process.info.num_threads += 1;
        });
    }

    pub fn set_current(&self, pid: u32, tid: u32, uid: u32) {
        self.with(|state| {
            state.current = Some(Caller {
                pid,
                tid,
                uid,
                gid: uid,
            })
        });
    }
}

pub fn fake_process(pid: u32) -> FakeProcess {
    let mut comm = Comm::new();
    comm.try_extend_from_slice(b"init").unwrap();
    let info = ProcessInfo {
        pid,
        tgid: pid,
        ppid: 1,
        pgrp: pid,
        session: pid,
        tpgid: -1,
        comm,
        state: TaskState::Sleeping,
        priority: 20,
        num_threads: 1,
        exit_signal: 17,
        memory: Some(MemoryFigures::default()),
        umask: Some(0o022),
        ..ProcessInfo::default()
    };
    FakeProcess {
        info,
        cmdline: b"init\0".to_vec(),
        environ: Some(b"HOME=/\0".to_vec()),
        exe: Some("/sbin/init".into()),
        cwd: Some("/".into()),
        root: Some("/".into()),
        mounts: Some(Vec::new()),
        ..FakeProcess::default()
    }
}

impl FakeState {
    fn thread_group(&self, id: u32) -> Option<u32> {
        if self.processes.contains_key(&id) {
            return Some(id);
        }
        self.processes
            .iter()
            .find(|(_, process)| process.threads.contains_key(&id))
            .map(|(&tgid, _)| tgid)
    }
}

impl PidSource for FakeSource {
    fn next_pid(&self, from: u32) -> Option<u32> {
        self.with(|state| state.processes.range(from..).next().map(|(&pid, _)| pid))
    }

    fn thread_group(&self, id: u32) -> Option<u32> {
        self.with(|state| state.thread_group(id))
    }

    fn current(&self) -> Option<Caller> {
        self.with(|state| state.current)
    }

    fn process(&self, tgid: u32) -> Option<ProcessInfo> {
        self.with(|state| {
            state.snapshots += 1;
            state.processes.get(&tgid).map(|p| p.info.clone())
        })
    }

    fn thread(&self, tid: u32) -> Option<ProcessInfo> {
        self.with(|state| {
            state.snapshots += 1;
            let tgid = state.thread_group(tid)?;
            let process = &state.processes[&tgid];
            if tid == tgid {
                Some(process.info.clone())
            } else {
                process.threads.get(&tid).cloned()
            }
        })
    }

    fn owner(&self, tid: u32) -> Option<(u32, u32)> {
        self.with(|state| {
            let process = &state.processes[&state.thread_group(tid)?];
            let ids = (process.info.uid.effective, process.info.gid.effective);
            Some(ids)
        })
    }

    fn threads(&self, tgid: u32) -> Option<Vec<u32>> {
        self.with(|state| {
            let process = state.processes.get(&tgid)?;
            let mut tids: Vec<u32> = process.threads.keys().copied().collect();
            tids.push(tgid);
            tids.sort_unstable();
            Some(tids)
        })
    }

    fn cmdline(&self, tgid: u32) -> Option<Vec<u8>> {
        self.with(|state| state.processes.get(&tgid).map(|p| p.cmdline.clone()))
    }

    fn environ(&self, tgid: u32) -> Option<Vec<u8>> {
        self.with(|state| state.processes.get(&tgid)?.environ.clone())
    }

    fn auxv(&self, tgid: u32) -> Option<Vec<u8>> {
        self.with(|state| Some(state.processes.get(&tgid)?.auxv.clone()))
    }

    fn link(&self, tgid: u32, link: ProcessLink) -> Option<String> {
        self.with(|state| {
            let process = state.processes.get(&tgid)?;
            match link {
                ProcessLink::Exe => process.exe.clone(),
                ProcessLink::Cwd => process.cwd.clone(),
                ProcessLink::Root => process.root.clone(),
            }
        })
    }

    fn fds(&self, tgid: u32) -> Option<Vec<OpenFd>> {
        self.with(|state| state.processes.get(&tgid).map(|p| p.fds.clone()))
    }

    fn maps(&self, tgid: u32) -> Option<Vec<MapEntry>> {
        self.with(|state| state.processes.get(&tgid).map(|p| p.maps.clone()))
    }

    fn mounts(&self, tgid: u32) -> Option<Vec<MountEntry>> {
        self.with(|state| state.processes.get(&tgid)?.mounts.clone())
    }

    fn set_comm(&self, tid: u32, comm: &[u8]) -> vfs::Result<()> {
        self.with(|state| {
            state.comm_writes.push((tid, comm.to_vec()));
            let tgid = state.thread_group(tid).ok_or(vfs::Errno::ESRCH)?;
            let process = state.processes.get_mut(&tgid).unwrap();
            let info = if tid == tgid {
                &mut process.info
            } else {
                process.threads.get_mut(&tid).unwrap()
            };
            info.comm.clear();
            info.comm.try_extend_from_slice(comm).unwrap();
            Ok(())
        })
    }

    fn system(&self) -> SystemInfo {
        self.with(|state| state.system.clone())
    }

    fn memory(&self) -> MemInfo {
        self.with(|state| state.memory)
    }

    fn cpus(&self) -> Vec<CpuInfo> {
        self.with(|state| state.cpus.clone())
    }

    fn kernel(&self) -> KernelInfo {
        self.with(|state| state.kernel.clone())
    }

    fn set_hostname(&self, name: &[u8]) -> vfs::Result<()> {
        self.with(|state| {
            state.hostname_writes.push(name.to_vec());
            state.kernel.hostname = String::from_utf8_lossy(name).into_owned();
            Ok(())
        })
    }
}

/// A mounted /proc over `source`.
pub fn mount(source: &Arc<FakeSource>) -> Arc<ProcFs> {
    ProcFs::new(source.clone())
}

/// Follows `path` (relative to the root, `/`-separated, no symlinks).
pub fn walk(fs: &ProcFs, path: &str) -> vfs::Result<InodeRef> {
    let mut inode = fs.root();
    for part in path.split('/').filter(|part| !part.is_empty()) {
        inode = inode.lookup(part)?;
    }
    Ok(inode)
}

/// Opens `path` read-only and reads it all in `chunk`-byte reads.
pub fn read_chunked(fs: &ProcFs, path: &str, chunk: usize) -> vfs::Result<Vec<u8>> {
    let inode = walk(fs, path)?;
    let file = inode
        .open(OpenFlags::empty())?
        .expect("generated files have open state");
    let mut text = Vec::new();
    let mut buf = vec![0; chunk];
    loop {
        let count = file.read_at(text.len() as u64, &mut buf)?;
        if count == 0 {
            return Ok(text);
        }
        text.extend_from_slice(&buf[..count]);
    }
}

pub fn read(fs: &ProcFs, path: &str) -> vfs::Result<String> {
    read_chunked(fs, path, 4096).map(|bytes| String::from_utf8(bytes).unwrap())
}

/// The size getdents64 gives an entry: the header, the name, a NUL, padded
/// to 8 bytes.
pub fn dirent_size(entry: &DirEntry) -> usize {
    (19 + entry.name.len() + 1 + 7) & !7
}

/// One getdents64 call with a `budget`-byte buffer from `cookie`: the
/// entries that fit and the cookie to continue with.
pub fn getdents(dir: &InodeRef, cookie: u64, budget: usize) -> (Vec<DirEntry>, u64) {
    let mut entries = Vec::new();
    let mut used = 0;
    let mut next = cookie;
    dir.readdir(cookie, &mut |entry: DirEntry| {
        let size = dirent_size(&entry);
        if used + size > budget {
            return false;
        }
        used += size;
        next = entry.next_cookie;
        entries.push(entry);
        true
    })
    .unwrap();
    (entries, next)
}

/// A whole listing read with `budget`-byte calls.
pub fn list_all(dir: &InodeRef, budget: usize) -> Vec<DirEntry> {
    let mut all = Vec::new();
    let mut cookie = 0;
    loop {
        let (entries, next) = getdents(dir, cookie, budget);
        if entries.is_empty() {
            return all;
        }
        all.extend(entries);
        assert!(all.len() < 1_000_000, "the listing does not end");
        cookie = next;
    }
}

pub fn names(entries: &[DirEntry]) -> Vec<String> {
    entries.iter().map(|entry| entry.name.clone()).collect()
}

/// The root's entries before the PIDs, in listing order.
pub const FIXED_NAMES: [&str; 14] = [
    ".",
    "..",
    "sys",
    "cmdline",
    "cpuinfo",
    "filesystems",
    "loadavg",
    "meminfo",
    "mounts",
    "stat",
    "uptime",
    "version",
    "self",
    "thread-self",
];

// Scenario set-up shared by the test files.

pub const ROOT: u32 = 0;
pub const USER: u32 = 1000;

pub fn setup() -> (Arc<FakeSource>, Arc<ProcFs>) {
    let source = FakeSource::new();
    source.add(1);
    source.add(42);
    source.set_current(42, 42, ROOT);
    let fs = mount(&source);
    (source, fs)
}

pub fn errno<T>(result: vfs::Result<T>) -> Errno {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.errno,
    }
}

pub fn open_write(fs: &ProcFs, path: &str) -> vfs::Result<Arc<dyn vfs::FileOps>> {
    let inode = walk(fs, path)?;
    Ok(inode.open(OpenFlags::WRONLY)?.unwrap())
}

pub fn set_owner(source: &FakeSource, pid: u32, uid: u32) {
    source.with(|state| {
        let info = &mut state.processes.get_mut(&pid).unwrap().info;
        info.uid = IdSet {
            real: uid,
            effective: uid,
            saved: uid,
            fs: uid,
        };
        info.gid = info.uid;
    });
}

pub fn add_fds(source: &FakeSource) {
    source.with(|state| {
        state.processes.get_mut(&42).unwrap().fds = vec![
            OpenFd {
                fd: 0,
                target: FdTarget::Path("/dev/null".into()),
                pos: 0,
                flags: 0o100000,
                mnt_id: 24,
                ino: 3,
            },
            OpenFd {
                fd: 1,
                target: FdTarget::Pipe(13504),
                pos: 0,
                flags: 0o100001,
                mnt_id: 14,
                ino: 13504,
            },
            OpenFd {
                fd: 255,
                target: FdTarget::Socket(99),
                pos: 0,
                flags: 0o2,
                mnt_id: 9,
                ino: 99,
            },
        ];
    });
}
