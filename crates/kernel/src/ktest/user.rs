//! In-kernel tests of the user-mode platform pieces: user copies, address spaces, and a
//! round trip through ring 3 (syscall entry, sysret and iret returns, context switches
//! between kernel stacks).
//!
//! The ring-3 test needs the trap handlers of [`handlers`] to be the registered ones.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use platform::arch::irq::{self, IrqMutex};
use platform::arch::switch::{self, KernelStack, SwitchContext};
use platform::arch::trap::{FaultAccess, Irq, TrapFrame, TrapHandlers};
use platform::arch::usercopy::{self, CStrError, Fault};
use platform::mm::frame;
use platform::mm::user::{self as user_mm, AddressSpace, MapError, PageTableFlags};
use x86_64::registers::rflags::RFlags;
use x86_64::structures::paging::PhysFrame;

/// Result of one test: `Err` names the check that failed.
pub type TestResult = Result<(), &'static str>;

/// The tests of this module, by name.
pub const TESTS: &[(&str, fn() -> TestResult)] = &[
    ("usercopy_rejects_bad_pointers", usercopy_rejects_bad_pointers),
    ("address_space_map_translate_unmap", address_space_map_translate_unmap),
    ("usercopy_round_trip", usercopy_round_trip),
    ("ring3_syscall_round_trip", ring3_syscall_round_trip),
];

/// Where the tests map user pages.
const CODE_VA: u64 = 0x40_0000;
const DATA_VA: u64 = 0x60_0000;
const STACK_VA: u64 = 0x80_0000;
const PAGE: u64 = user_mm::PAGE_SIZE;

fn check(condition: bool, what: &'static str) -> TestResult {
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
        check(usercopy::copy_from_user(&mut buf, addr) == Err(Fault), "copy_from_user")?;
        check(usercopy::copy_to_user(addr, &buf) == Err(Fault), "copy_to_user")?;
        check(usercopy::clear_user(addr, 8) == Err(Fault), "clear_user")?;
        check(usercopy::read_u64(addr) == Err(Fault), "read_u64")?;
        check(usercopy::cmpxchg_user_u32(addr & !3, 0, 1) == Err(Fault), "cmpxchg")?;
        let cstr = usercopy::copy_cstr_from_user(addr, 64);
        check(cstr == Err(CStrError::Fault), "copy_cstr_from_user")?;
    }
    // A range that ends past the user half, starting inside it.
    check(
        usercopy::copy_from_user(&mut buf, usercopy::USER_ADDR_LIMIT - 8) == Err(Fault),
        "range crossing the user limit",
    )?;
    // Empty copies touch nothing and succeed.
    check(usercopy::copy_from_user(&mut [], 0).is_ok(), "empty copy")
}

/// Maps, protects, translates, walks and unmaps pages of an inactive address space.
fn address_space_map_translate_unmap() -> TestResult {
    let free_before = frame::stats().free;
    {
        let mut space = AddressSpace::new().ok_or("no frame for a PML4")?;
        let frames = [alloc_frame()?, alloc_frame()?];
        let rw = PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;

        check(space.map(CODE_VA, frames[0], PageTableFlags::empty()).is_ok(), "map code")?;
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
        check(space.translate(STACK_VA).is_none(), "unmapped page translates")?;

        check(space.protect(DATA_VA, PageTableFlags::NO_EXECUTE).is_ok(), "protect")?;
        let (_, flags) = space.translate(DATA_VA).ok_or("translate after protect")?;
        check(!flags.contains(PageTableFlags::WRITABLE), "write access removed")?;
        check(space.protect(STACK_VA, rw) == Err(MapError::NotMapped), "protect unmapped")?;

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

        space.write_bytes(DATA_VA + PAGE - 2, b"ab").map_err(|_| "write_bytes")?;
        let mut back = [0u8; 2];
        space.read_bytes(DATA_VA + PAGE - 2, &mut back).map_err(|_| "read_bytes")?;
        check(&back == b"ab", "bytes read back")?;
        check(
            space.write_bytes(DATA_VA + PAGE - 1, b"ab") == Err(MapError::NotMapped),
            "write past the mapping",
        )?;

        check(space.unmap(DATA_VA) == Some(frames[1]), "unmap returns the frame")?;
        check(space.unmap(DATA_VA).is_none(), "second unmap")?;
        check(space.translate(DATA_VA).is_none(), "translate after unmap")?;

        let mut cleared = 0;
        space.clear(|_, frame| {
            frame::free(frame);
            cleared += 1;
        });
        check(cleared == 1, "clear hands back the mapped frames")?;
        frame::free(frames[1]);
    }
    // Dropping the space freed its tables; the mapped frames were freed above.
    check(frame::stats().free == free_before, "frames leaked")
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
    result
}

