//! The fuzz body, shared by the cargo-fuzz target and the host test
//! `tests/fuzz_path.rs`: arbitrary bytes are read as operations on a small
//! namespace (a tmpfs root with a second tmpfs mounted on `/mnt`, symlink
//! loops, links climbing out of `/jail`), and each path resolution is
//! checked against the rules of `vfs::path`.
//!
//! Every operation is one byte, `op % 6`, then its arguments. A caller byte
//! picks, by its value modulo 4, the root and working directory: `/` and
//! `/`, `/` and `/home/user`, `/jail` and `/jail/inner`, `/mnt` and `/mnt`.
//! A string is a length byte and that many bytes, cut at a NUL and read as
//! lossy UTF-8 (the syscall layer refuses other paths).
//!
//! | op | arguments        | operation                                     |
//! |----|------------------|-----------------------------------------------|
//! | 0  | caller, path     | resolve, following and not following the last |
//! | 1  | caller, path     | resolve the parent                            |
//! | 2  | caller, path, target | create a symlink at `path`                |
//! | 3  | caller, path     | mkdir                                         |
//! | 4  | caller, n, path  | resolve `path` repeated `n * 16` times        |
//! | 5  | caller, f, path  | open with the flags `OPEN_FLAGS[f % 5]`       |

use std::sync::Arc;

use tmpfs::Tmpfs;
use vfs::path::{NAME_MAX, PATH_MAX};
use vfs::{
    Caller, Clock, Credentials, Errno, FileType, LastComponent, MountFlags, OpenFlags, PathNode,
    Result, Timespec, Vfs,
};

const OPERATIONS: u8 = 6;
const REPEAT_UNIT: usize = 16;
const UNREACHABLE: &str = "(unreachable)";
const OPEN_FLAGS: [OpenFlags; 5] = [
    OpenFlags::CREAT.union(OpenFlags::WRONLY),
    OpenFlags::CREAT
        .union(OpenFlags::EXCL)
        .union(OpenFlags::RDWR),
    OpenFlags::CREAT.union(OpenFlags::NOFOLLOW),
    OpenFlags::DIRECTORY,
    OpenFlags::PATH.union(OpenFlags::NOFOLLOW),
];

struct ZeroClock;

impl Clock for ZeroClock {
    fn now(&self) -> Timespec {
        Timespec::ZERO
    }
}

/// The namespace and the places callers start from.
struct Tree {
    vfs: Vfs,
    creds: Credentials,
    top: Arc<PathNode>,
    home: Arc<PathNode>,
    jail: Arc<PathNode>,
    inner: Arc<PathNode>,
    mnt: Arc<PathNode>,
}

impl Tree {
    fn new() -> Tree {
        let clock: Arc<dyn Clock> = Arc::new(ZeroClock);
        let vfs = Vfs::new(
            Tmpfs::new(clock.clone()),
            "none",
            MountFlags::empty(),
            clock,
        );
        let top = vfs.root();
        let creds = Credentials::root();
        let caller = Caller {
            root: &top,
            cwd: &top,
            creds: &creds,
            umask: 0o022,
        };
        for dir in [
            "/bin",
            "/etc",
            "/home",
            "/home/user",
            "/jail",
            "/jail/inner",
            "/mnt",
        ] {
            vfs.mkdir(&caller, dir, 0o755)
                .expect("the base tree builds");
        }
        let second = Tmpfs::new(vfs.clock().clone());
        vfs.mount(&caller, "/mnt", second, "none", MountFlags::empty())
            .expect("/mnt mounts");
        vfs.mkdir(&caller, "/mnt/sub", 0o755)
            .expect("the base tree builds");
        let links = [
            ("loop", "/loop"),
            ("b", "/a"),
            ("a", "/b"),
            ("..", "/up"),
            ("../../etc", "/jail/out"),
            ("/etc", "/jail/abs"),
            ("../..", "/mnt/sub/back"),
            ("nowhere", "/dangling"),
            ("/etc/", "/etc/self"),
            ("inner/../inner/.", "/jail/here"),
        ];
        for (target, path) in links {
            vfs.symlink(&caller, target, path)
                .expect("the base tree builds");
        }

        let resolve = |path| vfs.resolve(&caller, path, true).expect("a base directory");
        Tree {
            home: resolve("/home/user"),
            jail: resolve("/jail"),
            inner: resolve("/jail/inner"),
            mnt: resolve("/mnt"),
            vfs,
            creds,
            top,
        }
    }

