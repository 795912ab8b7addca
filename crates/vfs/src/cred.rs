//! Who is asking: credentials and permission checks by mode bits.

use alloc::vec::Vec;

use bitflags::bitflags;
use linux_raw_sys::general as raw;

use crate::errno::{Errno, Result};
use crate::types::{FileType, Stat};

/// The user id with every permission (`CAP_DAC_OVERRIDE`, `CAP_FOWNER`, ...).
pub const ROOT_UID: u32 = 0;

/// The identity permission checks use. The syscall layer fills it with the
/// filesystem ids (the effective ones), or with the real ids for `access(2)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

bitflags! {
    /// What a caller wants to do with an inode, as `access(2)` spells it.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Access: u32 {
        const READ = raw::R_OK;
        const WRITE = raw::W_OK;
        const EXEC = raw::X_OK;
    }
}

const OTHER_SHIFT: u32 = 0;
const GROUP_SHIFT: u32 = 3;
const OWNER_SHIFT: u32 = 6;
const EXEC_ANY: u32 = 0o111;

impl Credentials {
    /// uid 0, gid 0, no supplementary groups.
    pub fn root() -> Credentials {
        Credentials::default()
    }

    pub fn user(uid: u32, gid: u32) -> Credentials {
        Credentials {
            uid,
            gid,
            groups: Vec::new(),
        }
    }

    pub fn is_root(&self) -> bool {
        self.uid == ROOT_UID
    }

    /// Whether `gid` is the caller's group or one of its supplementary groups.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }

    /// Whether the caller owns the inode or may act as its owner (root).
    pub fn owns(&self, stat: &Stat) -> bool {
        self.is_root() || self.uid == stat.uid
    }

    /// Checks `want` against the inode's mode bits as Linux does: only the
    /// owner, group or other class the caller falls in counts; root may read
    /// and write anything and execute whatever has an x bit (or is a
    /// directory). `EACCES` when refused.
    pub fn check(&self, stat: &Stat, want: Access) -> Result<()> {
        if self.is_root() {
            let is_dir = FileType::from_mode(stat.mode) == Some(FileType::Directory);
            if !want.contains(Access::EXEC) || is_dir || stat.mode & EXEC_ANY != 0 {
                return Ok(());
            }
            return Err(Errno::EACCES.into());
        }

        let shift = if self.uid == stat.uid {
            OWNER_SHIFT
        } else if self.in_group(stat.gid) {
            GROUP_SHIFT
        } else {
            OTHER_SHIFT
        };
        let granted = (stat.mode >> shift) & Access::all().bits();
        if granted & want.bits() == want.bits() {
            Ok(())
        } else {
            Err(Errno::EACCES.into())
        }
    }

    /// The sticky-directory rule for unlink and rename: in a directory with
    /// `S_ISVTX`, only the owner of the entry or of the directory (or root)
    /// may remove it. `EPERM` otherwise.
    pub fn check_sticky(&self, dir: &Stat, victim: &Stat) -> Result<()> {
        if dir.mode & raw::S_ISVTX == 0 || self.owns(victim) || self.uid == dir.uid {
            Ok(())
        } else {
            Err(Errno::EPERM.into())
        }
    }
}