fn round_trip_checks() -> TestResult {
    let message = b"kestrel\0tail";
    usercopy::copy_to_user(DATA_VA + 100, message).map_err(|_| "copy_to_user")?;
    let mut back = [0u8; 12];
    usercopy::copy_from_user(&mut back, DATA_VA + 100).map_err(|_| "copy_from_user")?;
    check(&back == message, "round trip")?;

    let name = usercopy::copy_cstr_from_user(DATA_VA + 100, 64);
    check(name.as_deref() == Ok(&b"kestrel"[..]), "string")?;
    let name = usercopy::copy_cstr_from_user(DATA_VA + 100, 7);
    check(name.as_deref() == Ok(&b"kestrel"[..]), "string of exactly max bytes")?;
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
    check(usercopy::copy_to_user(DATA_VA + PAGE - 4, &buf) == Err(Fault), "write across")?;
    check(usercopy::clear_user(DATA_VA + PAGE - 4, 8) == Err(Fault), "clear across")?;

    usercopy::clear_user(DATA_VA + 100, 4).map_err(|_| "clear_user")?;
    check(usercopy::read_u32(DATA_VA + 100) == Ok(0), "cleared")?;

    usercopy::write_u32(DATA_VA + 200, 5).map_err(|_| "write_u32")?;
    check(usercopy::cmpxchg_user_u32(DATA_VA + 200, 5, 9) == Ok(5), "cmpxchg hit")?;
    check(usercopy::cmpxchg_user_u32(DATA_VA + 200, 5, 11) == Ok(9), "cmpxchg miss")?;
    check(usercopy::read_u32(DATA_VA + 200) == Ok(9), "cmpxchg result")?;
    check(usercopy::cmpxchg_user_u32(DATA_VA + 201, 9, 1) == Err(Fault), "misaligned")?;
    check(usercopy::cmpxchg_user_u32(DATA_VA + PAGE, 0, 1) == Err(Fault), "unmapped word")
}

// The ring-3 test.
//
// The user program (assembled by hand; offsets in the comments):
//   0x00 mov eax, 1 ; mov edi, 0x11 ; lea rsi, [rip + msg] ; mov edx, 5
//   0x16 push 0x55 ; syscall            -> WRITE: the handler copies 5 bytes from rsi
//   0x1a pop rbx ; cmp rbx, 0x55 ; jne bad   (the user stack survived)
//   0x21 mov edi, eax ; mov eax, 2 ; syscall -> CHECK: rdi must be WRITE's result;
//                                            the handler switches to a kernel task and
//                                            forces the iretq return path
//   0x2a mov edi, eax ; mov eax, 60 ; syscall -> EXIT with CHECK's result
//   0x33 bad: mov eax, 61 ; syscall ; ud2
//   0x3c msg: "hello"
const USER_PROGRAM: [u8; 65] = [
    0xb8, 0x01, 0x00, 0x00, 0x00, 0xbf, 0x11, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x35, 0x2b, 0x00,
    0x00, 0x00, 0xba, 0x05, 0x00, 0x00, 0x00, 0x6a, 0x55, 0x0f, 0x05, 0x5b, 0x48, 0x83, 0xfb,
    0x55, 0x75, 0x12, 0x89, 0xc7, 0xb8, 0x02, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x89, 0xc7, 0xb8,
    0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xb8, 0x3d, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x0f, 0x0b,
    0x68, 0x65, 0x6c, 0x6c, 0x6f,
];
const SYS_WRITE: u64 = 1;
const SYS_CHECK: u64 = 2;
const SYS_EXIT: u64 = 60;
const SYS_BAD: u64 = 61;
const WRITE_FD: u64 = 0x11;
const CHECK_RESULT: u64 = 7;
const USER_FS_BASE: u64 = 0x7777_0000;