    fn caller(&self, choice: u8) -> Caller<'_> {
        let (root, cwd) = match choice % 4 {
            0 => (&self.top, &self.top),
            1 => (&self.top, &self.home),
            2 => (&self.jail, &self.inner),
            _ => (&self.mnt, &self.mnt),
        };
        Caller {
            root,
            cwd,
            creds: &self.creds,
            umask: 0o022,
        }
    }
}

fn is_symlink(node: &PathNode) -> bool {
    node.file_type() == FileType::Symlink
}

/// A length byte, then that many bytes as lossy UTF-8, up to a NUL as a
/// path read from user memory ends there.
fn string(bytes: &mut impl Iterator<Item = u8>) -> String {
    let len = usize::from(bytes.next().unwrap_or(0));
    let raw: Vec<u8> = bytes.take(len).collect();
    let raw = raw.split(|&byte| byte == 0).next().unwrap_or(&[]);
    String::from_utf8_lossy(raw).into_owned()
}

pub fn run(data: &[u8]) {
    let tree = Tree::new();
    let mut bytes = data.iter().copied();

    while let Some(op) = bytes.next() {
        let caller = tree.caller(bytes.next().unwrap_or(0));
        match op % OPERATIONS {
            0 => check_resolve(&tree.vfs, &caller, &string(&mut bytes)),
            1 => check_parent(&tree.vfs, &caller, &string(&mut bytes)),
            2 => {
                let path = string(&mut bytes);
                let target = string(&mut bytes);
                let made = tree.vfs.symlink(&caller, &target, &path);
                if made.is_ok() {
                    assert_eq!(tree.vfs.readlink(&caller, &path).as_ref(), Ok(&target));
                }
                check_resolve(&tree.vfs, &caller, &path);
            }
            3 => {
                let path = string(&mut bytes);
                let made = tree.vfs.mkdir(&caller, &path, 0o755);
                if made.is_ok() {
                    let node = tree.vfs.resolve(&caller, &path, false);
                    assert!(node.is_ok_and(|node| node.is_dir()), "mkdir {path:?}");
                }
                check_resolve(&tree.vfs, &caller, &path);
            }
            4 => {
                let count = usize::from(bytes.next().unwrap_or(0)) * REPEAT_UNIT;
                check_resolve(&tree.vfs, &caller, &string(&mut bytes).repeat(count));
            }
            _ => {
                let flags = OPEN_FLAGS[usize::from(bytes.next().unwrap_or(0)) % OPEN_FLAGS.len()];
                check_open(&tree.vfs, &caller, &string(&mut bytes), flags);
            }
        }
    }
}

/// The errors a resolution may give a root caller (no EACCES).
fn check_errno(result: &Result<Arc<PathNode>>, path: &str) {
    let Err(error) = result else {
        return;
    };
    let allowed = [
        Errno::ENOENT,
        Errno::ENOTDIR,
        Errno::ELOOP,
        Errno::ENAMETOOLONG,
    ];
    assert!(allowed.contains(&error.errno), "{path:?}: {error}");
    if path.is_empty() {
        assert_eq!(error.errno, Errno::ENOENT);
    }
}

/// Resolves `path` both ways and checks each answer and their agreement.
fn check_resolve(vfs: &Vfs, caller: &Caller, path: &str) {
    let followed = vfs.resolve(caller, path, true);
    let unfollowed = vfs.resolve(caller, path, false);
    check_errno(&followed, path);
    check_errno(&unfollowed, path);
    if path.len() >= PATH_MAX {
        assert_eq!(
            followed.as_ref().map_err(|e| e.errno).err(),
            Some(Errno::ENAMETOOLONG)
        );
    }

    match (&unfollowed, &followed) {
        // Only a symlink at the end makes the two differ.
        (Ok(node), _) if !is_symlink(node) => {
            let same = followed.as_ref().is_ok_and(|other| other.same_place(node));
            assert!(same, "{path:?}: following changed a plain node");
        }
        (Ok(_), _) => {}
        (Err(error), Err(other)) => assert_eq!(error.errno, other.errno, "{path:?}"),
        (Err(error), Ok(_)) => panic!("{path:?}: only the followed walk succeeded ({error})"),
    }
    for node in [&followed, &unfollowed].into_iter().flatten() {
        check_reachable(vfs, caller, node, path);
    }
    if let Ok(node) = &followed {
        assert!(!is_symlink(node), "{path:?}");
        if path.ends_with('/') {
            assert!(
                node.is_dir(),
                "{path:?}: a trailing slash reached a non-directory"
            );
        }
    }
}

