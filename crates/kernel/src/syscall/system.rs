//! System syscalls: uname, sysinfo, hostname, getrandom, reboot, arch_prctl,
//! scheduling queries.

use alloc::string::String;

use bytemuck::{Pod, Zeroable};
use linux_raw_sys::general as raw;
use spin::Mutex;
use vfs::{Errno, Result};

use super::SysResult;
use crate::task::sched;
use crate::user;

/// The release string: a Linux version glibc and musl accept, then ours.
pub const RELEASE: &str = "6.1.0-kestrel";
pub const SYSNAME: &str = "Linux";
pub const MACHINE: &str = "x86_64";

// `arch_prctl` codes (asm/prctl.h); linux-raw-sys carries only ARCH_SET_FS.
const ARCH_SET_GS: u32 = 0x1001;
const ARCH_GET_FS: u32 = 0x1003;
const ARCH_GET_GS: u32 = 0x1004;

/// `HOST_NAME_MAX`.
const HOST_NAME_MAX: usize = 64;

pub static HOSTNAME: Mutex<String> = Mutex::new(String::new());
pub static DOMAINNAME: Mutex<String> = Mutex::new(String::new());

pub fn hostname() -> String {
    String::from(or_none(&HOSTNAME.lock()))
}

/// `struct utsname`: six 65-byte fields.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct Utsname {
    fields: [[u8; 65]; 6],
}

/// The version string uname reports.
pub const VERSION: &str = concat!("#1 SMP Kestrel ", env!("CARGO_PKG_VERSION"));

pub fn version() -> String {
    String::from(VERSION)
}

/// An unset host or domain name, as uname shows it.
fn or_none(name: &str) -> &str {
    if name.is_empty() {
        "(none)"
    } else {
        name
    }
}

/// Copies `value` into a utsname field, cut to leave the terminating NUL.
fn set_field(field: &mut [u8; 65], value: &str) {
    let n = value.len().min(field.len() - 1);
    field[..n].copy_from_slice(&value.as_bytes()[..n]);
}

pub fn sys_uname(addr: u64) -> SysResult {
    let mut uts = Utsname::zeroed();
    let [sysname, nodename, release, version, machine, domainname] = &mut uts.fields;
    set_field(sysname, SYSNAME);
    set_field(nodename, or_none(&HOSTNAME.lock()));
    set_field(release, RELEASE);
    set_field(version, VERSION);
    set_field(machine, MACHINE);
    set_field(domainname, or_none(&DOMAINNAME.lock()));
    user::write(addr, &uts)?;
    Ok(0)
}

fn set_name(target: &Mutex<String>, addr: u64, len: u64) -> SysResult {
    if !sched::current().process.creds.lock().is_root() {
        return Err(Errno::EPERM.into());
    }
    if len as usize > HOST_NAME_MAX {
        return Err(Errno::EINVAL.into());
    }
    let bytes = user::read_bytes(addr, len as usize)?;
    *target.lock() = String::from_utf8(bytes).map_err(|_| Errno::EINVAL)?;
    Ok(0)
}

pub fn sys_sethostname(addr: u64, len: u64) -> SysResult {
    set_name(&HOSTNAME, addr, len)
}

pub fn sys_setdomainname(addr: u64, len: u64) -> SysResult {
    set_name(&DOMAINNAME, addr, len)
}

/// `struct sysinfo`.
#[derive(Clone, Copy, Default, Pod, Zeroable)]
#[repr(C)]
struct SysInfo {
    uptime: i64,
    loads: [u64; 3],
    totalram: u64,
    freeram: u64,
    sharedram: u64,
    bufferram: u64,
    totalswap: u64,
    freeswap: u64,
    procs: u16,
    pad: [u16; 3],
    totalhigh: u64,
    freehigh: u64,
    mem_unit: u32,
    reserved: [u8; 4],
}

pub fn sys_sysinfo(addr: u64) -> SysResult {
    let frames = platform::mm::frame::stats();
    let loads = crate::load::averages();
    let info = SysInfo {
        uptime: (platform::time::monotonic_ns() / 1_000_000_000) as i64,
        loads,
        totalram: frames.total * 4096,
        freeram: frames.free * 4096,
        procs: super::process::process_count().min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..SysInfo::default()
    };
    user::write(addr, &info)?;
    Ok(0)
}

/// The most bytes one getrandom call returns (Linux caps at 32 MiB - 1).
const GETRANDOM_MAX: usize = 33_554_431;

