//! Links the kernel with its linker script and records the git revision.

use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("{dir}/linker.ld");
    println!("cargo:rustc-link-arg-bins=-T{script}");
    println!("cargo:rerun-if-changed={script}");

    let revision = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&dir)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=KESTREL_GIT_REVISION={revision}");
    // Refresh the revision when HEAD moves.
    if let Ok(output) = Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .current_dir(&dir)
        .output()
    {
        let git_dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !git_dir.is_empty() {
            let git_dir = std::path::Path::new(&dir).join(git_dir);
            println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
            println!("cargo:rerun-if-changed={}", git_dir.join("refs").display());
        }
    }
}