/// The contexts of the ring-3 test: the test's own (boot) code, the user task, the
/// helper kernel task.
struct Contexts {
    boot: SwitchContext,
    user: SwitchContext,
    helper: SwitchContext,
}

static CONTEXTS: IrqMutex<Contexts> = IrqMutex::new(Contexts {
    boot: SwitchContext::new(),
    user: SwitchContext::new(),
    helper: SwitchContext::new(),
});
static USER_STACK_RANGE: IrqMutex<(u64, u64)> = IrqMutex::new((0, 0));
static WRITTEN: IrqMutex<[u8; 5]> = IrqMutex::new([0; 5]);
static EXIT_CODE: AtomicU64 = AtomicU64::new(u64::MAX);
static HELPER_RAN: AtomicBool = AtomicBool::new(false);
static SAW_SYSCALL_VECTOR: AtomicBool = AtomicBool::new(true);
static FRAMES_ON_TASK_STACK: AtomicBool = AtomicBool::new(true);
static FS_BASE_KEPT: AtomicBool = AtomicBool::new(true);
static RETURNS_TO_USER: AtomicU64 = AtomicU64::new(0);
static FAILURE: IrqMutex<Option<&'static str>> = IrqMutex::new(None);

fn context_ptrs() -> (*mut SwitchContext, *mut SwitchContext, *mut SwitchContext) {
    let mut contexts = CONTEXTS.lock();
    let contexts = &mut *contexts;
    (&raw mut contexts.boot, &raw mut contexts.user, &raw mut contexts.helper)
}

/// The trap handlers the ring-3 test relies on.
pub fn handlers() -> TrapHandlers {
    TrapHandlers {
        syscall: test_syscall,
        page_fault: test_page_fault,
        user_exception: test_user_exception,
        irq: test_irq,
        return_to_user: test_return_to_user,
    }
}