pub fn sys_getrandom(addr: u64, len: u64, flags: u64) -> SysResult {
    let flags = flags as u32;
    if flags & !(raw::GRND_NONBLOCK | raw::GRND_RANDOM | raw::GRND_INSECURE) != 0 {
        return Err(Errno::EINVAL.into());
    }
    let len = (len as usize).min(GETRANDOM_MAX);
    let mut done = 0;
    let mut buf = [0u8; 256];
    while done < len {
        let n = (len - done).min(buf.len());
        crate::random::fill(&mut buf[..n]);
        user::write_bytes(addr + done as u64, &buf[..n])?;
        done += n;
    }
    Ok(done)
}

pub fn sys_reboot(magic1: u64, magic2: u64, cmd: u64) -> SysResult {
    if magic1 as u32 != raw::LINUX_REBOOT_MAGIC1 {
        return Err(Errno::EINVAL.into());
    }
    let magic2 = magic2 as u32;
    let known = [
        raw::LINUX_REBOOT_MAGIC2,
        raw::LINUX_REBOOT_MAGIC2A,
        raw::LINUX_REBOOT_MAGIC2B,
        raw::LINUX_REBOOT_MAGIC2C,
    ];
    if !known.contains(&magic2) {
        return Err(Errno::EINVAL.into());
    }
    if !sched::current().process.creds.lock().is_root() {
        return Err(Errno::EPERM.into());
    }
    let missing = super::unimplemented_names();
    if missing.is_empty() {
        log::warn!("syscalls that returned ENOSYS: none");
    } else {
        log::warn!("syscalls that returned ENOSYS: {}", missing.join(" "));
    }
    match cmd as u32 {
        raw::LINUX_REBOOT_CMD_POWER_OFF | raw::LINUX_REBOOT_CMD_HALT => {
            log::info!("reboot: power off");
            platform::power::poweroff()
        }
        raw::LINUX_REBOOT_CMD_RESTART | raw::LINUX_REBOOT_CMD_RESTART2 => {
            // TODO: a reset through the ACPI reset register or the 8042; until
            // then a restart request powers off, which ends a QEMU run the same way.
            log::warn!("reboot: restart is not supported, powering off");
            platform::power::poweroff()
        }
        raw::LINUX_REBOOT_CMD_CAD_ON | raw::LINUX_REBOOT_CMD_CAD_OFF => Ok(0),
        _ => Err(Errno::EINVAL.into()),
    }
}

pub fn sys_arch_prctl(code: u64, addr: u64) -> SysResult {
    let task = sched::current();
    match code as u32 {
        raw::ARCH_SET_FS => {
            if !task.set_fs_base(addr) {
                return Err(Errno::EPERM.into());
            }
            Ok(0)
        }
        ARCH_GET_FS => {
            user::write(addr, &platform::arch::percpu::fs_base())?;
            Ok(0)
        }
        ARCH_SET_GS => {
            platform::arch::percpu::set_user_gs_base(addr).map_err(|_| Errno::EPERM)?;
            Ok(0)
        }
        ARCH_GET_GS => {
            user::write(addr, &platform::arch::percpu::user_gs_base())?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}

pub fn sys_sched_getaffinity(pid: u64, len: u64, addr: u64) -> SysResult {
    if pid != 0 && crate::task::group::lookup(pid as u32).is_none() {
        return Err(Errno::ESRCH.into());
    }
    const MASK_BYTES: usize = 8;
    if (len as usize) < MASK_BYTES || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL.into());
    }
    // One CPU today: only CPU 0 is in the mask.
    user::write(addr, &1u64)?;
    Ok(MASK_BYTES)
}

pub fn sys_sched_yield() -> SysResult {
    sched::schedule();
    Ok(0)
}

pub fn sys_prctl(option: u64, arg2: u64) -> Result<usize> {
    match option as u32 {
        linux_raw_sys::prctl::PR_SET_NAME => {
            let name = user::read_cstr(arg2, 15).or_else(|_| user::read_bytes(arg2, 15))?;
            let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            *sched::current().process.comm.lock() = String::from_utf8_lossy(&name[..end]).into();
            Ok(0)
        }
        linux_raw_sys::prctl::PR_GET_NAME => {
            let mut buf = [0u8; 16];
            let comm = sched::current().process.comm();
            let n = comm.len().min(15);
            buf[..n].copy_from_slice(&comm.as_bytes()[..n]);
            user::write(arg2, &buf)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL.into()),
    }
}
