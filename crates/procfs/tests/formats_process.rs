//! Per-process file formats, checked against text read from a real Linux
//! (values copied from its /proc; the layout must match byte for byte).

mod common;

use procfs::format::{process, stat, status};
use procfs::*;

fn comm(name: &[u8]) -> Comm {
    let mut comm = Comm::new();
    comm.try_extend_from_slice(name).unwrap();
    comm
}

fn limits_of_a_shell() -> [ResourceLimit; RLIMIT_COUNT] {
    let mut limits = [ResourceLimit::UNLIMITED; RLIMIT_COUNT];
    let finite = |soft, hard| ResourceLimit { soft, hard };
    limits[3] = finite(8_388_608, RLIM_INFINITY); // stack
    limits[4] = finite(0, RLIM_INFINITY); // core
    limits[6] = finite(96369, 96369); // nproc
    limits[7] = finite(20000, 20000); // nofile
    limits[8] = finite(8_388_608, 8_388_608); // memlock
    limits[11] = finite(96369, 96369); // sigpending
    limits[12] = finite(819_200, 819_200); // msgqueue
    limits[13] = finite(0, 0); // nice
    limits[14] = finite(0, 0); // rtprio
    limits
}

/// A running shell, as Linux showed it.
fn running_shell() -> ProcessInfo {
    ProcessInfo {
        pid: 9016,
        tgid: 9016,
        ppid: 8973,
        pgrp: 8973,
        session: 6832,
        tpgid: -1,
        comm: comm(b"bash"),
        state: TaskState::Running,
        flags: 4_194_368,
        minor_faults: 52,
        priority: 20,
        num_threads: 1,
        start_ticks: 52852,
        memory: Some(MemoryFigures {
            size_kb: 4592,
            rss_kb: 1664,
            ..MemoryFigures::default()
        }),
        layout: AddressLayout {
            start_code: 94_522_286_874_624,
            end_code: 94_522_287_664_029,
            start_stack: 140_724_178_821_472,
            start_data: 94_522_287_897_328,
            end_data: 94_522_287_945_572,
            start_brk: 94_522_456_641_536,
            arg_start: 140_724_178_828_157,
            arg_end: 140_724_178_828_172,
            env_start: 140_724_178_828_172,
            env_end: 140_724_178_829_290,
        },
        signals: SignalMasks {
            ignored: 6,
            caught: 16384,
            ..SignalMasks::default()
        },
        exit_signal: 17,
        processor: 1,
        limits: limits_of_a_shell(),
        ..ProcessInfo::default()
    }
}

#[test]
fn stat_of_a_running_process_matches_linux() {
    let expected = "9016 (bash) R 8973 8973 6832 0 -1 4194368 52 0 0 0 0 0 0 0 20 0 1 0 \
        52852 4702208 416 18446744073709551615 94522286874624 94522287664029 \
        140724178821472 0 0 0 0 6 16384 0 0 0 17 1 0 0 0 0 0 94522287897328 \
        94522287945572 94522456641536 140724178828157 140724178828172 140724178828172 \
        140724178829290 0\n";
    let text = stat::pid_stat(&running_shell());
    assert_eq!(String::from_utf8(text).unwrap(), expected);
    assert_eq!(expected.split(' ').count(), 52);
}

#[test]
fn stat_of_a_zombie_matches_linux() {
    let zombie = ProcessInfo {
        pid: 8792,
        tgid: 8792,
        ppid: 8736,
        pgrp: 8734,
        session: 6832,
        tpgid: -1,
        comm: comm(b"python3"),
        state: TaskState::Zombie,
        flags: 4_227_148,
        minor_faults: 225,
        priority: 20,
        num_threads: 1,
        start_ticks: 50878,
        memory: None,
        signals: SignalMasks {
            ignored: 16_781_312,
            caught: 2,
            ..SignalMasks::default()
        },
        exit_signal: 17,
        exit_code: 768,
        ..ProcessInfo::default()
    };
    let expected = "8792 (python3) Z 8736 8734 6832 0 -1 4227148 225 0 0 0 0 0 0 0 20 0 1 0 \
        50878 0 0 18446744073709551615 0 0 0 0 0 0 0 16781312 2 1 0 0 17 0 0 0 0 0 0 0 0 \
        0 0 0 0 0 768\n";
    assert_eq!(
        String::from_utf8(stat::pid_stat(&zombie)).unwrap(),
        expected
    );
}

