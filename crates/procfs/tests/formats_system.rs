//! System file formats, checked against text read from a real Linux (values
//! copied from its /proc; the layout must match byte for byte).

use procfs::format::{cpuinfo, system};
use procfs::*;

fn sample_system() -> SystemInfo {
    let cpu = |user, system, idle, iowait, softirq, steal| CpuTimes {
        user,
        system,
        idle,
        iowait,
        softirq,
        steal,
        ..CpuTimes::default()
    };
    SystemInfo {
        uptime_ns: 467_849_999_999,
        idle_ns: 815_080_000_000,
        boot_time_secs: 1_796_326_250,
        cpu_times: vec![
            cpu(3209, 1368, 41877, 71, 9, 11),
            cpu(4233, 2162, 39630, 458, 57, 15),
        ],
        interrupts: vec![0, 9, 0, 0, 47790],
        softirqs: [0, 13221, 4, 8608, 47789, 0, 169, 28521, 1, 28308],
        context_switches: 361_074,
        forks: 8329,
        running: 4,
        blocked: 0,
        // 0.14, 0.16 and 0.09 in 11-bit fixed point.
        load_averages: [287, 328, 184],
        threads: 120,
        last_pid: 8327,
    }
}

#[test]
fn stat_matches_linux() {
    let expected = "\
cpu  7442 0 3530 81507 529 0 66 26 0 0
cpu0 3209 0 1368 41877 71 0 9 11 0 0
cpu1 4233 0 2162 39630 458 0 57 15 0 0
intr 47799 0 9 0 0 47790
ctxt 361074
btime 1796326250
processes 8329
procs_running 4
procs_blocked 0
softirq 126621 0 13221 4 8608 47789 0 169 28521 1 28308
";
    assert_eq!(
        String::from_utf8(system::stat(&sample_system())).unwrap(),
        expected
    );
}

#[test]
fn uptime_truncates_to_hundredths() {
    assert_eq!(system::uptime(&sample_system()), b"467.84 815.08\n");
    let short = SystemInfo {
        uptime_ns: 5_000_000,
        idle_ns: 0,
        ..SystemInfo::default()
    };
    assert_eq!(system::uptime(&short), b"0.00 0.00\n");
}

#[test]
fn loadavg_matches_linux() {
    assert_eq!(
        system::loadavg(&sample_system()),
        b"0.14 0.16 0.09 4/120 8327\n"
    );
    let busy = SystemInfo {
        load_averages: [2048 * 12 + 1023, 2047, 0],
        running: 1,
        threads: 1,
        last_pid: 1,
        ..SystemInfo::default()
    };
    assert_eq!(system::loadavg(&busy), b"12.50 1.00 0.00 1/1 1\n");
}

