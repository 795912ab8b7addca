//! execve: replace the calling process's program.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use loader::elf::{self, ElfImage, ELF_HEADER_LEN};
use loader::script::SHEBANG_MAX;
use loader::stack::AuxInfo;
use platform::arch::trap::TrapFrame;
use vfs::cred::Access;
use vfs::PathNode;
use vfs::{Errno, Error, FileType, InodeRef, Result};

use super::sched;
use crate::fs;
use crate::mm::{self, Backing, Mm, Prot, Vma, VmaRole, PAGE_SIZE};

/// Linux gives up on `#!` chains deeper than this (`BINPRM_MAX_RECURSION`
/// counts the ELF too).
const MAX_INTERPRETER_DEPTH: usize = 4;

/// Initial RFLAGS of a new program: interrupts on, reserved bit 1 set.
const USER_RFLAGS: u64 = 0x202;

/// `AT_CLKTCK`: the tick rate programs compute times with (USER_HZ).
pub const USER_HZ: u64 = 100;

/// The file exec runs, found, and the name it runs under: the path given to execve,
/// or for execveat from a descriptor `/dev/fd/N` or `/dev/fd/N/<path>`, as Linux
/// names it (the new program's `AT_EXECFN`, and the script argument of a `#!` line).
pub struct Executable {
    pub node: Arc<PathNode>,
    pub name: String,
    /// Comm comes from the file's own name rather than from `name`, which names a
    /// descriptor, as recent Linux does.
    pub comm_from_file: bool,
}

impl Executable {
    /// `path` as the calling process resolves it, symlinks followed.
    pub fn resolve(path: &str) -> Result<Executable> {
        Ok(Executable {
            node: fs::resolve_for_current(path, true)?,
            name: String::from(path),
            comm_from_file: false,
        })
    }
}

/// A program ready to replace the current one (the point of no return is
/// after this is built).
struct Program {
    node: Arc<PathNode>,
    inode: InodeRef,
    image: ElfImage,
    argv: Vec<Vec<u8>>,
}

