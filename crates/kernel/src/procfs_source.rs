//! The kernel's answers to procfs: snapshots of processes and of the system.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use linux_raw_sys::general::CAP_LAST_CAP;
use platform::mm::page::Page;
use process::Pid;
use procfs::source::{
    AddressLayout, Caller, Capabilities, CpuInfo, FdTarget, IdSet, KernelInfo, MapEntry, MapName,
    MemInfo, MemoryFigures, MountEntry, OpenFd, PidSource, ProcessInfo, ProcessLink, ResourceLimit,
    SignalMasks, SystemInfo, TaskState as ProcState, RLIMIT_COUNT,
};
use vfs::mount::MountFlags;

use crate::mm::{Backing, Prot, VmaRole};
use crate::task::group::{self, PROCESSES};
use crate::task::{sched, Process, Task, TaskState};

/// Implements [`PidSource`] over the process table.
pub struct KernelPidSource;

const KIB: u64 = 1024;
const PAGE_KB: u64 = 4;

fn state_of(process: &Process, task: Option<&Arc<Task>>) -> ProcState {
    if process.is_zombie() {
        return ProcState::Zombie;
    }
    match task.map(|t| t.state()) {
        Some(TaskState::Running) => ProcState::Running,
        Some(TaskState::Stopped) => ProcState::Stopped,
        Some(TaskState::Dead) => ProcState::Dead,
        _ => ProcState::Sleeping,
    }
}

/// `PF_*` bits of /proc/<pid>/stat that the kernel can vouch for (Linux's
/// include/linux/sched.h).
const PF_EXITING: u32 = 0x0000_0004;
const PF_FORKNOEXEC: u32 = 0x0000_0040;

fn pf_flags(process: &Process) -> u32 {
    let exiting = {
        let life = process.life.lock();
        life.exit.is_some() || life.group_exit.is_some()
    };
    let mut flags = 0;
    if exiting {
        flags |= PF_EXITING;
    }
    if process.forked_not_execed.load(Ordering::Relaxed) {
        flags |= PF_FORKNOEXEC;
    }
    flags
}

