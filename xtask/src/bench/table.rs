//! Medians, ratios and the comparison table of `cargo xtask bench`.

use std::fmt::Write;
use std::process::Command;

use super::RunResult;
use crate::qemu::Accel;
use crate::util;

/// How the runs were made, for the header of the table.
pub struct Meta {
    pub accel: Accel,
    pub pinned_cpu: Option<usize>,
    pub runs: usize,
    pub quick: bool,
    /// `<label>: <QEMU command>` of each kernel.
    pub commands: Vec<String>,
    pub kestrel_version: String,
    pub linux_version: Option<String>,
}

/// One kernel's samples of one row.
#[derive(Clone, Debug, Default)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn of(mut values: Vec<f64>) -> Option<Stats> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let mid = values.len() / 2;
        let median = if values.len() % 2 == 1 {
            values[mid]
        } else {
            (values[mid - 1] + values[mid]) / 2.0
        };
        Some(Stats {
            median,
            min: values[0],
            max: values[values.len() - 1],
        })
    }

    /// (max - min) / median, in percent.
    fn spread(&self) -> String {
        if self.median <= 0.0 {
            return "-".into();
        }
        format!("{:.0}%", (self.max - self.min) / self.median * 100.0)
    }
}

struct Row {
    name: String,
    linux: Option<Stats>,
    kestrel: Option<Stats>,
    /// Why a kernel produced no sample of this row.
    linux_failure: Option<String>,
    kestrel_failure: Option<String>,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        match (&self.linux, &self.kestrel) {
            (Some(linux), Some(ours)) if linux.median > 0.0 => Some(ours.median / linux.median),
            _ => None,
        }
    }
}

pub struct Report {
    rows: Vec<Row>,
    header: Vec<String>,
    has_linux: bool,
}

fn stats(runs: &[RunResult], name: &str) -> (Option<Stats>, Option<String>) {
    let values = runs
        .iter()
        .filter_map(|run| run.samples.get(name).map(|(ns, _)| *ns))
        .collect();
    let failure = runs.iter().find_map(|run| run.failures.get(name).cloned());
    (Stats::of(values), failure)
}

