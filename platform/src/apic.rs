//! The local APIC (timer, EOI), the I/O APIC (device interrupts) and the
//! legacy 8259 PIC, which is only remapped and masked.
//!
//! The local APIC is driven through MSRs in x2APIC mode when the CPU has it,
//! else through its memory-mapped page (Intel SDM vol. 3, chapter 11).

use core::sync::atomic::{AtomicU8, Ordering};

use spin::Once;
use x86_64::instructions::port::Port;
use x86_64::registers::model_specific::Msr;
use x86_64::PhysAddr;

use crate::acpi::{self, IoApicInfo};
use crate::arch::trap::SPURIOUS_VECTOR;
use crate::cpu;
use crate::irq::IrqMutex;
use crate::mm::paging;

const IA32_APIC_BASE: u32 = 0x1b;
const APIC_BASE_X2APIC_ENABLE: u64 = 1 << 10;
const APIC_BASE_GLOBAL_ENABLE: u64 = 1 << 11;
/// x2APIC register `r` (xAPIC offset) is MSR `X2APIC_MSR_BASE + r / 16`.
const X2APIC_MSR_BASE: u32 = 0x800;

// Local APIC register offsets.
const REG_ID: u32 = 0x20;
const REG_TASK_PRIORITY: u32 = 0x80;
const REG_EOI: u32 = 0xb0;
const REG_INTERRUPT_COMMAND_LOW: u32 = 0x300;
/// x2APIC only: sends an IPI to this CPU.
const REG_X2APIC_SELF_IPI: u32 = 0x3f0;
const REG_SPURIOUS: u32 = 0xf0;
const REG_LVT_TIMER: u32 = 0x320;
const REG_LVT_LINT0: u32 = 0x350;
const REG_LVT_LINT1: u32 = 0x360;
const REG_LVT_ERROR: u32 = 0x370;
const REG_TIMER_INITIAL_COUNT: u32 = 0x380;
const REG_TIMER_CURRENT_COUNT: u32 = 0x390;
const REG_TIMER_DIVIDE: u32 = 0x3e0;

const SPURIOUS_APIC_ENABLE: u32 = 1 << 8;
const ICR_DESTINATION_SELF: u32 = 0b01 << 18;
const ICR_DELIVERY_PENDING: u32 = 1 << 12;
const LVT_MASKED: u32 = 1 << 16;
const LVT_TIMER_PERIODIC: u32 = 1 << 17;
const TIMER_DIVIDE_BY_16: u32 = 0b0011;
/// Size of the local APIC register page.
const LOCAL_APIC_MMIO_SIZE: u64 = 4096;

// I/O APIC registers (82093AA datasheet).
const IOAPIC_REG_SELECT: u64 = 0x00;
const IOAPIC_REG_WINDOW: u64 = 0x10;
const IOAPIC_VERSION: u32 = 0x01;
const IOAPIC_REDIRECTION_BASE: u32 = 0x10;
const IOAPIC_MMIO_SIZE: u64 = 0x20;
const REDIRECT_ACTIVE_LOW: u32 = 1 << 13;
const REDIRECT_LEVEL: u32 = 1 << 15;
const REDIRECT_MASKED: u32 = 1 << 16;
const REDIRECT_DESTINATION_SHIFT: u32 = 24;

// 8259 PIC ports and initialization words.
const PIC1_COMMAND: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_COMMAND: u16 = 0xa0;
const PIC2_DATA: u16 = 0xa1;
const PIC_ICW1_INIT_WITH_ICW4: u8 = 0x11;
const PIC_ICW4_8086: u8 = 0x01;
/// The PICs are moved to otherwise unused vectors so a stray interrupt from
/// them can never look like an exception.
const PIC1_VECTOR_BASE: u8 = 0xf0;
const PIC2_VECTOR_BASE: u8 = 0xf8;
const PIC_CASCADE_IRQ: u8 = 2;
const PIC_MASK_ALL: u8 = 0xff;

enum LocalApic {
    X2Apic,
    XApic { base: u64 },
}

static LOCAL_APIC: Once<LocalApic> = Once::new();
static IO_APIC_LOCK: IrqMutex<()> = IrqMutex::new(());
static BSP_APIC_ID: AtomicU8 = AtomicU8::new(0);

