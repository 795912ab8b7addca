//! Terminals: the N_TTY line discipline as a pure state machine.
//!
//! [`LineDiscipline`] holds one terminal's settings ([`Termios`],
//! [`Winsize`]) and input queue. The kernel feeds it each received byte
//! ([`LineDiscipline::receive`]) and gets back the echo to write and any
//! signal for the foreground process group; reads take complete lines in
//! canonical mode or bytes as they come in raw mode, with VMIN/VTIME
//! expressed as data by [`ReadRequest`] so that the kernel does the waiting;
//! writes go through [`LineDiscipline::process_output`]. [`JobControl`]
//! keeps the controlling session and foreground group with the rules of the
//! job-control ioctls. Nothing here touches hardware or processes, so it is
//! tested on the host; the kernel's `tty` module wires it to the serial port.
//! The behaviour follows Linux's N_TTY; the crate README lists the gaps.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod edit;
pub mod job;
mod ldisc;
mod output;
mod read;
pub mod termios;

pub use job::{Caller, Detached, JobControl};
pub use ldisc::{FlowAction, LineDiscipline, ReadOutcome, Received, INPUT_CAPACITY};
pub use read::{ReadRequest, ReadStep};
pub use termios::{Termios, Winsize, TERMIOS_SIZE, WINSIZE_SIZE};