impl Report {
    pub fn new(linux: Option<&[RunResult]>, kestrel: &[RunResult], meta: &Meta) -> Report {
        // Rows in the order the guests printed them, Linux's first.
        let mut names: Vec<String> = Vec::new();
        for run in linux.unwrap_or(&[]).iter().chain(kestrel) {
            for name in &run.order {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        let rows = names
            .into_iter()
            .map(|name| {
                let (linux_stats, linux_failure) = stats(linux.unwrap_or(&[]), &name);
                let (kestrel_stats, kestrel_failure) = stats(kestrel, &name);
                Row {
                    name,
                    linux: linux_stats,
                    kestrel: kestrel_stats,
                    linux_failure,
                    kestrel_failure,
                }
            })
            .collect();
        Report {
            rows,
            header: header(meta),
            has_linux: linux.is_some(),
        }
    }

    /// Median ratio over the rows both kernels measured, and how many are at or below 1.
    fn summary(&self) -> String {
        let mut ratios: Vec<f64> = self.rows.iter().filter_map(Row::ratio).collect();
        if ratios.is_empty() {
            return "No row was measured on both kernels.".into();
        }
        let at_most_one = ratios.iter().filter(|r| **r <= 1.0).count();
        let count = ratios.len();
        ratios.sort_by(f64::total_cmp);
        let median = Stats::of(ratios).map_or(0.0, |s| s.median);
        format!(
            "Median ratio ours/Linux: {median:.2} over {count} rows; \
             {at_most_one} of {count} rows at or below 1.0."
        )
    }

    /// The table in Markdown, with its header lines.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            let _ = writeln!(out, "- {line}");
        }
        out.push('\n');
        out.push_str(&self.table());
        out.push('\n');
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// The table for the terminal: the same Markdown, which reads as columns.
    pub fn text(&self) -> String {
        let mut out = self.table();
        out.push('\n');
        out.push_str(&self.summary());
        out
    }

    fn table(&self) -> String {
        let mut lines: Vec<[String; 6]> = vec![[
            "benchmark".into(),
            "Linux".into(),
            "Kestrel".into(),
            "ours/Linux".into(),
            "Linux spread".into(),
            "Kestrel spread".into(),
        ]];
        for row in &self.rows {
            let cell = |stats: &Option<Stats>, failure: &Option<String>, present: bool| match (
                stats, failure,
            ) {
                (Some(stats), _) => format_ns(stats.median),
                (None, Some(_)) => "FAIL".into(),
                (None, None) if present => "-".into(),
                (None, None) => "n/a".into(),
            };
            let spread = |stats: &Option<Stats>| stats.as_ref().map_or("-".into(), Stats::spread);
            lines.push([
                row.name.clone(),
                cell(&row.linux, &row.linux_failure, self.has_linux),
                cell(&row.kestrel, &row.kestrel_failure, true),
                row.ratio().map_or("-".into(), |r| format!("{r:.2}")),
                spread(&row.linux),
                spread(&row.kestrel),
            ]);
        }
        let widths: Vec<usize> = (0..6)
            .map(|col| {
                lines
                    .iter()
                    .map(|l| l[col].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for (index, line) in lines.iter().enumerate() {
            out.push('|');
            for (col, cell) in line.iter().enumerate() {
                let pad = widths[col] - cell.chars().count();
                if col == 0 {
                    let _ = write!(out, " {cell}{} |", " ".repeat(pad));
                } else {
                    let _ = write!(out, " {}{cell} |", " ".repeat(pad));
                }
            }
            out.push('\n');
            if index == 0 {
                out.push('|');
                for (col, width) in widths.iter().enumerate() {
                    let dashes = "-".repeat(*width);
                    if col == 0 {
                        let _ = write!(out, " {dashes} |");
                    } else {
                        let _ = write!(out, " {}: |", &dashes[1..]);
                    }
                }
                out.push('\n');
            }
        }
        // Failures are listed under the table, each with its reason.
        for row in &self.rows {
            for (kernel, failure) in [
                ("Linux", &row.linux_failure),
                ("Kestrel", &row.kestrel_failure),
            ] {
                if let Some(why) = failure {
                    let _ = writeln!(out, "\n{} failed on {kernel}: {why}", row.name);
                }
            }
        }
        out
    }
}

/// Nanoseconds in the unit that keeps three or four significant digits.
pub fn format_ns(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else if ns < 1_000_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else {
        format!("{:.2} s", ns / 1_000_000_000.0)
    }
}

fn header(meta: &Meta) -> Vec<String> {
    let date = util::output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .map(|d| d.trim().to_string())
        .unwrap_or_else(|_| "unknown date".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let qemu = util::output(Command::new("qemu-system-x86_64").arg("--version"))
        .ok()
        .and_then(|v| v.lines().next().map(str::to_string))
        .unwrap_or_else(|| "QEMU".into());
    let revision = util::output(
        Command::new("git")
            .args(["-C"])
            .arg(util::root())
            .args(["describe", "--always", "--dirty"]),
    )
    .map(|r| r.trim().to_string())
    .unwrap_or_else(|_| "unknown".into());
    let pin = match meta.pinned_cpu {
        Some(cpu) => format!("QEMU pinned to host CPU {cpu}"),
        None => "QEMU not pinned".into(),
    };
    let mut lines = vec![
        format!("Date: {date}"),
        format!("Host CPU: {cpu}"),
        format!(
            "{qemu}, accel {}, one vCPU, {}, {} boot(s) per kernel{}",
            meta.accel.name(),
            pin,
            meta.runs,
            if meta.quick { ", --quick loops" } else { "" }
        ),
        format!(
            "Kestrel: git {revision} (release build), uname: {}",
            meta.kestrel_version
        ),
    ];
    if let Some(linux) = &meta.linux_version {
        lines.push(format!("Linux: {linux}"));
    }
    for command in &meta.commands {
        lines.push(format!("`{command}`"));
    }
    lines
}

/// Every sample, one line each: `kernel,run,row,iters,ns_per_iter,failure`.
pub fn csv(labels: &[&str], results: &[Vec<RunResult>]) -> String {
    let mut out = String::from("kernel,run,row,iters,ns_per_iter,failure\n");
    for (label, runs) in labels.iter().zip(results) {
        for (index, run) in runs.iter().enumerate() {
            for name in &run.order {
                let run_no = index + 1;
                if let Some((ns, iters)) = run.samples.get(name) {
                    let _ = writeln!(out, "{label},{run_no},{name},{iters},{ns:.1},");
                } else if let Some(why) = run.failures.get(name) {
                    let why = why.replace(['"', ','], " ");
                    let _ = writeln!(out, "{label},{run_no},{name},,,{why}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(Stats::of(vec![3.0, 1.0, 2.0]).unwrap().median, 2.0);
        assert_eq!(Stats::of(vec![4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert!(Stats::of(Vec::new()).is_none());
    }

    #[test]
    fn units_follow_magnitude() {
        assert_eq!(format_ns(812.4), "812 ns");
        assert_eq!(format_ns(12_345.0), "12.35 µs");
        assert_eq!(format_ns(2_500_000.0), "2.50 ms");
    }
}
