//! Tests of the platform layer: frames, heap, paging, timers, interrupts,
//! the exception table and memory map normalization.

use alloc::boxed::Box;
use alloc::vec::Vec;

use platform::arch::{extable, trap};
use platform::boot::memmap::{self, FreeRange, MemoryKind, MemoryRegion};
use platform::boot::PhysRange;
use platform::mm::paging::{self, MapError, SCRATCH_BASE};
use platform::mm::{frame, heap};
use platform::{apic, cpu, serial, time};
use x86_64::structures::paging::PageTableFlags;
use x86_64::VirtAddr;

use super::{Test, TestResult};
use crate::ensure;

pub const TESTS: &[Test] = &[
    ("frame_alloc_free", frame_alloc_free),
    ("frame_many_distinct", frame_many_distinct),
    ("heap_alloc_free", heap_alloc_free),
    ("heap_large_alloc", heap_large_alloc),
    ("heap_oom_is_error", heap_oom_is_error),
    ("paging_round_trip", paging_round_trip),
    ("timer_ticks", timer_ticks),
    ("monotonic_clock", monotonic_clock),
    ("interrupt_delivery", interrupt_delivery),
    ("serial_receive_interrupt", serial_receive_interrupt),
    ("extable_fixup", extable_fixup),
    ("memmap_normalize", memmap_normalize),
];

const MS: u64 = 1_000_000;
/// A vector no device uses, for the self-IPI test.
const TEST_VECTOR: u8 = 0x40;

fn frame_alloc_free() -> TestResult {
    let before = frame::stats();
    let frame = frame::alloc_zeroed().ok_or("out of frames")?;
    ensure!(
        frame::stats().free == before.free - 1,
        "free count did not drop by one"
    );
    frame::free(frame);
    ensure!(
        frame::stats() == before,
        "stats not restored: {:?} vs {before:?}",
        frame::stats()
    );
    let again = frame::alloc().ok_or("out of frames")?;
    ensure!(again == frame, "freed frame not reused first");
    frame::free(again);
    Ok(())
}

fn frame_many_distinct() -> TestResult {
    const COUNT: usize = 1024;
    let mut frames = Vec::with_capacity(COUNT);
    let mut addresses: Vec<u64> = Vec::with_capacity(COUNT);
    // Taken after the vectors exist, as growing the heap uses frames too.
    let before = frame::stats();
    for _ in 0..COUNT {
        frames.push(frame::alloc().ok_or("out of frames")?);
    }
    addresses.extend(frames.iter().map(|f| f.start_address().as_u64()));
    addresses.sort_unstable();
    addresses.dedup();
    ensure!(
        addresses.len() == COUNT,
        "{} duplicate frames",
        COUNT - addresses.len()
    );
    ensure!(addresses.iter().all(|a| a % 4096 == 0), "unaligned frame");
    frames.into_iter().for_each(frame::free);
    ensure!(frame::stats() == before, "stats not restored after freeing");
    Ok(())
}

fn heap_alloc_free() -> TestResult {
    let boxed = Box::new(0x5a5a_u64);
    ensure!(*boxed == 0x5a5a, "box lost its value");
    let values: Vec<u64> = (0..10_000).collect();
    ensure!(
        values.iter().sum::<u64>() == 49_995_000,
        "vector contents wrong"
    );
    drop(values);
    let mapped = heap::mapped_bytes();
    for round in 0..100u64 {
        let data: Vec<u64> = (0..1000).map(|i| i * round).collect();
        ensure!(data[999] == 999 * round, "round {round} contents wrong");
    }
    ensure!(
        heap::mapped_bytes() == mapped,
        "freed memory was not reused"
    );
    Ok(())
}

fn heap_large_alloc() -> TestResult {
    const LEN: usize = 16 << 20;
    let mut big: Vec<u8> = Vec::new();
    big.try_reserve_exact(LEN)
        .map_err(|e| alloc::format!("16 MiB reserve failed: {e}"))?;
    big.resize(LEN, 0xa5);
    ensure!(
        big.iter().step_by(4096).all(|&b| b == 0xa5),
        "large buffer contents wrong"
    );
    let mapped = heap::mapped_bytes();
    drop(big);
    let again: Vec<u8> = alloc::vec![1; LEN];
    ensure!(again[LEN - 1] == 1, "second large buffer wrong");
    ensure!(
        heap::mapped_bytes() == mapped,
        "heap grew again for a freed size"
    );
    Ok(())
}

fn heap_oom_is_error() -> TestResult {
    let mut huge: Vec<u8> = Vec::new();
    ensure!(
        huge.try_reserve_exact(1 << 40).is_err(),
        "1 TiB reservation succeeded"
    );
    let small = Box::new(7u8);
    ensure!(*small == 7, "heap unusable after a failed allocation");
    Ok(())
}