#[test]
fn meminfo_matches_linux_alignment() {
    let info = MemInfo {
        total_kb: 24_683_792,
        free_kb: 23_671_972,
        available_kb: 24_237_332,
        buffers_kb: 4480,
        cached_kb: 745_724,
        active_anon_kb: 76,
        inactive_anon_kb: 77280,
        active_file_kb: 307_804,
        inactive_file_kb: 432_616,
        slab_reclaimable_kb: 66224,
        slab_unreclaimable_kb: 23388,
        vmalloc_total_kb: 34_359_738_367,
        huge_page_size_kb: 2048,
        direct_map_1g_kb: 25_165_824,
        ..MemInfo::default()
    };
    let text = String::from_utf8(system::meminfo(&info)).unwrap();
    for line in [
        "MemTotal:       24683792 kB\n",
        "MemFree:        23671972 kB\n",
        "MemAvailable:   24237332 kB\n",
        "Buffers:            4480 kB\n",
        "Cached:           745724 kB\n",
        "SwapCached:            0 kB\n",
        "Active:           307880 kB\n",
        "Inactive:         509896 kB\n",
        "Active(anon):         76 kB\n",
        "Inactive(anon):    77280 kB\n",
        "Active(file):     307804 kB\n",
        "Inactive(file):   432616 kB\n",
        "SwapTotal:             0 kB\n",
        "KReclaimable:      66224 kB\n",
        "Slab:              89612 kB\n",
        "SReclaimable:      66224 kB\n",
        "SUnreclaim:        23388 kB\n",
        "VmallocTotal:   34359738367 kB\n",
        "HugePages_Total:       0\n",
        "HugePages_Surp:        0\n",
        "Hugepagesize:       2048 kB\n",
        "DirectMap1G:    25165824 kB\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.starts_with("MemTotal:"));
    assert!(text.ends_with("DirectMap1G:    25165824 kB\n"));
    assert!(text.lines().all(|line| line.len() >= 24), "{text}");
}

fn sample_cpu(processor: u32) -> CpuInfo {
    CpuInfo {
        processor,
        vendor_id: "AuthenticAMD".into(),
        family: 25,
        model: 17,
        model_name: "AMD EPYC".into(),
        stepping: 1,
        microcode: 0x1000065,
        khz: 2_596_132,
        cache_size_kb: 1024,
        physical_id: 0,
        siblings: 2,
        core_id: processor,
        cpu_cores: 2,
        apic_id: processor,
        initial_apic_id: processor,
        cpuid_level: 28,
        flags: vec!["fpu", "vme", "de", "pse", "tsc"],
        bugs: vec!["sysret_ss_attrs", "null_seg"],
        bogomips_centi: 519_226,
        clflush_size: 64,
        cache_alignment: 64,
        physical_address_bits: 48,
        virtual_address_bits: 48,
    }
}

#[test]
fn cpuinfo_matches_linux() {
    // Linux's block for this CPU, less the AMD-only "TLB size" line, which
    // we do not print.
    let block = |n: u32| {
        format!(
            "processor\t: {n}\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n\
             model name\t: AMD EPYC\nstepping\t: 1\nmicrocode\t: 0x1000065\n\
             cpu MHz\t\t: 2596.132\ncache size\t: 1024 KB\nphysical id\t: 0\nsiblings\t: 2\n\
             core id\t\t: {n}\ncpu cores\t: 2\napicid\t\t: {n}\ninitial apicid\t: {n}\n\
             fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 28\nwp\t\t: yes\n\
             flags\t\t: fpu vme de pse tsc\nbugs\t\t: sysret_ss_attrs null_seg\n\
             bogomips\t: 5192.26\nclflush size\t: 64\ncache_alignment\t: 64\n\
             address sizes\t: 48 bits physical, 48 bits virtual\npower management:\n\n"
        )
    };
    let text = cpuinfo::cpuinfo(&[sample_cpu(0), sample_cpu(1)]);
    assert_eq!(String::from_utf8(text).unwrap(), block(0) + &block(1));
}

#[test]
fn cpuinfo_pads_small_fractions() {
    let mut cpu = sample_cpu(0);
    cpu.khz = 3_000_005;
    cpu.bogomips_centi = 600_001;
    let text = String::from_utf8(cpuinfo::cpuinfo(&[cpu])).unwrap();
    assert!(text.contains("cpu MHz\t\t: 3000.005\n"));
    assert!(text.contains("bogomips\t: 6000.01\n"));
}

fn sample_kernel() -> KernelInfo {
    KernelInfo {
        ostype: "Linux".into(),
        osrelease: "6.18.44-fc-v1252".into(),
        version: "#1 SMP PREEMPT_DYNAMIC @0".into(),
        builder: "builder@sandboxing".into(),
        compiler: "gcc (GCC) 15.3.0, GNU ld (GNU Binutils) 2.46".into(),
        hostname: "vm".into(),
        cmdline: "console=ttyS0 quiet".into(),
        pid_max: 32768,
        filesystems: vec![
            FsTypeEntry {
                name: "sysfs",
                requires_device: false,
            },
            FsTypeEntry {
                name: "proc",
                requires_device: false,
            },
            FsTypeEntry {
                name: "ext4",
                requires_device: true,
            },
        ],
    }
}

#[test]
fn version_matches_linux() {
    let expected = "Linux version 6.18.44-fc-v1252 (builder@sandboxing) (gcc (GCC) 15.3.0, \
        GNU ld (GNU Binutils) 2.46) #1 SMP PREEMPT_DYNAMIC @0\n";
    assert_eq!(
        String::from_utf8(system::version(&sample_kernel())).unwrap(),
        expected
    );
}

#[test]
fn filesystems_match_linux() {
    let text = system::filesystems(&sample_kernel());
    assert_eq!(text, b"nodev\tsysfs\nnodev\tproc\n\text4\n");
}

#[test]
fn one_line_files_end_with_a_newline() {
    assert_eq!(
        system::line("console=ttyS0 quiet"),
        b"console=ttyS0 quiet\n"
    );
}
