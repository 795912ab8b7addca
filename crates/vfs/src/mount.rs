//! Mounts and the mount table.
//!
//! A [`Mount`] attaches a filesystem (or, for a bind mount, a directory of
//! one) at a directory of another mount. The table finds the mount covering
//! a directory by `(mount id, inode number)`, so crossing into a mount costs
//! one map lookup, and only in mounts that have mounts below them.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;

use bitflags::bitflags;
use linux_raw_sys::general as raw;

use crate::errno::Result;
use crate::inode::{FileSystem, InodeRef};
use crate::node::PathNode;
use crate::types::DeviceId;

bitflags! {
    /// Per-mount flags, with `mount(2)`'s `MS_*` values.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct MountFlags: u32 {
        const RDONLY = raw::MS_RDONLY;
        const NOSUID = raw::MS_NOSUID;
        const NODEV = raw::MS_NODEV;
        const NOEXEC = raw::MS_NOEXEC;
        const SYNCHRONOUS = raw::MS_SYNCHRONOUS;
        const NOATIME = raw::MS_NOATIME;
        const NODIRATIME = raw::MS_NODIRATIME;
        const RELATIME = raw::MS_RELATIME;
        const STRICTATIME = raw::MS_STRICTATIME;
    }
}

/// `statfs` `f_flags` bits (`ST_*` of `linux/statfs.h`, which linux-raw-sys
/// does not carry), in the order [`MountFlags::statfs_flags`] maps them.
pub const ST_RDONLY: u64 = 0x0001;
pub const ST_NOSUID: u64 = 0x0002;
pub const ST_NODEV: u64 = 0x0004;
pub const ST_NOEXEC: u64 = 0x0008;
pub const ST_SYNCHRONOUS: u64 = 0x0010;
pub const ST_NOATIME: u64 = 0x0400;
pub const ST_NODIRATIME: u64 = 0x0800;
pub const ST_RELATIME: u64 = 0x1000;

impl MountFlags {
    /// The `f_flags` of `statfs` for a mount with these flags.
    pub fn statfs_flags(self) -> u64 {
        const MAP: [(MountFlags, u64); 8] = [
            (MountFlags::RDONLY, ST_RDONLY),
            (MountFlags::NOSUID, ST_NOSUID),
            (MountFlags::NODEV, ST_NODEV),
            (MountFlags::NOEXEC, ST_NOEXEC),
            (MountFlags::SYNCHRONOUS, ST_SYNCHRONOUS),
            (MountFlags::NOATIME, ST_NOATIME),
            (MountFlags::NODIRATIME, ST_NODIRATIME),
            (MountFlags::RELATIME, ST_RELATIME),
        ];
        MAP.iter()
            .filter(|(flag, _)| self.contains(*flag))
            .fold(0, |bits, (_, st)| bits | st)
    }

    /// The options column of `/proc/mounts` (`rw,nosuid,relatime`).
    pub fn options(self) -> String {
        let mut text = String::from(if self.contains(MountFlags::RDONLY) {
            "ro"
        } else {
            "rw"
        });
        for (flag, name) in [
            (MountFlags::NOSUID, "nosuid"),
            (MountFlags::NODEV, "nodev"),
            (MountFlags::NOEXEC, "noexec"),
            (MountFlags::SYNCHRONOUS, "sync"),
            (MountFlags::NOATIME, "noatime"),
            (MountFlags::NODIRATIME, "nodiratime"),
            (MountFlags::RELATIME, "relatime"),
        ] {
            if self.contains(flag) {
                text.push(',');
                text.push_str(name);
            }
        }
        text
    }
}

/// A mount's identity in its table; never reused.
pub type MountId = u64;

/// One mounted filesystem (or bind-mounted directory).
pub struct Mount {
    id: MountId,
    fs: Arc<dyn FileSystem>,
    root: InodeRef,
    /// The directory this mount covers; `None` for the namespace root.
    mountpoint: Option<Arc<PathNode>>,
    /// Inode number of the covered directory, the key in the table.
    covered_ino: u64,
    flags: MountFlags,
    source: String,
}

impl Mount {
    pub fn id(&self) -> MountId {
        self.id
    }

    pub fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }

    /// The inode at the top of this mount: the filesystem root, or the bound
    /// directory of a bind mount.
    pub fn root(&self) -> &InodeRef {
        &self.root
    }

    pub fn mountpoint(&self) -> Option<&Arc<PathNode>> {
        self.mountpoint.as_ref()
    }

    pub fn flags(&self) -> MountFlags {
        self.flags
    }

    pub fn is_read_only(&self) -> bool {
        self.flags.contains(MountFlags::RDONLY)
    }

    /// What was mounted, as `/proc/mounts` shows it (`none`, `/dev/sda1`).
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// One line of `/proc/mounts` (and of `mountinfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountInfo {
    pub id: MountId,
    /// The mount this one sits on; the root mount is its own parent, as in
    /// Linux's `mountinfo`.
    pub parent_id: MountId,
    /// The device number of the mounted filesystem (its root's `st_dev`).
    pub dev: DeviceId,
    pub source: String,
    /// Absolute path of the mount point.
    pub target: String,
    pub fs_type: String,
    pub flags: MountFlags,
    /// `flags` as text: `rw,relatime`.
    pub options: String,
}