fn info(process: &Arc<Process>, task: Option<&Arc<Task>>) -> ProcessInfo {
    let main = task.cloned().or_else(|| process.main_thread());
    let mut out = ProcessInfo {
        pid: task.map_or(process.pid, |t| t.tid()),
        tgid: process.pid,
        ppid: process.ppid(),
        pgrp: process.pgid(),
        session: process.sid(),
        tpgid: -1,
        state: state_of(process, main.as_ref()),
        nice: process.nice.load(Ordering::Relaxed),
        priority: 20 + process.nice.load(Ordering::Relaxed),
        num_threads: process.threads.lock().len().max(1) as u32,
        start_ticks: process.start_ticks,
        exit_signal: process.exit_signal.load(Ordering::Relaxed) as i32,
        flags: pf_flags(process),
        ..ProcessInfo::default()
    };
    let comm = process.comm.lock();
    let name = comm.as_bytes();
    out.comm.extend(
        name[..name.len().min(procfs::source::COMM_MAX)]
            .iter()
            .copied(),
    );
    drop(comm);
    let (tty_nr, tpgid) = crate::tty::process_terminal(process);
    out.tty_nr = tty_nr;
    out.tpgid = tpgid;
    let (utime, stime) = match task {
        Some(t) => (
            t.utime.load(Ordering::Relaxed),
            t.stime.load(Ordering::Relaxed),
        ),
        None => process.times(),
    };
    out.user_ticks = utime;
    out.system_ticks = stime;
    out.child_user_ticks = process.children_utime.load(Ordering::Relaxed);
    out.child_system_ticks = process.children_stime.load(Ordering::Relaxed);
    if let Some(status) = process.life.lock().exit {
        out.exit_code = status.proc_exit_code() as i32;
    }

    let creds = process.creds.lock().clone();
    out.uid = IdSet {
        real: creds.uid,
        effective: creds.uid,
        saved: creds.uid,
        fs: creds.uid,
    };
    out.gid = IdSet {
        real: creds.gid,
        effective: creds.gid,
        saved: creds.gid,
        fs: creds.gid,
    };
    out.groups = creds.groups.clone();
    // There are no capability sets: root may do everything and others
    // nothing, which is what these masks say.
    let all_capabilities = (1u64 << (CAP_LAST_CAP + 1)) - 1;
    let held = if creds.uid == 0 { all_capabilities } else { 0 };
    out.capabilities = Capabilities {
        permitted: held,
        effective: held,
        bounding: all_capabilities,
        ..Capabilities::default()
    };
    out.umask = Some(process.fs.lock().umask);
    out.fd_slots = process
        .files
        .lock()
        .iter()
        .map(|(fd, _)| fd as u32 + 1)
        .max()
        .unwrap_or(0)
        .max(64);

    let (ignored, caught) = process.sigactions.lock().ignored_and_caught();
    out.signals = SignalMasks {
        shared_pending: process.shared_pending.lock().set().bits(),
        ignored: ignored.bits(),
        caught: caught.bits(),
        ..SignalMasks::default()
    };
    if let Some(main) = &main {
        let signals = main.signals.lock();
        out.signals.pending = signals.pending.set().bits();
        out.signals.blocked = signals.blocked.bits();
        if let Some(mm) = main.mm() {
            let mut inner = mm.lock();
            let size = inner.total_size();
            let rss = inner.resident_pages();
            let stack = inner
                .vmas
                .values()
                .filter(|v| v.role == VmaRole::Stack)
                .map(|v| v.len())
                .sum::<u64>();
            let data = inner
                .vmas
                .values()
                .filter(|v| v.prot.contains(Prot::WRITE) && !v.shared && v.role != VmaRole::Stack)
                .map(|v| v.len())
                .sum::<u64>();
            let exe = inner
                .vmas
                .values()
                .filter(|v| v.prot.contains(Prot::EXEC))
                .map(|v| v.len())
                .sum::<u64>();
            out.minor_faults = inner.minor_faults;
            out.memory = Some(MemoryFigures {
                peak_kb: size / KIB,
                size_kb: size / KIB,
                hwm_kb: rss * PAGE_KB,
                rss_kb: rss * PAGE_KB,
                rss_anon_kb: rss * PAGE_KB,
                data_kb: data / KIB,
                stack_kb: stack / KIB,
                exe_kb: exe / KIB,
                page_tables_kb: PAGE_KB,
                ..MemoryFigures::default()
            });
            out.layout = AddressLayout {
                start_code: inner.start_code,
                end_code: inner.end_code,
                start_stack: inner.start_stack,
                start_data: inner.start_data,
                end_data: inner.end_data,
                start_brk: inner.brk_start,
                arg_start: inner.args.0,
                arg_end: inner.args.1,
                env_start: inner.env.0,
                env_end: inner.env.1,
            };
        }
    }

    let limits = process.limits.lock().clone();
    let mut table = [ResourceLimit::UNLIMITED; RLIMIT_COUNT];
    for (resource, slot) in table.iter_mut().enumerate() {
        if let Some(limit) = limits.get(resource as u32) {
            *slot = ResourceLimit {
                soft: limit.soft,
                hard: limit.hard,
            };
        }
    }
    out.limits = table;
    out
}

/// The per-mount options after `rw`/`ro` (`nosuid,relatime`).
fn per_mount_options(flags: MountFlags) -> String {
    let text = flags.difference(MountFlags::RDONLY).options();
    match text.strip_prefix("rw,") {
        Some(rest) => String::from(rest),
        None => String::new(),
    }
}

/// Reads `[start, end)` of another process's memory through its page tables.
fn read_memory(process: &Process, start: u64, end: u64) -> Option<Vec<u8>> {
    const MAX: u64 = 128 * 1024;
    let task = process.main_thread()?;
    let mm = task.mm()?;
    let end = end.min(start.saturating_add(MAX));
    let mut out = Vec::with_capacity(end.saturating_sub(start) as usize);
    let mut addr = start;
    while addr < end {
        let page_start = addr & !0xfff;
        let chunk_end = end.min(page_start + 4096);
        let frame = mm
            .lock()
            .space
            .translate(page_start)
            .map(|(frame, _)| frame);
        let mut buf = alloc::vec![0u8; (chunk_end - addr) as usize];
        if let Some(page) = frame.and_then(Page::share_mapped) {
            page.read((addr - page_start) as usize, &mut buf);
        }
        out.extend_from_slice(&buf);
        addr = chunk_end;
    }
    Some(out)
}

