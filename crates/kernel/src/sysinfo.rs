//! System-wide figures for /proc: uptime, CPU times, memory, CPUs, versions.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use procfs::source::{CpuInfo, CpuTimes, FsTypeEntry, KernelInfo, MemInfo, SystemInfo};
use raw_cpuid::CpuId;
use spin::Once;

use crate::syscall::system;
use crate::task::{group, sched};

const NS_PER_TICK: u64 = 1_000_000_000 / crate::task::exec::USER_HZ;

static CMDLINE: Once<String> = Once::new();

/// Records the boot command line for /proc/cmdline.
pub fn set_cmdline(cmdline: &str) {
    CMDLINE.call_once(|| String::from(cmdline));
}

/// `/proc/stat`, `/proc/uptime` and `/proc/loadavg` figures. Everything here
/// is a counter kept as things happen, so reading it costs the same with any
/// number of processes.
pub fn system() -> SystemInfo {
    let uptime_ns = platform::time::monotonic_ns();
    let cpu_times: Vec<CpuTimes> = sched::cpu_ticks()
        .iter()
        .map(|ticks| CpuTimes {
            user: user_hz(ticks.user),
            nice: user_hz(ticks.nice),
            system: user_hz(ticks.system),
            idle: user_hz(ticks.idle),
            ..CpuTimes::default()
        })
        .collect();
    let idle_ticks: u64 = cpu_times.iter().map(|times| times.idle).sum();
    let (forks, threads, last_pid) = {
        let table = group::PROCESSES.lock();
        (table.created(), table.thread_count(), table.last_pid())
    };
    SystemInfo {
        uptime_ns,
        idle_ns: idle_ticks * NS_PER_TICK,
        boot_time_secs: (platform::time::realtime_ns().saturating_sub(uptime_ns)) / 1_000_000_000,
        cpu_times,
        // TODO: per-vector interrupt counts; the platform does not count them.
        interrupts: Vec::new(),
        context_switches: sched::context_switches(),
        forks,
        running: sched::running_count() as u32,
        // Nothing waits for block I/O: there are no block devices.
        blocked: 0,
        load_averages: crate::load::averages_fixed(),
        threads: threads as u32,
        last_pid,
        ..SystemInfo::default()
    }
}

/// Scheduler ticks (`TICK_HZ`) as `USER_HZ` ticks.
fn user_hz(ticks: u64) -> u64 {
    ticks * crate::task::exec::USER_HZ / platform::time::TICK_HZ
}

pub fn memory() -> MemInfo {
    let frames = platform::mm::frame::stats();
    let total_kb = frames.total * 4;
    let free_kb = frames.free * 4;
    MemInfo {
        total_kb,
        free_kb,
        available_kb: free_kb,
        commit_limit_kb: total_kb / 2,
        vmalloc_total_kb: 34_359_738_367,
        huge_page_size_kb: 2048,
        direct_map_4k_kb: total_kb,
        ..MemInfo::default()
    }
}

fn brand(cpuid: &CpuId<raw_cpuid::CpuIdReaderNative>) -> String {
    cpuid
        .get_processor_brand_string()
        .map(|b| String::from(b.as_str().trim()))
        .unwrap_or_else(|| String::from("unknown"))
}

/// The flags of CPUID leaves 0x80000001 and 7, as Linux names them. Linux
/// lists capability words in order, so the 0x80000001 EDX ones would come
/// right after leaf 1 EDX; tools look flags up by name, not by place.
fn extended_flags(cpuid: &CpuId<raw_cpuid::CpuIdReaderNative>) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if let Some(e) = cpuid.get_extended_processor_and_feature_identifiers() {
        let named = [
            (e.has_syscall_sysret(), "syscall"),
            (e.has_execute_disable(), "nx"),
            (e.has_1gib_pages(), "pdpe1gb"),
            (e.has_rdtscp(), "rdtscp"),
            (e.has_64bit_mode(), "lm"),
            (e.has_lahf_sahf(), "lahf_lm"),
            (e.has_svm(), "svm"),
            (e.has_lzcnt(), "abm"),
            (e.has_sse4a(), "sse4a"),
            (e.has_prefetchw(), "3dnowprefetch"),
        ];
        flags.extend(named.iter().filter(|(has, _)| *has).map(|(_, name)| *name));
    }
    if let Some(x) = cpuid.get_extended_feature_info() {
        let named = [
            (x.has_fsgsbase(), "fsgsbase"),
            (x.has_bmi1(), "bmi1"),
            (x.has_hle(), "hle"),
            (x.has_avx2(), "avx2"),
            (x.has_smep(), "smep"),
            (x.has_bmi2(), "bmi2"),
            (x.has_rep_movsb_stosb(), "erms"),
            (x.has_invpcid(), "invpcid"),
            (x.has_rtm(), "rtm"),
            (x.has_avx512f(), "avx512f"),
            (x.has_rdseed(), "rdseed"),
            (x.has_adx(), "adx"),
            (x.has_smap(), "smap"),
            (x.has_clflushopt(), "clflushopt"),
            (x.has_sha(), "sha_ni"),
        ];
        flags.extend(named.iter().filter(|(has, _)| *has).map(|(_, name)| *name));
    }
    flags
}