/// Formats mounts as `/proc/mounts` does: `source target fstype options 0 0`,
/// with blanks and backslashes in fields escaped as octal (`\040`).
pub fn format_mounts(mounts: &[MountInfo]) -> String {
    let mut text = String::new();
    for mount in mounts {
        for field in [&mount.source, &mount.target, &mount.fs_type, &mount.options] {
            push_escaped(&mut text, field);
            text.push(' ');
        }
        text.push_str("0 0\n");
    }
    text
}

fn push_escaped(text: &mut String, field: &str) {
    for c in field.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\\') {
            // Writing to a String cannot fail.
            let _ = write!(text, "\\{:03o}", c as u32);
        } else {
            text.push(c);
        }
    }
}

/// All mounts of a namespace, in mount order.
#[derive(Default)]
pub(crate) struct MountTable {
    by_id: BTreeMap<MountId, Arc<Mount>>,
    /// `(parent mount, inode number of the covered directory)` to the mount
    /// on top of it.
    covering: BTreeMap<(MountId, u64), MountId>,
    next_id: MountId,
}

impl MountTable {
    /// Adds a mount over `mountpoint` (an inode with number `covered_ino`).
    pub(crate) fn add(
        &mut self,
        fs: Arc<dyn FileSystem>,
        root: InodeRef,
        mountpoint: Option<(Arc<PathNode>, u64)>,
        flags: MountFlags,
        source: &str,
    ) -> Arc<Mount> {
        let id = self.next_id;
        self.next_id += 1;
        let key = mountpoint
            .as_ref()
            .map(|(node, ino)| (node.mount().id(), *ino));
        let mount = Arc::new(Mount {
            id,
            fs,
            root,
            covered_ino: mountpoint.as_ref().map_or(0, |(_, ino)| *ino),
            mountpoint: mountpoint.map(|(node, _)| node),
            flags,
            source: String::from(source),
        });
        self.by_id.insert(id, mount.clone());
        if let Some(key) = key {
            self.covering.insert(key, id);
        }
        mount
    }

    /// A mount kept outside the table, for files no path reaches.
    pub(crate) fn detached(
        &mut self,
        fs: Arc<dyn FileSystem>,
        root: InodeRef,
        flags: MountFlags,
        source: &str,
    ) -> Arc<Mount> {
        let id = self.next_id;
        self.next_id += 1;
        Arc::new(Mount {
            id,
            fs,
            root,
            mountpoint: None,
            covered_ino: 0,
            flags,
            source: String::from(source),
        })
    }

    /// Removes a mount; the caller checked that nothing uses it.
    pub(crate) fn remove(&mut self, mount: &Mount) -> Option<Arc<Mount>> {
        if let Some(point) = &mount.mountpoint {
            self.covering
                .remove(&(point.mount().id(), mount.covered_ino));
        }
        self.by_id.remove(&mount.id)
    }

    /// Whether any mount sits on a directory of `parent`.
    /// The mounts directly on top of directories of `parent`.
    pub(crate) fn children(&self, parent: MountId) -> Vec<Arc<Mount>> {
        self.covering
            .range((parent, 0)..=(parent, u64::MAX))
            .filter_map(|(_, id)| self.by_id.get(id).cloned())
            .collect()
    }

    pub(crate) fn has_children(&self, parent: MountId) -> bool {
        self.covering
            .range((parent, 0)..=(parent, u64::MAX))
            .next()
            .is_some()
    }

    /// The mount covering inode `ino` of mount `parent`, if any.
    pub(crate) fn covering(&self, parent: MountId, ino: u64) -> Option<&Arc<Mount>> {
        let id = self.covering.get(&(parent, ino))?;
        self.by_id.get(id)
    }

    /// Goes down through the mounts stacked on `inode` of `mount`: the mount
    /// and inode a lookup that reached `inode` really ends at.
    pub(crate) fn cross(
        &self,
        mount: &Arc<Mount>,
        inode: InodeRef,
    ) -> Result<(Arc<Mount>, InodeRef)> {
        let mut mount = mount.clone();
        let mut inode = inode;
        while self.has_children(mount.id) {
            let ino = inode.stat()?.ino;
            let Some(top) = self.covering(mount.id, ino) else {
                break;
            };
            mount = top.clone();
            inode = top.root.clone();
        }
        Ok((mount, inode))
    }

    pub(crate) fn mounts(&self) -> Vec<Arc<Mount>> {
        self.by_id.values().cloned().collect()
    }
}
