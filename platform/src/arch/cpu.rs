//! CPU identification, control bits and idling.

use raw_cpuid::CpuId;
use spin::Once;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::model_specific::{Efer, EferFlags};

/// The CPU features the platform looks at.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuFeatures {
    pub vendor: [u8; 12],
    /// Execute-disable page bit.
    pub nx: bool,
    /// Global pages.
    pub pge: bool,
    /// 1 GiB pages.
    pub huge_1g: bool,
    pub x2apic: bool,
    pub tsc: bool,
    /// The TSC ticks at a constant rate in every power state.
    pub invariant_tsc: bool,
    pub tsc_deadline: bool,
    pub xsave: bool,
    pub fxsr: bool,
    pub smep: bool,
    pub smap: bool,
    pub fsgsbase: bool,
    pub hypervisor: bool,
    pub rdrand: bool,
    pub rdseed: bool,
}

static FEATURES: Once<CpuFeatures> = Once::new();

/// The features of the boot CPU (read once with `cpuid`).
pub fn features() -> &'static CpuFeatures {
    FEATURES.call_once(detect)
}

fn detect() -> CpuFeatures {
    let cpuid = CpuId::new();
    let mut features = CpuFeatures::default();
    if let Some(vendor) = cpuid.get_vendor_info() {
        let name = vendor.as_str().as_bytes();
        let len = name.len().min(features.vendor.len());
        features.vendor[..len].copy_from_slice(&name[..len]);
    }
    if let Some(info) = cpuid.get_feature_info() {
        features.pge = info.has_pge();
        features.x2apic = info.has_x2apic();
        features.tsc = info.has_tsc();
        features.tsc_deadline = info.has_tsc_deadline();
        features.xsave = info.has_xsave();
        features.fxsr = info.has_fxsave_fxstor();
        features.hypervisor = info.has_hypervisor();
        features.rdrand = info.has_rdrand();
    }
    if let Some(extended) = cpuid.get_extended_feature_info() {
        features.smep = extended.has_smep();
        features.smap = extended.has_smap();
        features.fsgsbase = extended.has_fsgsbase();
        features.rdseed = extended.has_rdseed();
    }
    if let Some(ext) = cpuid.get_extended_processor_and_feature_identifiers() {
        features.nx = ext.has_execute_disable();
        features.huge_1g = ext.has_1gib_pages();
    }
    if let Some(power) = cpuid.get_advanced_power_mgmt_info() {
        features.invariant_tsc = power.has_invariant_tsc();
    }
    features
}

/// Enables NX (when present), global pages and kernel write protection.
/// (GS gets its per-CPU block later, from `percpu::init_boot_cpu`.)
pub(crate) fn init() {
    let features = features();
    if features.nx {
        // SAFETY: setting NXE only allows the NX page bit; nothing mapped uses
        // it yet in a way that would change.
        unsafe { Efer::update(|flags| flags.insert(EferFlags::NO_EXECUTE_ENABLE)) };
    }
    if features.pge {
        // SAFETY: global pages only change TLB retention across CR3 loads.
        unsafe { Cr4::update(|flags| flags.insert(Cr4Flags::PAGE_GLOBAL)) };
    }
    // SAFETY: write protection makes the kernel honour read-only pages too;
    // the kernel never writes to them.
    unsafe { Cr0::update(|flags| flags.insert(Cr0Flags::WRITE_PROTECT)) };
}

/// Enables interrupts and waits for the next one.
pub fn idle() {
    x86_64::instructions::interrupts::enable_and_hlt();
}

/// Stops this CPU for good.
pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}

/// Tries a hardware random instruction this many times: both may fail for a
/// moment when their entropy source is drained (Intel's guidance is ten).
const HARDWARE_RANDOM_TRIES: usize = 10;

/// 64 random bits from the CPU: RDSEED (straight from the entropy source)
/// when present, else RDRAND (its conditioned generator); `None` when the CPU
/// has neither or both keep failing.
pub fn hardware_random_u64() -> Option<u64> {
    let features = features();
    if features.rdseed {
        for _ in 0..HARDWARE_RANDOM_TRIES {
            if let Some(value) = rdseed() {
                return Some(value);
            }
        }
    }
    if features.rdrand {
        for _ in 0..HARDWARE_RANDOM_TRIES {
            if let Some(value) = rdrand() {
                return Some(value);
            }
        }
    }
    None
}

fn rdseed() -> Option<u64> {
    let value: u64;
    let ok: u8;
    // SAFETY: the CPU has RDSEED (checked by the caller); it only writes the
    // two output registers and the flags.
    unsafe {
        core::arch::asm!(
            "rdseed {}",
            "setc {}",
            out(reg) value,
            out(reg_byte) ok,
            options(nomem, nostack),
        );
    }
    (ok != 0).then_some(value)
}

fn rdrand() -> Option<u64> {
    let value: u64;
    let ok: u8;
    // SAFETY: the CPU has RDRAND (checked by the caller); it only writes the
    // two output registers and the flags.
    unsafe {
        core::arch::asm!(
            "rdrand {}",
            "setc {}",
            out(reg) value,
            out(reg_byte) ok,
            options(nomem, nostack),
        );
    }
    (ok != 0).then_some(value)
}
