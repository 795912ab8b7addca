//! The files and directories outside the PID directories: the root's fixed
//! entries and `sys/kernel`.

use alloc::vec::Vec;

use vfs::{DirSink, Result};

use crate::dir::{find_fixed, list_fixed};
use crate::format::{cpuinfo, system as text};
use crate::node::{Node, RootLink, SystemDir, SystemFile};
use crate::source::PidSource;

/// The fixed entries of the root, in listing order; PIDs follow them.
pub const ROOT_ENTRIES: &[(&str, Node)] = &[
    ("sys", Node::SystemDir(SystemDir::Sys)),
    ("cmdline", Node::SystemFile(SystemFile::Cmdline)),
    ("cpuinfo", Node::SystemFile(SystemFile::CpuInfo)),
    ("filesystems", Node::SystemFile(SystemFile::Filesystems)),
    ("loadavg", Node::SystemFile(SystemFile::LoadAvg)),
    ("meminfo", Node::SystemFile(SystemFile::MemInfo)),
    ("mounts", Node::RootLink(RootLink::Mounts)),
    ("stat", Node::SystemFile(SystemFile::Stat)),
    ("uptime", Node::SystemFile(SystemFile::Uptime)),
    ("version", Node::SystemFile(SystemFile::Version)),
    ("self", Node::RootLink(RootLink::SelfLink)),
    ("thread-self", Node::RootLink(RootLink::ThreadSelf)),
];

const SYS_ENTRIES: &[(&str, Node)] = &[("kernel", Node::SystemDir(SystemDir::SysKernel))];

// TODO: other sysctls libraries read (kernel/random/boot_id, vm/overcommit_memory,
// ...) are missing; lookups of them fail with ENOENT.
const SYS_KERNEL_ENTRIES: &[(&str, Node)] = &[
    ("hostname", Node::SystemFile(SystemFile::Hostname)),
    ("osrelease", Node::SystemFile(SystemFile::OsRelease)),
    ("ostype", Node::SystemFile(SystemFile::OsType)),
    ("pid_max", Node::SystemFile(SystemFile::PidMax)),
];

fn entries(dir: SystemDir) -> (&'static [(&'static str, Node)], Node) {
    match dir {
        SystemDir::Sys => (SYS_ENTRIES, Node::Root),
        SystemDir::SysKernel => (SYS_KERNEL_ENTRIES, Node::SystemDir(SystemDir::Sys)),
    }
}

pub fn lookup(dir: SystemDir, name: &str) -> Result<Node> {
    find_fixed(entries(dir).0, name)
}

pub fn readdir(dir: SystemDir, cookie: u64, sink: &mut DirSink<'_>) -> Result<()> {
    let (table, parent) = entries(dir);
    list_fixed(cookie, sink, &Node::SystemDir(dir), &parent, table);
    Ok(())
}

/// The current text of a system file.
pub fn generate(source: &dyn PidSource, file: SystemFile) -> Vec<u8> {
    match file {
        SystemFile::CpuInfo => cpuinfo::cpuinfo(&source.cpus()),
        SystemFile::MemInfo => text::meminfo(&source.memory()),
        SystemFile::Stat => text::stat(&source.system()),
        SystemFile::Uptime => text::uptime(&source.system()),
        SystemFile::LoadAvg => text::loadavg(&source.system()),
        SystemFile::Version => text::version(&source.kernel()),
        SystemFile::Filesystems => text::filesystems(&source.kernel()),
        SystemFile::Cmdline => text::line(&source.kernel().cmdline),
        SystemFile::PidMax => {
            let mut line = alloc::format!("{}", source.kernel().pid_max).into_bytes();
            line.push(b'\n');
            line
        }
        SystemFile::OsRelease => text::line(&source.kernel().osrelease),
        SystemFile::OsType => text::line(&source.kernel().ostype),
        SystemFile::Hostname => text::line(&source.kernel().hostname),
    }
}
