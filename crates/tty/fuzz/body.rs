//! The fuzz body, shared by the cargo-fuzz target and the host test
//! `tests/fuzz_body.rs`: arbitrary bytes are read as a stream of
//! operations on one line discipline, and its bounds are checked after each.
//!
//! Most bytes are received as terminal input. Bytes from 0xf0 are commands
//! taking the bytes after them as arguments:
//!
//! | byte | operation                                           |
//! |------|-----------------------------------------------------|
//! | f0 n | read with an `n * 17`-byte buffer                   |
//! | f1 b | toggle bit `b % 32` of `c_lflag`                    |
//! | f2 b | toggle bit `b % 32` of `c_iflag`                    |
//! | f3 b | toggle bit `b % 32` of `c_oflag`                    |
//! | f4 i v | set `c_cc[i % NCCS]` to `v`                       |
//! | f5   | flush input                                         |
//! | f6 n t | one step of a VMIN/VTIME read of `n` bytes, `t * 10 ms` later |
//! | f7 n … | process `n % 32` bytes of output                  |
//! | f8 b n | receive `b` `n * 32` times                        |
//! | f9 w | set the window size to `w` by `w` and back          |
//! | ff b | receive `b` itself (any value)                      |
//!
//! The other bytes from 0xfa to 0xfe are received as input too.

use tty::termios::NCCS;
use tty::{LineDiscipline, ReadOutcome, ReadRequest, ReadStep, Winsize, INPUT_CAPACITY};

const MS: u64 = 1_000_000;

pub fn run(data: &[u8]) {
    let mut ldisc = LineDiscipline::new();
    let mut out = Vec::new();
    let mut clock_ns = 0u64;
    let mut bytes = data.iter().copied();

    while let Some(byte) = bytes.next() {
        let mut arg = || bytes.next().unwrap_or(0);
        match byte {
            0xf0 => {
                let mut buf = vec![0; usize::from(arg()) * 17];
                let before = ldisc.buffered_bytes();
                if let ReadOutcome::Data(n) = ldisc.read(&mut buf) {
                    assert!(n <= buf.len());
                    assert_eq!(ldisc.buffered_bytes(), before - n);
                }
            }
            0xf1..=0xf3 => {
                let bit = 1u32 << (arg() % 32);
                let mut termios = ldisc.termios();
                match byte {
                    0xf1 => termios.c_lflag ^= bit,
                    0xf2 => termios.c_iflag ^= bit,
                    _ => termios.c_oflag ^= bit,
                }
                ldisc.set_termios(termios);
            }
            0xf4 => {
                let index = usize::from(arg()) % NCCS;
                let mut termios = ldisc.termios();
                termios.c_cc[index] = arg();
                ldisc.set_termios(termios);
            }
            0xf5 => ldisc.flush_input(),
            0xf6 => {
                let len = usize::from(arg());
                let mut buf = vec![0; len];
                let mut request = ReadRequest::new(&ldisc, len, clock_ns);
                clock_ns += u64::from(arg()) * 10 * MS;
                match request.step(&mut ldisc, &mut buf, clock_ns) {
                    ReadStep::Done(n) => assert!(n <= len),
                    ReadStep::Wait { deadline_ns } => {
                        assert!(request.copied() <= len);
                        assert!(deadline_ns.is_none_or(|deadline| deadline > clock_ns));
                    }
                }
            }
            0xf7 => {
                let count = usize::from(arg()) % 32;
                let data: Vec<u8> = (0..count).map(|_| arg()).collect();
                ldisc.process_output(&data, &mut out);
            }
            0xf8 => {
                let value = arg();
                for _ in 0..usize::from(arg()) * 32 {
                    ldisc.receive(value, &mut out);
                }
            }
            0xf9 => {
                let side = u16::from(arg());
                let size = Winsize {
                    rows: side,
                    cols: side,
                    xpixel: 0,
                    ypixel: 0,
                };
                let changes = ldisc.winsize() != size;
                assert_eq!(ldisc.set_winsize(size), changes);
                ldisc.set_winsize(Winsize::default());
            }
            0xff => {
                let value = arg();
                ldisc.receive(value, &mut out);
            }
            _ => {
                ldisc.receive(byte, &mut out);
            }
        }

        assert!(ldisc.buffered_bytes() <= INPUT_CAPACITY);
        assert!(ldisc.pending_bytes() <= ldisc.buffered_bytes());
        out.clear();
    }
}
