//! `/proc/<pid>/status`: `Name:\tvalue` lines in Linux 6.1's order.

use alloc::vec::Vec;

use linux_raw_sys::general::RLIMIT_SIGPENDING;

use super::{push_cpu_list, push_cpu_mask, put, Text};
use crate::source::{IdSet, MemoryFigures, ProcessInfo};

/// Width of `Mems_allowed`: Linux prints every possible NUMA node
/// (`MAX_NUMNODES`, 1024 on common x86-64 builds); we have node 0 only.
const NUMA_NODE_BITS: u32 = 1024;

/// The text of `/proc/<pid>/status` for `info`.
pub fn pid_status(info: &ProcessInfo) -> Vec<u8> {
    let mut text = Text::new();

    // The name escapes only newline and backslash, so the line stays one line.
    text.push_str("Name:\t");
    for &byte in info.comm.iter() {
        match byte {
            b'\n' => text.push_str("\\n"),
            b'\\' => text.push_str("\\\\"),
            _ => text.push(byte),
        }
    }
    text.push(b'\n');
    if let Some(umask) = info.umask {
        put!(&mut text, "Umask:\t{:04o}\n", umask);
    }
    put!(&mut text, "State:\t{}\n", info.state.describe());

    // Ids. There are no PID namespaces, so each NS* line has one level.
    put!(
        &mut text,
        "Tgid:\t{}\nNgid:\t0\nPid:\t{}\n",
        info.tgid,
        info.pid
    );
    put!(
        &mut text,
        "PPid:\t{}\nTracerPid:\t{}\n",
        info.ppid,
        info.tracer_pid
    );
    push_ids(&mut text, "Uid", &info.uid);
    push_ids(&mut text, "Gid", &info.gid);
    put!(&mut text, "FDSize:\t{}\nGroups:\t", info.fd_slots);
    for (index, group) in info.groups.iter().enumerate() {
        if index > 0 {
            text.push(b' ');
        }
        put!(&mut text, "{}", group);
    }
    // Linux ends the list with a space, even an empty one.
    text.push_str(" \n");
    put!(&mut text, "NStgid:\t{}\nNSpid:\t{}\n", info.tgid, info.pid);
    put!(
        &mut text,
        "NSpgid:\t{}\nNSsid:\t{}\n",
        info.pgrp,
        info.session
    );

    if let Some(memory) = &info.memory {
        push_memory(&mut text, memory);
    }

    // Signals: SigQ is queued/limit, the sets are 64-bit hex.
    let signals = &info.signals;
    let queue_limit = info.limits[RLIMIT_SIGPENDING as usize].soft;
    put!(&mut text, "Threads:\t{}\n", info.num_threads);
    put!(
        &mut text,
        "SigQ:\t{}/{}\n",
        info.signals_queued,
        queue_limit
    );
    push_mask(&mut text, "SigPnd", signals.pending);
    push_mask(&mut text, "ShdPnd", signals.shared_pending);
    push_mask(&mut text, "SigBlk", signals.blocked);
    push_mask(&mut text, "SigIgn", signals.ignored);
    push_mask(&mut text, "SigCgt", signals.caught);

    let caps = &info.capabilities;
    push_mask(&mut text, "CapInh", caps.inheritable);
    push_mask(&mut text, "CapPrm", caps.permitted);
    push_mask(&mut text, "CapEff", caps.effective);
    push_mask(&mut text, "CapBnd", caps.bounding);
    push_mask(&mut text, "CapAmb", caps.ambient);

    // No seccomp here, and speculation controls are not reported: Linux
    // prints "unknown" when it cannot tell.
    put!(&mut text, "NoNewPrivs:\t{}\n", u8::from(info.no_new_privs));
    text.push_str("Seccomp:\t0\nSeccomp_filters:\t0\n");
    text.push_str("Speculation_Store_Bypass:\tunknown\n");
    text.push_str("SpeculationIndirectBranch:\tunknown\n");

    let cpus = &info.cpus_allowed;
    text.push_str("Cpus_allowed:\t");
    push_cpu_mask(&mut text, cpus.bits, cpus.possible);
    text.push_str("\nCpus_allowed_list:\t");
    push_cpu_list(&mut text, cpus.bits);
    text.push_str("\nMems_allowed:\t");
    for group in (0..NUMA_NODE_BITS / 32).rev() {
        let node_zero = u8::from(group == 0);
        put!(&mut text, "{:08x}", node_zero);
        if group != 0 {
            text.push(b',');
        }
    }
    text.push_str("\nMems_allowed_list:\t0\n");

    put!(
        &mut text,
        "voluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}\n",
        info.voluntary_switches,
        info.involuntary_switches
    );
    text.into_bytes()
}

fn push_ids(text: &mut Text, label: &str, ids: &IdSet) {
    put!(
        text,
        "{}:\t{}\t{}\t{}\t{}\n",
        label,
        ids.real,
        ids.effective,
        ids.saved,
        ids.fs
    );
}

fn push_mask(text: &mut Text, label: &str, mask: u64) {
    put!(text, "{}:\t{:016x}\n", label, mask);
}

/// The address-space lines, present only while the process has one.
fn push_memory(text: &mut Text, memory: &MemoryFigures) {
    let lines = [
        ("VmPeak", memory.peak_kb),
        ("VmSize", memory.size_kb),
        ("VmLck", memory.locked_kb),
        ("VmPin", memory.pinned_kb),
        ("VmHWM", memory.hwm_kb),
        ("VmRSS", memory.rss_kb),
        ("RssAnon", memory.rss_anon_kb),
        ("RssFile", memory.rss_file_kb),
        ("RssShmem", memory.rss_shmem_kb),
        ("VmData", memory.data_kb),
        ("VmStk", memory.stack_kb),
        ("VmExe", memory.exe_kb),
        ("VmLib", memory.lib_kb),
        ("VmPTE", memory.page_tables_kb),
        ("VmSwap", memory.swap_kb),
        // No huge pages here.
        ("HugetlbPages", 0),
    ];
    for (label, kb) in lines {
        put!(text, "{}:\t{:8} kB\n", label, kb);
    }
    // Linux prints THP_enabled whenever there is an address space, 0 when it
    // has no transparent huge pages, as here.
    text.push_str("CoreDumping:\t0\nTHP_enabled:\t0\n");
}
