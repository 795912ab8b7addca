//! In-kernel tests of the user-mode platform pieces: user copies, address spaces, and a
//! round trip through ring 3 (syscall entry, sysret and iret returns, context switches
//! between kernel stacks).
//!
//! The ring-3 tests register the trap handlers of this module (through
//! [`platform::arch::trap::register`], which keeps the first registration): they only work
//! in a test run where nothing else registered handlers before them.

use core::sync::atomic::{AtomicBool, Ordering};

use platform::arch::irq::{self, IrqMutex};
use platform::arch::switch::{self, KernelStack, SwitchContext, KERNEL_STACK_SIZE};
use platform::arch::trap::{FaultAccess, Irq, TrapFrame, TrapHandlers};
use platform::arch::usercopy::{self, CStrError, Fault};
use platform::mm::frame;
use platform::mm::user::{self as user_mm, AddressSpace, MapError, PageTableFlags};
use x86_64::registers::rflags::RFlags;
use x86_64::structures::paging::PhysFrame;

use super::{Test, TestResult};

/// A failed check, named.
type Check = Result<(), &'static str>;

pub const TESTS: &[Test] = &[
    (
        "usercopy_rejects_bad_pointers",
        usercopy_rejects_bad_pointers,
    ),
    (
        "address_space_map_translate_unmap",
        address_space_map_translate_unmap,
    ),
    ("usercopy_round_trip", usercopy_round_trip),
    ("kernel_stack_frames_return", kernel_stack_frames_return),
    ("ring3_syscall_round_trip", ring3_syscall_round_trip),
    ("ring3_fpu_state_per_task", ring3_fpu_state_per_task),
    ("ring3_noncanonical_rip_is_gp", ring3_noncanonical_rip_is_gp),
];

/// Where the tests map user pages.
const CODE_VA: u64 = 0x40_0000;
const DATA_VA: u64 = 0x60_0000;
const STACK_VA: u64 = 0x80_0000;
const PAGE: u64 = user_mm::PAGE_SIZE;

fn check(condition: bool, what: &'static str) -> Check {
    if condition {
        Ok(())
    } else {
        Err(what)
    }
}

/// Bad user pointers (null, kernel half, non-canonical, wrapping) give `Err(Fault)` from
/// every copy routine, with no user space mapped at all.
fn usercopy_rejects_bad_pointers() -> TestResult {
    let bad = [
        0,
        0x1000,
        0xffff_8000_0000_0000,
        0xffff_ffff_8000_0000,
        0x0000_8000_0000_0000,
        0x1234_5678_9abc_def0,
        u64::MAX - 3,
    ];
    let mut buf = [0u8; 16];
    for &addr in &bad {
        check(
            usercopy::copy_from_user(&mut buf, addr) == Err(Fault),
            "copy_from_user",
        )?;
        check(
            usercopy::copy_to_user(addr, &buf) == Err(Fault),
            "copy_to_user",
        )?;
        check(usercopy::clear_user(addr, 8) == Err(Fault), "clear_user")?;
        check(usercopy::read_u64(addr) == Err(Fault), "read_u64")?;
        check(
            usercopy::cmpxchg_user_u32(addr & !3, 0, 1) == Err(Fault),
            "cmpxchg",
        )?;
        let cstr = usercopy::copy_cstr_from_user(addr, 64);
        check(cstr == Err(CStrError::Fault), "copy_cstr_from_user")?;
    }
    // A range that ends past the user half, starting inside it.
    check(
        usercopy::copy_from_user(&mut buf, usercopy::USER_ADDR_LIMIT - 8) == Err(Fault),
        "range crossing the user limit",
    )?;
    // Empty copies touch nothing and succeed.
    Ok(check(
        usercopy::copy_from_user(&mut [], 0).is_ok(),
        "empty copy",
    )?)
}

