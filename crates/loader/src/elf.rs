//! ELF executables: validate the headers and describe what to map.
//!
//! Only the headers are parsed (the caller reads `header_len` bytes from the
//! file first), so exec never copies a whole binary into the kernel.

use alloc::string::String;
use alloc::vec::Vec;

use elf::abi::EI_NIDENT;
use elf::abi::{EM_X86_64, ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD};
use elf::endian::LittleEndian;
use elf::file::Class;
use elf::file::FileHeader;
use elf::segment::SegmentTable;
use vfs::{Errno, Error, Result};

use crate::{page_down, page_up, PAGE_SIZE, USER_TOP};

/// Bytes of the ELF file header; enough to find the program headers.
pub const ELF_HEADER_LEN: usize = 64;

/// Where a position-independent executable is placed (Linux's
/// `ELF_ET_DYN_BASE` with randomization off: two thirds of the user space).
pub const PIE_LOAD_BASE: u64 = 0x5555_5555_4000;

/// Program headers past this count are refused (Linux's limit is 64 KiB of headers).
const MAX_PROGRAM_HEADERS: u16 = 1024;

const PATH_MAX: u64 = 4096;

fn noexec(reason: &'static str) -> Error {
    Error::with_reason(Errno::ENOEXEC, reason)
}

/// One `PT_LOAD` segment, already relocated by the load bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub mem_size: u64,
    pub file_offset: u64,
    pub file_size: u64,
    pub readable: bool,
    pub writable: bool,
    pub executable: bool,
}

impl Segment {
    /// The page-aligned range the segment occupies.
    pub fn page_range(&self) -> (u64, u64) {
        (page_down(self.vaddr), page_up(self.vaddr + self.mem_size))
    }
}

/// What exec needs to know about an executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfImage {
    /// Entry point, relocated.
    pub entry: u64,
    /// Added to every address of a position-independent image; 0 otherwise.
    pub load_bias: u64,
    pub segments: Vec<Segment>,
    /// Address of the program headers in memory (AT_PHDR), when mapped.
    pub phdr_addr: u64,
    pub phdr_count: u16,
    pub phdr_entry_size: u16,
    /// The program interpreter (`PT_INTERP`), for dynamically linked programs.
    pub interpreter: Option<String>,
    /// Whether `PT_GNU_STACK` asks for an executable stack.
    pub executable_stack: bool,
    /// The end of the highest segment: where the heap (`brk`) starts.
    pub end: u64,
}

/// Program header entries are 56 bytes in ELF64.
const PROGRAM_HEADER_SIZE: u16 = 56;

fn file_header(bytes: &[u8]) -> Result<FileHeader<LittleEndian>> {
    let ident = bytes
        .get(..EI_NIDENT)
        .ok_or(noexec("truncated elf header"))?;
    let tail = bytes
        .get(EI_NIDENT..ELF_HEADER_LEN)
        .ok_or(noexec("truncated elf header"))?;
    let ident =
        elf::file::parse_ident::<LittleEndian>(ident).map_err(|_| noexec("bad elf ident"))?;
    FileHeader::parse_tail(ident, tail).map_err(|_| noexec("bad elf header"))
}

/// How many bytes of the file `parse` needs, from the first
/// [`ELF_HEADER_LEN`] bytes: the file header plus the program headers, which
/// must lie within the file's `file_size` bytes.
pub fn header_len(first: &[u8], file_size: u64) -> Result<usize> {
    let header = file_header(first)?;
    if header.e_phnum > MAX_PROGRAM_HEADERS {
        return Err(noexec("too many program headers"));
    }
    if header.e_phentsize != PROGRAM_HEADER_SIZE {
        return Err(noexec("program header entries of the wrong size"));
    }
    let table_len = header.e_phnum as u64 * header.e_phentsize as u64;
    let end = header
        .e_phoff
        .checked_add(table_len)
        .ok_or(noexec("program headers overflow"))?;
    if end > file_size {
        return Err(noexec("program headers past the end of the file"));
    }
    usize::try_from(end.max(ELF_HEADER_LEN as u64)).map_err(|_| noexec("program headers overflow"))
}

