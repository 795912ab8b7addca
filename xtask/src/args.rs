//! Command-line parsing for `cargo xtask`, written by hand to keep the tool light.

use crate::bail;
use crate::util::Result;

pub const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  build      build the kernel, the C userland and target/initramfs.cpio
  run        build, then boot in QEMU with the serial console on this terminal
  test       host tests, in-kernel tests, boot check, contract suite, shell session
  fuzz       boot into the syscall fuzzer (cargo xtask fuzz --help)
  fuzz-host  run the host libFuzzer targets (cargo xtask fuzz-host --help)
  iso        build a hybrid BIOS/UEFI ISO with Limine (LIMINE_DIR or /usr/share/limine)
  prereq     check and install the host tools

options:
  --release             build the kernel in release mode
  --tcg                 never use KVM (run, test)
  --smp N               number of virtual CPUs (run, test)
  --memory SIZE         guest memory, QEMU syntax (default 512M)
  --append \"ARGS\"       kernel command line (run)
  --initrd FILE         boot this cpio archive instead of target/initramfs.cpio (run)
  --gdb                 wait for a debugger on localhost:1234 (run)
  --boot direct|limine  boot the ELF directly (PVH) or through a Limine ISO (run)
  --uefi                boot the Limine ISO with OVMF firmware, under TCG (run)
  --kernel kestrel|linux  boot Kestrel (default) or a Linux bzImage (run, test)
  --stage NAME          run only this test stage; repeatable
                        (host, ktest, boot, contracts, session, fuzz)
  --quick               only the fast stages: host, ktest, boot (test)
  --bless               write tools/session/expected.txt from this run (test, Linux only)
";

/// What to boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelKind {
    Kestrel,
    Linux,
}

/// How the kernel reaches the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootMode {
    Direct,
    Limine,
}

/// Every option of every command; each command rejects those it does not use.
#[derive(Debug)]
pub struct Options {
    pub command: String,
    pub release: bool,
    pub tcg: bool,
    pub smp: u32,
    pub memory: String,
    pub append: Option<String>,
    pub initrd: Option<String>,
    pub gdb: bool,
    pub boot: Option<BootMode>,
    pub uefi: bool,
    pub kernel: KernelKind,
    pub stages: Vec<String>,
    pub quick: bool,
    pub bless: bool,
}

/// The options each command accepts.
fn allowed(command: &str) -> &'static [&'static str] {
    match command {
        "build" | "iso" => &["--release"],
        "run" => &[
            "--release",
            "--tcg",
            "--smp",
            "--memory",
            "--append",
            "--initrd",
            "--gdb",
            "--boot",
            "--uefi",
            "--kernel",
        ],
        "test" => &[
            "--release",
            "--tcg",
            "--smp",
            "--memory",
            "--kernel",
            "--stage",
            "--quick",
            "--bless",
        ],
        _ => &[],
    }
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        bail!("{USAGE}");
    };
    if command == "-h" || command == "--help" || command == "help" {
        bail!("{USAGE}");
    }
    if !["build", "run", "test", "iso", "prereq"].contains(&command.as_str()) {
        bail!("unknown command `{command}`\n\n{USAGE}");
    }

    let mut opts = Options {
        command,
        release: false,
        tcg: false,
        smp: 1,
        memory: "512M".to_string(),
        append: None,
        initrd: None,
        gdb: false,
        boot: None,
        uefi: false,
        kernel: KernelKind::Kestrel,
        stages: Vec::new(),
        quick: false,
        bless: false,
    };

    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
            _ => (arg.clone(), None),
        };
        if !allowed(&opts.command).contains(&flag.as_str()) {
            bail!("`{}` does not take `{flag}`\n\n{USAGE}", opts.command);
        }
        let mut value = || -> Result<String> {
            match inline {
                Some(value) => Ok(value.to_string()),
                None => args
                    .next()
                    .ok_or_else(|| format!("`{flag}` needs a value").into()),
            }
        };
        match flag.as_str() {
            "--release" => opts.release = true,
            "--tcg" => opts.tcg = true,
            "--gdb" => opts.gdb = true,
            "--uefi" => opts.uefi = true,
            "--quick" => opts.quick = true,
            "--bless" => opts.bless = true,
            "--smp" => {
                let text = value()?;
                opts.smp = match text.parse() {
                    Ok(count) if count >= 1 => count,
                    _ => bail!("`--smp` takes a number of CPUs, not `{text}`"),
                };
            }
            "--memory" => opts.memory = value()?,
            "--append" => opts.append = Some(value()?),
            "--initrd" => opts.initrd = Some(value()?),
            "--stage" => opts.stages.push(value()?),
            "--boot" => {
                opts.boot = Some(match value()?.as_str() {
                    "direct" => BootMode::Direct,
                    "limine" => BootMode::Limine,
                    other => bail!("`--boot` is `direct` or `limine`, not `{other}`"),
                })
            }
            "--kernel" => {
                opts.kernel = match value()?.as_str() {
                    "kestrel" => KernelKind::Kestrel,
                    "linux" => KernelKind::Linux,
                    other => bail!("`--kernel` is `kestrel` or `linux`, not `{other}`"),
                }
            }
            _ => unreachable!("every allowed flag is handled"),
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &str) -> Result<Options> {
        parse(words.split_whitespace().map(str::to_string))
    }

    #[test]
    fn run_takes_values_in_both_spellings() {
        let opts = parse_words("run --smp 2 --boot=direct --kernel linux --tcg").unwrap();
        assert_eq!(opts.smp, 2);
        assert_eq!(opts.boot, Some(BootMode::Direct));
        assert_eq!(opts.kernel, KernelKind::Linux);
        assert!(opts.tcg);
    }

    #[test]
    fn append_keeps_equal_signs_of_its_value() {
        let opts = parse(["run", "--append", "loglevel=debug init=/bin/sh"].map(String::from));
        assert_eq!(
            opts.unwrap().append.as_deref(),
            Some("loglevel=debug init=/bin/sh")
        );
        let opts = parse(["run", "--append=loglevel=debug"].map(String::from));
        assert_eq!(opts.unwrap().append.as_deref(), Some("loglevel=debug"));
    }

    #[test]
    fn options_of_other_commands_are_refused() {
        assert!(parse_words("build --gdb").is_err());
        assert!(parse_words("test --append x").is_err());
        assert!(parse_words("frobnicate").is_err());
    }

    #[test]
    fn stages_accumulate() {
        let opts = parse_words("test --stage host --stage=boot").unwrap();
        assert_eq!(opts.stages, ["host", "boot"]);
    }
}
