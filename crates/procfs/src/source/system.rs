//! System-wide snapshots: counters, memory, CPUs and kernel identity.

use alloc::string::String;
use alloc::vec::Vec;

/// The process load averages are fixed-point numbers with this many fraction
/// bits (Linux's `FSHIFT`).
pub const LOAD_FRACTION_BITS: u32 = 11;

/// Time spent by one CPU (or all), in ticks, in `/proc/stat` order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
    pub guest: u64,
    pub guest_nice: u64,
}

/// Number of softirq kinds `/proc/stat` lists (`NR_SOFTIRQS`).
pub const SOFTIRQ_COUNT: usize = 10;

/// System-wide counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemInfo {
    pub uptime_ns: u64,
    /// Idle time summed over all CPUs.
    pub idle_ns: u64,
    /// Boot time, seconds since the epoch.
    pub boot_time_secs: u64,
    /// Per online CPU; `/proc/stat`'s `cpu` line is their sum.
    pub cpu_times: Vec<CpuTimes>,
    /// Interrupts per interrupt number; `intr` shows their sum first.
    pub interrupts: Vec<u64>,
    pub softirqs: [u64; SOFTIRQ_COUNT],
    pub context_switches: u64,
    /// Processes and threads created since boot.
    pub forks: u64,
    pub running: u32,
    pub blocked: u32,
    /// 1, 5 and 15 minute load, fixed-point with [`LOAD_FRACTION_BITS`].
    pub load_averages: [u64; 3],
    /// Threads that exist (the second number of `running/total`).
    pub threads: u32,
    /// The most recently allocated pid.
    pub last_pid: u32,
}

/// `/proc/meminfo` figures in KiB; what the kernel cannot know stays 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemInfo {
    pub total_kb: u64,
    pub free_kb: u64,
    pub available_kb: u64,
    pub buffers_kb: u64,
    pub cached_kb: u64,
    pub swap_cached_kb: u64,
    pub active_anon_kb: u64,
    pub inactive_anon_kb: u64,
    pub active_file_kb: u64,
    pub inactive_file_kb: u64,
    pub unevictable_kb: u64,
    pub mlocked_kb: u64,
    pub swap_total_kb: u64,
    pub swap_free_kb: u64,
    pub dirty_kb: u64,
    pub writeback_kb: u64,
    pub anon_pages_kb: u64,
    pub mapped_kb: u64,
    pub shmem_kb: u64,
    pub slab_reclaimable_kb: u64,
    pub slab_unreclaimable_kb: u64,
    pub kernel_stack_kb: u64,
    pub page_tables_kb: u64,
    pub commit_limit_kb: u64,
    pub committed_kb: u64,
    pub vmalloc_total_kb: u64,
    pub vmalloc_used_kb: u64,
    pub percpu_kb: u64,
    pub huge_page_size_kb: u64,
    pub direct_map_4k_kb: u64,
    pub direct_map_2m_kb: u64,
    pub direct_map_1g_kb: u64,
}

/// One CPU as CPUID and calibration describe it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuInfo {
    pub processor: u32,
    pub vendor_id: String,
    pub family: u32,
    pub model: u32,
    pub model_name: String,
    pub stepping: u32,
    pub microcode: u32,
    /// Clock in kHz (`cpu MHz` shows it with three decimals).
    pub khz: u64,
    pub cache_size_kb: u32,
    pub physical_id: u32,
    pub siblings: u32,
    pub core_id: u32,
    pub cpu_cores: u32,
    pub apic_id: u32,
    pub initial_apic_id: u32,
    /// Highest standard CPUID leaf.
    pub cpuid_level: u32,
    /// Feature names in Linux's spelling and order (`fpu vme de pse ...`).
    pub flags: Vec<&'static str>,
    /// Known hardware bugs in Linux's spelling.
    pub bugs: Vec<&'static str>,
    /// BogoMIPS times 100 (shown with two decimals).
    pub bogomips_centi: u64,
    pub clflush_size: u32,
    pub cache_alignment: u32,
    pub physical_address_bits: u32,
    pub virtual_address_bits: u32,
}

/// A filesystem type for `/proc/filesystems`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsTypeEntry {
    pub name: &'static str,
    /// Needs a block device (shown without `nodev`).
    pub requires_device: bool,
}

/// Kernel identity and settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelInfo {
    /// `uname -s` (`ostype`).
    pub ostype: String,
    /// `uname -r` (`osrelease`).
    pub osrelease: String,
    /// `uname -v`: build number and date (`#1 SMP ...`).
    pub version: String,
    /// Who built it, as `user@host`.
    pub builder: String,
    /// Compiler and linker description.
    pub compiler: String,
    pub hostname: String,
    /// The boot command line, without a trailing newline.
    pub cmdline: String,
    pub pid_max: u32,
    pub filesystems: Vec<FsTypeEntry>,
}