pub fn cpus() -> Vec<CpuInfo> {
    let cpuid = CpuId::new();
    let vendor = cpuid
        .get_vendor_info()
        .map(|v| String::from(v.as_str()))
        .unwrap_or_default();
    let features = cpuid.get_feature_info();
    let khz = platform::time::tsc_frequency_hz() / 1000;
    let mut flags: Vec<&'static str> = Vec::new();
    if let Some(f) = &features {
        let named = [
            (f.has_fpu(), "fpu"),
            (f.has_vme(), "vme"),
            (f.has_de(), "de"),
            (f.has_pse(), "pse"),
            (f.has_tsc(), "tsc"),
            (f.has_msr(), "msr"),
            (f.has_pae(), "pae"),
            (f.has_mce(), "mce"),
            (f.has_cmpxchg8b(), "cx8"),
            (f.has_apic(), "apic"),
            (f.has_sysenter_sysexit(), "sep"),
            (f.has_mtrr(), "mtrr"),
            (f.has_pge(), "pge"),
            (f.has_mca(), "mca"),
            (f.has_cmov(), "cmov"),
            (f.has_pat(), "pat"),
            (f.has_pse36(), "pse36"),
            (f.has_clflush(), "clflush"),
            (f.has_mmx(), "mmx"),
            (f.has_fxsave_fxstor(), "fxsr"),
            (f.has_sse(), "sse"),
            (f.has_sse2(), "sse2"),
            (f.has_ss(), "ss"),
            (f.has_htt(), "ht"),
            (f.has_sse3(), "pni"),
            (f.has_pclmulqdq(), "pclmulqdq"),
            (f.has_ssse3(), "ssse3"),
            (f.has_fma(), "fma"),
            (f.has_cmpxchg16b(), "cx16"),
            (f.has_sse41(), "sse4_1"),
            (f.has_sse42(), "sse4_2"),
            (f.has_x2apic(), "x2apic"),
            (f.has_movbe(), "movbe"),
            (f.has_popcnt(), "popcnt"),
            (f.has_aesni(), "aes"),
            (f.has_xsave(), "xsave"),
            (f.has_avx(), "avx"),
            (f.has_f16c(), "f16c"),
            (f.has_rdrand(), "rdrand"),
            (f.has_hypervisor(), "hypervisor"),
        ];
        flags.extend(named.iter().filter(|(has, _)| *has).map(|(_, name)| *name));
    }
    flags.extend(extended_flags(&cpuid));
    let (family, model, stepping) = features
        .as_ref()
        .map(|f| {
            (
                f.family_id() as u32,
                f.model_id() as u32,
                f.stepping_id() as u32,
            )
        })
        .unwrap_or_default();
    vec![CpuInfo {
        processor: 0,
        vendor_id: vendor,
        family,
        model,
        model_name: brand(&cpuid),
        stepping,
        khz,
        cache_size_kb: 512,
        siblings: 1,
        cpu_cores: 1,
        cpuid_level: cpuid.get_feature_info().map_or(0, |_| 0xd),
        flags,
        bogomips_centi: khz / 5,
        clflush_size: 64,
        cache_alignment: 64,
        physical_address_bits: 40,
        virtual_address_bits: 48,
        ..CpuInfo::default()
    }]
}

pub fn kernel() -> KernelInfo {
    KernelInfo {
        ostype: String::from(system::SYSNAME),
        osrelease: String::from(system::RELEASE),
        version: system::version(),
        builder: String::from("kestrel@build"),
        compiler: String::from("rustc"),
        hostname: system::hostname(),
        cmdline: CMDLINE.get().cloned().unwrap_or_default(),
        pid_max: group::PROCESSES.lock().pid_max(),
        filesystems: crate::fs::FILESYSTEMS
            .iter()
            .map(|&(name, nodev)| FsTypeEntry {
                name,
                requires_device: !nodev,
            })
            .collect(),
    }
}