/// Maps, protects, translates, walks and unmaps pages of an inactive address space.
fn address_space_map_translate_unmap() -> TestResult {
    let free_before = frame::stats().free;
    {
        let mut space = AddressSpace::new().ok_or("no frame for a PML4")?;
        let frames = [alloc_frame()?, alloc_frame()?];
        let rw = PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;

        check(
            space
                .map(CODE_VA, frames[0], PageTableFlags::empty())
                .is_ok(),
            "map code",
        )?;
        check(space.map(DATA_VA, frames[1], rw).is_ok(), "map data")?;
        check(
            space.map(DATA_VA, frames[0], rw) == Err(MapError::AlreadyMapped),
            "double map refused",
        )?;
        check(
            space.map(DATA_VA + 1, frames[0], rw) == Err(MapError::InvalidAddress),
            "unaligned map refused",
        )?;
        check(
            space.map(user_mm::USER_SPACE_END, frames[0], rw) == Err(MapError::InvalidAddress),
            "map above the user range refused",
        )?;

        let (found, flags) = space.translate(DATA_VA + 123).ok_or("translate data")?;
        check(found == frames[1], "translated frame")?;
        check(
            flags.contains(PageTableFlags::USER_ACCESSIBLE | PageTableFlags::WRITABLE),
            "data flags",
        )?;
        check(
            space.translate(STACK_VA).is_none(),
            "unmapped page translates",
        )?;

        check(
            space.protect(DATA_VA, PageTableFlags::NO_EXECUTE).is_ok(),
            "protect",
        )?;
        let (_, flags) = space.translate(DATA_VA).ok_or("translate after protect")?;
        check(
            !flags.contains(PageTableFlags::WRITABLE),
            "write access removed",
        )?;
        check(
            space.protect(STACK_VA, rw) == Err(MapError::NotMapped),
            "protect unmapped",
        )?;

        let mut seen = [0u64; 4];
        let mut count = 0;
        space.walk(0, user_mm::USER_SPACE_END, |va, _, flags| {
            if count < seen.len() {
                seen[count] = va;
            }
            count += 1;
            flags
        });
        check(count == 2 && seen[..2] == [CODE_VA, DATA_VA], "walk order")?;
        check(space.mapped_pages() == 2, "mapped-page count after maps")?;

        space
            .write_bytes(DATA_VA + PAGE - 2, b"ab")
            .map_err(|_| "write_bytes")?;
        let mut back = [0u8; 2];
        space
            .read_bytes(DATA_VA + PAGE - 2, &mut back)
            .map_err(|_| "read_bytes")?;
        check(&back == b"ab", "bytes read back")?;
        check(
            space.write_bytes(DATA_VA + PAGE - 1, b"ab") == Err(MapError::NotMapped),
            "write past the mapping",
        )?;

        check(
            space.unmap(DATA_VA) == Some(frames[1]),
            "unmap returns the frame",
        )?;
        check(space.unmap(DATA_VA).is_none(), "second unmap")?;
        check(space.translate(DATA_VA).is_none(), "translate after unmap")?;
        check(space.mapped_pages() == 1, "mapped-page count after unmap")?;

        let mut cleared = 0;
        space.clear(|_, frame| {
            frame::free(frame);
            cleared += 1;
        });
        check(cleared == 1, "clear hands back the mapped frames")?;
        check(space.mapped_pages() == 0, "mapped-page count after clear")?;
        frame::free(frames[1]);
    }
    // Dropping the space freed its tables; the mapped frames were freed above.
    Ok(check(frame::stats().free == free_before, "frames leaked")?)
}

/// A kernel stack is mapped below its top, and dropping it returns every frame. (The
/// first stack may leave page tables of the vmap region behind, so measure after one.)
fn kernel_stack_frames_return() -> TestResult {
    drop(new_stack()?);
    let free_before = frame::stats().free;
    let stacks = [new_stack()?, new_stack()?];
    for stack in &stacks {
        check(
            stack.top() - stack.bottom() == KERNEL_STACK_SIZE as u64,
            "stack size",
        )?;
        check(stack.top() % 16 == 0, "stack top alignment")?;
    }
    check(stacks[0].top() != stacks[1].top(), "distinct stacks")?;
    let pages = 2 * KERNEL_STACK_SIZE as u64 / PAGE;
    check(
        frame::stats().free <= free_before - pages,
        "stack pages allocated",
    )?;
    drop(stacks);
    Ok(check(
        frame::stats().free == free_before,
        "stack frames returned",
    )?)
}

