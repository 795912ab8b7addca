//! Masks for the session transcript: what truly varies between runs and kernels is
//! rewritten the same way on both, so the rest must match exactly.
//!
//! A command in `tools/session/commands.txt` names its masks after `  ## `; they apply
//! in the order given to the lines it printed, on Linux (when recording expected.txt)
//! and on Kestrel alike. Each mask below says what it hides and why that varies.
//! Masks never hide a difference in format: a missing line, a field in the wrong
//! place or a wrong word still shows.

/// One masking rule, by the name commands.txt uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mask {
    Numbers,
    Pids,
    KernelThreads,
    ProcListing,
    FsOptions,
    StatFields,
    StatusValues,
    TopOrder,
    LongListing,
    KernelVersion,
}

impl Mask {
    pub fn parse(name: &str) -> Option<Mask> {
        Some(match name {
            "numbers" => Mask::Numbers,
            "pids" => Mask::Pids,
            "kernel-threads" => Mask::KernelThreads,
            "proc-listing" => Mask::ProcListing,
            "fs-options" => Mask::FsOptions,
            "stat-fields" => Mask::StatFields,
            "status-values" => Mask::StatusValues,
            "top-order" => Mask::TopOrder,
            "long-listing" => Mask::LongListing,
            "kernel-version" => Mask::KernelVersion,
            _ => return None,
        })
    }

    pub fn apply(self, lines: Vec<String>) -> Vec<String> {
        match self {
            Mask::Numbers => lines.iter().map(|l| mask_numbers(l)).collect(),
            Mask::Pids => lines.iter().map(|l| mask_pids(l)).collect(),
            Mask::KernelThreads => lines.into_iter().filter(|l| !is_kernel_thread(l)).collect(),
            Mask::ProcListing => proc_listing(&lines),
            Mask::FsOptions => lines.iter().map(|l| per_mount_options(l)).collect(),
            Mask::StatFields => lines.iter().map(|l| mask_stat_fields(l)).collect(),
            Mask::StatusValues => lines.iter().map(|l| mask_status_value(l)).collect(),
            Mask::TopOrder => top_order(lines),
            Mask::LongListing => lines.iter().map(|l| mask_long_listing(l)).collect(),
            Mask::KernelVersion => lines.iter().map(|l| mask_kernel_version(l)).collect(),
        }
    }
}

/// What a masked number, PID or field becomes.
const NUMBER: &str = "N";
const PID: &str = "<pid>";
const FIELD: &str = "*";

/// `numbers`: counts, sizes, times, percentages and load averages differ from run to
/// run and with the machine's memory. Every number (digits, with a fraction or a clock
/// time's colons: `0.00`, `20:21:48`) becomes `N`, and blanks collapse to one space
/// because column widths follow the widths of the numbers.
fn mask_numbers(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            out.push(c);
            continue;
        }
        // Swallow the rest of the number, separators included when a digit follows.
        loop {
            match chars.peek() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                }
                Some('.' | ':') => {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if ahead.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    } else {
                        break;
                    }
                }
                _ => break,
            }
        }
        out.push_str(NUMBER);
    }
    collapse_blanks(&out)
}

/// `pids`: process ids differ between the kernels (Linux's kernel threads take the
/// low numbers) and from run to run. Every whole-word number above 1 becomes `<pid>`;
/// 0 (no parent) and 1 (init) are the same everywhere and stay. Blanks collapse, as
/// the PID columns are as wide as the numbers in them.
fn mask_pids(line: &str) -> String {
    let words: Vec<&str> = line
        .split_whitespace()
        .map(|word| match word.parse::<u64>() {
            Ok(pid) if pid > 1 => PID,
            _ => word,
        })
        .collect();
    words.join(" ")
}

/// `kernel-threads`: Linux runs kernel threads (kthreadd and its workers), processes
/// without user memory; Kestrel has none. Their lines are dropped: a command in
/// brackets (`[kworker/0:0]`, what ps and top show for a process without a command
/// line) or a state with `W` (BusyBox's mark for a process without user memory:
/// `SW`, `IW<`). Kestrel's processes show neither unless something is wrong, in which
/// case the expected line goes missing and the difference shows.
fn is_kernel_thread(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let bracketed = words
        .iter()
        .any(|w| w.len() > 2 && w.starts_with('[') && w.ends_with(']'));
    let no_memory_state = words.iter().any(|w| {
        let mut chars = w.chars();
        let state = chars.next();
        let rest: String = chars.collect();
        state.is_some_and(|s| "RSDTtXZPI".contains(s))
            && rest.starts_with('W')
            && rest[1..].chars().all(|c| "<N".contains(c))
    });
    bracketed || no_memory_state
}