/// A resolved node lies under the caller's root, and its path from there
/// leads back to it.
fn check_reachable(vfs: &Vfs, caller: &Caller, node: &Arc<PathNode>, path: &str) {
    let shown = node.path_from(caller.root);
    assert!(
        !shown.starts_with(UNREACHABLE),
        "{path:?} escaped the root: {shown}"
    );
    assert!(shown.starts_with('/'), "{path:?}: {shown}");
    if shown.len() >= PATH_MAX {
        return;
    }
    let again = vfs.resolve(caller, &shown, false);
    let same = again.as_ref().is_ok_and(|other| other.same_place(node));
    assert!(
        same,
        "{path:?} resolved to {shown:?}, which resolves elsewhere"
    );
}

/// The parent walk agrees with the whole walk: it fails where that fails
/// before the last name, and its directory holds what the last name finds.
fn check_parent(vfs: &Vfs, caller: &Caller, path: &str) {
    let whole = vfs.resolve(caller, path, false);
    let parent = match vfs.resolve_parent(caller, path) {
        Ok(parent) => parent,
        Err(error) => {
            let errno = whole.as_ref().map_err(|e| e.errno).err();
            assert_eq!(errno, Some(error.errno), "{path:?}");
            return;
        }
    };
    assert!(parent.dir.is_dir(), "{path:?}");
    check_reachable(vfs, caller, &parent.dir, path);
    match &parent.last {
        LastComponent::Root => {
            assert!(
                whole.is_ok_and(|node| node.same_place(&parent.dir)),
                "{path:?}"
            );
        }
        LastComponent::Name(name) if name.len() > NAME_MAX => {
            assert_eq!(whole.map_err(|e| e.errno).err(), Some(Errno::ENAMETOOLONG));
        }
        LastComponent::Name(name) => {
            let step = vfs.step(&parent.dir, name);
            match (step, whole) {
                // The whole walk follows a symlink that a trailing slash ends.
                (Ok(node), _) if is_symlink(&node) && parent.must_be_dir => {}
                (Ok(node), Ok(other)) => assert!(node.same_place(&other), "{path:?}"),
                (Ok(node), Err(error)) => {
                    // Only a trailing slash after a non-directory fails here.
                    assert!(parent.must_be_dir && !node.is_dir(), "{path:?}: {error}");
                }
                (Err(error), other) => {
                    let errno = other.map_err(|e| e.errno).err();
                    assert_eq!(errno, Some(error.errno), "{path:?}");
                }
            }
        }
        LastComponent::Dot | LastComponent::DotDot => {}
    }
}

/// An open (creating or not) ends where resolving the path again leads,
/// inside the root, at a node of the kind the flags ask for.
fn check_open(vfs: &Vfs, caller: &Caller, path: &str, flags: OpenFlags) {
    let file = match vfs.open(caller, path, flags, 0o644) {
        Ok(file) => file,
        Err(error) => {
            let allowed = [
                Errno::ENOENT,
                Errno::ENOTDIR,
                Errno::ELOOP,
                Errno::ENAMETOOLONG,
                Errno::EEXIST,
                Errno::EISDIR,
            ];
            assert!(
                allowed.contains(&error.errno),
                "open {path:?} {flags:?}: {error}"
            );
            return;
        }
    };
    let node = file.node();
    let follow = !flags.contains(OpenFlags::NOFOLLOW);
    if follow {
        assert!(
            !is_symlink(node),
            "open {path:?} {flags:?} ended at a symlink"
        );
    }
    if flags.contains(OpenFlags::DIRECTORY) {
        assert!(node.is_dir(), "open {path:?} {flags:?}");
    }
    check_reachable(vfs, caller, node, path);
    let again = vfs.resolve(caller, path, follow);
    let same = again.as_ref().is_ok_and(|other| other.same_place(node));
    assert!(same, "open {path:?} {flags:?} and resolve disagree");
}