fn paging_round_trip() -> TestResult {
    let page = SCRATCH_BASE + 4096u64;
    let frame = frame::alloc_zeroed().ok_or("out of frames")?;
    let writable = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | paging::no_execute();
    let result = (|| {
        paging::map(page, frame, writable).map_err(|e| alloc::format!("map: {e:?}"))?;
        let phys = paging::translate(page + 0x123u64).ok_or("mapped page does not translate")?;
        ensure!(
            phys == frame.start_address() + 0x123u64,
            "translated to {phys:?}"
        );
        let flags = paging::flags(page).ok_or("no flags")?;
        ensure!(
            flags.contains(PageTableFlags::WRITABLE),
            "not writable: {flags:?}"
        );
        ensure!(
            paging::map(page, frame, writable) == Err(MapError::AlreadyMapped),
            "double map not refused"
        );

        let read_only = PageTableFlags::PRESENT | paging::no_execute();
        paging::protect(page, read_only).map_err(|e| alloc::format!("protect: {e:?}"))?;
        let flags = paging::flags(page).ok_or("no flags after protect")?;
        ensure!(
            !flags.contains(PageTableFlags::WRITABLE),
            "still writable: {flags:?}"
        );

        let unmapped = paging::unmap(page).map_err(|e| alloc::format!("unmap: {e:?}"))?;
        ensure!(unmapped == frame, "unmap returned another frame");
        ensure!(
            paging::translate(page).is_none(),
            "still translates after unmap"
        );
        ensure!(
            paging::unmap(page) == Err(MapError::NotMapped),
            "second unmap not refused"
        );
        let outside = VirtAddr::new(0xffff_ffff_8000_0000);
        ensure!(
            paging::map(outside, frame, writable) == Err(MapError::OutsideRegion),
            "map outside the vmap region not refused"
        );
        Ok(())
    })();
    let _ = paging::unmap(page);
    frame::free(frame);
    result
}

/// Waits (interrupts on) until `done` holds or `timeout_ns` passes.
fn wait_until(timeout_ns: u64, done: impl Fn() -> bool) -> bool {
    let deadline = time::monotonic_ns() + timeout_ns;
    while !done() {
        if time::monotonic_ns() > deadline {
            return false;
        }
        cpu::idle();
    }
    true
}

fn timer_ticks() -> TestResult {
    let start = time::ticks();
    let started_ns = time::monotonic_ns();
    ensure!(
        wait_until(2000 * MS, || time::ticks() >= start + 5),
        "fewer than 5 ticks in 2 s"
    );
    let elapsed_ms = (time::monotonic_ns() - started_ns) / MS;
    // 5 ticks at 100 Hz take 40-50 ms; allow slack for emulation.
    ensure!(elapsed_ms >= 30, "5 ticks after only {elapsed_ms} ms");
    Ok(())
}

fn monotonic_clock() -> TestResult {
    let first = time::monotonic_ns();
    ensure!(first > 0, "monotonic clock not running");
    let mut last = first;
    for _ in 0..1000 {
        let now = time::monotonic_ns();
        ensure!(now >= last, "went backwards: {now} < {last}");
        last = now;
    }
    time::spin_ns(MS);
    ensure!(
        time::monotonic_ns() >= first + MS,
        "1 ms spin did not advance 1 ms"
    );
    // Any sane RTC reads after 2020-01-01.
    const JAN_2020_NS: u64 = 1_577_836_800 * 1_000_000_000;
    ensure!(
        time::realtime_ns() > JAN_2020_NS,
        "wall clock reads {} ns",
        time::realtime_ns()
    );
    Ok(())
}

fn interrupt_delivery() -> TestResult {
    let before = trap::interrupt_count(TEST_VECTOR);
    apic::send_self_ipi(TEST_VECTOR);
    let delivered = wait_until(100 * MS, || trap::interrupt_count(TEST_VECTOR) > before);
    ensure!(
        delivered,
        "self-IPI on vector {TEST_VECTOR:#x} never arrived"
    );
    Ok(())
}

/// A byte looped back through COM1 raises ISA IRQ 4, routed by the I/O APIC.
fn serial_receive_interrupt() -> TestResult {
    let vector = trap::ISA_IRQ_BASE_VECTOR + serial::COM1_IRQ;
    while serial::read_byte().is_some() {}
    let before = trap::interrupt_count(vector);
    serial::set_loopback(true);
    serial::write_bytes(b"k");
    let delivered = wait_until(100 * MS, || trap::interrupt_count(vector) > before);
    serial::set_loopback(false);
    while serial::read_byte().is_some() {}
    ensure!(
        delivered,
        "no interrupt on vector {vector:#x} for a received byte"
    );
    Ok(())
}

fn extable_fixup() -> TestResult {
    ensure!(extable::len() > 0, "exception table is empty");
    extable::check_fixup().map_err(alloc::string::String::from)
}

fn memmap_normalize() -> TestResult {
    let region = |start, end, kind| MemoryRegion { start, end, kind };
    let map = [
        region(0x1000, 0x9f800, MemoryKind::Usable),
        region(0x100000, 0x800000, MemoryKind::Usable),
        // Overlaps the previous entry and itself is unaligned.
        region(0x7ff800, 0x1000100, MemoryKind::Usable),
        // A reserved hole inside usable memory wins.
        region(0x400100, 0x401000, MemoryKind::Reserved),
        region(0x2000000, 0x2000000, MemoryKind::Usable),
    ];
    let exclude = [PhysRange {
        start: 0x200000,
        len: 0x1000,
    }];
    let ranges = memmap::free_ranges(&map, MemoryKind::Usable, &exclude);
    let expected = [
        FreeRange {
            start: 0x1000,
            end: 0x9f000,
        },
        FreeRange {
            start: 0x100000,
            end: 0x200000,
        },
        FreeRange {
            start: 0x201000,
            end: 0x400000,
        },
        FreeRange {
            start: 0x401000,
            end: 0x1000000,
        },
    ];
    ensure!(
        ranges.as_slice() == expected,
        "got {:x?}",
        ranges.as_slice()
    );
    Ok(())
}
