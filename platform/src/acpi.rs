//! ACPI tables, read once at boot with the `acpi` crate.
//!
//! From the MADT: the local APIC address, the I/O APICs and the ISA interrupt
//! overrides. From the FADT: the PM1 control ports and, from the DSDT, the
//! `\_S5` sleep type used to power off. From the HPET table: the HPET base.

use core::ptr::NonNull;

use acpi::address::AddressSpace;
use acpi::fadt::Fadt;
use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, HpetInfo, PhysicalMapping};
use arrayvec::ArrayVec;
use spin::Once;
use x86_64::instructions::port::Port;
use x86_64::PhysAddr;

use crate::mm::paging;

/// The local APIC address when the MADT gives none (Intel SDM 11.4.1).
pub const DEFAULT_LOCAL_APIC_ADDRESS: u64 = 0xfee0_0000;
const MAX_IO_APICS: usize = 8;
const MAX_OVERRIDES: usize = 16;
/// ISA bus number in interrupt source overrides.
const ISA_BUS: u8 = 0;
// MPS INTI flags of an interrupt source override (ACPI 6.5, 5.2.12.5).
const INTI_POLARITY_MASK: u16 = 0b11;
const INTI_POLARITY_ACTIVE_LOW: u16 = 0b11;
const INTI_TRIGGER_MASK: u16 = 0b11 << 2;
const INTI_TRIGGER_LEVEL: u16 = 0b11 << 2;
/// PM1 control: SCI_EN, set once the firmware handed ACPI to the OS.
const PM1_SCI_ENABLE: u16 = 1 << 0;
// AML opcodes needed to read `Name(_S5_, Package() {...})`.
const AML_NAME_OP: u8 = 0x08;
const AML_ROOT_CHAR: u8 = b'\\';
const AML_PACKAGE_OP: u8 = 0x12;
const AML_ZERO_OP: u8 = 0x00;
const AML_ONE_OP: u8 = 0x01;
const AML_BYTE_PREFIX: u8 = 0x0a;

/// One I/O APIC.
#[derive(Clone, Copy, Debug)]
pub struct IoApicInfo {
    pub id: u8,
    pub address: u64,
    pub gsi_base: u32,
}

/// How an ISA IRQ reaches the I/O APIC.
#[derive(Clone, Copy, Debug)]
pub struct IsaRoute {
    pub gsi: u32,
    pub active_low: bool,
    pub level_triggered: bool,
}

/// What the kernel uses from ACPI.
#[derive(Debug)]
pub struct AcpiInfo {
    pub local_apic_address: u64,
    pub io_apics: ArrayVec<IoApicInfo, MAX_IO_APICS>,
    overrides: ArrayVec<(u8, IsaRoute), MAX_OVERRIDES>,
    pub cpu_count: usize,
    pub has_8259: bool,
    pub hpet_address: Option<u64>,
    pub pm1a_control_port: Option<u16>,
    pub pm1b_control_port: Option<u16>,
    /// `SLP_TYPa` and `SLP_TYPb` of `\_S5`.
    pub s5_sleep_type: Option<(u8, u8)>,
    smi_command_port: u16,
    acpi_enable_value: u8,
}

impl AcpiInfo {
    /// Route of ISA IRQ `irq`: identity (edge, active high) unless overridden.
    pub fn isa_route(&self, irq: u8) -> IsaRoute {
        self.overrides
            .iter()
            .find(|(isa, _)| *isa == irq)
            .map(|(_, route)| *route)
            .unwrap_or(IsaRoute {
                gsi: u32::from(irq),
                active_low: false,
                level_triggered: false,
            })
    }
}

static INFO: Once<AcpiInfo> = Once::new();

/// The parsed tables, if ACPI was found.
pub fn info() -> Option<&'static AcpiInfo> {
    INFO.get()
}

/// Maps ACPI tables through the direct map.
#[derive(Clone, Copy, Debug)]
struct DirectMapHandler;