fn alloc_frame() -> Result<PhysFrame, &'static str> {
    frame::alloc_zeroed().ok_or("out of frames")
}

/// Copies through a mapped user page in the active address space, and fails cleanly at
/// the unmapped page that follows it.
fn usercopy_round_trip() -> TestResult {
    let mut space = AddressSpace::new().ok_or("no frame for a PML4")?;
    let data = alloc_frame()?;
    let flags = PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
    space.map(DATA_VA, data, flags).map_err(|_| "map")?;
    space.activate();

    let result = round_trip_checks();

    user_mm::activate_kernel_space();
    space.clear(|_, frame| frame::free(frame));
    Ok(result?)
}

fn round_trip_checks() -> Check {
    let message = b"kestrel\0tail";
    usercopy::copy_to_user(DATA_VA + 100, message).map_err(|_| "copy_to_user")?;
    let mut back = [0u8; 12];
    usercopy::copy_from_user(&mut back, DATA_VA + 100).map_err(|_| "copy_from_user")?;
    check(&back == message, "round trip")?;

    let name = usercopy::copy_cstr_from_user(DATA_VA + 100, 64);
    check(name.as_deref() == Ok(&b"kestrel"[..]), "string")?;
    let name = usercopy::copy_cstr_from_user(DATA_VA + 100, 7);
    check(
        name.as_deref() == Ok(&b"kestrel"[..]),
        "string of exactly max bytes",
    )?;
    let name = usercopy::copy_cstr_from_user(DATA_VA + 100, 6);
    check(name == Err(CStrError::TooLong), "string too long")?;

    // A string running into the unmapped page after the data page faults.
    usercopy::copy_to_user(DATA_VA + PAGE - 3, b"abc").map_err(|_| "fill page end")?;
    let name = usercopy::copy_cstr_from_user(DATA_VA + PAGE - 3, 64);
    check(name == Err(CStrError::Fault), "string into unmapped page")?;

    // Copies that straddle the end of the mapping fail instead of faulting the kernel.
    let mut buf = [0u8; 8];
    check(
        usercopy::copy_from_user(&mut buf, DATA_VA + PAGE - 4) == Err(Fault),
        "read across the mapping end",
    )?;
    check(
        usercopy::copy_to_user(DATA_VA + PAGE - 4, &buf) == Err(Fault),
        "write across",
    )?;
    check(
        usercopy::clear_user(DATA_VA + PAGE - 4, 8) == Err(Fault),
        "clear across",
    )?;

    usercopy::clear_user(DATA_VA + 100, 4).map_err(|_| "clear_user")?;
    check(usercopy::read_u32(DATA_VA + 100) == Ok(0), "cleared")?;

    // Lengths that are not a multiple of eight, at odd addresses: the bulk moves
    // quadwords and the tail bytes, and both must land exactly.
    let pattern: [u8; 301] = core::array::from_fn(|i| (i * 7 + 1) as u8);
    usercopy::copy_to_user(DATA_VA + 1003, &pattern).map_err(|_| "odd copy_to_user")?;
    let mut back = [0u8; 301];
    usercopy::copy_from_user(&mut back, DATA_VA + 1003).map_err(|_| "odd copy_from_user")?;
    check(back == pattern, "odd-length round trip")?;
    usercopy::clear_user(DATA_VA + 1005, 290).map_err(|_| "odd clear_user")?;
    usercopy::copy_from_user(&mut back, DATA_VA + 1003).map_err(|_| "read back cleared")?;
    check(
        back[..2] == pattern[..2]
            && back[2..292].iter().all(|&b| b == 0)
            && back[292..] == pattern[292..],
        "odd-length clear stays in its range",
    )?;
    let mut long = [0u8; 64];
    check(
        usercopy::copy_from_user(&mut long, DATA_VA + PAGE - 61) == Err(Fault),
        "long read across the mapping end",
    )?;
    check(
        usercopy::clear_user(DATA_VA + PAGE - 61, 64) == Err(Fault),
        "long clear across",
    )?;

    usercopy::write_u32(DATA_VA + 200, 5).map_err(|_| "write_u32")?;
    check(
        usercopy::cmpxchg_user_u32(DATA_VA + 200, 5, 9) == Ok(5),
        "cmpxchg hit",
    )?;
    check(
        usercopy::cmpxchg_user_u32(DATA_VA + 200, 5, 11) == Ok(9),
        "cmpxchg miss",
    )?;
    check(usercopy::read_u32(DATA_VA + 200) == Ok(9), "cmpxchg result")?;
    check(
        usercopy::cmpxchg_user_u32(DATA_VA + 201, 9, 1) == Err(Fault),
        "misaligned",
    )?;
    check(
        usercopy::cmpxchg_user_u32(DATA_VA + PAGE, 0, 1) == Err(Fault),
        "unmapped word",
    )
}

