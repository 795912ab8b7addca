//! Links the kernel with its linker script, builds the vDSO and records the git revision.

use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = format!("{dir}/linker.ld");
    println!("cargo:rustc-link-arg-bins=-T{script}");
    println!("cargo:rerun-if-changed={script}");

    build_vdso(&dir);

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

/// Compiles `vdso/vdso.c` into the shared object the kernel maps into every
/// process (`$OUT_DIR/vdso.so`, included by `src/vdso.rs`), with the host's C
/// compiler (`CC`, else `cc`): freestanding, position-independent, one flat
/// segment (`vdso/vdso.lds`), general-purpose registers only.
fn build_vdso(dir: &str) {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let source = format!("{dir}/vdso/vdso.c");
    let layout = format!("{dir}/vdso/vdso.lds");
    for file in [&source, &layout, &format!("{dir}/vdso/vvar.h")] {
        println!("cargo:rerun-if-changed={file}");
    }
    println!("cargo:rerun-if-env-changed=CC");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&cc)
        .args([
            "-O2",
            "-fPIC",
            "-shared",
            "-nostdlib",
            "-ffreestanding",
            "-fno-stack-protector",
            "-fvisibility=hidden",
            "-mgeneral-regs-only",
            "-fno-asynchronous-unwind-tables",
            "-fno-jump-tables",
            "-Wall",
            "-Werror",
        ])
        .arg(format!("-I{dir}/vdso"))
        .arg(format!("-Wl,-T,{layout}"))
        .args([
            "-Wl,--hash-style=both",
            "-Wl,-soname=linux-vdso.so.1",
            "-Wl,--build-id=none",
            "-Wl,-z,max-page-size=4096",
            "-Wl,-z,norelro",
            "-Wl,-z,noexecstack",
            "-Wl,--no-undefined",
            "-Wl,-Bsymbolic",
        ])
        .arg("-o")
        .arg(format!("{out}/vdso.so"))
        .arg(&source)
        .status()
        .unwrap_or_else(|err| panic!("cannot run the C compiler `{cc}` for the vDSO: {err}"));
    assert!(status.success(), "building the vDSO with `{cc}` failed");
}
