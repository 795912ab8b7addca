//! `maps`, `mounts` and `mountinfo` formats, checked against text read from
//! a real Linux (values copied from its /proc; the layout must match byte for
//! byte).

use procfs::format::{maps, mounts};
use procfs::*;
use vfs::DeviceId;

fn file_map(start: u64, end: u64, perms: &str, offset: u64, inode: u64, path: &str) -> MapEntry {
    MapEntry {
        start,
        end,
        read: perms.contains('r'),
        write: perms.contains('w'),
        exec: perms.contains('x'),
        shared: perms.ends_with('s'),
        offset,
        dev: DeviceId::new(0xfe, 0),
        inode,
        name: MapName::File(path.into()),
    }
}

fn anon_map(start: u64, end: u64, perms: &str, name: MapName) -> MapEntry {
    MapEntry {
        start,
        end,
        read: perms.contains('r'),
        write: perms.contains('w'),
        exec: perms.contains('x'),
        name,
        ..MapEntry::default()
    }
}

#[test]
fn maps_match_linux_padding() {
    let entries = [
        file_map(
            0x5642fc453000,
            0x5642fc455000,
            "r--p",
            0,
            247030,
            "/usr/bin/cat",
        ),
        file_map(
            0x5642fc455000,
            0x5642fc45a000,
            "r-xp",
            0x2000,
            247030,
            "/usr/bin/cat",
        ),
        anon_map(0x5642fe4d9000, 0x5642fe4fa000, "rw-p", MapName::Heap),
        anon_map(0x7f997054e000, 0x7f9970570000, "rw-p", MapName::Anonymous),
        file_map(
            0x7f99707b6000,
            0x7f99707bd000,
            "r--s",
            0,
            325745,
            "/usr/lib/gconv.cache",
        ),
        anon_map(0x7f99707c0000, 0x7f99707c4000, "r--p", MapName::Vvar),
        anon_map(0x7f99707c6000, 0x7f99707c8000, "r-xp", MapName::Vdso),
        anon_map(0x7ffea73fd000, 0x7ffea741e000, "rw-p", MapName::Stack),
        anon_map(
            0xffffffffff600000,
            0xffffffffff601000,
            "--xp",
            MapName::Vsyscall,
        ),
        anon_map(
            0x1000,
            0x2000,
            "---p",
            MapName::File("/tmp/new\nline".into()),
        ),
    ];
    let expected = "\
5642fc453000-5642fc455000 r--p 00000000 fe:00 247030                     /usr/bin/cat
5642fc455000-5642fc45a000 r-xp 00002000 fe:00 247030                     /usr/bin/cat
5642fe4d9000-5642fe4fa000 rw-p 00000000 00:00 0                          [heap]
7f997054e000-7f9970570000 rw-p 00000000 00:00 0 
7f99707b6000-7f99707bd000 r--s 00000000 fe:00 325745                     /usr/lib/gconv.cache
7f99707c0000-7f99707c4000 r--p 00000000 00:00 0                          [vvar]
7f99707c6000-7f99707c8000 r-xp 00000000 00:00 0                          [vdso]
7ffea73fd000-7ffea741e000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
00001000-00002000 ---p 00000000 00:00 0                                  /tmp/new\\012line
";
    assert_eq!(
        String::from_utf8(maps::pid_maps(&entries)).unwrap(),
        expected
    );
}

fn mount(id: u32, parent: u32, dev: (u32, u32), point: &str, fs: &str, src: &str) -> MountEntry {
    MountEntry {
        id,
        parent_id: parent,
        dev: DeviceId::new(dev.0, dev.1),
        root: "/".into(),
        mount_point: point.into(),
        fs_type: fs.into(),
        source: src.into(),
        mount_flags: "relatime".into(),
        ..MountEntry::default()
    }
}

fn sample_mounts() -> Vec<MountEntry> {
    let mut list = vec![
        mount(22, 27, (0, 21), "/proc", "proc", "proc"),
        mount(24, 27, (0, 6), "/dev", "devtmpfs", "devtmpfs"),
        mount(27, 1, (254, 0), "/", "ext4", "/dev/vda"),
        mount(28, 27, (0, 25), "/mnt/ro", "tmpfs", "none"),
        mount(45, 27, (0, 40), "/tmp/procfs a b", "tmpfs", "my src"),
    ];
    list[1].fs_options = "size=12335048k,nr_inodes=3083762,mode=755".into();
    list[2].fs_options = "discard".into();
    list[3].read_only = true;
    list[3].fs_read_only = true;
    list[3].mount_flags = "nosuid,nodev,relatime".into();
    list[3].fs_options = "size=4k,mode=755".into();
    list[4].fs_options = "size=1024k,mode=700".into();
    list
}

#[test]
fn mounts_match_linux() {
    let expected = "\
proc /proc proc rw,relatime 0 0
devtmpfs /dev devtmpfs rw,relatime,size=12335048k,nr_inodes=3083762,mode=755 0 0
/dev/vda / ext4 rw,relatime,discard 0 0
none /mnt/ro tmpfs ro,nosuid,nodev,relatime,size=4k,mode=755 0 0
my\\040src /tmp/procfs\\040a\\040b tmpfs rw,relatime,size=1024k,mode=700 0 0
";
    let text = mounts::pid_mounts(&sample_mounts());
    assert_eq!(String::from_utf8(text).unwrap(), expected);
}

#[test]
fn mountinfo_matches_linux() {
    let expected = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12335048k,nr_inodes=3083762,mode=755
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
28 27 0:25 / /mnt/ro ro,nosuid,nodev,relatime - tmpfs none ro,size=4k,mode=755
45 27 0:40 / /tmp/procfs\\040a\\040b rw,relatime - tmpfs my\\040src rw,size=1024k,mode=700
";
    let text = mounts::pid_mountinfo(&sample_mounts());
    assert_eq!(String::from_utf8(text).unwrap(), expected);
}
