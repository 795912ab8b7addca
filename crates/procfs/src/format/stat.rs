//! `/proc/<pid>/stat`: 52 space-separated fields on one line (see proc(5)).

use alloc::vec::Vec;

use linux_raw_sys::general::RLIMIT_RSS;

use super::{put, Text};
use crate::source::{ProcessInfo, TaskState};

/// KiB per page: `stat` and `statm` count in pages.
pub const PAGE_SIZE_KB: u64 = 4;

/// `stat` shows only the classic 31 signals in its (obsolete) mask fields.
const CLASSIC_SIGNAL_MASK: u64 = 0x7fff_ffff;

/// The line of `/proc/<pid>/stat` for `info`.
pub fn pid_stat(info: &ProcessInfo) -> Vec<u8> {
    let mut text = Text::new();
    let memory = info.memory.unwrap_or_default();
    let layout = &info.layout;
    let signals = &info.signals;

    // Fields 1-3: the name is raw bytes in parentheses; readers find its end
    // by the last `)`.
    put!(&mut text, "{} (", info.pid);
    text.push_bytes(&info.comm);
    put!(&mut text, ") {}", info.state.letter());

    // Fields 4-20: ids, terminal, flags, faults, times, priority.
    put!(
        &mut text,
        " {} {} {} {} {} {}",
        info.ppid,
        info.pgrp,
        info.session,
        info.tty_nr as i32,
        info.tpgid,
        info.flags
    );
    put!(
        &mut text,
        " {} {} {} {} {} {} {} {}",
        info.minor_faults,
        info.child_minor_faults,
        info.major_faults,
        info.child_major_faults,
        info.user_ticks,
        info.system_ticks,
        info.child_user_ticks,
        info.child_system_ticks
    );
    put!(
        &mut text,
        " {} {} {}",
        info.priority,
        info.nice,
        info.num_threads
    );

    // Fields 21-30: itrealvalue (always 0 since Linux 2.6.17), start time,
    // memory, limits and layout; kstkesp and kstkeip are shown as 0.
    let rss_limit = info.limits[RLIMIT_RSS as usize].soft;
    put!(
        &mut text,
        " 0 {} {} {} {}",
        info.start_ticks,
        memory.size_kb * 1024,
        memory.rss_kb / PAGE_SIZE_KB,
        rss_limit
    );
    put!(
        &mut text,
        " {} {} {} 0 0",
        layout.start_code,
        layout.end_code,
        layout.start_stack
    );

    // Fields 31-35: signal masks, then wchan, which Linux reduces to "is
    // waiting" (1) or not (0).
    put!(
        &mut text,
        " {} {} {} {}",
        signals.pending & CLASSIC_SIGNAL_MASK,
        signals.blocked & CLASSIC_SIGNAL_MASK,
        signals.ignored & CLASSIC_SIGNAL_MASK,
        signals.caught & CLASSIC_SIGNAL_MASK
    );
    let waiting = u8::from(info.state != TaskState::Running);
    put!(&mut text, " {}", waiting);

    // Fields 36-44: nswap and cnswap (always 0), exit signal, CPU,
    // scheduling, block I/O delay and guest times.
    put!(
        &mut text,
        " 0 0 {} {} {} {} {} {} {}",
        info.exit_signal,
        info.processor,
        info.rt_priority,
        info.policy,
        info.blkio_delay_ticks,
        info.guest_ticks,
        info.child_guest_ticks
    );

    // Fields 45-52: data, heap, argument and environment bounds, exit code.
    put!(
        &mut text,
        " {} {} {} {} {} {} {} {}\n",
        layout.start_data,
        layout.end_data,
        layout.start_brk,
        layout.arg_start,
        layout.arg_end,
        layout.env_start,
        layout.env_end,
        info.exit_code
    );
    text.into_bytes()
}

/// The line of `/proc/<pid>/statm`: sizes in pages.
pub fn pid_statm(info: &ProcessInfo) -> Vec<u8> {
    let mut text = Text::new();
    let memory = info.memory.unwrap_or_default();
    let pages = |kb: u64| kb / PAGE_SIZE_KB;

    // size resident shared text lib data dt; lib and dt are always 0 since
    // Linux 2.6.
    put!(
        &mut text,
        "{} {} {} {} 0 {} 0\n",
        pages(memory.size_kb),
        pages(memory.rss_kb),
        pages(memory.rss_file_kb + memory.rss_shmem_kb),
        pages(memory.exe_kb),
        pages(memory.data_kb + memory.stack_kb)
    );
    text.into_bytes()
}