/// Linux's /proc entries for subsystems Kestrel does not have (yet), dropped by
/// `proc-listing`; anything else that differs still shows.
const LINUX_ONLY_PROC: &[&str] = &[
    // Firmware, buses, drivers and hardware resources (ACPI, PCI, DMA, MTRR, frame
    // buffers, consoles, device and interrupt tables).
    "acpi",
    "bus",
    "consoles",
    "devices",
    "dma",
    "driver",
    "fb",
    "interrupts",
    "iomem",
    "ioports",
    "irq",
    "mtrr",
    "softirqs",
    "tty",
    // Block devices and swap.
    "diskstats",
    "partitions",
    "swaps",
    // Loadable modules, kernel symbols, debugging and tracing.
    "dynamic_debug",
    "kallsyms",
    "kcore",
    "kmsg",
    "modules",
    "sysrq-trigger",
    "timer_list",
    // Memory-management internals.
    "buddyinfo",
    "kpagecgroup",
    "kpagecount",
    "kpageflags",
    "pagetypeinfo",
    "slabinfo",
    "vmallocinfo",
    "vmstat",
    "zoneinfo",
    // Cgroups, pressure stall information, scheduler statistics.
    "cgroups",
    "pressure",
    "schedstat",
    // Crypto, keyrings, System V IPC, file locks, networking, misc devices,
    // execution domains and per-filesystem directories.
    "crypto",
    "execdomains",
    "fs",
    "key-users",
    "keys",
    "locks",
    "misc",
    "net",
    "sysvipc",
];

/// `proc-listing`: `ls /proc` in columns. The column layout follows the set of names,
/// so the names are compared one per line, sorted. PID directories (all-digit names)
/// differ in number and value between the kernels and become one `<pid>...` line;
/// the names in [`LINUX_ONLY_PROC`] are dropped.
fn proc_listing(lines: &[String]) -> Vec<String> {
    let mut names: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
    let has_pids = names.iter().any(|n| n.bytes().all(|b| b.is_ascii_digit()));
    names.retain(|n| !n.bytes().all(|b| b.is_ascii_digit()) && !LINUX_ONLY_PROC.contains(n));
    names.sort_unstable();
    let mut out: Vec<String> = Vec::new();
    if has_pids {
        out.push(format!("{PID}..."));
    }
    out.extend(names.into_iter().map(str::to_string));
    out
}

/// Options that belong to a mount rather than to the filesystem (`MNT_*` flags).
const PER_MOUNT_OPTIONS: &[&str] = &[
    "ro",
    "rw",
    "nosuid",
    "nodev",
    "noexec",
    "sync",
    "dirsync",
    "noatime",
    "nodiratime",
    "relatime",
    "strictatime",
    "lazytime",
];

/// `fs-options`: in `mount`'s `(...)` column, filesystem options (`size=226872k`,
/// `nr_inodes=56718`, `mode=755`, `inode64`) depend on the machine's memory and on how
/// each kernel's tmpfs is built; only the per-mount options are compared.
fn per_mount_options(line: &str) -> String {
    let (Some(open), true) = (line.rfind(" ("), line.ends_with(')')) else {
        return line.to_string();
    };
    let options: Vec<&str> = line[open + 2..line.len() - 1]
        .split(',')
        .filter(|option| PER_MOUNT_OPTIONS.contains(option))
        .collect();
    format!("{} ({})", &line[..open], options.join(","))
}

/// Fields of `/proc/<pid>/stat` (numbered from 1 as in proc(5)) that `stat-fields`
/// masks, and why each varies.
const VARYING_STAT_FIELDS: &[(usize, &str)] = &[
    (
        9,
        "flags: PF_* bits of kernel internals (PF_RANDOMIZE, PF_SUPERPRIV)",
    ),
    (10, "minflt: page faults depend on memory management"),
    (14, "utime: CPU time"),
    (15, "stime: CPU time"),
    (22, "starttime: boot timing"),
    (23, "vsize: the layout of the stack and other mappings"),
    (24, "rss: resident pages"),
    (26, "startcode: moves whenever the program is rebuilt"),
    (27, "endcode: moves whenever the program is rebuilt"),
    (28, "startstack: randomized by Linux"),
    (45, "start_data: moves whenever the program is rebuilt"),
    (46, "end_data: moves whenever the program is rebuilt"),
    (47, "start_brk: randomized by Linux"),
    (48, "arg_start: on the randomized stack"),
    (49, "arg_end: on the randomized stack"),
    (50, "env_start: on the randomized stack"),
    (51, "env_end: on the randomized stack"),
];