#[test]
fn stat_keeps_odd_command_names_raw() {
    let mut info = running_shell();
    info.comm = comm(b"a b\\c\td\ne)f");
    let text = stat::pid_stat(&info);
    assert!(text.starts_with(b"9016 (a b\\c\td\ne)f) R 8973 "));
}

#[test]
fn status_matches_linux_6_1() {
    let mut info = running_shell();
    info.pid = 8236;
    info.tgid = 8236;
    info.ppid = 8231;
    info.pgrp = 8231;
    info.comm = comm(b"cat");
    info.umask = Some(0o022);
    info.fd_slots = 256;
    info.memory = Some(MemoryFigures {
        peak_kb: 3060,
        size_kb: 3060,
        hwm_kb: 1676,
        rss_kb: 1676,
        rss_anon_kb: 112,
        rss_file_kb: 1564,
        data_kb: 360,
        stack_kb: 132,
        exe_kb: 20,
        lib_kb: 1528,
        page_tables_kb: 48,
        ..MemoryFigures::default()
    });
    info.signals = SignalMasks::default();
    info.capabilities = Capabilities {
        permitted: 0x1ff_feff_ffff,
        effective: 0x1ff_feff_ffff,
        bounding: 0x1ff_feff_ffff,
        ..Capabilities::default()
    };
    info.cpus_allowed = CpuMask {
        bits: 0b11,
        possible: 2,
    };
    info.involuntary_switches = 1;
    let mems = format!("{}00000001", "00000000,".repeat(31));

    // Linux 6.1 has no Kthread or untag_mask lines (newer kernels do); we
    // have no THP (THP_enabled is 0, as on a Linux built without it) and
    // print "unknown" for speculation controls, as Linux does when it cannot
    // tell.
    let expected = format!(
        "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t8236\nNgid:\t0\nPid:\t8236\n\
         PPid:\t8231\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\n\
         Groups:\t \nNStgid:\t8236\nNSpid:\t8236\nNSpgid:\t8231\nNSsid:\t6832\n\
         VmPeak:\t    3060 kB\nVmSize:\t    3060 kB\nVmLck:\t       0 kB\n\
         VmPin:\t       0 kB\nVmHWM:\t    1676 kB\nVmRSS:\t    1676 kB\n\
         RssAnon:\t     112 kB\nRssFile:\t    1564 kB\nRssShmem:\t       0 kB\n\
         VmData:\t     360 kB\nVmStk:\t     132 kB\nVmExe:\t      20 kB\n\
         VmLib:\t    1528 kB\nVmPTE:\t      48 kB\nVmSwap:\t       0 kB\n\
         HugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t0\nThreads:\t1\nSigQ:\t0/96369\n\
         SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n\
         SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n\
         SigCgt:\t0000000000000000\nCapInh:\t0000000000000000\n\
         CapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\n\
         CapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n\
         Seccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tunknown\n\
         SpeculationIndirectBranch:\tunknown\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n\
         Mems_allowed:\t{mems}\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\n\
         nonvoluntary_ctxt_switches:\t1\n"
    );
    assert_eq!(
        String::from_utf8(status::pid_status(&info)).unwrap(),
        expected
    );
}

