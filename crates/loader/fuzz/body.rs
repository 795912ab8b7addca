//! The fuzz body, shared by the cargo-fuzz target and the host test
//! `tests/fuzz_elf.rs`. The input is a file handed to exec: its `#!` line is
//! parsed as exec reads it, an ELF's headers are validated and planned the
//! way exec reads them, and the bytes cut at NULs become argv and envp of an
//! initial stack. Each result is checked against what the loader promises.

use linux_raw_sys::auxvec::{AT_EXECFN, AT_NULL, AT_RANDOM};
use loader::elf::{self, ElfImage, ELF_HEADER_LEN, PIE_LOAD_BASE};
use loader::script::SHEBANG_MAX;
use loader::stack::{self, AuxInfo, InitialStack};
use loader::{PAGE_SIZE, USER_TOP};
use vfs::Errno;

/// The kernel's `mm::STACK_TOP`.
const STACK_TOP: u64 = 0x7fff_ffff_f000;
const WORD: u64 = 8;
/// How many of the NUL-separated strings become argv: the first byte, modulo this.
const ARGC_CHOICES: u8 = 8;

pub fn run(data: &[u8]) {
    check_script(data);
    check_elf(data);
    check_stack(data);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// A `#!` line gives a non-empty interpreter without blanks and at most one
/// trimmed argument, both taken from the first line.
fn check_script(data: &[u8]) {
    // exec decides from the first SHEBANG_MAX bytes.
    let first = &data[..data.len().min(SHEBANG_MAX)];
    let Some(result) = loader::parse_shebang(first) else {
        assert!(!first.starts_with(b"#!"));
        return;
    };
    let script = match result {
        Ok(script) => script,
        Err(error) => {
            assert_eq!(error.errno, Errno::ENOEXEC, "{error}");
            return;
        }
    };
    let line = first[2..]
        .split(|&byte| byte == b'\n')
        .next()
        .unwrap_or(&[]);
    let interpreter = &script.interpreter;
    assert!(!interpreter.is_empty());
    assert!(!interpreter.iter().any(|&byte| is_blank(byte)));
    assert!(contains(line, interpreter), "{script:?}");
    if let Some(argument) = &script.argument {
        let edges = [argument[0], argument[argument.len() - 1]];
        assert!(!edges.iter().any(|&byte| is_blank(byte) || byte == b'\r'));
        assert!(contains(line, argument), "{script:?}");
    }
}

/// Reads the headers as exec does; a rejection is ENOEXEC, an acceptance
/// obeys [`check_image`].
fn check_elf(data: &[u8]) {
    if !elf::has_elf_magic(data) || data.len() < ELF_HEADER_LEN {
        return;
    }
    let file_size = data.len() as u64;
    let header_len = match elf::header_len(&data[..ELF_HEADER_LEN], file_size) {
        Ok(len) => len,
        Err(error) => {
            assert_eq!(error.errno, Errno::ENOEXEC, "{error}");
            return;
        }
    };
    assert!(header_len >= ELF_HEADER_LEN && header_len as u64 <= file_size);

    // The loader asks only for bytes inside the file, so exec's read is
    // never short.
    let read_interp = |offset: u64, len: usize| {
        let end = offset.checked_add(len as u64);
        assert!(
            end.is_some_and(|end| end <= file_size),
            "{len} bytes at {offset}"
        );
        Ok(data[offset as usize..offset as usize + len].to_vec())
    };
    match elf::parse(&data[..header_len], file_size, read_interp) {
        Ok(image) => check_image(&image, file_size),
        Err(error) => assert_eq!(error.errno, Errno::ENOEXEC, "{error}"),
    }
}

/// Segments sorted, disjoint, inside user space and the file; the entry in
/// an executable segment; `end` and `phdr_addr` consistent with them.
fn check_image(image: &ElfImage, file_size: u64) {
    assert!(image.load_bias == 0 || image.load_bias == PIE_LOAD_BASE);
    assert!(!image.segments.is_empty());
    let mut previous_end = 0;
    for segment in &image.segments {
        let end = segment.vaddr.checked_add(segment.mem_size);
        let end = end.expect("a segment's end fits in 64 bits");
        assert!(segment.vaddr >= PAGE_SIZE && end <= USER_TOP, "{segment:?}");
        assert!(segment.vaddr >= previous_end, "segments overlap: {image:?}");
        previous_end = end;

        let file_end = segment.file_offset.checked_add(segment.file_size);
        assert!(file_end.is_some_and(|file_end| file_end <= file_size));
        assert!(segment.file_size <= segment.mem_size, "{segment:?}");
        assert_eq!(segment.vaddr % PAGE_SIZE, segment.file_offset % PAGE_SIZE);
        let (first_page, last_page) = segment.page_range();
        assert!(first_page <= segment.vaddr && end <= last_page && last_page <= USER_TOP);
    }
    assert_eq!(image.end, previous_end);

    let inside = |addr: u64, len: fn(&loader::Segment) -> u64| {
        let segments = image.segments.iter();
        segments
            .filter(|segment| (segment.vaddr..segment.vaddr + len(segment)).contains(&addr))
            .count()
    };
    let executable = image.segments.iter().filter(|segment| segment.executable);
    let entry_in = |segment: &&loader::Segment| {
        (segment.vaddr..segment.vaddr + segment.mem_size).contains(&image.entry)
    };
    assert_eq!(executable.filter(entry_in).count(), 1, "{image:?}");
    if image.phdr_addr != 0 {
        assert_eq!(inside(image.phdr_addr, |segment| segment.file_size), 1);
    }
    if let Some(interpreter) = &image.interpreter {
        assert!(!interpreter.is_empty() && !interpreter.contains('\0'));
    }
}

/// The stack holds argc, the argv and envp pointers to copies of the
/// strings, and an auxiliary vector whose pointers lead to what they name.
fn check_stack(data: &[u8]) {
    let argc = usize::from(data.first().map_or(0, |byte| byte % ARGC_CHOICES));
    let mut strings = data.split(|&byte| byte == 0).map(<[u8]>::to_vec);
    let argv: Vec<Vec<u8>> = strings.by_ref().take(argc).collect();
    let envp: Vec<Vec<u8>> = strings.collect();
    let execfn = argv.first().cloned().unwrap_or_default();
    let info = AuxInfo {
        page_size: PAGE_SIZE,
        entry: 0x40_1000,
        random: [0xa5; 16],
        sysinfo_ehdr: Some(0x7fff_f7ff_0000),
        ..AuxInfo::default()
    };
    let built = stack::build(STACK_TOP, &argv, &envp, &execfn, &info);
    if let Err(error) = stack::check_limits(&argv, &envp) {
        assert_eq!(error.errno, Errno::E2BIG);
        assert_eq!(built.expect_err("over the limits").errno, Errno::E2BIG);
        return;
    }
    let stack = built.expect("strings within the limits fit");
    assert_eq!(stack.sp % 16, 0);
    assert_eq!(stack.sp + stack.bytes.len() as u64, STACK_TOP);
    assert_eq!(word(&stack, stack.sp), argv.len() as u64);

    let envp_at = check_vector(&stack, stack.sp + WORD, &argv);
    let auxv_at = check_vector(&stack, envp_at, &envp);
    assert_eq!(range(&stack, stack.args), joined(&argv));
    assert_eq!(range(&stack, stack.env), joined(&envp));

    let mut at = auxv_at;
    loop {
        let (key, value) = (word(&stack, at), word(&stack, at + WORD));
        at += 2 * WORD;
        match u32::try_from(key) {
            Ok(AT_NULL) => break,
            Ok(AT_RANDOM) => assert_eq!(range(&stack, (value, value + 16)), info.random),
            Ok(AT_EXECFN) => assert_eq!(cstr(&stack, value), execfn),
            _ => {}
        }
    }
    assert!(at <= STACK_TOP);
}

/// Checks the NULL-terminated pointer array at `at` against `strings`;
/// returns where the next one starts.
fn check_vector(stack: &InitialStack, at: u64, strings: &[Vec<u8>]) -> u64 {
    for (index, string) in strings.iter().enumerate() {
        let pointer = word(stack, at + index as u64 * WORD);
        assert_eq!(&cstr(stack, pointer), string);
    }
    let end = at + strings.len() as u64 * WORD;
    assert_eq!(word(stack, end), 0);
    end + WORD
}

fn offset(stack: &InitialStack, addr: u64) -> usize {
    assert!(
        addr >= stack.sp && addr < STACK_TOP,
        "{addr:#x} is off the stack"
    );
    (addr - stack.sp) as usize
}

fn word(stack: &InitialStack, addr: u64) -> u64 {
    let at = offset(stack, addr);
    let bytes = stack
        .bytes
        .get(at..at + 8)
        .expect("a whole word on the stack");
    u64::from_le_bytes(bytes.try_into().expect("eight bytes"))
}

fn cstr(stack: &InitialStack, addr: u64) -> Vec<u8> {
    let rest = &stack.bytes[offset(stack, addr)..];
    let len = rest.iter().position(|&byte| byte == 0);
    rest[..len.expect("a string ends on the stack")].to_vec()
}

fn range(stack: &InitialStack, (start, end): (u64, u64)) -> Vec<u8> {
    assert!(start <= end && end <= STACK_TOP);
    if start == end {
        return Vec::new();
    }
    stack.bytes[offset(stack, start)..offset(stack, end - 1) + 1].to_vec()
}

fn joined(strings: &[Vec<u8>]) -> Vec<u8> {
    strings
        .iter()
        .flat_map(|string| string.iter().copied().chain([0]))
        .collect()
}