impl AcpiHandler for DirectMapHandler {
    unsafe fn map_physical_region<T>(&self, phys: usize, size: usize) -> PhysicalMapping<Self, T> {
        let virt = paging::map_mmio(PhysAddr::new(phys as u64), size as u64);
        let ptr = NonNull::new(virt.as_mut_ptr::<T>()).expect("direct map address is not null");
        // SAFETY: `virt` maps `phys..phys + size`, as the caller asked.
        unsafe { PhysicalMapping::new(phys, ptr, size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

/// Reads the tables behind `rsdp`. Without them the kernel runs on defaults
/// (local APIC at its usual address, no I/O APIC, no ACPI power-off).
pub(crate) fn init(rsdp: Option<u64>) {
    let Some(rsdp) = rsdp else {
        log::warn!("no RSDP from the loader");
        return;
    };
    // SAFETY: the loader gave this address as the RSDP.
    let tables = match unsafe { AcpiTables::from_rsdp(DirectMapHandler, rsdp as usize) } {
        Ok(tables) => tables,
        Err(error) => {
            log::warn!("cannot read tables at {rsdp:#x}: {error:?}");
            return;
        }
    };

    let mut info = AcpiInfo {
        local_apic_address: DEFAULT_LOCAL_APIC_ADDRESS,
        io_apics: ArrayVec::new(),
        overrides: ArrayVec::new(),
        cpu_count: 0,
        has_8259: true,
        hpet_address: None,
        pm1a_control_port: None,
        pm1b_control_port: None,
        s5_sleep_type: None,
        smi_command_port: 0,
        acpi_enable_value: 0,
    };
    match tables.find_table::<Madt>() {
        Ok(madt) => read_madt(madt.get(), &mut info),
        Err(error) => log::warn!("no MADT: {error:?}"),
    }
    if let Ok(fadt) = tables.find_table::<Fadt>() {
        read_fadt(&fadt, &mut info);
    }
    if let Ok(dsdt) = tables.dsdt() {
        let aml_len = dsdt.length as usize;
        let virt = paging::map_mmio(PhysAddr::new(dsdt.address as u64), aml_len as u64);
        // SAFETY: the DSDT's AML stream was just mapped and is never written.
        let aml = unsafe { core::slice::from_raw_parts(virt.as_ptr::<u8>(), aml_len) };
        info.s5_sleep_type = find_s5(aml);
    }
    if let Ok(hpet) = HpetInfo::new(&tables) {
        info.hpet_address = Some(hpet.base_address as u64);
    }

    log::info!(
        "{} CPU(s), local APIC {:#x}, {} I/O APIC(s), HPET {}, S5 {}",
        info.cpu_count,
        info.local_apic_address,
        info.io_apics.len(),
        if info.hpet_address.is_some() {
            "yes"
        } else {
            "no"
        },
        if info.s5_sleep_type.is_some() {
            "yes"
        } else {
            "no"
        }
    );
    INFO.call_once(|| info);
}

fn read_madt(madt: core::pin::Pin<&Madt>, info: &mut AcpiInfo) {
    info.local_apic_address = u64::from(madt.local_apic_address);
    info.has_8259 = madt.supports_8259();
    for entry in madt.entries() {
        match entry {
            MadtEntry::LocalApic(_) | MadtEntry::LocalX2Apic(_) => info.cpu_count += 1,
            MadtEntry::IoApic(io) => {
                let io_apic = IoApicInfo {
                    id: io.io_apic_id,
                    address: u64::from(io.io_apic_address),
                    gsi_base: { io.global_system_interrupt_base },
                };
                if info.io_apics.try_push(io_apic).is_err() {
                    log::warn!("more than {MAX_IO_APICS} I/O APICs, extra ignored");
                }
            }
            MadtEntry::InterruptSourceOverride(entry) if entry.bus == ISA_BUS => {
                let flags = { entry.flags };
                let route = IsaRoute {
                    gsi: { entry.global_system_interrupt },
                    active_low: flags & INTI_POLARITY_MASK == INTI_POLARITY_ACTIVE_LOW,
                    level_triggered: flags & INTI_TRIGGER_MASK == INTI_TRIGGER_LEVEL,
                };
                if info.overrides.try_push((entry.irq, route)).is_err() {
                    log::warn!("too many interrupt overrides, extra ignored");
                }
            }
            MadtEntry::LocalApicAddressOverride(entry) => {
                info.local_apic_address = entry.local_apic_address;
            }
            _ => {}
        }
    }
}

fn read_fadt(fadt: &Fadt, info: &mut AcpiInfo) {
    let io_port = |address: acpi::address::GenericAddress| {
        (address.address_space == AddressSpace::SystemIo && address.address != 0)
            .then_some(address.address as u16)
    };
    info.pm1a_control_port = fadt.pm1a_control_block().ok().and_then(io_port);
    info.pm1b_control_port = fadt.pm1b_control_block().ok().flatten().and_then(io_port);
    info.smi_command_port = { fadt.smi_cmd_port } as u16;
    info.acpi_enable_value = fadt.acpi_enable;
}

/// Finds `Name(_S5_, Package() { SLP_TYPa, SLP_TYPb, ... })` in an AML
/// stream and returns the two sleep type values.
fn find_s5(aml: &[u8]) -> Option<(u8, u8)> {
    let position = aml.windows(4).enumerate().position(|(at, window)| {
        window == b"_S5_"
            && at >= 1
            && (aml[at - 1] == AML_NAME_OP
                || (at >= 2 && aml[at - 1] == AML_ROOT_CHAR && aml[at - 2] == AML_NAME_OP))
    })?;
    let mut rest = aml.get(position + 4..)?;
    if *rest.first()? != AML_PACKAGE_OP {
        return None;
    }
    // PkgLength: the top two bits of its lead byte count the bytes after it.
    let extra_length_bytes = usize::from(*rest.get(1)? >> 6);
    rest = rest.get(2 + extra_length_bytes + 1..)?; // opcode, PkgLength, NumElements
    let (slp_typ_a, rest) = aml_small_integer(rest)?;
    let (slp_typ_b, _) = aml_small_integer(rest)?;
    Some((slp_typ_a, slp_typ_b))
}

fn aml_small_integer(aml: &[u8]) -> Option<(u8, &[u8])> {
    match *aml.first()? {
        AML_ZERO_OP => Some((0, &aml[1..])),
        AML_ONE_OP => Some((1, &aml[1..])),
        AML_BYTE_PREFIX => Some((*aml.get(1)?, aml.get(2..)?)),
        _ => None,
    }
}

/// Switches the chipset to ACPI mode if the firmware left it in legacy mode
/// (ACPI 6.5, 16.3.1), waiting a bounded time for SCI_EN.
pub(crate) fn enable_acpi_mode(info: &AcpiInfo) {
    let Some(pm1a) = info.pm1a_control_port else {
        return;
    };
    let mut control = Port::<u16>::new(pm1a);
    // SAFETY: the FADT names this port as the PM1a control register.
    if unsafe { control.read() } & PM1_SCI_ENABLE != 0 || info.smi_command_port == 0 {
        return;
    }
    let mut smi = Port::<u8>::new(info.smi_command_port);
    // SAFETY: the FADT names this port and value for the ACPI mode switch.
    unsafe { smi.write(info.acpi_enable_value) };
    for _ in 0..1_000_000 {
        // SAFETY: as above.
        if unsafe { control.read() } & PM1_SCI_ENABLE != 0 {
            return;
        }
        core::hint::spin_loop();
    }
    log::warn!("the chipset did not enter ACPI mode");
}