// The ring-3 tests run hand-assembled programs, all in one code page:
//
// WRITE_PROGRAM (offset 0):
//   0x00 mov eax, 1 ; mov edi, 0x11 ; lea rsi, [rip + msg] ; mov edx, 5
//   0x16 push 0x55 ; syscall             WRITE: the handler copies 5 bytes from rsi
//   0x1a pop rbx ; cmp rbx, 0x55 ; jne bad  (the user stack survived)
//   0x21 mov edi, eax ; mov eax, 2 ; syscall  CHECK: rdi must be WRITE's result; the
//                                         handler runs a kernel task in between and
//                                         forces the iretq return
//   0x2a mov edi, eax ; mov eax, 60 ; syscall  EXIT with CHECK's result
//   0x33 bad: mov eax, 61 ; syscall ; ud2
//   0x3c msg: "hello"
// FPU_PROGRAM (offset 0x100): movq xmm0, rbx ; YIELD ; movq rdi, xmm0 ; EXIT
// NONCANONICAL_PROGRAM (offset 0x200): mov eax, 62 ; syscall ; ud2
const WRITE_PROGRAM: [u8; 65] = [
    0xb8, 0x01, 0x00, 0x00, 0x00, 0xbf, 0x11, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x35, 0x2b, 0x00, 0x00,
    0x00, 0xba, 0x05, 0x00, 0x00, 0x00, 0x6a, 0x55, 0x0f, 0x05, 0x5b, 0x48, 0x83, 0xfb, 0x55, 0x75,
    0x12, 0x89, 0xc7, 0xb8, 0x02, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x89, 0xc7, 0xb8, 0x3c, 0x00, 0x00,
    0x00, 0x0f, 0x05, 0xb8, 0x3d, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x0f, 0x0b, 0x68, 0x65, 0x6c, 0x6c,
    0x6f,
];
const FPU_PROGRAM: [u8; 26] = [
    0x66, 0x48, 0x0f, 0x6e, 0xc3, 0xb8, 0x03, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x66, 0x48, 0x0f, 0x7e,
    0xc7, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x0f, 0x0b,
];
const NONCANONICAL_PROGRAM: [u8; 9] = [0xb8, 0x3e, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x0f, 0x0b];
const WRITE_ENTRY: u64 = CODE_VA;
const FPU_ENTRY: u64 = CODE_VA + 0x100;
const NONCANONICAL_ENTRY: u64 = CODE_VA + 0x200;

