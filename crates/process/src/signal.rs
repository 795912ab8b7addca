//! Signal bookkeeping: numbers, masks, dispositions and pending queues.
//!
//! Standard signals (1..=31) coalesce: a second one sent while the first is
//! pending is dropped. Real-time signals (32..=64) queue, each with its own
//! `siginfo`, and are delivered lowest number first, in send order within a
//! number (signal(7)).

use alloc::collections::VecDeque;

use linux_raw_sys::general as raw;

/// A signal number in `1..=64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(u8);

/// The highest signal number (`_NSIG`).
pub const SIGNAL_COUNT: u32 = 64;

macro_rules! signals {
    ($($name:ident),* $(,)?) => {
        $(pub const $name: Signal = Signal(raw::$name as u8);)*
    };
}

signals!(
    SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV,
    SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN,
    SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS,
);

impl Signal {
    /// `None` unless `number` is a valid signal (1..=64).
    pub const fn new(number: u32) -> Option<Signal> {
        if number >= 1 && number <= SIGNAL_COUNT {
            Some(Signal(number as u8))
        } else {
            None
        }
    }

    pub const fn number(self) -> u32 {
        self.0 as u32
    }

    pub const fn is_realtime(self) -> bool {
        self.0 as u32 >= raw::SIGRTMIN
    }

    /// SIGKILL and SIGSTOP can be neither caught, blocked nor ignored.
    pub const fn is_unblockable(self) -> bool {
        self.0 == SIGKILL.0 || self.0 == SIGSTOP.0
    }

    /// What happens when the disposition is `SIG_DFL` (signal(7)).
    pub fn default_action(self) -> DefaultAction {
        match self {
            SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
            SIGCONT => DefaultAction::Continue,
            SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
            SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU
            | SIGXFSZ | SIGSYS => DefaultAction::Core,
            _ => DefaultAction::Terminate,
        }
    }

    fn bit(self) -> u64 {
        1 << (self.0 - 1)
    }
}

/// The default action of a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    /// Terminate and report a core dump in the wait status (no file is written).
    Core,
    Stop,
    Continue,
    Ignore,
}

/// A set of signals, laid out as the kernel's 64-bit `sigset_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigSet(u64);

impl SigSet {
    pub const EMPTY: SigSet = SigSet(0);

    pub const fn from_bits(bits: u64) -> SigSet {
        SigSet(bits)
    }

    pub const fn bits(self) -> u64 {
        self.0
    }

    pub fn contains(self, signal: Signal) -> bool {
        self.0 & signal.bit() != 0
    }

    pub fn insert(&mut self, signal: Signal) {
        self.0 |= signal.bit();
    }

    pub fn remove(&mut self, signal: Signal) {
        self.0 &= !signal.bit();
    }

    pub const fn union(self, other: SigSet) -> SigSet {
        SigSet(self.0 | other.0)
    }

    pub const fn difference(self, other: SigSet) -> SigSet {
        SigSet(self.0 & !other.0)
    }

    /// This set with SIGKILL and SIGSTOP removed, as every mask change does.
    pub fn without_unblockable(self) -> SigSet {
        SigSet(self.0 & !(SIGKILL.bit() | SIGSTOP.bit()))
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The lowest-numbered signal in the set.
    pub fn first(self) -> Option<Signal> {
        if self.0 == 0 {
            None
        } else {
            Signal::new(self.0.trailing_zeros() + 1)
        }
    }
}

/// What a process asked for with `rt_sigaction`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    /// `SIG_DFL` (0), `SIG_IGN` (1) or the handler's address.
    pub handler: u64,
    /// `SA_*` flags.
    pub flags: u64,
    pub restorer: u64,
    pub mask: SigSet,
}

/// `SIG_DFL` and `SIG_IGN` as handler values.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// The effective disposition of a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    Default(DefaultAction),
    Ignore,
    Handler(SigAction),
}