fn read(reg: u32) -> u32 {
    match LOCAL_APIC.get() {
        Some(LocalApic::X2Apic) => {
            // SAFETY: x2APIC mode is on, so this MSR is a local APIC register.
            unsafe { Msr::new(X2APIC_MSR_BASE + reg / 16).read() as u32 }
        }
        Some(LocalApic::XApic { base }) => {
            // SAFETY: `base` maps the local APIC page uncached; registers are
            // 32-bit and 16-byte aligned.
            unsafe { ((base + u64::from(reg)) as *const u32).read_volatile() }
        }
        None => 0,
    }
}

fn write(reg: u32, value: u32) {
    match LOCAL_APIC.get() {
        Some(LocalApic::X2Apic) => {
            // SAFETY: as in `read`.
            unsafe { Msr::new(X2APIC_MSR_BASE + reg / 16).write(u64::from(value)) }
        }
        Some(LocalApic::XApic { base }) => {
            // SAFETY: as in `read`.
            unsafe { ((base + u64::from(reg)) as *mut u32).write_volatile(value) }
        }
        None => {}
    }
}

/// Signals the end of the current interrupt to the local APIC.
pub fn end_of_interrupt() {
    write(REG_EOI, 0);
}

/// Raises interrupt `vector` on this CPU.
pub fn send_self_ipi(vector: u8) {
    match LOCAL_APIC.get() {
        Some(LocalApic::X2Apic) => write(REG_X2APIC_SELF_IPI, u32::from(vector)),
        Some(LocalApic::XApic { .. }) => {
            write(
                REG_INTERRUPT_COMMAND_LOW,
                ICR_DESTINATION_SELF | u32::from(vector),
            );
            while read(REG_INTERRUPT_COMMAND_LOW) & ICR_DELIVERY_PENDING != 0 {
                core::hint::spin_loop();
            }
        }
        None => log::warn!("no local APIC to send an IPI through"),
    }
}

/// This CPU's local APIC ID.
pub fn id() -> u32 {
    match LOCAL_APIC.get() {
        Some(LocalApic::X2Apic) => read(REG_ID),
        _ => read(REG_ID) >> 24,
    }
}

/// Masks the PIC and enables this CPU's local APIC (timer still off).
pub(crate) fn init() {
    mask_legacy_pic();

    let base_address = acpi::info().map_or(acpi::DEFAULT_LOCAL_APIC_ADDRESS, |info| {
        info.local_apic_address
    });
    let mut base_msr = Msr::new(IA32_APIC_BASE);
    // SAFETY: IA32_APIC_BASE exists on every CPU with a local APIC.
    let base_value = unsafe { base_msr.read() };
    let mode = if cpu::features().x2apic {
        let value = base_value | APIC_BASE_GLOBAL_ENABLE | APIC_BASE_X2APIC_ENABLE;
        // SAFETY: enabling x2APIC mode, which CPUID says exists.
        unsafe { base_msr.write(value) };
        LocalApic::X2Apic
    } else {
        // SAFETY: sets the global enable bit, keeping the base address.
        unsafe { base_msr.write(base_value | APIC_BASE_GLOBAL_ENABLE) };
        let virt = paging::map_mmio(PhysAddr::new(base_address), LOCAL_APIC_MMIO_SIZE);
        LocalApic::XApic {
            base: virt.as_u64(),
        }
    };
    let x2apic = matches!(mode, LocalApic::X2Apic);
    LOCAL_APIC.call_once(|| mode);

    write(REG_TASK_PRIORITY, 0);
    write(REG_LVT_TIMER, LVT_MASKED);
    write(REG_LVT_LINT0, LVT_MASKED);
    write(REG_LVT_LINT1, LVT_MASKED);
    write(REG_LVT_ERROR, LVT_MASKED);
    write(
        REG_SPURIOUS,
        SPURIOUS_APIC_ENABLE | u32::from(SPURIOUS_VECTOR),
    );
    BSP_APIC_ID.store(id() as u8, Ordering::Relaxed);
    log::info!(
        "local APIC {} in {} mode",
        id(),
        if x2apic { "x2APIC" } else { "xAPIC" }
    );

    if let Some(info) = acpi::info() {
        for io_apic in &info.io_apics {
            mask_io_apic(io_apic);
        }
    }
}