impl PidSource for KernelPidSource {
    fn next_pid(&self, from: u32) -> Option<u32> {
        PROCESSES.lock().next_pid(from)
    }

    fn thread_group(&self, id: u32) -> Option<u32> {
        PROCESSES.lock().thread_group_of(id)
    }

    fn current(&self) -> Option<Caller> {
        let task = sched::try_current()?;
        let (uid, gid) = {
            let creds = task.process.creds.lock();
            (creds.uid, creds.gid)
        };
        Some(Caller {
            pid: task.process.pid,
            tid: task.tid(),
            uid,
            gid,
        })
    }

    fn process(&self, tgid: u32) -> Option<ProcessInfo> {
        let process = group::lookup(tgid)?;
        Some(info(&process, None))
    }

    fn thread(&self, tid: u32) -> Option<ProcessInfo> {
        let (process, task) = group::lookup_thread(tid)?;
        Some(info(&process, Some(&task)))
    }

    fn owner(&self, tid: u32) -> Option<(u32, u32)> {
        let process = {
            let table = PROCESSES.lock();
            table.get(table.thread_group_of(tid)?)?.clone()
        };
        let creds = process.creds.lock();
        Some((creds.uid, creds.gid))
    }

    fn threads(&self, tgid: u32) -> Option<Vec<u32>> {
        let process = group::lookup(tgid)?;
        let mut tids: Vec<Pid> = process.threads.lock().iter().map(|t| t.tid()).collect();
        tids.sort_unstable();
        Some(tids)
    }

    fn cmdline(&self, tgid: u32) -> Option<Vec<u8>> {
        let process = group::lookup(tgid)?;
        if process.is_zombie() {
            return Some(Vec::new());
        }
        let (start, end) = process.main_thread()?.mm()?.lock().args;
        read_memory(&process, start, end)
    }

    fn environ(&self, tgid: u32) -> Option<Vec<u8>> {
        let process = group::lookup(tgid)?;
        if process.is_zombie() {
            return Some(Vec::new());
        }
        let (start, end) = process.main_thread()?.mm()?.lock().env;
        read_memory(&process, start, end)
    }

    fn auxv(&self, tgid: u32) -> Option<Vec<u8>> {
        let process = group::lookup(tgid)?;
        if process.is_zombie() {
            return Some(Vec::new());
        }
        let auxv = process.main_thread()?.mm()?.lock().auxv.clone();
        Some(auxv.to_vec())
    }

    fn link(&self, tgid: u32, link: ProcessLink) -> Option<String> {
        let process = group::lookup(tgid)?;
        if process.is_zombie() {
            return None;
        }
        // As seen from the reader's root, as Linux shows them: a chrooted
        // process's root is the directory it was confined to. The reader's
        // context is read first, since it may be the very one locked below.
        let reader_root = sched::current().process.fs.lock().root.clone();
        let fs = process.fs.lock();
        Some(match link {
            ProcessLink::Exe => process.exe.lock().clone(),
            ProcessLink::Cwd => fs.cwd.path_from(&reader_root),
            ProcessLink::Root => fs.root.path_from(&reader_root),
        })
    }