/// `stat-fields`: in a `/proc/<pid>/stat` line, the fields of
/// [`VARYING_STAT_FIELDS`] become `*`. The command name (field 2, in parentheses,
/// which may hold blanks) is kept whole.
fn mask_stat_fields(line: &str) -> String {
    let (Some(open), Some(close)) = (line.find(" ("), line.rfind(") ")) else {
        return line.to_string();
    };
    let mut fields: Vec<&str> = vec![&line[..open], &line[open + 1..close + 1]];
    fields.extend(line[close + 2..].split(' '));
    for (number, _) in VARYING_STAT_FIELDS {
        if let Some(field) = fields.get_mut(number - 1) {
            *field = FIELD;
        }
    }
    fields.join(" ")
}

/// Keys of `/proc/<pid>/status` whose values `status-values` masks, and why.
const VARYING_STATUS_KEYS: &[(&str, &str)] = &[
    ("Tgid", "a PID"),
    ("Pid", "a PID"),
    ("PPid", "a PID"),
    ("NStgid", "a PID"),
    ("NSpid", "a PID"),
    ("NSpgid", "a PID"),
    ("NSsid", "a PID"),
    ("VmPeak", "memory layout and use"),
    ("VmSize", "memory layout and use"),
    ("VmHWM", "memory layout and use"),
    ("VmRSS", "memory layout and use"),
    ("RssAnon", "memory layout and use"),
    ("RssFile", "memory layout and use"),
    ("VmData", "memory layout and use"),
    ("VmStk", "memory layout and use"),
    ("VmExe", "memory layout and use"),
    ("VmLib", "memory layout and use (Linux counts its vDSO)"),
    ("VmPTE", "page-table pages"),
    (
        "THP_enabled",
        "whether the kernel has transparent huge pages",
    ),
    (
        "SigQ",
        "the queued-signal limit derives from the memory size",
    ),
    ("Speculation_Store_Bypass", "the CPU and its mitigations"),
    ("SpeculationIndirectBranch", "the CPU and its mitigations"),
    ("voluntary_ctxt_switches", "scheduling"),
    ("nonvoluntary_ctxt_switches", "scheduling"),
];

/// `status-values`: in `Key:<tab>value` lines, the values of
/// [`VARYING_STATUS_KEYS`] become `*`; every key and every other value is compared.
fn mask_status_value(line: &str) -> String {
    match line.split_once(':') {
        Some((key, _)) if VARYING_STATUS_KEYS.iter().any(|(k, _)| *k == key) => {
            format!("{key}:\t{FIELD}")
        }
        _ => line.to_string(),
    }
}

/// `top-order`: `top` sorts processes by their share of CPU time, which varies from
/// run to run (ties fall in any order). The process lines, those after the header
/// line that starts with `PID`, are sorted by their text.
fn top_order(mut lines: Vec<String>) -> Vec<String> {
    let Some(header) = lines.iter().position(|l| l.trim_start().starts_with("PID")) else {
        return lines;
    };
    let end = lines[header..]
        .iter()
        .position(|l| l.trim().is_empty())
        .map_or(lines.len(), |at| header + at);
    lines[header + 1..end].sort();
    lines
}

/// Directories whose link count and size in a long listing count what the machine
/// has: /dev its device nodes (Linux's devtmpfs holds a node per device it found),
/// /proc its processes (Linux's kernel threads included).
const MACHINE_SIZED_DIRS: &[&str] = &["dev", "proc"];

/// `long-listing`: in `ls -l` lines (`mode links owner group size month day time-or-year
/// name`), the date becomes `*`: mount points carry the time they were mounted, which
/// varies with the boot. For the directories of [`MACHINE_SIZED_DIRS`] the link count
/// and size become `N` too. Blanks collapse, as columns follow the widths of numbers.
/// Modes, owners, the other sizes and the names are compared.
fn mask_long_listing(line: &str) -> String {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let is_entry = words
        .first()
        .is_some_and(|mode| mode.len() >= 10 && "-dlcbps".contains(&mode[..1]) && words.len() >= 9);
    if !is_entry {
        return line.to_string();
    }
    // A device's size column is `major, minor`: two words.
    let date = if words[4].ends_with(',') { 6 } else { 5 };
    if words.len() < date + 4 {
        return line.to_string();
    }
    words.splice(date..date + 3, [FIELD]);
    let name = words[date + 1];
    if words[0].starts_with('d') && MACHINE_SIZED_DIRS.contains(&name) {
        words[1] = NUMBER;
        words[4] = NUMBER;
    }
    words.join(" ")
}