fn mask_legacy_pic() {
    let mut pic1_command = Port::<u8>::new(PIC1_COMMAND);
    let mut pic1_data = Port::<u8>::new(PIC1_DATA);
    let mut pic2_command = Port::<u8>::new(PIC2_COMMAND);
    let mut pic2_data = Port::<u8>::new(PIC2_DATA);
    // SAFETY: the standard 8259 initialization sequence, then a full mask;
    // afterwards the PICs raise nothing.
    unsafe {
        pic1_command.write(PIC_ICW1_INIT_WITH_ICW4);
        pic2_command.write(PIC_ICW1_INIT_WITH_ICW4);
        pic1_data.write(PIC1_VECTOR_BASE);
        pic2_data.write(PIC2_VECTOR_BASE);
        pic1_data.write(1 << PIC_CASCADE_IRQ);
        pic2_data.write(PIC_CASCADE_IRQ);
        pic1_data.write(PIC_ICW4_8086);
        pic2_data.write(PIC_ICW4_8086);
        pic1_data.write(PIC_MASK_ALL);
        pic2_data.write(PIC_MASK_ALL);
    }
}

/// Starts the counter from its maximum with the timer interrupt masked.
pub(crate) fn timer_calibration_start() {
    write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    write(REG_LVT_TIMER, LVT_MASKED);
    write(REG_TIMER_INITIAL_COUNT, u32::MAX);
}

/// Counts elapsed since [`timer_calibration_start`].
pub(crate) fn timer_calibration_elapsed() -> u32 {
    u32::MAX - read(REG_TIMER_CURRENT_COUNT)
}

/// Starts the periodic timer interrupt with `initial_count` counts (at
/// divide-by-16) per tick.
pub(crate) fn start_periodic_timer(vector: u8, initial_count: u32) {
    write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    write(REG_LVT_TIMER, LVT_TIMER_PERIODIC | u32::from(vector));
    write(REG_TIMER_INITIAL_COUNT, initial_count.max(1));
}

/// Register access to one I/O APIC.
struct IoApic {
    base: u64,
}

impl IoApic {
    fn new(info: &IoApicInfo) -> Self {
        Self {
            base: paging::map_mmio(PhysAddr::new(info.address), IOAPIC_MMIO_SIZE).as_u64(),
        }
    }

    fn read(&self, reg: u32) -> u32 {
        // SAFETY: `base` maps the I/O APIC's select and window registers;
        // callers hold IO_APIC_LOCK so the pair is used atomically.
        unsafe {
            ((self.base + IOAPIC_REG_SELECT) as *mut u32).write_volatile(reg);
            ((self.base + IOAPIC_REG_WINDOW) as *const u32).read_volatile()
        }
    }

    fn write(&self, reg: u32, value: u32) {
        // SAFETY: as in `read`.
        unsafe {
            ((self.base + IOAPIC_REG_SELECT) as *mut u32).write_volatile(reg);
            ((self.base + IOAPIC_REG_WINDOW) as *mut u32).write_volatile(value);
        }
    }

    fn redirection_count(&self) -> u32 {
        ((self.read(IOAPIC_VERSION) >> 16) & 0xff) + 1
    }
}

fn mask_io_apic(info: &IoApicInfo) {
    let _guard = IO_APIC_LOCK.lock();
    let io_apic = IoApic::new(info);
    for entry in 0..io_apic.redirection_count() {
        io_apic.write(IOAPIC_REDIRECTION_BASE + 2 * entry, REDIRECT_MASKED);
    }
}

/// Routes ISA IRQ `irq` to `vector` on the boot CPU. Returns false when there
/// is no I/O APIC serving it.
pub fn route_isa_irq(irq: u8, vector: u8) -> bool {
    let Some(info) = acpi::info() else {
        return false;
    };
    let route = info.isa_route(irq);
    let serving = info.io_apics.iter().filter(|io| io.gsi_base <= route.gsi);
    let Some(io_apic_info) = serving.max_by_key(|io| io.gsi_base) else {
        return false;
    };
    let _guard = IO_APIC_LOCK.lock();
    let io_apic = IoApic::new(io_apic_info);
    let entry = route.gsi - io_apic_info.gsi_base;
    if entry >= io_apic.redirection_count() {
        return false;
    }
    let mut low = u32::from(vector);
    if route.active_low {
        low |= REDIRECT_ACTIVE_LOW;
    }
    if route.level_triggered {
        low |= REDIRECT_LEVEL;
    }
    let high = u32::from(BSP_APIC_ID.load(Ordering::Relaxed)) << REDIRECT_DESTINATION_SHIFT;
    io_apic.write(IOAPIC_REDIRECTION_BASE + 2 * entry + 1, high);
    io_apic.write(IOAPIC_REDIRECTION_BASE + 2 * entry, low);
    log::debug!("ISA IRQ {irq} -> GSI {} -> vector {vector:#x}", route.gsi);
    true
}