#[test]
fn status_of_a_zombie_has_no_umask_or_memory_lines() {
    let mut info = running_shell();
    info.state = TaskState::Zombie;
    info.umask = None;
    info.memory = None;
    let text = String::from_utf8(status::pid_status(&info)).unwrap();
    assert!(
        text.starts_with("Name:\tbash\nState:\tZ (zombie)\nTgid:\t9016\n"),
        "{text}"
    );
    assert!(!text.contains("Vm"));
    assert!(text.contains("NSsid:\t6832\nThreads:\t1\n"), "{text}");
}

#[test]
fn status_escapes_newline_and_backslash_in_the_name() {
    let mut info = running_shell();
    info.comm = comm(b"a b\\c\td\ne\x01f");
    let text = status::pid_status(&info);
    assert!(text.starts_with(b"Name:\ta b\\\\c\td\\ne\x01f\n"));
}

#[test]
fn status_lists_groups_with_a_trailing_space() {
    let mut info = running_shell();
    info.groups = vec![4, 24, 1000];
    let text = String::from_utf8(status::pid_status(&info)).unwrap();
    assert!(text.contains("\nGroups:\t4 24 1000 \n"), "{text}");
}

#[test]
fn status_prints_wide_cpu_masks_in_32_bit_groups() {
    let mut info = running_shell();
    info.cpus_allowed = CpuMask {
        bits: 0xffff_ffff_0000_00f5,
        possible: 64,
    };
    let text = String::from_utf8(status::pid_status(&info)).unwrap();
    assert!(
        text.contains("Cpus_allowed:\tffffffff,000000f5\n"),
        "{text}"
    );
    assert!(
        text.contains("Cpus_allowed_list:\t0,2,4-7,32-63\n"),
        "{text}"
    );
}

#[test]
fn statm_matches_linux() {
    let mut info = running_shell();
    info.memory = Some(MemoryFigures {
        size_kb: 3060,
        rss_kb: 1588,
        rss_file_kb: 1476,
        rss_shmem_kb: 0,
        exe_kb: 20,
        data_kb: 360,
        stack_kb: 132,
        ..MemoryFigures::default()
    });
    assert_eq!(stat::pid_statm(&info), b"765 397 369 5 0 123 0\n");
    info.memory = None;
    assert_eq!(stat::pid_statm(&info), b"0 0 0 0 0 0 0\n");
}

#[test]
fn limits_match_linux() {
    let expected = "\
Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max data size             unlimited            unlimited            bytes     
Max stack size            8388608              unlimited            bytes     
Max core file size        0                    unlimited            bytes     
Max resident set          unlimited            unlimited            bytes     
Max processes             96369                96369                processes 
Max open files            20000                20000                files     
Max locked memory         8388608              8388608              bytes     
Max address space         unlimited            unlimited            bytes     
Max file locks            unlimited            unlimited            locks     
Max pending signals       96369                96369                signals   
Max msgqueue size         819200               819200               bytes     
Max nice priority         0                    0                    
Max realtime priority     0                    0                    
Max realtime timeout      unlimited            unlimited            us        
";
    let text = process::pid_limits(&running_shell());
    assert_eq!(String::from_utf8(text).unwrap(), expected);
}

#[test]
fn fdinfo_and_fd_targets_match_linux() {
    let open = OpenFd {
        fd: 0,
        target: FdTarget::Path("/dev/null".into()),
        pos: 0,
        flags: 0o100000,
        mnt_id: 24,
        ino: 3,
    };
    let text = process::fd_info(&open);
    assert_eq!(text, b"pos:\t0\nflags:\t0100000\nmnt_id:\t24\nino:\t3\n");

    assert_eq!(process::fd_target(&open.target), "/dev/null");
    assert_eq!(process::fd_target(&FdTarget::Pipe(13504)), "pipe:[13504]");
    assert_eq!(process::fd_target(&FdTarget::Socket(77)), "socket:[77]");
    let eventfd = FdTarget::AnonInode("[eventfd]");
    assert_eq!(process::fd_target(&eventfd), "anon_inode:[eventfd]");
}
