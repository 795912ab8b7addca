//! The Kestrel build tool, run as `cargo xtask <command>` (the cargo-xtask pattern: a
//! plain binary crate of the workspace, reached through an alias in .cargo/config.toml).
//!
//! `build` makes the kernel ELF, the static musl userland and the default initramfs;
//! `run` boots them in QEMU; `test` runs every test stage and prints a summary; `iso`
//! makes a Limine ISO. Host tools are checked (and installed where possible) first.

mod args;
mod bench;
mod build;
mod console;
mod cpio;
mod fuzz;
mod hostfuzz;
mod iso;
mod linux;
mod prereq;
mod qemu;
mod symbolize;
mod test;
mod util;

use std::process::ExitCode;

use args::{BootMode, KernelKind, Options};
use prereq::Tool;
use util::Result;

fn main() -> ExitCode {
    // `bench` takes options of its own.
    if std::env::args().nth(1).as_deref() == Some("bench") {
        let words: Vec<String> = std::env::args().skip(2).collect();
        return exit_code(bench::main(&words));
    }
    // So does `fuzz`.
    if std::env::args().nth(1).as_deref() == Some("fuzz") {
        let words: Vec<String> = std::env::args().skip(2).collect();
        return exit_code(fuzz::main(&words));
    }
    // And `fuzz-host`.
    if std::env::args().nth(1).as_deref() == Some("fuzz-host") {
        let words: Vec<String> = std::env::args().skip(2).collect();
        return exit_code(hostfuzz::main(&words));
    }
    let opts = match args::parse(std::env::args().skip(1)) {
        Ok(opts) => opts,
        Err(err) => {
            eprintln!("{}", err.0);
            return ExitCode::from(2);
        }
    };
    let result = match opts.command.as_str() {
        "build" => build(&opts).map(|()| true),
        "run" => run(&opts).map(|()| true),
        "iso" => iso(&opts).map(|_| true),
        "test" => test::main(&opts),
        "prereq" => prereq::check_all().map(|()| true),
        _ => unreachable!("args::parse accepts only known commands"),
    };
    exit_code(result)
}

fn exit_code(result: Result<bool>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("xtask: error: {}", err.0);
            ExitCode::FAILURE
        }
    }
}

fn build(opts: &Options) -> Result<()> {
    let artifacts = build::all(opts.release)?;
    println!("kernel     {}", util::show(&artifacts.kernel));
    println!("initramfs  {}", util::show(&artifacts.initramfs));
    println!("contracts  {} tests", artifacts.userland.contracts.len());
    Ok(())
}

fn iso(opts: &Options) -> Result<std::path::PathBuf> {
    // Say what is missing before building anything.
    iso::require_limine()?;
    let artifacts = build::all(opts.release)?;
    iso::build(&artifacts.kernel, &artifacts.initramfs, None)
}

fn run(opts: &Options) -> Result<()> {
    prereq::ensure(&[Tool::Qemu])?;
    let boot = choose_boot(opts)?;
    let artifacts = build::all(opts.release)?;
    let initrd = match &opts.initrd {
        Some(file) => std::path::PathBuf::from(file),
        None => artifacts.initramfs.clone(),
    };
    let append = opts.append.clone().unwrap_or_default();

    let (image, marker, append) = match opts.kernel {
        KernelKind::Kestrel => (artifacts.kernel.clone(), test::BANNER_WORD, append),
        KernelKind::Linux => (linux::image()?, linux::INIT_MARKER, linux::append(&append)),
    };
    let mut machine = qemu::Machine::new(&image, Some(&initrd), &append, qemu::Accel::Tcg);
    machine.smp = opts.smp;
    machine.memory = opts.memory.clone();
    machine.gdb = opts.gdb;

    if boot == BootMode::Limine {
        let cmdline = opts.append.as_deref();
        machine.cdrom = Some(iso::build(&artifacts.kernel, &initrd, cmdline)?);
    }
    if opts.uefi {
        prereq::ensure(&[Tool::Ovmf])?;
        machine.uefi = true;
    }

    // OVMF under KVM fails on some hosts, so UEFI runs use TCG.
    machine.accel = if opts.uefi {
        println!("accel: tcg (UEFI runs use TCG)");
        qemu::Accel::Tcg
    } else {
        qemu::choose_accel(&machine, marker, opts.tcg)
    };
    if opts.gdb {
        let elf = util::show(&artifacts.kernel);
        println!("waiting for gdb: gdb {elf} -ex 'target remote :1234'");
    }
    let mut qemu = machine.command(true)?;
    println!("{}", util::describe(&qemu));
    println!("(Ctrl-A X quits QEMU)");
    let status = util::status(&mut qemu)?;
    if !status.success() {
        bail!("QEMU exited with {status}");
    }
    Ok(())
}

/// `--boot`, or Limine when its files are found, else direct; said in one line.
fn choose_boot(opts: &Options) -> Result<BootMode> {
    if opts.kernel == KernelKind::Linux {
        if opts.boot == Some(BootMode::Limine) || opts.uefi {
            bail!("a Linux guest boots directly only (no --boot limine, no --uefi)");
        }
        return Ok(BootMode::Direct);
    }
    let boot = match opts.boot {
        Some(BootMode::Direct) if opts.uefi => bail!("--uefi needs --boot limine"),
        Some(boot) => boot,
        None if iso::limine_dir().is_some() => BootMode::Limine,
        None if opts.uefi => bail!("--uefi boots through Limine, whose files are not found"),
        None => BootMode::Direct,
    };
    let why = match (opts.boot, boot) {
        (Some(_), _) => "as asked",
        (None, BootMode::Limine) => "Limine files found",
        (None, BootMode::Direct) => "no Limine files; set LIMINE_DIR to boot through Limine",
    };
    let name = if boot == BootMode::Limine {
        "limine (ISO)"
    } else {
        "direct (PVH)"
    };
    println!("boot: {name} - {why}");
    Ok(boot)
}