/// `kernel-version`: in `uname -a`'s line (`sysname nodename release version machine
/// os`), the kernel's release and build string (several words, with a build date)
/// become one `*`: they name the kernel and its build, which differ by design.
fn mask_kernel_version(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() < 5 {
        return line.to_string();
    }
    let (head, tail) = (&words[..2], &words[words.len() - 2..]);
    format!("{} {FIELD} {}", head.join(" "), tail.join(" "))
}

fn collapse_blanks(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn numbers_become_n_and_blanks_collapse() {
        assert_eq!(
            mask_numbers(" 20:21:48 up 0 min,  load average: 0.00, 1.5"),
            "N up N min, load average: N, N"
        );
        assert_eq!(mask_numbers("size=226872k,x 12%"), "size=Nk,x N%");
        assert_eq!(mask_numbers("1/47 95."), "N/N N.");
    }

    #[test]
    fn pids_above_one_are_masked() {
        assert_eq!(mask_pids("   79     1 S    sh"), "<pid> 1 S sh");
        assert_eq!(mask_pids("    1     0 S    init"), "1 0 S init");
        assert_eq!(
            mask_pids("   93 root {ps} /bin/sh"),
            "<pid> root {ps} /bin/sh"
        );
    }

    #[test]
    fn kernel_thread_lines_are_recognised() {
        assert!(is_kernel_thread("    2 root     [kthreadd]"));
        assert!(is_kernel_thread("    3     2 IW<  rcu_gp"));
        assert!(is_kernel_thread("   29     2 SWN  ksmd"));
        assert!(!is_kernel_thread("   79     1 S    sh"));
        assert!(!is_kernel_thread("   93 root     {ps} /bin/sh"));
        assert!(!is_kernel_thread("PID   PPID  STAT COMMAND"));
    }

    #[test]
    fn proc_listing_keeps_shared_names() {
        let got = proc_listing(&lines("1   acpi  self\n79  cmdline  zoneinfo\n"));
        assert_eq!(got, ["<pid>...", "cmdline", "self"]);
    }

    #[test]
    fn filesystem_options_are_dropped() {
        assert_eq!(
            per_mount_options("devtmpfs on /dev type devtmpfs (rw,relatime,size=2k,mode=755)"),
            "devtmpfs on /dev type devtmpfs (rw,relatime)"
        );
    }

    #[test]
    fn stat_fields_are_masked_by_position() {
        let line = "1 (a b) S 0 0 0 0 -1 4194560 10 0 0 0 0 111 0 0 20 0 1 0 52 229376 1 \
                    18446744073709551615 4198400 4234527 140727491570144 0 0 0 0 0 18944 1 \
                    0 0 17 0 0 0 0 0 0 4247376 4247576 692137984 140727491571674 \
                    140727491571680 140727491571680 140727491571698 0";
        let masked = mask_stat_fields(line);
        assert!(masked.starts_with("1 (a b) S 0 0 0 0 -1 * * 0 0 0 * * 0 0 20 0 1 0 * * * "));
        assert!(masked.ends_with(" 0 0 0 * * * * * * * 0"));
    }

    #[test]
    fn top_sorts_only_process_lines() {
        let got = top_order(lines("Mem: N\n PID X\n b\n a\n\n"));
        assert_eq!(got, ["Mem: N", " PID X", " a", " b", ""]);
    }

    #[test]
    fn long_listing_masks_dates_and_machine_sized_dirs() {
        let bin = "drwxr-xr-x    2 root     root          1600 Jan  1  1970 bin";
        assert_eq!(mask_long_listing(bin), "drwxr-xr-x 2 root root 1600 * bin");
        let proc = "dr-xr-xr-x   59 root     root             0 Dec  4 05:04 proc";
        assert_eq!(mask_long_listing(proc), "dr-xr-xr-x N root root N * proc");
        let tty = "crw-rw----    1 root     root        4,  64 Dec  4 05:04 ttyS0";
        assert_eq!(
            mask_long_listing(tty),
            "crw-rw---- 1 root root 4, 64 * ttyS0"
        );
        assert_eq!(mask_long_listing("total 68"), "total 68");
    }

    #[test]
    fn kernel_version_keeps_names_and_machine() {
        let linux = "Linux (none) 6.1.0-57-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 \
                     (2026-11-26) x86_64 GNU/Linux";
        assert_eq!(
            mask_kernel_version(linux),
            "Linux (none) * x86_64 GNU/Linux"
        );
        assert_eq!(mask_kernel_version("Linux"), "Linux");
    }

    #[test]
    fn status_values_are_masked_by_key() {
        assert_eq!(mask_status_value("VmRSS:\t     300 kB"), "VmRSS:\t*");
        assert_eq!(mask_status_value("Uid:\t0\t0\t0\t0"), "Uid:\t0\t0\t0\t0");
    }
}
