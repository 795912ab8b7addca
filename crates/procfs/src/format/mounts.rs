//! `/proc/<pid>/mounts` (fstab format) and `/proc/<pid>/mountinfo`.

use alloc::vec::Vec;

use super::{push_escaped_path, put, Text};
use crate::source::MountEntry;

/// Bytes escaped as octal in the path fields, so fields stay space-separated.
const MOUNT_SPECIAL: &[u8] = b" \t\n\\";

/// The text of `/proc/<pid>/mounts`: source, mount point, type, options, and
/// the dump and pass fields, always 0.
pub fn pid_mounts(mounts: &[MountEntry]) -> Vec<u8> {
    let mut text = Text::new();
    for mount in mounts {
        push_escaped_path(&mut text, &mount.source, MOUNT_SPECIAL);
        text.push(b' ');
        push_escaped_path(&mut text, &mount.mount_point, MOUNT_SPECIAL);
        text.push(b' ');
        push_escaped_path(&mut text, &mount.fs_type, MOUNT_SPECIAL);
        let read_only = mount.read_only || mount.fs_read_only;
        text.push_str(if read_only { " ro" } else { " rw" });
        push_options(&mut text, &mount.mount_flags);
        push_options(&mut text, &mount.fs_options);
        text.push_str(" 0 0\n");
    }
    text.into_bytes()
}

/// The text of `/proc/<pid>/mountinfo` (see proc(5) for the fields).
pub fn pid_mountinfo(mounts: &[MountEntry]) -> Vec<u8> {
    let mut text = Text::new();
    for mount in mounts {
        put!(
            &mut text,
            "{} {} {}:{} ",
            mount.id,
            mount.parent_id,
            mount.dev.major,
            mount.dev.minor
        );
        push_escaped_path(&mut text, &mount.root, MOUNT_SPECIAL);
        text.push(b' ');
        push_escaped_path(&mut text, &mount.mount_point, MOUNT_SPECIAL);
        text.push_str(if mount.read_only { " ro" } else { " rw" });
        push_options(&mut text, &mount.mount_flags);
        if !mount.propagation.is_empty() {
            text.push(b' ');
            text.push_str(&mount.propagation);
        }
        text.push_str(" - ");
        push_escaped_path(&mut text, &mount.fs_type, MOUNT_SPECIAL);
        text.push(b' ');
        push_escaped_path(&mut text, &mount.source, MOUNT_SPECIAL);
        text.push_str(if mount.fs_read_only { " ro" } else { " rw" });
        push_options(&mut text, &mount.fs_options);
        text.push(b'\n');
    }
    text.into_bytes()
}

fn push_options(text: &mut Text, options: &str) {
    if !options.is_empty() {
        text.push(b',');
        text.push_str(options);
    }
}
