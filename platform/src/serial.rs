//! The COM1 serial port (a 16550 UART): the console at 115200 8N1.
//!
//! Output is polled. Input raises ISA IRQ 4, delivered to the kernel as
//! `Irq::Serial`; the handler drains the receive FIFO with [`read_byte`].

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

use x86_64::instructions::port::Port;

use crate::irq::IrqMutex;

const COM1_BASE: u16 = 0x3f8;
/// ISA interrupt line of COM1.
pub const COM1_IRQ: u8 = 4;

// Register offsets from the base port.
const REG_DATA: u16 = 0;
const REG_INTERRUPT_ENABLE: u16 = 1;
const REG_FIFO_CONTROL: u16 = 2;
const REG_LINE_CONTROL: u16 = 3;
const REG_MODEM_CONTROL: u16 = 4;
const REG_LINE_STATUS: u16 = 5;
// With the divisor latch open, offsets 0 and 1 hold the divisor.
const REG_DIVISOR_LOW: u16 = 0;
const REG_DIVISOR_HIGH: u16 = 1;

const LINE_DLAB: u8 = 1 << 7;
const LINE_8N1: u8 = 0b11;
const FIFO_ENABLE: u8 = 1 << 0;
const FIFO_CLEAR_RX: u8 = 1 << 1;
const FIFO_CLEAR_TX: u8 = 1 << 2;
const FIFO_TRIGGER_14: u8 = 0b11 << 6;
const MODEM_DTR: u8 = 1 << 0;
const MODEM_RTS: u8 = 1 << 1;
/// Gates the UART's interrupt line onto the bus on PC hardware.
const MODEM_OUT2: u8 = 1 << 3;
/// Feeds transmitted bytes straight back to the receiver.
const MODEM_LOOPBACK: u8 = 1 << 4;
const STATUS_DATA_READY: u8 = 1 << 0;
const STATUS_THR_EMPTY: u8 = 1 << 5;
const INTERRUPT_RX_AVAILABLE: u8 = 1 << 0;
/// 115200 baud from the 1.8432 MHz clock divided by 16.
const BAUD_DIVISOR: u16 = 1;

/// Guards the transmitter so lines from different contexts do not mix.
static TX_LOCK: IrqMutex<()> = IrqMutex::new(());
static INITIALIZED: AtomicBool = AtomicBool::new(false);
/// Set once a panic began: output no longer waits for the lock.
static BYPASS_LOCK: AtomicBool = AtomicBool::new(false);

fn outb(reg: u16, value: u8) {
    let mut port = Port::<u8>::new(COM1_BASE + reg);
    // SAFETY: COM1 registers; writing them only affects the UART.
    unsafe { port.write(value) };
}

fn inb(reg: u16) -> u8 {
    let mut port = Port::<u8>::new(COM1_BASE + reg);
    // SAFETY: COM1 registers; reading them has no effect beyond the UART.
    unsafe { port.read() }
}

/// Programs the UART. Safe to call more than once.
pub fn init() {
    if INITIALIZED.swap(true, Ordering::AcqRel) {
        return;
    }
    outb(REG_INTERRUPT_ENABLE, 0);
    outb(REG_LINE_CONTROL, LINE_DLAB);
    let [low, high] = BAUD_DIVISOR.to_le_bytes();
    outb(REG_DIVISOR_LOW, low);
    outb(REG_DIVISOR_HIGH, high);
    outb(REG_LINE_CONTROL, LINE_8N1);
    outb(
        REG_FIFO_CONTROL,
        FIFO_ENABLE | FIFO_CLEAR_RX | FIFO_CLEAR_TX | FIFO_TRIGGER_14,
    );
    outb(REG_MODEM_CONTROL, MODEM_DTR | MODEM_RTS | MODEM_OUT2);
}

/// Lets received bytes raise an interrupt.
pub fn enable_receive_interrupt() {
    outb(REG_INTERRUPT_ENABLE, INTERRUPT_RX_AVAILABLE);
}

/// Switches the UART's internal loopback on or off: while on, every byte
/// written is received back (and raises the receive interrupt) instead of
/// leaving the port. Used to test interrupt routing; log nothing meanwhile.
pub fn set_loopback(enabled: bool) {
    let mut control = MODEM_DTR | MODEM_RTS | MODEM_OUT2;
    if enabled {
        control |= MODEM_LOOPBACK;
    }
    with_tx(|| outb(REG_MODEM_CONTROL, control));
}

/// Takes one byte from the receive FIFO, if there is one.
pub fn read_byte() -> Option<u8> {
    if inb(REG_LINE_STATUS) & STATUS_DATA_READY != 0 {
        Some(inb(REG_DATA))
    } else {
        None
    }
}

fn write_byte_raw(byte: u8) {
    while inb(REG_LINE_STATUS) & STATUS_THR_EMPTY == 0 {
        core::hint::spin_loop();
    }
    outb(REG_DATA, byte);
}

/// Runs `f` with exclusive use of the transmitter.
fn with_tx<R>(f: impl FnOnce() -> R) -> R {
    if BYPASS_LOCK.load(Ordering::Relaxed) {
        return f();
    }
    let _guard = TX_LOCK.lock();
    f()
}

/// Writes bytes exactly as given (the tty layer does its own newline work).
pub fn write_bytes(bytes: &[u8]) {
    with_tx(|| bytes.iter().for_each(|&b| write_byte_raw(b)));
}

/// A `fmt::Write` sink that turns `\n` into `\r\n`.
pub struct SerialWriter(());

impl fmt::Write for SerialWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                write_byte_raw(b'\r');
            }
            write_byte_raw(byte);
        }
        Ok(())
    }
}

/// Formats one whole message under the transmitter lock.
pub fn write_fmt_locked(args: fmt::Arguments) {
    with_tx(|| {
        let _ = fmt::Write::write_fmt(&mut SerialWriter(()), args);
    });
}

/// From now on, write without waiting for the lock: the holder may be the
/// code that panicked. Only the panic path calls this.
pub fn bypass_lock() {
    BYPASS_LOCK.store(true, Ordering::Relaxed);
}