/// Replaces the current program; on success `frame` starts the new one.
pub fn execve(
    frame: &mut TrapFrame,
    executable: Executable,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<()> {
    let task = sched::current();
    let (mm, new_frame) = load_executable(&task.process, executable, argv, envp)?;

    // Point of no return: the old program is gone from here on.
    become_sole_thread(&task);
    drop(task.replace_mm(mm));
    *frame = new_frame;
    let _ = task.set_fs_base(0);
    platform::arch::fpu::reset_registers();
    Ok(())
}

/// Ends every other thread of the caller's process and waits until they are
/// gone; a caller that is not the leader takes over the process id as its
/// thread id, so the new program runs with `gettid() == getpid()`.
fn become_sole_thread(task: &Arc<super::Task>) {
    let process = &task.process;
    let others = process.other_threads(task);
    for other in &others {
        other.exec_victim.store(true, Ordering::Release);
        crate::signal::kill_thread(other);
    }
    drop(others);
    // Uninterruptible: the victims exit at their next return to user mode.
    let _ = sched::wait_until(Some(&process.thread_exit), None, false, || {
        (process.threads.lock().len() == 1).then_some(())
    });
    // The robust mutexes it holds die with the old program.
    crate::futex::robust::release_all(task);
    let old_tid = task.tid();
    if old_tid != process.pid {
        task.set_tid(process.pid);
        super::group::PROCESSES.lock().remove_thread(old_tid);
    }
    // The old program's clear-tid word is gone with its address space.
    task.clear_child_tid.store(0, Ordering::Relaxed);
}

/// Builds the address space and first register frame of `path` for
/// `process`, and applies exec's process-wide effects. The caller installs
/// the address space; nothing of the calling task changes here.
pub fn load(
    process: &Arc<super::Process>,
    path: &str,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<(Arc<Mm>, TrapFrame)> {
    load_executable(process, Executable::resolve(path)?, argv, envp)
}

fn load_executable(
    process: &Arc<super::Process>,
    executable: Executable,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<(Arc<Mm>, TrapFrame)> {
    let execfn = executable.name.as_bytes().to_vec();
    let comm = if executable.comm_from_file {
        executable.node.name()
    } else {
        executable.name.clone()
    };
    let program = load_program(executable, argv, 0)?;

    let mm = Mm::new()?;
    let root = process.fs.lock().root.clone();
    map_image(&mm, &program, &program.node.path_from(&root))?;
    let vdso = crate::vdso::map(&mut mm.lock());

    let mut random = [0u8; 16];
    crate::random::fill(&mut random);
    let creds = process.creds.lock().clone();
    let info = AuxInfo {
        phdr: program.image.phdr_addr,
        phent: program.image.phdr_entry_size as u64,
        phnum: program.image.phdr_count as u64,
        page_size: PAGE_SIZE,
        base: 0,
        entry: program.image.entry,
        hwcap: hwcap(),
        clock_ticks: USER_HZ,
        uid: creds.uid,
        euid: creds.uid,
        gid: creds.gid,
        egid: creds.gid,
        secure: false,
        sysinfo_ehdr: vdso,
        random,
    };
    let stack = loader::stack::build(mm::STACK_TOP, &program.argv, &envp, &execfn, &info)?;
    mm.write(stack.sp, &stack.bytes)?;
    {
        let mut inner = mm.lock();
        inner.args = stack.args;
        inner.env = stack.env;
        inner.auxv = stack.auxv.into();
        inner.start_stack = stack.sp;
    }

    finish_exec(process, &program, &comm);
    let frame = TrapFrame {
        rip: program.image.entry,
        rsp: stack.sp,
        rflags: USER_RFLAGS,
        cs: platform::arch::gdt::USER_CODE_SELECTOR.0 as u64,
        ss: platform::arch::gdt::USER_DATA_SELECTOR.0 as u64,
        ..TrapFrame::default()
    };
    Ok((mm, frame))
}

/// `AT_HWCAP`: CPUID leaf 1's EDX feature bits, as Linux reports on x86_64.
fn hwcap() -> u64 {
    raw_cpuid::cpuid!(1).edx as u64
}

/// The process-wide effects of a successful exec.
fn finish_exec(process: &Arc<super::Process>, program: &Program, comm_source: &str) {
    process.forked_not_execed.store(false, Ordering::Relaxed);
    let closed = process.files.lock().close_on_exec_sweep();
    drop(closed);
    process.sigactions.lock().reset_for_exec();
    process.timers.lock().clear_for_exec();
    // comm is the last component of the path execve was given (a symlink's
    // own name, the script rather than its interpreter), or the file's own
    // name when execveat named it through a descriptor, as on Linux.
    let name = comm_source.rsplit('/').next().unwrap_or(comm_source);
    let comm: String = name.chars().take(15).collect();
    *process.comm.lock() = comm;
    let root = process.fs.lock().root.clone();
    *process.exe.lock() = program.node.path_from(&root);
    super::lifecycle::finish_vfork(process);
}

/// Follows `#!` lines from `executable` to an ELF image.
fn load_program(executable: Executable, mut argv: Vec<Vec<u8>>, depth: usize) -> Result<Program> {
    if depth > MAX_INTERPRETER_DEPTH {
        return Err(Errno::ELOOP.into());
    }
    let Executable {
        node, name: path, ..
    } = executable;
    let inode = node.inode().clone();
    let stat = inode.stat()?;
    match inode.file_type() {
        FileType::Regular => {}
        // Only execveat with AT_SYMLINK_NOFOLLOW leaves a symlink unfollowed.
        FileType::Symlink => return Err(Errno::ELOOP.into()),
        _ => return Err(Errno::EACCES.into()),
    }
    fs::check_access_current(&stat, Access::EXEC)?;
    if node
        .mount()
        .flags()
        .contains(vfs::mount::MountFlags::NOEXEC)
    {
        return Err(Errno::EACCES.into());
    }

    let mut first = vec![0u8; SHEBANG_MAX];
    let len = read_fully(&inode, 0, &mut first)?;
    first.truncate(len);

    if let Some(script) = loader::parse_shebang(&first) {
        let script = script?;
        let interpreter = String::from_utf8(script.interpreter.clone())
            .map_err(|_| Error::with_reason(Errno::ENOEXEC, "bad interpreter name"))?;
        let mut new_argv = vec![script.interpreter];
        new_argv.extend(script.argument);
        new_argv.push(path.as_bytes().to_vec());
        new_argv.extend(argv.drain(..).skip(1));
        return load_program(Executable::resolve(&interpreter)?, new_argv, depth + 1);
    }
    if !elf::has_elf_magic(&first) || first.len() < ELF_HEADER_LEN {
        return Err(Errno::ENOEXEC.into());
    }
    let header_len = elf::header_len(&first[..ELF_HEADER_LEN], stat.size)?;
    let mut headers = vec![0u8; header_len];
    let got = read_fully(&inode, 0, &mut headers)?;
    headers.truncate(got);
    let image = elf::parse(&headers, stat.size, |offset, len| {
        let mut buf = vec![0u8; len];
        let got = read_fully(&inode, offset, &mut buf)?;
        buf.truncate(got);
        Ok(buf)
    })?;
    if image.interpreter.is_some() {
        // TODO: dynamically linked programs need the interpreter loaded
        // beside them; only static and static-PIE executables run today.
        log::warn!("exec {path}: dynamically linked programs are not supported");
        return Err(Error::with_reason(Errno::ENOEXEC, "dynamic executable"));
    }
    Ok(Program {
        node,
        inode,
        image,
        argv,
    })
}

fn read_fully(inode: &InodeRef, offset: u64, buf: &mut [u8]) -> Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match inode.read_at(offset + done as u64, &mut buf[done..])? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

/// Maps the segments (file-backed, filled on demand), the stack, and sets
/// up the heap start.
fn map_image(mm: &Arc<Mm>, program: &Program, path: &str) -> Result<()> {
    let mut inner = mm.lock();
    for segment in &program.image.segments {
        let mut prot = Prot::empty();
        prot.set(Prot::READ, segment.readable);
        prot.set(Prot::WRITE, segment.writable);
        prot.set(Prot::EXEC, segment.executable);
        let start = mm::page_down(segment.vaddr);
        let file_end = segment.file_offset + segment.file_size;
        let file_pages_end = mm::page_up(segment.vaddr + segment.file_size);
        let end = mm::page_up(segment.vaddr + segment.mem_size);
        if file_pages_end > start {
            let offset = segment.file_offset - (segment.vaddr - start);
            let backing = Backing::File {
                inode: program.inode.clone(),
                offset,
                file_end,
                path: String::from(path),
            };
            let vma = Vma {
                start,
                end: file_pages_end,
                prot,
                shared: false,
                backing,
                role: VmaRole::Plain,
            };
            mm::insert_vma(&mut inner, vma);
        }
        if end > file_pages_end {
            mm::insert_vma(
                &mut inner,
                Vma::anonymous(file_pages_end, end, prot, VmaRole::Plain),
            );
        }
        let file_data_end = segment.vaddr + segment.file_size;
        if segment.executable {
            if inner.start_code == 0 || segment.vaddr < inner.start_code {
                inner.start_code = segment.vaddr;
            }
            inner.end_code = inner.end_code.max(file_data_end);
        }
        inner.start_data = inner.start_data.max(segment.vaddr);
        inner.end_data = inner.end_data.max(file_data_end);
    }
    let heap = mm::page_up(program.image.end);
    inner.brk_start = heap;
    inner.brk = heap;
    let stack = Vma::anonymous(
        mm::STACK_TOP - mm::STACK_SIZE,
        mm::STACK_TOP,
        Prot::READ | Prot::WRITE,
        VmaRole::Stack,
    );
    mm::insert_vma(&mut inner, stack);
    Ok(())
}
