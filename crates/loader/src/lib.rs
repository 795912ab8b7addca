//! Program loading that needs no hardware: validating ELF executables and
//! describing their segments ([`elf`]), `#!` scripts ([`script`]), and the
//! initial user stack with argv, envp and the auxiliary vector ([`stack`]).
//!
//! The kernel reads files and maps pages; this crate decides what goes where,
//! so it can be tested and fuzzed on the host with hostile inputs.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod elf;
pub mod script;
pub mod stack;

pub use elf::{ElfImage, Segment};
pub use script::{parse_shebang, Shebang};
pub use stack::{AuxInfo, InitialStack};

pub const PAGE_SIZE: u64 = 4096;

/// The end of the user half of the address space (47-bit canonical), less
/// one guard page as Linux keeps (`TASK_SIZE_MAX`).
pub const USER_TOP: u64 = 0x0000_7fff_ffff_f000;

pub const fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

pub const fn page_up(addr: u64) -> u64 {
    page_down(addr.saturating_add(PAGE_SIZE - 1))
}