impl SigAction {
    pub fn disposition(&self, signal: Signal) -> Disposition {
        match self.handler {
            SIG_DFL => match signal.default_action() {
                DefaultAction::Ignore => Disposition::Ignore,
                action => Disposition::Default(action),
            },
            SIG_IGN => Disposition::Ignore,
            _ => Disposition::Handler(*self),
        }
    }

    pub fn has_flag(&self, flag: u32) -> bool {
        self.flags & flag as u64 != 0
    }
}

/// The dispositions of all 64 signals (shared by threads, copied by fork).
#[derive(Clone, Debug)]
pub struct SignalActions {
    actions: [SigAction; SIGNAL_COUNT as usize],
}

impl Default for SignalActions {
    fn default() -> Self {
        SignalActions {
            actions: [SigAction::default(); SIGNAL_COUNT as usize],
        }
    }
}

impl SignalActions {
    pub fn get(&self, signal: Signal) -> SigAction {
        self.actions[signal.number() as usize - 1]
    }

    pub fn set(&mut self, signal: Signal, action: SigAction) {
        self.actions[signal.number() as usize - 1] = action;
    }

    /// What execve keeps: caught signals go back to default, ignored stay ignored.
    pub fn reset_for_exec(&mut self) {
        for action in self.actions.iter_mut() {
            if action.handler != SIG_IGN {
                *action = SigAction::default();
            }
        }
    }

    /// The sets /proc reports as SigIgn and SigCgt.
    pub fn ignored_and_caught(&self) -> (SigSet, SigSet) {
        let mut ignored = SigSet::EMPTY;
        let mut caught = SigSet::EMPTY;
        for number in 1..=SIGNAL_COUNT {
            let Some(signal) = Signal::new(number) else {
                continue;
            };
            match self.get(signal).handler {
                SIG_DFL => {}
                SIG_IGN => ignored.insert(signal),
                _ => caught.insert(signal),
            }
        }
        (ignored, caught)
    }
}

/// The facts of one sent signal, from which the kernel writes a `siginfo_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u32,
    pub code: i32,
    pub errno: i32,
    /// Sender pid and uid (kill, sigqueue), the child (SIGCHLD), or the
    /// timer id and overrun count (SI_TIMER): `siginfo_t` lays them out alike.
    pub pid: u32,
    pub uid: u32,
    /// Faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE).
    pub addr: u64,
    /// `sigval` of sigqueue, or the child's status for SIGCHLD.
    pub value: u64,
}

/// Signals sent to a thread or a thread group and not yet delivered.
#[derive(Debug, Default)]
pub struct PendingSignals {
    set: SigSet,
    queue: VecDeque<SigInfo>,
}

/// Linux's default RLIMIT_SIGPENDING order of magnitude, as a queue bound.
pub const MAX_QUEUED_SIGNALS: usize = 4096;

impl PendingSignals {
    /// Queues `info`. A standard signal already pending is dropped; returns
    /// whether the signal was recorded.
    pub fn push(&mut self, signal: Signal, info: SigInfo) -> bool {
        if !signal.is_realtime() && self.set.contains(signal) {
            return false;
        }
        if self.queue.len() >= MAX_QUEUED_SIGNALS && signal.is_realtime() {
            return false;
        }
        self.set.insert(signal);
        self.queue.push_back(info);
        true
    }

    pub fn set(&self) -> SigSet {
        self.set
    }

    /// Takes the lowest pending signal not in `blocked`, with its info.
    pub fn pop(&mut self, blocked: SigSet) -> Option<(Signal, SigInfo)> {
        let signal = self.set.difference(blocked).first()?;
        self.take(signal).map(|info| (signal, info))
    }

    /// Takes the oldest instance of `signal`.
    pub fn take(&mut self, signal: Signal) -> Option<SigInfo> {
        let index = self
            .queue
            .iter()
            .position(|info| info.signo == signal.number())?;
        let info = self.queue.remove(index)?;
        if !self
            .queue
            .iter()
            .any(|other| other.signo == signal.number())
        {
            self.set.remove(signal);
        }
        Some(info)
    }

