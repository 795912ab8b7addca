use super::*;
use alloc::vec;
use alloc::vec::Vec;

struct Phdr {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    file_size: u64,
    mem_size: u64,
}

fn text(vaddr: u64) -> Phdr {
    Phdr {
        kind: PT_LOAD,
        flags: PF_R | PF_X,
        offset: 0,
        vaddr,
        file_size: 0x200,
        mem_size: 0x200,
    }
}

fn build(e_type: u16, entry: u64, phdrs: &[Phdr]) -> Vec<u8> {
    let mut out = vec![0u8; 64];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2; // ELFCLASS64
    out[5] = 1; // little endian
    out[6] = 1; // EV_CURRENT
    out[16..18].copy_from_slice(&e_type.to_le_bytes());
    out[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[24..32].copy_from_slice(&entry.to_le_bytes());
    out[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    out[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    out[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    out[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
    for p in phdrs {
        out.extend_from_slice(&p.kind.to_le_bytes());
        out.extend_from_slice(&p.flags.to_le_bytes());
        out.extend_from_slice(&p.offset.to_le_bytes());
        out.extend_from_slice(&p.vaddr.to_le_bytes());
        out.extend_from_slice(&p.vaddr.to_le_bytes());
        out.extend_from_slice(&p.file_size.to_le_bytes());
        out.extend_from_slice(&p.mem_size.to_le_bytes());
        out.extend_from_slice(&0x1000u64.to_le_bytes());
    }
    out.resize(0x1000, 0);
    out
}

fn parse_all(bytes: &[u8]) -> Result<ElfImage> {
    let len = header_len(&bytes[..ELF_HEADER_LEN], bytes.len() as u64)?;
    parse(
        &bytes[..len.min(bytes.len())],
        bytes.len() as u64,
        |offset, len| Ok(bytes[offset as usize..offset as usize + len].to_vec()),
    )
}

fn errno_of(bytes: &[u8]) -> Errno {
    parse_all(bytes).unwrap_err().errno
}

#[test]
fn static_executable_keeps_its_addresses() {
    let image = parse_all(&build(ET_EXEC, 0x401000, &[text(0x401000)])).unwrap();
    assert_eq!(image.entry, 0x401000);
    assert_eq!(image.load_bias, 0);
    assert_eq!(image.segments.len(), 1);
    assert!(image.segments[0].executable && !image.segments[0].writable);
    assert_eq!(image.phdr_addr, 0x401000 + 64);
}

#[test]
fn pie_is_moved_to_the_load_base() {
    let image = parse_all(&build(ET_DYN, 0x1000, &[text(0x1000)])).unwrap();
    assert_eq!(image.entry, PIE_LOAD_BASE + 0x1000);
    assert_eq!(image.segments[0].vaddr, PIE_LOAD_BASE + 0x1000);
}

#[test]
fn interpreter_path_is_read() {
    let mut phdrs = vec![text(0x401000)];
    phdrs.push(Phdr {
        kind: PT_INTERP,
        flags: PF_R,
        offset: 0x300,
        vaddr: 0,
        file_size: 8,
        mem_size: 8,
    });
    let mut bytes = build(ET_EXEC, 0x401000, &phdrs);
    bytes[0x300..0x308].copy_from_slice(b"/lib/ld\0");
    assert_eq!(
        parse_all(&bytes).unwrap().interpreter.as_deref(),
        Some("/lib/ld")
    );
}

fn with_interpreter(offset: u64, file_size: u64) -> Vec<u8> {
    let interp = Phdr {
        kind: PT_INTERP,
        flags: PF_R,
        offset,
        vaddr: 0,
        file_size,
        mem_size: file_size,
    };
    build(ET_EXEC, 0x401000, &[text(0x401000), interp])
}

#[test]
fn interpreter_past_the_end_of_the_file_is_enoexec() {
    for offset in [0xff8, 0x1000, u64::MAX - 4] {
        let bytes = with_interpreter(offset, 16);
        let read_past_end = |_, _| panic!("the loader read past the end of the file");
        let image = parse(&bytes, bytes.len() as u64, read_past_end);
        assert_eq!(
            image.unwrap_err().errno,
            Errno::ENOEXEC,
            "offset {offset:#x}"
        );
    }
}

#[test]
fn empty_interpreter_path_is_enoexec() {
    let bytes = with_interpreter(0x300, 1);
    assert_eq!(errno_of(&bytes), Errno::ENOEXEC);
}

#[test]
fn wrong_machine_or_class_is_enoexec() {
    let mut bytes = build(ET_EXEC, 0x401000, &[text(0x401000)]);
    bytes[18] = 3; // EM_386
    assert_eq!(errno_of(&bytes), Errno::ENOEXEC);
    let mut bytes = build(ET_EXEC, 0x401000, &[text(0x401000)]);
    bytes[4] = 1; // ELFCLASS32
    assert_eq!(errno_of(&bytes), Errno::ENOEXEC);
}

#[test]
fn segment_past_end_of_file_is_enoexec() {
    let mut segment = text(0x401000);
    segment.file_size = 0x10_0000;
    segment.mem_size = 0x10_0000;
    assert_eq!(
        errno_of(&build(ET_EXEC, 0x401000, &[segment])),
        Errno::ENOEXEC
    );
}

#[test]
fn kernel_space_segment_is_enoexec() {
    let segment = text(0xffff_ffff_8000_0000);
    assert_eq!(
        errno_of(&build(ET_EXEC, 0xffff_ffff_8000_0000, &[segment])),
        Errno::ENOEXEC
    );
}

#[test]
fn entry_outside_code_is_enoexec() {
    assert_eq!(
        errno_of(&build(ET_EXEC, 0x9000_0000, &[text(0x401000)])),
        Errno::ENOEXEC
    );
}

#[test]
fn overlapping_segments_are_enoexec() {
    let phdrs = [text(0x401000), text(0x401100)];
    assert_eq!(errno_of(&build(ET_EXEC, 0x401000, &phdrs)), Errno::ENOEXEC);
}

#[test]
fn truncated_files_never_panic() {
    let bytes = build(ET_EXEC, 0x401000, &[text(0x401000)]);
    for len in 0..200 {
        let prefix = &bytes[..len];
        let _ = header_len(prefix, len as u64).and_then(|n| {
            parse(prefix.get(..n).unwrap_or(prefix), len as u64, |_, _| {
                Ok(Vec::new())
            })
        });
    }
}

proptest::proptest! {
    #[test]
    fn random_headers_never_panic(mut bytes in proptest::collection::vec(0u8..=255, 64..512)) {
        bytes[..4].copy_from_slice(b"\x7fELF");
        let size = bytes.len() as u64;
        let _ = header_len(&bytes[..ELF_HEADER_LEN], size).and_then(|n| {
            parse(bytes.get(..n).unwrap_or(&bytes), size, |_, _| Ok(Vec::new()))
        });
    }
}

#[test]
fn program_headers_must_lie_in_the_file() {
    let mut bytes = build(ET_EXEC, 0x401000, &[text(0x401000)]);
    // e_phoff far past the end of the file (a fuzzed header once made the
    // kernel try to allocate that much).
    bytes[32..40].copy_from_slice(&0xe900_0000_0000u64.to_le_bytes());
    assert_eq!(errno_of(&bytes), Errno::ENOEXEC);
    let mut bytes = build(ET_EXEC, 0x401000, &[text(0x401000)]);
    bytes[54..56].copy_from_slice(&0xffffu16.to_le_bytes()); // e_phentsize
    assert_eq!(errno_of(&bytes), Errno::ENOEXEC);
}