const SYS_WRITE: u64 = 1;
const SYS_CHECK: u64 = 2;
const SYS_YIELD: u64 = 3;
const SYS_EXIT: u64 = 60;
const SYS_NONCANONICAL: u64 = 62;
const WRITE_FD: u64 = 0x11;
const CHECK_RESULT: u64 = 7;
/// Exit code recorded for a task ended by an exception.
const EXCEPTION_EXIT: u64 = u64::MAX;
const USER_FS_BASE: u64 = 0x7777_0000;
/// The first address above the lower canonical half.
const NONCANONICAL_RIP: u64 = 0x0000_8000_0000_0000;
const GENERAL_PROTECTION_VECTOR: u64 = 13;
const USER_TASKS: usize = 2;

/// The contexts of a ring-3 test: the test's own code, up to two user tasks, and a
/// helper kernel task.
struct Contexts {
    boot: SwitchContext,
    users: [SwitchContext; USER_TASKS],
    helper: SwitchContext,
}

static CONTEXTS: IrqMutex<Contexts> = IrqMutex::new(Contexts {
    boot: SwitchContext::new(),
    users: [SwitchContext::new(), SwitchContext::new()],
    helper: SwitchContext::new(),
});

/// What the user tasks did, for the test to check afterwards.
struct Record {
    current: usize,
    live: [bool; USER_TASKS],
    exit_codes: [u64; USER_TASKS],
    stack_ranges: [(u64, u64); USER_TASKS],
    written: [u8; 5],
    exception: Option<(u64, u64)>,
    helper_ran: bool,
    frames_on_task_stack: bool,
    frame_vector_ok: bool,
    fs_base_kept: bool,
    returns_to_user: u64,
    failure: Option<&'static str>,
}

const EMPTY_RECORD: Record = Record {
    current: 0,
    live: [false; USER_TASKS],
    exit_codes: [0; USER_TASKS],
    stack_ranges: [(0, 0); USER_TASKS],
    written: [0; 5],
    exception: None,
    helper_ran: false,
    frames_on_task_stack: true,
    frame_vector_ok: true,
    fs_base_kept: true,
    returns_to_user: 0,
    failure: None,
};

static RECORD: IrqMutex<Record> = IrqMutex::new(EMPTY_RECORD);

/// Raw pointers to the contexts, which live in a static and so stay valid.
fn boot_context() -> *mut SwitchContext {
    &raw mut CONTEXTS.lock().boot
}

fn user_context(task: usize) -> *mut SwitchContext {
    &raw mut CONTEXTS.lock().users[task]
}

fn helper_context() -> *mut SwitchContext {
    &raw mut CONTEXTS.lock().helper
}

/// The trap handlers the ring-3 tests rely on.
fn handlers() -> TrapHandlers {
    TrapHandlers {
        syscall: test_syscall,
        page_fault: test_page_fault,
        user_exception: test_user_exception,
        irq: test_irq,
        return_to_user: test_return_to_user,
    }
}

fn test_syscall(frame: &mut TrapFrame) {
    let current = {
        let mut record = RECORD.lock();
        let current = record.current;
        let (low, high) = record.stack_ranges[current];
        let at = core::ptr::from_ref(frame) as u64;
        record.frames_on_task_stack &= low <= at && at < high;
        record.frame_vector_ok &= frame.vector == platform::arch::trap::SYSCALL_VECTOR;
        if current == 0 {
            record.fs_base_kept &= platform::arch::fs_base() == USER_FS_BASE;
        }
        current
    };

    match frame.rax {
        SYS_WRITE => {
            let mut bytes = [0u8; 5];
            let ok = frame.rdi == WRITE_FD
                && frame.rdx == 5
                && usercopy::copy_from_user(&mut bytes, frame.rsi).is_ok();
            RECORD.lock().written = bytes;
            frame.rax = if ok { 5 } else { u64::MAX };
        }
        SYS_CHECK => {
            if frame.rdi != 5 {
                fail("user code did not see the write result");
            }
            irq::without_interrupts(|| switch::switch(user_context(current), helper_context()));
            // Make sysretq impossible: RCX no longer equals RIP.
            frame.rcx = 0;
            frame.rax = CHECK_RESULT;
        }
        SYS_YIELD => {
            let other = (current + 1) % USER_TASKS;
            RECORD.lock().current = other;
            irq::without_interrupts(|| switch::switch(user_context(current), user_context(other)));
            frame.rax = 0;
        }
        SYS_NONCANONICAL => frame.rip = NONCANONICAL_RIP,
        SYS_EXIT => exit_task(frame.rdi),
        _ => {
            fail("user code took its failure path");
            exit_task(EXCEPTION_EXIT)
        }
    }
}

