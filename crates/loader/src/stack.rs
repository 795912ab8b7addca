//! The initial user stack: argument and environment strings, the pointer
//! arrays and the auxiliary vector, laid out as the x86_64 System V ABI and
//! Linux's `create_elf_tables` place them.

use alloc::vec;
use alloc::vec::Vec;

use linux_raw_sys::auxvec as aux;
use vfs::{Errno, Error, Result};

/// The most bytes of strings exec accepts (a quarter of the default 8 MiB
/// stack limit, as Linux computes `ARG_MAX`).
pub const ARG_MAX: usize = 2 * 1024 * 1024;

/// The longest single argument or environment string (`MAX_ARG_STRLEN`).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

const WORD: usize = 8;
const STACK_ALIGN: usize = 16;
const PLATFORM: &[u8] = b"x86_64\0";

/// Facts the auxiliary vector reports that only the kernel knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuxInfo {
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    pub page_size: u64,
    pub base: u64,
    pub entry: u64,
    pub hwcap: u64,
    pub clock_ticks: u64,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub secure: bool,
    /// Address of the vDSO image, when there is one.
    pub sysinfo_ehdr: Option<u64>,
    pub random: [u8; 16],
}

/// A built stack: `bytes` go at `[sp, top)`; `sp` points at `argc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialStack {
    pub bytes: Vec<u8>,
    pub sp: u64,
    /// Where argv's strings start and end (/proc/<pid>/cmdline).
    pub args: (u64, u64),
    /// Where the environment's strings start and end (/proc/<pid>/environ).
    pub env: (u64, u64),
    /// The auxiliary vector as laid out on the stack, `AT_NULL` pair
    /// included (/proc/<pid>/auxv).
    pub auxv: Vec<u8>,
}

/// Checks exec's limits on argv and envp: E2BIG when over.
pub fn check_limits(argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Result<()> {
    let mut total = 0usize;
    for string in argv.iter().chain(envp) {
        if string.len() + 1 > MAX_ARG_STRLEN {
            return Err(Error::with_reason(Errno::E2BIG, "argument too long"));
        }
        total += string.len() + 1 + WORD;
    }
    if total > ARG_MAX {
        return Err(Error::with_reason(Errno::E2BIG, "arguments too long"));
    }
    Ok(())
}

/// Lays out the stack that ends at `top` (exclusive).
pub fn build(
    top: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    info: &AuxInfo,
) -> Result<InitialStack> {
    check_limits(argv, envp)?;

    // Strings, from the top down: execfn, environment, arguments, platform,
    // random bytes. `Strings` builds them upward and is placed below `top`.
    let text_len: usize = argv.iter().chain(envp).map(|s| s.len() + 1).sum();
    let strings_len = info.random.len() + PLATFORM.len() + text_len + execfn.len() + 1 + WORD;
    let strings_base = top - strings_len as u64;
    let mut strings = Vec::with_capacity(strings_len);
    let random_addr = strings_base;
    strings.extend_from_slice(&info.random);
    let platform_addr = strings_base + strings.len() as u64;
    strings.extend_from_slice(PLATFORM);
    let push = |s: &[u8], strings: &mut Vec<u8>| {
        let addr = strings_base + strings.len() as u64;
        strings.extend_from_slice(s);
        strings.push(0);
        addr
    };
    let arg_ptrs: Vec<u64> = argv.iter().map(|s| push(s, &mut strings)).collect();
    let args_end = strings_base + strings.len() as u64;
    let env_ptrs: Vec<u64> = envp.iter().map(|s| push(s, &mut strings)).collect();
    let env_end = strings_base + strings.len() as u64;
    let execfn_addr = push(execfn, &mut strings);
    strings.resize(strings_len, 0);

    let auxv = aux_vector(info, random_addr, platform_addr, execfn_addr);
    let words = 1 + arg_ptrs.len() + 1 + env_ptrs.len() + 1 + auxv.len() * 2;
    let sp = (strings_base - (words * WORD) as u64) & !(STACK_ALIGN as u64 - 1);

    let mut table = Vec::with_capacity(words);
    table.push(argv.len() as u64);
    table.extend_from_slice(&arg_ptrs);
    table.push(0);
    table.extend_from_slice(&env_ptrs);
    table.push(0);
    let auxv_start = table.len() * WORD;
    for (key, value) in auxv {
        table.push(key);
        table.push(value);
    }

    let mut bytes = vec![0u8; (top - sp) as usize];
    for (i, word) in table.iter().enumerate() {
        bytes[i * WORD..(i + 1) * WORD].copy_from_slice(&word.to_le_bytes());
    }
    let strings_offset = (strings_base - sp) as usize;
    bytes[strings_offset..].copy_from_slice(&strings);

    let args_start = arg_ptrs.first().copied().unwrap_or(args_end);
    let env_start = env_ptrs.first().copied().unwrap_or(env_end);
    let auxv = bytes[auxv_start..table.len() * WORD].to_vec();
    Ok(InitialStack {
        bytes,
        sp,
        args: (args_start, args_end),
        env: (env_start, env_end),
        auxv,
    })
}

fn aux_vector(info: &AuxInfo, random: u64, platform: u64, execfn: u64) -> Vec<(u64, u64)> {
    let mut auxv = vec![
        (aux::AT_HWCAP as u64, info.hwcap),
        (aux::AT_PAGESZ as u64, info.page_size),
        (aux::AT_CLKTCK as u64, info.clock_ticks),
        (aux::AT_PHDR as u64, info.phdr),
        (aux::AT_PHENT as u64, info.phent),
        (aux::AT_PHNUM as u64, info.phnum),
        (aux::AT_BASE as u64, info.base),
        (aux::AT_FLAGS as u64, 0),
        (aux::AT_ENTRY as u64, info.entry),
        (aux::AT_UID as u64, info.uid as u64),
        (aux::AT_EUID as u64, info.euid as u64),
        (aux::AT_GID as u64, info.gid as u64),
        (aux::AT_EGID as u64, info.egid as u64),
        (aux::AT_SECURE as u64, info.secure as u64),
        (aux::AT_RANDOM as u64, random),
        (aux::AT_EXECFN as u64, execfn),
        (aux::AT_PLATFORM as u64, platform),
    ];
    if let Some(vdso) = info.sysinfo_ehdr {
        auxv.insert(0, (aux::AT_SYSINFO_EHDR as u64, vdso));
    }
    auxv.push((aux::AT_NULL as u64, 0));
    auxv
}

#[cfg(test)]
#[path = "stack_tests.rs"]
mod tests;
