//! System-wide files: `stat`, `uptime`, `loadavg`, `meminfo`, `version`,
//! `filesystems`, `cmdline`.

use alloc::vec::Vec;

use super::{put, Decimal, Text};
use crate::source::{CpuTimes, KernelInfo, MemInfo, SystemInfo, LOAD_FRACTION_BITS};

/// The text of `/proc/stat`.
pub fn stat(info: &SystemInfo) -> Vec<u8> {
    let mut text = Text::new();

    // The summary line has two spaces after `cpu`; each CPU follows.
    let total = info.cpu_times.iter().fold(CpuTimes::default(), sum_times);
    text.push_str("cpu ");
    push_times(&mut text, &total);
    for (index, times) in info.cpu_times.iter().enumerate() {
        put!(&mut text, "cpu{}", index);
        push_times(&mut text, times);
    }

    let interrupts: u64 = info.interrupts.iter().sum();
    put!(&mut text, "intr {}", interrupts);
    for count in &info.interrupts {
        put!(&mut text, " {}", count);
    }
    put!(
        &mut text,
        "\nctxt {}\nbtime {}\nprocesses {}\nprocs_running {}\nprocs_blocked {}\n",
        info.context_switches,
        info.boot_time_secs,
        info.forks,
        info.running,
        info.blocked
    );

    let softirqs: u64 = info.softirqs.iter().sum();
    put!(&mut text, "softirq {}", softirqs);
    for count in &info.softirqs {
        put!(&mut text, " {}", count);
    }
    text.push(b'\n');
    text.into_bytes()
}

fn sum_times(total: CpuTimes, cpu: &CpuTimes) -> CpuTimes {
    CpuTimes {
        user: total.user + cpu.user,
        nice: total.nice + cpu.nice,
        system: total.system + cpu.system,
        idle: total.idle + cpu.idle,
        iowait: total.iowait + cpu.iowait,
        irq: total.irq + cpu.irq,
        softirq: total.softirq + cpu.softirq,
        steal: total.steal + cpu.steal,
        guest: total.guest + cpu.guest,
        guest_nice: total.guest_nice + cpu.guest_nice,
    }
}

fn push_times(text: &mut Text, times: &CpuTimes) {
    put!(
        text,
        " {} {} {} {} {} {} {} {} {} {}\n",
        times.user,
        times.nice,
        times.system,
        times.idle,
        times.iowait,
        times.irq,
        times.softirq,
        times.steal,
        times.guest,
        times.guest_nice
    );
}

/// The text of `/proc/uptime`: seconds up and seconds idle (summed over
/// CPUs), both truncated to two decimals.
pub fn uptime(info: &SystemInfo) -> Vec<u8> {
    let mut text = Text::new();
    put!(
        &mut text,
        "{} {}\n",
        Decimal::centi_seconds(info.uptime_ns),
        Decimal::centi_seconds(info.idle_ns)
    );
    text.into_bytes()
}

/// A load average as Linux shows it: rounded to two decimals by adding half
/// a hundredth before truncating.
fn load_decimal(load: u64) -> Decimal {
    let one = 1u64 << LOAD_FRACTION_BITS;
    let rounded = load + one / 200;
    Decimal {
        whole: rounded >> LOAD_FRACTION_BITS,
        fraction: ((rounded & (one - 1)) * 100) >> LOAD_FRACTION_BITS,
        digits: 2,
    }
}

/// The text of `/proc/loadavg`: three averages, `running/threads`, last pid.
pub fn loadavg(info: &SystemInfo) -> Vec<u8> {
    let mut text = Text::new();
    let [one, five, fifteen] = info.load_averages.map(load_decimal);
    put!(
        &mut text,
        "{} {} {} {}/{} {}\n",
        one,
        five,
        fifteen,
        info.running,
        info.threads,
        info.last_pid
    );
    text.into_bytes()
}