fn test_syscall(frame: &mut TrapFrame) {
    if frame.vector != platform::arch::trap::SYSCALL_VECTOR {
        SAW_SYSCALL_VECTOR.store(false, Ordering::Relaxed);
    }
    let (low, high) = *USER_STACK_RANGE.lock();
    let at = core::ptr::from_ref(frame) as u64;
    if at < low || at >= high {
        FRAMES_ON_TASK_STACK.store(false, Ordering::Relaxed);
    }
    if platform::arch::fs_base() != USER_FS_BASE {
        FS_BASE_KEPT.store(false, Ordering::Relaxed);
    }

    match frame.rax {
        SYS_WRITE => {
            let mut bytes = [0u8; 5];
            let ok = frame.rdi == WRITE_FD
                && frame.rdx == 5
                && usercopy::copy_from_user(&mut bytes, frame.rsi).is_ok();
            *WRITTEN.lock() = bytes;
            frame.rax = if ok { 5 } else { u64::MAX };
        }
        SYS_CHECK => {
            if frame.rdi != 5 {
                fail("user code did not see the write result");
            }
            // Run another kernel stack in between, then come back.
            let (_, user, helper) = context_ptrs();
            irq::without_interrupts(|| switch::switch(user, helper));
            // Make sysretq impossible: RCX no longer equals RIP.
            frame.rcx = 0;
            frame.rax = CHECK_RESULT;
        }
        SYS_EXIT => finish(frame.rdi),
        _ => {
            fail("user code took the failure path");
            finish(u64::MAX)
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
    log::error!("user exception {vector} at rip {:#x}", frame.rip);
    fail("user exception");
    finish(u64::MAX);
}

fn test_irq(_frame: &mut TrapFrame, irq: Irq) {
    if irq == Irq::Serial {
        while platform::serial::read_byte().is_some() {}
    }
}

fn test_return_to_user(_frame: &mut TrapFrame) {
    RETURNS_TO_USER.fetch_add(1, Ordering::Relaxed);
}

fn fail(what: &'static str) {
    FAILURE.lock().get_or_insert(what);
}

/// Ends the user task: records its exit code and resumes the test, never to come back.
fn finish(code: u64) -> ! {
    EXIT_CODE.store(code, Ordering::Relaxed);
    let (boot, user, _) = context_ptrs();
    irq::disable();
    switch::switch(user, boot);
    unreachable!("the finished user task was resumed");
}

fn helper_task(_arg: usize) -> ! {
    HELPER_RAN.store(true, Ordering::Relaxed);
    let (_, user, helper) = context_ptrs();
    irq::disable();
    switch::switch(helper, user);
    unreachable!("the helper task was resumed after its one run");
}

/// Enters ring 3 on a hand-made program that makes three system calls and exits.
fn ring3_syscall_round_trip() -> TestResult {
    let mut space = AddressSpace::new().ok_or("no frame for a PML4")?;
    let code = alloc_frame()?;
    let stack_frame = alloc_frame()?;
    space.map(CODE_VA, code, PageTableFlags::empty()).map_err(|_| "map code")?;
    let stack_flags = PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
    space.map(STACK_VA, stack_frame, stack_flags).map_err(|_| "map stack")?;
    space.write_bytes(CODE_VA, &USER_PROGRAM).map_err(|_| "load program")?;

    let mut user_stack = KernelStack::new().map_err(|_| "user task stack")?;
    let mut helper_stack = KernelStack::new().map_err(|_| "helper stack")?;
    *USER_STACK_RANGE.lock() = (user_stack.bottom(), user_stack.top());

    let entry = TrapFrame {
        rip: CODE_VA,
        rsp: STACK_VA + PAGE,
        rflags: RFlags::INTERRUPT_FLAG.bits(),
        ..TrapFrame::default()
    };
    {
        let mut contexts = CONTEXTS.lock();
        contexts.user = switch::prepare_user_entry(&mut user_stack, &entry);
        contexts
            .user
            .set_fs_base(USER_FS_BASE)
            .map_err(|_| "fs base")?;
        contexts.helper = switch::prepare_kernel_entry(&mut helper_stack, helper_task, 0);
    }

    space.activate();
    let (boot, user, _) = context_ptrs();
    irq::without_interrupts(|| switch::switch(boot, user));
    user_mm::activate_kernel_space();

    let written = *WRITTEN.lock();
    let failure = FAILURE.lock().take();
    space.clear(|_, frame| frame::free(frame));
    // Neither task will run again: the user one ended, the helper is parked.
    drop(user_stack);
    drop(helper_stack);

    if let Some(what) = failure {
        return Err(what);
    }
    check(EXIT_CODE.load(Ordering::Relaxed) == CHECK_RESULT, "exit code")?;
    check(&written == b"hello", "bytes written by the user program")?;
    check(HELPER_RAN.load(Ordering::Relaxed), "helper kernel task ran")?;
    check(SAW_SYSCALL_VECTOR.load(Ordering::Relaxed), "frame vector")?;
    check(FRAMES_ON_TASK_STACK.load(Ordering::Relaxed), "frame on the task's stack")?;
    check(FS_BASE_KEPT.load(Ordering::Relaxed), "fs base of the user task")?;
    // Two system calls returned, plus any interrupt that arrived in ring 3.
    check(RETURNS_TO_USER.load(Ordering::Relaxed) >= 2, "return_to_user hook calls")
}