    fn fds(&self, tgid: u32) -> Option<Vec<OpenFd>> {
        let process = group::lookup(tgid)?;
        let root = process.fs.lock().root.clone();
        // Snapshot the table first: stat of a /proc file comes back here.
        let files: Vec<(i32, Arc<vfs::OpenFile>)> = process
            .files
            .lock()
            .iter()
            .map(|(fd, file)| (fd, file.clone()))
            .collect();
        let fds = files
            .iter()
            .map(|(fd, file)| {
                let name = file.node().path_from(&root);
                let ino = file.inode().stat().map(|s| s.ino).unwrap_or(0);
                let target = match name.strip_prefix("pipe:[") {
                    Some(_) => FdTarget::Pipe(ino),
                    None => FdTarget::Path(name),
                };
                OpenFd {
                    fd: *fd as u32,
                    target,
                    pos: file.position(),
                    flags: file.flags().bits(),
                    mnt_id: file.node().mount().id() as u32,
                    ino,
                }
            })
            .collect();
        Some(fds)
    }

    fn maps(&self, tgid: u32) -> Option<Vec<MapEntry>> {
        let process = group::lookup(tgid)?;
        let mm = process.main_thread()?.mm()?;
        let inner = mm.lock();
        let entries = inner
            .vmas
            .values()
            .map(|vma| {
                let (name, offset, dev, inode) = match (&vma.backing, vma.role) {
                    (_, VmaRole::Heap) => (MapName::Heap, 0, Default::default(), 0),
                    (_, VmaRole::Stack) => (MapName::Stack, 0, Default::default(), 0),
                    (_, VmaRole::Vdso) => (MapName::Vdso, 0, Default::default(), 0),
                    (_, VmaRole::Vvar) => (MapName::Vvar, 0, Default::default(), 0),
                    (
                        Backing::File {
                            inode,
                            offset,
                            path,
                            ..
                        }
                        | Backing::SharedFile {
                            inode,
                            offset,
                            path,
                            ..
                        },
                        _,
                    ) => {
                        let stat = inode.stat().unwrap_or_default();
                        (MapName::File(path.clone()), *offset, stat.dev, stat.ino)
                    }
                    _ => (MapName::Anonymous, 0, Default::default(), 0),
                };
                MapEntry {
                    start: vma.start,
                    end: vma.end,
                    read: vma.prot.contains(Prot::READ),
                    write: vma.prot.contains(Prot::WRITE),
                    exec: vma.prot.contains(Prot::EXEC),
                    shared: vma.shared,
                    offset,
                    dev,
                    inode,
                    name,
                }
            })
            .collect();
        Some(entries)
    }

    fn mounts(&self, tgid: u32) -> Option<Vec<MountEntry>> {
        let process = group::lookup(tgid)?;
        let root = process.fs.lock().root.clone();
        let mounts = crate::fs::vfs().mounts(&root);
        Some(
            mounts
                .into_iter()
                .map(|m| MountEntry {
                    id: m.id as u32,
                    parent_id: m.parent_id as u32,
                    dev: m.dev,
                    // TODO: the root inside the filesystem of a bind mount;
                    // every mount shows its filesystem from the top.
                    root: String::from("/"),
                    mount_point: m.target,
                    fs_type: m.fs_type,
                    source: m.source,
                    read_only: m.flags.contains(MountFlags::RDONLY),
                    // procfs writes rw/ro itself; the rest are the flags.
                    mount_flags: per_mount_options(m.flags),
                    ..MountEntry::default()
                })
                .collect(),
        )
    }

    fn set_comm(&self, tid: u32, comm: &[u8]) -> vfs::Result<()> {
        let (process, _) = group::lookup_thread(tid).ok_or(vfs::Errno::ESRCH)?;
        let end = comm
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .unwrap_or(comm.len())
            .min(15);
        *process.comm.lock() = String::from_utf8_lossy(&comm[..end]).into();
        Ok(())
    }

    fn system(&self) -> SystemInfo {
        crate::sysinfo::system()
    }

    fn memory(&self) -> MemInfo {
        crate::sysinfo::memory()
    }

    fn cpus(&self) -> Vec<CpuInfo> {
        crate::sysinfo::cpus()
    }

    fn kernel(&self) -> KernelInfo {
        crate::sysinfo::kernel()
    }

    fn set_hostname(&self, name: &[u8]) -> vfs::Result<()> {
        *crate::syscall::system::HOSTNAME.lock() = String::from_utf8_lossy(name).into();
        Ok(())
    }
}