fn test_page_fault(frame: &mut TrapFrame, addr: u64, _access: FaultAccess) -> bool {
    if frame.is_user() {
        log::error!("user page fault at {addr:#x}, rip {:#x}", frame.rip);
    }
    false
}

fn test_user_exception(frame: &mut TrapFrame, vector: u8) {
    RECORD.lock().exception = Some((u64::from(vector), frame.rip));
    exit_task(EXCEPTION_EXIT);
}

fn test_irq(_frame: &mut TrapFrame, irq: Irq) {
    if irq == Irq::Serial {
        while platform::serial::read_byte().is_some() {}
    }
}

fn test_return_to_user(_frame: &mut TrapFrame) {
    RECORD.lock().returns_to_user += 1;
}

fn fail(what: &'static str) {
    RECORD.lock().failure.get_or_insert(what);
}

/// Ends the running user task: records its exit code and resumes another live task, or
/// the test itself when none is left. Never returns.
fn exit_task(code: u64) -> ! {
    let (current, next) = {
        let mut record = RECORD.lock();
        let current = record.current;
        record.exit_codes[current] = code;
        record.live[current] = false;
        let next = (0..USER_TASKS).find(|&task| record.live[task]);
        if let Some(next) = next {
            record.current = next;
        }
        (current, next)
    };
    irq::disable();
    match next {
        Some(next) => switch::switch(user_context(current), user_context(next)),
        None => switch::switch(user_context(current), boot_context()),
    }
    unreachable!("an ended user task was resumed");
}

fn helper_task(_arg: usize) -> ! {
    RECORD.lock().helper_ran = true;
    let current = RECORD.lock().current;
    irq::disable();
    switch::switch(helper_context(), user_context(current));
    unreachable!("the helper task was resumed after its one run");
}

/// A user address space with every test program in one code page and one stack page,
/// and the running test's handlers registered.
fn user_space() -> Result<AddressSpace, &'static str> {
    static REGISTERED: AtomicBool = AtomicBool::new(false);
    if !REGISTERED.swap(true, Ordering::Relaxed) {
        platform::arch::trap::register(handlers());
    }
    *RECORD.lock() = EMPTY_RECORD;

    let mut space = AddressSpace::new().ok_or("no frame for a PML4")?;
    space
        .map(CODE_VA, alloc_frame()?, PageTableFlags::empty())
        .map_err(|_| "map code")?;
    let stack_flags = PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
    space
        .map(STACK_VA, alloc_frame()?, stack_flags)
        .map_err(|_| "map stack")?;
    space
        .write_bytes(WRITE_ENTRY, &WRITE_PROGRAM)
        .map_err(|_| "load")?;
    space
        .write_bytes(FPU_ENTRY, &FPU_PROGRAM)
        .map_err(|_| "load")?;
    space
        .write_bytes(NONCANONICAL_ENTRY, &NONCANONICAL_PROGRAM)
        .map_err(|_| "load")?;
    Ok(space)
}

/// The frame a user task starts from.
fn entry_frame(rip: u64) -> TrapFrame {
    TrapFrame {
        rip,
        rsp: STACK_VA + PAGE,
        rflags: RFlags::INTERRUPT_FLAG.bits(),
        ..TrapFrame::default()
    }
}

