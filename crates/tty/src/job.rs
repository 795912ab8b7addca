//! Job control bookkeeping: the session a terminal controls and its
//! foreground process group, with the rules of the job-control ioctls.
//! The kernel supplies the facts about processes; nothing here looks them up.

use vfs::{Errno, Result};

/// The process asking, by its ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub pid: u32,
    pub pgid: u32,
    pub sid: u32,
}

impl Caller {
    pub fn is_session_leader(&self) -> bool {
        self.pid == self.sid
    }
}

/// The controlling-terminal state of one terminal.
///
/// A process has this terminal as its controlling terminal exactly when
/// it is in the recorded session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobControl {
    session: Option<u32>,
    foreground: Option<u32>,
}

/// A session that lost its terminal: its foreground group gets SIGHUP and
/// SIGCONT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Detached {
    pub session: u32,
    pub foreground: Option<u32>,
}

impl JobControl {
    pub fn session(&self) -> Option<u32> {
        self.session
    }

    pub fn foreground(&self) -> Option<u32> {
        self.foreground
    }

    /// Whether this is the caller's controlling terminal.
    pub fn is_controlling(&self, caller: &Caller) -> bool {
        self.session == Some(caller.sid)
    }

    /// Whether the caller is in the terminal's session but not in its
    /// foreground group: reads then raise SIGTTIN, and writes (TOSTOP) and
    /// settings changes SIGTTOU.
    pub fn is_background(&self, caller: &Caller) -> bool {
        self.is_controlling(caller) && self.foreground.is_some_and(|pgid| pgid != caller.pgid)
    }

    /// `TIOCSCTTY`: a session leader without a terminal takes this one,
    /// its group becoming the foreground. A terminal another session holds
    /// is taken only with `may_steal` (argument 1 from a privileged caller).
    pub fn attach(&mut self, caller: &Caller, may_steal: bool) -> Result<()> {
        if caller.is_session_leader() && self.is_controlling(caller) {
            return Ok(());
        }
        if !caller.is_session_leader() {
            return Err(Errno::EPERM.into());
        }
        if self.session.is_some() && !may_steal {
            return Err(Errno::EPERM.into());
        }
        self.session = Some(caller.sid);
        self.foreground = Some(caller.pgid);
        Ok(())
    }

    /// `TIOCSPGRP`. `group_session` is the session of process group `pgid`,
    /// `None` when no process is in that group.
    pub fn set_foreground(
        &mut self,
        caller: &Caller,
        pgid: i32,
        group_session: Option<u32>,
    ) -> Result<()> {
        if !self.is_controlling(caller) {
            return Err(Errno::ENOTTY.into());
        }
        let pgid = u32::try_from(pgid).map_err(|_| Errno::EINVAL)?;
        match group_session {
            None => Err(Errno::ESRCH.into()),
            Some(sid) if sid != caller.sid => Err(Errno::EPERM.into()),
            Some(_) => {
                self.foreground = Some(pgid);
                Ok(())
            }
        }
    }

    /// `TIOCGPGRP`: the foreground group, 0 when there is none.
    pub fn foreground_for(&self, caller: &Caller) -> Result<u32> {
        if !self.is_controlling(caller) {
            return Err(Errno::ENOTTY.into());
        }
        Ok(self.foreground.unwrap_or(0))
    }

    /// `TIOCGSID`.
    pub fn session_for(&self, caller: &Caller) -> Result<u32> {
        match self.session {
            Some(sid) if sid == caller.sid => Ok(sid),
            _ => Err(Errno::ENOTTY.into()),
        }
    }

    /// `TIOCNOTTY`. A session leader gives the terminal up for its whole
    /// session; for anyone else this returns `Ok(None)` and changes nothing,
    /// since the terminal is shared by the session as a whole.
    pub fn release(&mut self, caller: &Caller) -> Result<Option<Detached>> {
        if !self.is_controlling(caller) {
            return Err(Errno::ENOTTY.into());
        }
        if caller.is_session_leader() {
            Ok(self.detach_session(caller.sid))
        } else {
            Ok(None)
        }
    }

    /// A session leader exited or gave the terminal up: if `sid` holds it,
    /// the terminal becomes free.
    pub fn detach_session(&mut self, sid: u32) -> Option<Detached> {
        if self.session != Some(sid) {
            return None;
        }
        let detached = Detached {
            session: sid,
            foreground: self.foreground,
        };
        self.session = None;
        self.foreground = None;
        Some(detached)
    }
}
