//! `cargo xtask build`: the kernel ELF, the C userland and the default initramfs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bail;
use crate::cpio::{self, Entry};
use crate::prereq::{self, Tool, BUSYBOX};
use crate::util::{self, Result};

/// The bare-metal target the kernel is built for.
pub const KERNEL_TARGET: &str = "x86_64-unknown-none";

/// mtime of every initramfs entry, so that the archive is reproducible.
const INITRAMFS_MTIME: u32 = 0;

/// Folders of the initramfs that BusyBox applet links may live in.
const APPLET_DIRS: [&str; 4] = ["bin", "sbin", "usr/bin", "usr/sbin"];

/// Builds the kernel and returns the path of its ELF.
pub fn kernel(release: bool) -> Result<PathBuf> {
    prereq::ensure_rust_target()?;
    prereq::ensure(&[Tool::CCompiler])?;
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(util::root())
        .args(["build", "-p", "kernel", "--target", KERNEL_TARGET]);
    if release {
        cargo.arg("--release");
    }
    util::run(&mut cargo)?;
    Ok(kernel_path(release))
}

pub fn kernel_path(release: bool) -> PathBuf {
    let profile = if release { "release" } else { "debug" };
    util::target_dir()
        .join(KERNEL_TARGET)
        .join(profile)
        .join("kernel")
}

/// One contract test: `userland/contracts/<area>/<name>.c`.
#[derive(Clone, Debug)]
pub struct Contract {
    pub area: String,
    pub name: String,
    pub source: PathBuf,
    pub binary: PathBuf,
    /// The C library it is built against (musl unless its first line says
    /// `// contract: cc=gcc`, which builds it statically against glibc).
    pub libc: Libc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Libc {
    Musl,
    Glibc,
}

impl Libc {
    fn compiler(self) -> &'static str {
        match self {
            Libc::Musl => "musl-gcc",
            Libc::Glibc => "gcc",
        }
    }

    /// What the first line of a contract's source asks for.
    fn of_source(source: &Path) -> Result<Libc> {
        let text = fs::read_to_string(source)?;
        let first = text.lines().next().unwrap_or_default();
        Ok(
            match first.trim().strip_prefix("// contract:").map(str::trim) {
                Some("cc=gcc") => Libc::Glibc,
                Some(other) => bail!("{}: unknown contract option `{other}`", source.display()),
                None => Libc::Musl,
            },
        )
    }
}

impl Contract {
    /// `area/name`, the test's identity everywhere.
    pub fn id(&self) -> String {
        format!("{}/{}", self.area, self.name)
    }
}

/// The compiled C userland.
pub struct Userland {
    pub init: Option<PathBuf>,
    pub contracts: Vec<Contract>,
    pub bench: Option<PathBuf>,
    pub fuzz: Option<PathBuf>,
    /// `userland/limits`: the resource hog of the `limits` stage.
    pub hog: Option<PathBuf>,
}

/// Every contract test source, sorted by `area/name`.
pub fn contracts() -> Result<Vec<Contract>> {
    let dir = util::root().join("userland/contracts");
    let out_dir = util::target_dir().join("userland/contracts");
    let mut found = Vec::new();
    if !dir.is_dir() {
        return Ok(found);
    }
    for area in sorted_entries(&dir)? {
        if !area.is_dir() {
            continue;
        }
        let area_name = file_name(&area);
        for source in sorted_entries(&area)? {
            if source.extension().is_some_and(|ext| ext == "c") {
                let name = source
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let binary = out_dir.join(&area_name).join(&name);
                let libc = Libc::of_source(&source)?;
                found.push(Contract {
                    area: area_name.clone(),
                    name,
                    source,
                    binary,
                    libc,
                });
            }
        }
    }
    Ok(found)
}

/// Compiles the C userland with musl-gcc into `target/userland/`.
pub fn userland() -> Result<Userland> {
    prereq::ensure(&[Tool::MuslGcc])?;
    let root = util::root();
    let out = util::target_dir().join("userland");
    let headers = c_files(&root.join("userland/include"), "h")?;

    let init = compile_dir(&root.join("userland/init"), &out.join("init"), &headers)?;
    let bench = compile_dir(&root.join("userland/bench"), &out.join("bench"), &headers)?;
    let fuzz = compile_dir(&root.join("userland/fuzz"), &out.join("fuzz"), &headers)?;
    let hog = compile_dir(&root.join("userland/limits"), &out.join("hog"), &headers)?;
    let contracts = contracts()?;
    if contracts
        .iter()
        .any(|contract| contract.libc == Libc::Glibc)
    {
        prereq::ensure(&[Tool::GlibcStatic])?;
    }
    for contract in &contracts {
        compile_with(
            contract.libc,
            std::slice::from_ref(&contract.source),
            &contract.binary,
            &headers,
        )?;
    }
    Ok(Userland {
        init,
        contracts,
        bench,
        fuzz,
        hog,
    })
}

/// Compiles every `.c` of a folder into one program; `None` when the folder has none.
fn compile_dir(dir: &Path, binary: &Path, headers: &[PathBuf]) -> Result<Option<PathBuf>> {
    let sources = c_files(dir, "c")?;
    if sources.is_empty() {
        return Ok(None);
    }
    // The folder's own headers are inputs too.
    let mut headers = headers.to_vec();
    headers.extend(c_files(dir, "h")?);
    compile(&sources, binary, &headers)?;
    Ok(Some(binary.to_path_buf()))
}