/// Parses and validates an executable from its first `header_len` bytes.
/// `file_size` bounds the segments' file ranges; `read_interp` reads the
/// `PT_INTERP` path (offset, length) from the file.
pub fn parse(
    headers: &[u8],
    file_size: u64,
    read_interp: impl FnOnce(u64, usize) -> Result<Vec<u8>>,
) -> Result<ElfImage> {
    let header = file_header(headers)?;
    if header.class != Class::ELF64 {
        return Err(noexec("not a 64-bit elf"));
    }
    if header.e_machine != EM_X86_64 {
        return Err(noexec("not an x86_64 elf"));
    }
    let load_bias = match header.e_type {
        ET_EXEC => 0,
        ET_DYN => PIE_LOAD_BASE,
        _ => return Err(noexec("not an executable")),
    };
    if header.e_phentsize != PROGRAM_HEADER_SIZE || header.e_phnum == 0 {
        return Err(noexec("bad program header table"));
    }
    let table_start = usize::try_from(header.e_phoff).map_err(|_| noexec("bad phoff"))?;
    let table_len = header.e_phnum as usize * PROGRAM_HEADER_SIZE as usize;
    let table = table_start
        .checked_add(table_len)
        .and_then(|end| headers.get(table_start..end))
        .ok_or(noexec("program headers past the end"))?;
    let phdrs = SegmentTable::new(LittleEndian, Class::ELF64, table);

    let mut image = ElfImage {
        entry: 0,
        load_bias,
        segments: Vec::new(),
        phdr_addr: 0,
        phdr_count: header.e_phnum,
        phdr_entry_size: header.e_phentsize,
        interpreter: None,
        executable_stack: false,
        end: 0,
    };
    let mut interp_range = None;
    for phdr in phdrs.iter() {
        match phdr.p_type {
            PT_LOAD => image
                .segments
                .push(load_segment(&phdr, load_bias, file_size)?),
            PT_INTERP => {
                if phdr.p_filesz == 0 || phdr.p_filesz > PATH_MAX {
                    return Err(noexec("bad interpreter path"));
                }
                // Like Linux, a path the file cannot hold whole is refused,
                // rather than read short.
                let end = phdr.p_offset.checked_add(phdr.p_filesz);
                if end.is_none_or(|end| end > file_size) {
                    return Err(noexec("interpreter path past the end of the file"));
                }
                interp_range = Some((phdr.p_offset, phdr.p_filesz as usize));
            }
            PT_GNU_STACK => image.executable_stack = phdr.p_flags & PF_X != 0,
            _ => {}
        }
    }
    if image.segments.is_empty() {
        return Err(noexec("no loadable segments"));
    }
    check_no_overlap(&mut image.segments)?;

    image.entry = header
        .e_entry
        .checked_add(load_bias)
        .ok_or(noexec("bad entry"))?;
    if !image
        .segments
        .iter()
        .any(|s| s.executable && contains(s, image.entry))
    {
        return Err(noexec("entry point outside executable segments"));
    }
    image.end = image
        .segments
        .iter()
        .map(|s| s.vaddr + s.mem_size)
        .max()
        .unwrap_or(0);
    image.phdr_addr = phdr_address(&image.segments, header.e_phoff).unwrap_or(0);
    if let Some((offset, len)) = interp_range {
        image.interpreter = Some(interpreter_path(read_interp(offset, len)?)?);
    }
    Ok(image)
}

fn load_segment(phdr: &elf::segment::ProgramHeader, bias: u64, file_size: u64) -> Result<Segment> {
    let vaddr = phdr
        .p_vaddr
        .checked_add(bias)
        .ok_or(noexec("segment address overflow"))?;
    let end = vaddr
        .checked_add(phdr.p_memsz)
        .ok_or(noexec("segment size overflow"))?;
    let file_end = phdr
        .p_offset
        .checked_add(phdr.p_filesz)
        .ok_or(noexec("segment offset overflow"))?;
    if phdr.p_filesz > phdr.p_memsz {
        return Err(noexec("segment file size exceeds memory size"));
    }
    if file_end > file_size {
        return Err(noexec("segment past the end of the file"));
    }
    if end > USER_TOP || vaddr < PAGE_SIZE {
        return Err(noexec("segment outside user space"));
    }
    if vaddr % PAGE_SIZE != phdr.p_offset % PAGE_SIZE {
        return Err(noexec("segment offset and address not congruent"));
    }
    Ok(Segment {
        vaddr,
        mem_size: phdr.p_memsz,
        file_offset: phdr.p_offset,
        file_size: phdr.p_filesz,
        readable: phdr.p_flags & PF_R != 0,
        writable: phdr.p_flags & PF_W != 0,
        executable: phdr.p_flags & PF_X != 0,
    })
}

fn contains(segment: &Segment, addr: u64) -> bool {
    addr >= segment.vaddr && addr < segment.vaddr + segment.mem_size
}

/// Segments must not share pages with different contents, except where the
/// end of one and the start of the next fall in the same page (common in
/// linker output), which the caller maps with the union of permissions.
fn check_no_overlap(segments: &mut [Segment]) -> Result<()> {
    segments.sort_by_key(|s| s.vaddr);
    for pair in segments.windows(2) {
        if pair[0].vaddr + pair[0].mem_size > pair[1].vaddr {
            return Err(noexec("overlapping segments"));
        }
    }
    Ok(())
}

/// Where the program headers are visible in memory: inside the segment that
/// maps their file offset.
fn phdr_address(segments: &[Segment], phoff: u64) -> Option<u64> {
    segments
        .iter()
        .find(|s| phoff >= s.file_offset && phoff < s.file_offset + s.file_size)
        .map(|s| s.vaddr + (phoff - s.file_offset))
}

fn interpreter_path(mut bytes: Vec<u8>) -> Result<String> {
    if bytes.last() == Some(&0) {
        bytes.pop();
    }
    if bytes.is_empty() || bytes.contains(&0) {
        return Err(noexec("bad interpreter path"));
    }
    String::from_utf8(bytes).map_err(|_| noexec("bad interpreter path"))
}

/// Whether `first` starts like an ELF file (so a failure to parse is ENOEXEC,
/// not a reason to try it as a script).
pub fn has_elf_magic(first: &[u8]) -> bool {
    first.starts_with(&[0x7f, b'E', b'L', b'F'])
}

#[cfg(test)]
#[path = "elf_tests.rs"]
mod tests;