    /// The oldest pending instance that `matches`, to update in place (a
    /// timer counts an overrun on its signal still waiting for delivery).
    pub fn find_mut(&mut self, matches: impl Fn(&SigInfo) -> bool) -> Option<&mut SigInfo> {
        self.queue.iter_mut().find(|info| matches(info))
    }

    /// Drops every pending instance of `signal` (SIGCONT discards stops and
    /// the other way round; SIG_IGN discards the signal).
    pub fn discard(&mut self, signal: Signal) {
        self.queue.retain(|info| info.signo != signal.number());
        self.set.remove(signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(signal: Signal, value: u64) -> SigInfo {
        SigInfo {
            signo: signal.number(),
            value,
            ..SigInfo::default()
        }
    }

    #[test]
    fn standard_signals_coalesce() {
        let mut pending = PendingSignals::default();
        assert!(pending.push(SIGUSR1, info(SIGUSR1, 1)));
        assert!(!pending.push(SIGUSR1, info(SIGUSR1, 2)));
        assert_eq!(pending.pop(SigSet::EMPTY).map(|(s, _)| s), Some(SIGUSR1));
        assert_eq!(pending.pop(SigSet::EMPTY), None);
    }

    #[test]
    fn realtime_signals_queue_in_order() {
        let rt = Signal::new(40).unwrap();
        let mut pending = PendingSignals::default();
        pending.push(rt, info(rt, 1));
        pending.push(rt, info(rt, 2));
        assert_eq!(pending.pop(SigSet::EMPTY).unwrap().1.value, 1);
        assert_eq!(pending.pop(SigSet::EMPTY).unwrap().1.value, 2);
    }

    #[test]
    fn pending_info_can_be_updated_in_place() {
        let mut pending = PendingSignals::default();
        pending.push(SIGALRM, info(SIGALRM, 7));
        let found = pending.find_mut(|i| i.value == 7);
        found.expect("queued").pid = 3;
        assert!(pending.find_mut(|i| i.value == 8).is_none());
        assert_eq!(pending.pop(SigSet::EMPTY).unwrap().1.pid, 3);
    }

    #[test]
    fn lowest_unblocked_signal_goes_first() {
        let mut pending = PendingSignals::default();
        pending.push(SIGTERM, info(SIGTERM, 0));
        pending.push(SIGINT, info(SIGINT, 0));
        let mut blocked = SigSet::EMPTY;
        blocked.insert(SIGINT);
        assert_eq!(pending.pop(blocked).map(|(s, _)| s), Some(SIGTERM));
        assert_eq!(pending.pop(blocked), None);
        assert_eq!(pending.pop(SigSet::EMPTY).map(|(s, _)| s), Some(SIGINT));
    }

    #[test]
    fn default_actions_follow_signal_7() {
        assert_eq!(SIGCHLD.default_action(), DefaultAction::Ignore);
        assert_eq!(SIGSEGV.default_action(), DefaultAction::Core);
        assert_eq!(SIGTSTP.default_action(), DefaultAction::Stop);
        assert_eq!(SIGCONT.default_action(), DefaultAction::Continue);
        assert_eq!(SIGTERM.default_action(), DefaultAction::Terminate);
    }

    #[test]
    fn exec_resets_handlers_but_keeps_ignores() {
        let mut actions = SignalActions::default();
        actions.set(
            SIGINT,
            SigAction {
                handler: SIG_IGN,
                ..SigAction::default()
            },
        );
        actions.set(
            SIGUSR1,
            SigAction {
                handler: 0x4000,
                ..SigAction::default()
            },
        );
        actions.reset_for_exec();
        assert_eq!(actions.get(SIGINT).handler, SIG_IGN);
        assert_eq!(actions.get(SIGUSR1).handler, SIG_DFL);
    }

    #[test]
    fn masks_never_hold_kill_or_stop() {
        let all = SigSet::from_bits(u64::MAX).without_unblockable();
        assert!(!all.contains(SIGKILL));
        assert!(!all.contains(SIGSTOP));
        assert!(all.contains(SIGINT));
    }
}
