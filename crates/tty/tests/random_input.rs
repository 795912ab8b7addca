//! Random byte streams and settings never panic the line discipline and
//! never grow its input past the bound. The cargo-fuzz target in `fuzz/`
//! runs the same kind of operations for much longer.

use linux_raw_sys::general as raw;
use proptest::prelude::*;
use tty::termios::NCCS;
use tty::{LineDiscipline, ReadOutcome, ReadRequest, ReadStep, Termios, INPUT_CAPACITY};

#[derive(Clone, Debug)]
enum Op {
    Receive(Vec<u8>),
    Flood(u8, usize),
    Read(usize),
    Step(usize, u64),
    Output(Vec<u8>),
    SetFlags { iflag: u32, oflag: u32, lflag: u32 },
    SetChar(usize, u8),
    Flush,
}

/// Flag bits the line discipline looks at.
const IFLAGS: u32 = raw::ISTRIP
    | raw::INLCR
    | raw::IGNCR
    | raw::ICRNL
    | raw::IUCLC
    | raw::IXON
    | raw::IXANY
    | raw::IMAXBEL
    | raw::IUTF8;
const OFLAGS: u32 =
    raw::OPOST | raw::OLCUC | raw::ONLCR | raw::OCRNL | raw::ONOCR | raw::ONLRET | raw::TABDLY;
const LFLAGS: u32 = raw::ISIG
    | raw::ICANON
    | raw::ECHO
    | raw::ECHOE
    | raw::ECHOK
    | raw::ECHONL
    | raw::NOFLSH
    | raw::ECHOCTL
    | raw::ECHOPRT
    | raw::ECHOKE
    | raw::IEXTEN;

/// Bytes weighted toward the ones that mean something.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => any::<u8>(),
        2 => prop::sample::select(vec![
            0x03, 0x04, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x1a, 0x1c, 0x7f, b'\r', b'\n',
            b'\t', b' ', b'a', b'_', 0xc3, 0xa9,
        ]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::collection::vec(interesting_byte(), 0..64).prop_map(Op::Receive),
        1 => (interesting_byte(), 0..6000usize).prop_map(|(b, n)| Op::Flood(b, n)),
        3 => (0..5000usize).prop_map(Op::Read),
        2 => (0..300usize, 0..1_000_000_000u64).prop_map(|(n, t)| Op::Step(n, t)),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Op::Output),
        1 => (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(i, o, l)| Op::SetFlags {
            iflag: i & IFLAGS,
            oflag: o & OFLAGS,
            lflag: l & LFLAGS,
        }),
        1 => (0..NCCS, any::<u8>()).prop_map(|(i, c)| Op::SetChar(i, c)),
        1 => Just(Op::Flush),
    ]
}

fn check_bounds(ldisc: &LineDiscipline) {
    assert!(ldisc.buffered_bytes() <= INPUT_CAPACITY);
    assert!(ldisc.pending_bytes() <= ldisc.buffered_bytes());
}

fn apply(ldisc: &mut LineDiscipline, op: &Op, clock: &mut u64) {
    let mut out = Vec::new();
    match op {
        Op::Receive(bytes) => {
            for &byte in bytes {
                ldisc.receive(byte, &mut out);
            }
        }
        Op::Flood(byte, count) => {
            for _ in 0..*count {
                ldisc.receive(*byte, &mut out);
            }
        }
        Op::Read(len) => {
            let mut buf = vec![0; *len];
            let before = ldisc.buffered_bytes();
            match ldisc.read(&mut buf) {
                ReadOutcome::Data(n) => {
                    assert!(n <= *len);
                    assert_eq!(ldisc.buffered_bytes(), before - n);
                }
                ReadOutcome::Eof => assert!(ldisc.is_canonical()),
                ReadOutcome::WouldBlock => assert!(!ldisc.readable() || ldisc.is_canonical()),
            }
        }
        Op::Step(len, advance) => {
            let mut buf = vec![0; *len];
            let mut request = ReadRequest::new(ldisc, *len, *clock);
            *clock += advance;
            match request.step(ldisc, &mut buf, *clock) {
                ReadStep::Done(n) => assert!(n <= *len),
                ReadStep::Wait { .. } => assert!(request.copied() < (*len).max(1)),
            }
        }
        Op::Output(data) => ldisc.process_output(data, &mut out),
        Op::SetFlags {
            iflag,
            oflag,
            lflag,
        } => {
            let mut termios = ldisc.termios();
            termios.c_iflag = *iflag;
            termios.c_oflag = *oflag;
            termios.c_lflag = *lflag;
            ldisc.set_termios(termios);
        }
        Op::SetChar(index, value) => {
            let mut termios = ldisc.termios();
            termios.c_cc[*index] = *value;
            ldisc.set_termios(termios);
        }
        Op::Flush => ldisc.flush_input(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_streams_never_panic_or_overflow(ops in prop::collection::vec(op(), 1..40)) {
        let mut ldisc = LineDiscipline::new();
        let mut clock = 0;
        for op in &ops {
            apply(&mut ldisc, op, &mut clock);
            check_bounds(&ldisc);
        }
    }

    #[test]
    fn any_termios_bytes_are_accepted(
        bytes in prop::array::uniform32(any::<u8>()),
        tail in any::<u32>(),
    ) {
        let mut all = [0u8; tty::TERMIOS_SIZE];
        all[..32].copy_from_slice(&bytes);
        all[32..].copy_from_slice(&tail.to_ne_bytes());
        let termios = Termios::from_bytes(&all);
        let mut ldisc = LineDiscipline::new();
        ldisc.set_termios(termios);
        let mut out = Vec::new();
        for byte in 0..=255u8 {
            ldisc.receive(byte, &mut out);
        }
        check_bounds(&ldisc);
    }
}
