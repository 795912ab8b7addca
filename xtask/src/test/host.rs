//! The `host` stage: `cargo test` of every workspace crate that runs on the host.

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

use super::{log_path, Report};
use crate::util;

/// Workspace members that only build for the bare-metal target.
const NOT_HOST_TESTED: [&str; 2] = ["kernel", "platform"];

pub fn run() -> Report {
    let mut report = Report::new("host");
    let crates = match host_crates() {
        Ok(crates) => crates,
        Err(err) => return Report::broken("host", err),
    };
    let log = log_path("host");
    let _ = fs::create_dir_all(log.parent().unwrap_or(&log));
    let mut log_file = fs::File::create(&log).ok();

    for name in &crates {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(util::root())
            .args(["test", "-p", name])
            .stdin(Stdio::null())
            .output();
        let Ok(out) = out else {
            report.failed += 1;
            println!("host  {name}: cannot run cargo");
            continue;
        };
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        if let Some(file) = log_file.as_mut() {
            let _ = writeln!(file, "# cargo test -p {name}\n{text}");
        }

        let (passed, mut failed) = count_results(&text);
        // A build error or crash reports no test result: count it as one failure.
        if !out.status.success() && failed == 0 {
            failed = 1;
        }
        report.passed += passed;
        report.failed += failed;
        let verdict = if failed == 0 { "ok" } else { "FAILED" };
        println!("host  {name}: {passed} passed, {failed} failed  {verdict}");
        if failed > 0 {
            println!("{}", util::tail(&text, 30));
        }
    }
    if crates.is_empty() {
        report.note = "no host-testable crates".into();
    }
    report
}

/// Sums cargo's `test result: ok. 3 passed; 1 failed; ...` lines.
pub fn count_results(output: &str) -> (usize, usize) {
    let mut totals = (0, 0);
    for line in output.lines() {
        let Some(rest) = line.trim().strip_prefix("test result:") else {
            continue;
        };
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(number), Some(label)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<usize>() else {
                continue;
            };
            match label {
                "passed" => totals.0 += number,
                "failed" => totals.1 += number,
                _ => {}
            }
        }
    }
    totals
}

/// Package names of the workspace members that test on the host, in members order.
fn host_crates() -> Result<Vec<String>, String> {
    let root = util::root();
    let manifest = fs::read_to_string(root.join("Cargo.toml")).map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    for member in workspace_members(&manifest) {
        let path = root.join(&member).join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&path) else {
            // Listed but not there (yet): nothing to test.
            continue;
        };
        let name = package_name(&text).unwrap_or(member);
        if !NOT_HOST_TESTED.contains(&name.as_str()) {
            names.push(name);
        }
    }
    Ok(names)
}

/// The strings of `[workspace] members = [...]`.
fn workspace_members(manifest: &str) -> Vec<String> {
    let Some(start) = manifest.find("members") else {
        return Vec::new();
    };
    let rest = &manifest[start..];
    let (Some(open), Some(close)) = (rest.find('['), rest.find(']')) else {
        return Vec::new();
    };
    rest[open + 1..close]
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.split(','))
        .map(|item| item.trim().trim_matches('"').to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

/// `name` of the `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let package = &manifest[manifest.find("[package]")?..];
    package
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "name").then(|| value.trim().trim_matches('"').to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_result_line() {
        let out = "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n\
                   test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(count_results(out), (5, 1));
    }

    #[test]
    fn members_are_read_with_comments_and_commas() {
        let manifest = "[workspace]\nresolver = \"2\"\nmembers = [\n    \"crates/vfs\", # fs\n\
                        \"platform\",\n    \"xtask\"\n]\n[workspace.package]\n";
        assert_eq!(
            workspace_members(manifest),
            ["crates/vfs", "platform", "xtask"]
        );
    }

    #[test]
    fn package_name_comes_from_the_package_table() {
        let manifest = "[package]\nname = \"vfs\"\nversion = \"0.1.0\"\n[dependencies]\n";
        assert_eq!(package_name(manifest).as_deref(), Some("vfs"));
    }
}