fn compile(sources: &[PathBuf], binary: &Path, headers: &[PathBuf]) -> Result<()> {
    compile_with(Libc::Musl, sources, binary, headers)
}

fn compile_with(libc: Libc, sources: &[PathBuf], binary: &Path, headers: &[PathBuf]) -> Result<()> {
    let inputs: Vec<PathBuf> = sources.iter().chain(headers).cloned().collect();
    if !util::is_stale(binary, &inputs) {
        return Ok(());
    }
    if let Some(parent) = binary.parent() {
        fs::create_dir_all(parent)?;
    }
    let include = util::root().join("userland/include");
    let mut cc = Command::new(libc.compiler());
    cc.args(["-static", "-O2", "-Wall"])
        .arg("-I")
        .arg(include)
        .arg("-o")
        .arg(binary);
    cc.args(sources);
    eprintln!("      CC {}", util::show(binary));
    util::run(&mut cc)
}

/// Writes the default initramfs and returns its path.
pub fn initramfs(userland: &Userland) -> Result<PathBuf> {
    prereq::ensure(&[Tool::Busybox])?;
    let mut entries = Vec::new();

    // Directories first, so that every unpacker finds a parent before its children.
    let mut dirs: Vec<(String, u32)> = ["dev", "proc", "sys", "etc", "usr", "contracts"]
        .iter()
        .chain(APPLET_DIRS.iter())
        .map(|dir| (dir.to_string(), 0o755))
        .collect();
    dirs.push(("tmp".into(), 0o1777));
    dirs.push(("root".into(), 0o700));
    let mut areas: Vec<String> = userland.contracts.iter().map(|c| c.area.clone()).collect();
    areas.dedup();
    dirs.extend(
        areas
            .iter()
            .map(|area| (format!("contracts/{area}"), 0o755)),
    );
    dirs.sort();
    entries.extend(dirs.iter().map(|(dir, perm)| Entry::dir(dir, *perm)));

    // Linux opens /dev/console for init before any devtmpfs is mounted.
    entries.push(Entry::char_device("dev/console", 0o600, 5, 1));

    match &userland.init {
        Some(init) => entries.push(Entry::file("init", 0o755, fs::read(init)?)),
        None => eprintln!("xtask: warning: userland/init has no C source; no /init"),
    }
    if let Some(fuzz) = &userland.fuzz {
        entries.push(Entry::dir("fuzz", 0o755));
        entries.push(Entry::file("fuzz/fuzz", 0o755, fs::read(fuzz)?));
    }
    if let Some(hog) = &userland.hog {
        entries.push(Entry::file("bin/kestrel-hog", 0o755, fs::read(hog)?));
    }
    if let Some(bench) = &userland.bench {
        entries.push(Entry::file("bin/kestrel-bench", 0o755, fs::read(bench)?));
    }
    entries.push(Entry::file("bin/busybox", 0o755, fs::read(BUSYBOX)?));
    for link in busybox_applets()? {
        entries.push(Entry::symlink(&link, "/bin/busybox"));
    }

    entries.push(Entry::file(
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\n".to_vec(),
    ));
    entries.push(Entry::file("etc/group", 0o644, b"root:x:0:\n".to_vec()));
    entries.push(Entry::file("etc/hostname", 0o644, b"kestrel\n".to_vec()));

    let mut list = String::new();
    for contract in &userland.contracts {
        list.push_str(&contract.id());
        list.push('\n');
        let data = fs::read(&contract.binary)?;
        entries.push(Entry::file(
            &format!("contracts/{}", contract.id()),
            0o755,
            data,
        ));
    }
    entries.push(Entry::file("contracts/list", 0o644, list.into_bytes()));

    let path = util::target_dir().join("initramfs.cpio");
    let bytes = cpio::archive(&entries, INITRAMFS_MTIME);
    if fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
        fs::write(&path, &bytes)?;
    }
    Ok(path)
}

/// The applet links BusyBox asks for, limited to the usual binary folders, sorted.
fn busybox_applets() -> Result<Vec<String>> {
    let listing = util::output(Command::new(BUSYBOX).arg("--list-full"))?;
    let mut links: Vec<String> = listing
        .lines()
        .map(|line| line.trim().trim_start_matches('/'))
        .filter(|link| {
            link.rsplit_once('/')
                .is_some_and(|(dir, _)| APPLET_DIRS.contains(&dir))
        })
        .filter(|link| *link != "bin/busybox")
        .map(str::to_string)
        .collect();
    links.sort();
    links.dedup();
    if links.is_empty() {
        bail!("`{BUSYBOX} --list-full` listed no applets");
    }
    Ok(links)
}

/// Everything `run` and `test` boot: kernel ELF and default initramfs.
pub struct Artifacts {
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
    pub userland: Userland,
}

pub fn all(release: bool) -> Result<Artifacts> {
    let kernel = kernel(release)?;
    let userland = userland()?;
    let initramfs = initramfs(&userland)?;
    Ok(Artifacts {
        kernel,
        initramfs,
        userland,
    })
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    Ok(paths)
}

fn c_files(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    Ok(sorted_entries(dir)?
        .into_iter()
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == ext))
        .collect())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}
