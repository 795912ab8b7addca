//! How a process ended or changed state, and the `wait4` status word for it.

use crate::signal::Signal;

/// A state change a parent can collect with `wait4`/`waitid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// `exit(code)`: only the low 8 bits of the code survive.
    Exited(u8),
    /// Killed by a signal; `core` is set for signals whose default action dumps core.
    Signaled { signal: Signal, core: bool },
    /// Stopped by a signal (reported with WUNTRACED).
    Stopped(Signal),
    /// Resumed by SIGCONT (reported with WCONTINUED).
    Continued,
}

const CORE_FLAG: u32 = 0x80;
const STOPPED_MARK: u32 = 0x7f;
const CONTINUED_WORD: u32 = 0xffff;

impl ExitStatus {
    /// The status word `wait4` stores, as `WIFEXITED` and friends decode it.
    pub fn wait_status(self) -> u32 {
        match self {
            ExitStatus::Exited(code) => (code as u32) << 8,
            ExitStatus::Signaled { signal, core } => {
                signal.number() | if core { CORE_FLAG } else { 0 }
            }
            ExitStatus::Stopped(signal) => (signal.number() << 8) | STOPPED_MARK,
            ExitStatus::Continued => CONTINUED_WORD,
        }
    }

    /// The `exit_code` field of /proc/<pid>/stat (the same word).
    pub fn proc_exit_code(self) -> u32 {
        self.wait_status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{SIGKILL, SIGSEGV, SIGTSTP};

    #[test]
    fn exit_code_lives_in_the_second_byte() {
        assert_eq!(ExitStatus::Exited(42).wait_status(), 42 << 8);
    }

    #[test]
    fn signal_death_sets_low_bits_and_core_flag() {
        assert_eq!(
            ExitStatus::Signaled {
                signal: SIGKILL,
                core: false
            }
            .wait_status(),
            9
        );
        assert_eq!(
            ExitStatus::Signaled {
                signal: SIGSEGV,
                core: true
            }
            .wait_status(),
            0x8b
        );
    }

    #[test]
    fn stop_and_continue_words_match_linux() {
        assert_eq!(ExitStatus::Stopped(SIGTSTP).wait_status(), 0x147f);
        assert_eq!(ExitStatus::Continued.wait_status(), 0xffff);
    }
}