/// Prepares user task `task` on `stack` to start with `frame`.
fn add_user_task(task: usize, stack: &mut KernelStack, frame: &TrapFrame) {
    let mut record = RECORD.lock();
    record.stack_ranges[task] = (stack.bottom(), stack.top());
    record.live[task] = true;
    drop(record);
    CONTEXTS.lock().users[task] = switch::prepare_user_entry(stack, frame);
}

/// Runs the prepared user tasks, starting with task 0, until all have ended.
fn run_user_tasks(mut space: AddressSpace) {
    space.activate();
    RECORD.lock().current = 0;
    irq::without_interrupts(|| switch::switch(boot_context(), user_context(0)));
    user_mm::activate_kernel_space();
    space.clear(|_, frame| frame::free(frame));
}

fn new_stack() -> Result<KernelStack, &'static str> {
    KernelStack::new().map_err(|_| "out of memory for a kernel stack")
}

/// Enters ring 3 on a program that makes system calls (returning through sysretq and
/// through iretq, with a kernel task run in between) and exits.
fn ring3_syscall_round_trip() -> TestResult {
    let space = user_space()?;
    let mut stack = new_stack()?;
    let mut helper_stack = new_stack()?;
    add_user_task(0, &mut stack, &entry_frame(WRITE_ENTRY));
    {
        let mut contexts = CONTEXTS.lock();
        contexts.users[0]
            .set_fs_base(USER_FS_BASE)
            .map_err(|_| "fs base")?;
        contexts.helper = switch::prepare_kernel_entry(&mut helper_stack, helper_task, 0);
    }
    run_user_tasks(space);
    // Neither task runs again: the user one ended, the helper is parked for good.
    drop((stack, helper_stack));

    let record = RECORD.lock();
    if let Some(what) = record.failure {
        return Err(what.into());
    }
    check(record.exception.is_none(), "user exception")?;
    check(record.exit_codes[0] == CHECK_RESULT, "exit code")?;
    check(
        &record.written == b"hello",
        "bytes written by the user program",
    )?;
    check(record.helper_ran, "helper kernel task ran")?;
    check(record.frame_vector_ok, "frame vector")?;
    check(record.frames_on_task_stack, "frame on the task's stack")?;
    check(record.fs_base_kept, "fs base of the user task")?;
    // Two system calls returned, plus any interrupt that arrived in ring 3.
    Ok(check(
        record.returns_to_user >= 2,
        "return_to_user hook calls",
    )?)
}

/// Two user tasks put different values in XMM0 and yield to each other; each must get
/// its own value back.
fn ring3_fpu_state_per_task() -> TestResult {
    const VALUES: [u64; USER_TASKS] = [0x1111_2222_3333_4444, 0x5555_6666_7777_8888];
    let space = user_space()?;
    let mut stacks = [new_stack()?, new_stack()?];
    for (task, stack) in stacks.iter_mut().enumerate() {
        let frame = TrapFrame {
            rbx: VALUES[task],
            ..entry_frame(FPU_ENTRY)
        };
        add_user_task(task, stack, &frame);
    }
    run_user_tasks(space);
    drop(stacks);

    let record = RECORD.lock();
    check(record.exception.is_none(), "user exception")?;
    check(record.exit_codes[0] == VALUES[0], "first task's XMM0")?;
    Ok(check(
        record.exit_codes[1] == VALUES[1],
        "second task's XMM0",
    )?)
}

/// A return to a non-canonical RIP, from a new task or from a system call, reaches the
/// kernel as a #GP raised in user mode at that RIP, not as a fault in the kernel.
fn ring3_noncanonical_rip_is_gp() -> TestResult {
    for entry in [NONCANONICAL_RIP, NONCANONICAL_ENTRY] {
        let space = user_space()?;
        let mut stack = new_stack()?;
        add_user_task(0, &mut stack, &entry_frame(entry));
        run_user_tasks(space);
        drop(stack);

        let record = RECORD.lock();
        let expected = Some((GENERAL_PROTECTION_VECTOR, NONCANONICAL_RIP));
        check(record.exception == expected, "#GP at the non-canonical RIP")?;
    }
    Ok(())
}