/// The text of `/proc/meminfo`: a 16-column label, the value right-aligned
/// in 8 columns, then the unit.
pub fn meminfo(info: &MemInfo) -> Vec<u8> {
    let mut text = Text::new();
    let kb_lines = [
        ("MemTotal", info.total_kb),
        ("MemFree", info.free_kb),
        ("MemAvailable", info.available_kb),
        ("Buffers", info.buffers_kb),
        ("Cached", info.cached_kb),
        ("SwapCached", info.swap_cached_kb),
        ("Active", info.active_anon_kb + info.active_file_kb),
        ("Inactive", info.inactive_anon_kb + info.inactive_file_kb),
        ("Active(anon)", info.active_anon_kb),
        ("Inactive(anon)", info.inactive_anon_kb),
        ("Active(file)", info.active_file_kb),
        ("Inactive(file)", info.inactive_file_kb),
        ("Unevictable", info.unevictable_kb),
        ("Mlocked", info.mlocked_kb),
        ("SwapTotal", info.swap_total_kb),
        ("SwapFree", info.swap_free_kb),
        ("Zswap", 0),
        ("Zswapped", 0),
        ("Dirty", info.dirty_kb),
        ("Writeback", info.writeback_kb),
        ("AnonPages", info.anon_pages_kb),
        ("Mapped", info.mapped_kb),
        ("Shmem", info.shmem_kb),
        ("KReclaimable", info.slab_reclaimable_kb),
        (
            "Slab",
            info.slab_reclaimable_kb + info.slab_unreclaimable_kb,
        ),
        ("SReclaimable", info.slab_reclaimable_kb),
        ("SUnreclaim", info.slab_unreclaimable_kb),
        ("KernelStack", info.kernel_stack_kb),
        ("PageTables", info.page_tables_kb),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", info.commit_limit_kb),
        ("Committed_AS", info.committed_kb),
        ("VmallocTotal", info.vmalloc_total_kb),
        ("VmallocUsed", info.vmalloc_used_kb),
        ("VmallocChunk", 0),
        ("Percpu", info.percpu_kb),
        ("AnonHugePages", 0),
        ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FileHugePages", 0),
        ("FilePmdMapped", 0),
    ];
    for (label, kb) in kb_lines {
        push_meminfo_line(&mut text, label, kb, " kB");
    }
    // There are no huge pages, so their pool is empty.
    for label in [
        "HugePages_Total",
        "HugePages_Free",
        "HugePages_Rsvd",
        "HugePages_Surp",
    ] {
        push_meminfo_line(&mut text, label, 0, "");
    }
    let tail = [
        ("Hugepagesize", info.huge_page_size_kb),
        ("Hugetlb", 0),
        ("DirectMap4k", info.direct_map_4k_kb),
        ("DirectMap2M", info.direct_map_2m_kb),
        ("DirectMap1G", info.direct_map_1g_kb),
    ];
    for (label, kb) in tail {
        push_meminfo_line(&mut text, label, kb, " kB");
    }
    text.into_bytes()
}

fn push_meminfo_line(text: &mut Text, label: &str, value: u64, unit: &str) {
    const LABEL_WIDTH: usize = 16;
    let start = text.len();
    put!(text, "{}:", label);
    text.pad_to(start + LABEL_WIDTH);
    put!(text, "{:8}{}\n", value, unit);
}

/// The line of `/proc/version`.
pub fn version(info: &KernelInfo) -> Vec<u8> {
    let mut text = Text::new();
    put!(
        &mut text,
        "{} version {} ({}) ({}) {}\n",
        info.ostype,
        info.osrelease,
        info.builder,
        info.compiler,
        info.version
    );
    text.into_bytes()
}

/// The text of `/proc/filesystems`: `nodev` marks types without a device.
pub fn filesystems(info: &KernelInfo) -> Vec<u8> {
    let mut text = Text::new();
    for fs in &info.filesystems {
        let marker = if fs.requires_device { "" } else { "nodev" };
        put!(&mut text, "{}\t{}\n", marker, fs.name);
    }
    text.into_bytes()
}

/// One line of text and a newline (`cmdline`, `sys/kernel/*`).
pub fn line(value: &str) -> Vec<u8> {
    let mut text = Text::new();
    text.push_str(value);
    text.push(b'\n');
    text.into_bytes()
}
