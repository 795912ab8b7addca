use super::*;
use alloc::vec::Vec;

const TOP: u64 = 0x7fff_0000_0000;

fn word(stack: &InitialStack, addr: u64) -> u64 {
    let offset = (addr - stack.sp) as usize;
    u64::from_le_bytes(stack.bytes[offset..offset + 8].try_into().unwrap())
}

fn cstr(stack: &InitialStack, addr: u64) -> Vec<u8> {
    let offset = (addr - stack.sp) as usize;
    let len = stack.bytes[offset..].iter().position(|&b| b == 0).unwrap();
    stack.bytes[offset..offset + len].to_vec()
}

fn sample() -> InitialStack {
    let argv = [b"/bin/sh".to_vec(), b"-c".to_vec(), b"echo hi".to_vec()];
    let envp = [b"PATH=/bin".to_vec()];
    let info = AuxInfo {
        page_size: 4096,
        entry: 0x401000,
        random: [7; 16],
        ..AuxInfo::default()
    };
    build(TOP, &argv, &envp, b"/bin/sh", &info).unwrap()
}

#[test]
fn sp_is_sixteen_byte_aligned_and_starts_with_argc() {
    let stack = sample();
    assert_eq!(stack.sp % 16, 0);
    assert_eq!(word(&stack, stack.sp), 3);
    assert_eq!(stack.sp + stack.bytes.len() as u64, TOP);
}

#[test]
fn argv_and_envp_point_at_their_strings() {
    let stack = sample();
    assert_eq!(cstr(&stack, word(&stack, stack.sp + 8)), b"/bin/sh");
    assert_eq!(cstr(&stack, word(&stack, stack.sp + 24)), b"echo hi");
    assert_eq!(word(&stack, stack.sp + 32), 0);
    assert_eq!(cstr(&stack, word(&stack, stack.sp + 40)), b"PATH=/bin");
    assert_eq!(word(&stack, stack.sp + 48), 0);
}

#[test]
fn auxv_carries_random_execfn_and_ends_with_null() {
    let stack = sample();
    let mut addr = stack.sp + 56;
    let mut seen = Vec::new();
    loop {
        let (key, value) = (word(&stack, addr), word(&stack, addr + 8));
        if key == aux::AT_NULL as u64 {
            break;
        }
        seen.push((key, value));
        addr += 16;
    }
    let get = |k: u32| seen.iter().find(|(key, _)| *key == k as u64).unwrap().1;
    assert_eq!(get(aux::AT_PAGESZ), 4096);
    assert_eq!(get(aux::AT_ENTRY), 0x401000);
    assert_eq!(cstr(&stack, get(aux::AT_EXECFN)), b"/bin/sh");
    let random = (get(aux::AT_RANDOM) - stack.sp) as usize;
    assert_eq!(stack.bytes[random..random + 16], [7; 16]);
}

#[test]
fn saved_auxv_is_the_vector_on_the_stack() {
    let stack = sample();
    let offset = 56;
    assert_eq!(stack.auxv.len() % 16, 0);
    assert_eq!(
        stack.bytes[offset..offset + stack.auxv.len()],
        stack.auxv[..]
    );
    assert_eq!(stack.auxv[stack.auxv.len() - 16..], [0; 16]);
}

#[test]
fn cmdline_range_covers_the_argument_strings() {
    let stack = sample();
    let (start, end) = stack.args;
    let offset = (start - stack.sp) as usize;
    let bytes = &stack.bytes[offset..offset + (end - start) as usize];
    assert_eq!(bytes, b"/bin/sh\0-c\0echo hi\0");
}

#[test]
fn oversized_arguments_are_e2big() {
    let huge = alloc::vec![b'a'; MAX_ARG_STRLEN];
    let err = build(TOP, &[huge], &[], b"x", &AuxInfo::default()).unwrap_err();
    assert_eq!(err.errno, Errno::E2BIG);
}
