//! Host tests of the VFS against the in-memory test filesystem.

mod fdtable;
mod file;
mod mount;
mod ops;
mod path;
mod prop_dirents;
mod prop_paths;

use alloc::string::String;
use alloc::sync::Arc;

use crate::cred::Credentials;
use crate::errno::{Errno, Result};
use crate::file::OpenFile;
use crate::mount::MountFlags;
use crate::namespace::Vfs;
use crate::node::PathNode;
use crate::path::Caller;
use crate::testfs::{TestClock, TestFs};
use crate::types::OpenFlags;

/// A namespace on a fresh test filesystem, used as root.
pub(crate) struct Fixture {
    pub vfs: Vfs,
    pub root: Arc<PathNode>,
    pub cwd: Arc<PathNode>,
    pub creds: Credentials,
}

impl Fixture {
    pub fn new() -> Fixture {
        let vfs = Vfs::new(
            TestFs::new("testfs"),
            "none",
            MountFlags::empty(),
            Arc::new(TestClock),
        );
        let root = vfs.root();
        Fixture {
            vfs,
            cwd: root.clone(),
            root,
            creds: Credentials::root(),
        }
    }

    pub fn caller(&self) -> Caller<'_> {
        Caller {
            root: &self.root,
            cwd: &self.cwd,
            creds: &self.creds,
            umask: 0o022,
        }
    }

    pub fn mkdir(&self, path: &str) {
        self.vfs.mkdir(&self.caller(), path, 0o755).unwrap();
    }

    pub fn symlink(&self, target: &str, path: &str) {
        self.vfs.symlink(&self.caller(), target, path).unwrap();
    }

    pub fn open(&self, path: &str, flags: OpenFlags) -> Result<Arc<OpenFile>> {
        self.vfs.open(&self.caller(), path, flags, 0o644)
    }

    /// Creates (or truncates) a file holding `contents`.
    pub fn write_file(&self, path: &str, contents: &str) {
        let flags = OpenFlags::CREAT | OpenFlags::WRONLY | OpenFlags::TRUNC;
        let file = self.open(path, flags).unwrap();
        assert_eq!(file.write(contents.as_bytes()).unwrap(), contents.len());
    }

    pub fn read_file(&self, path: &str) -> String {
        let file = self.open(path, OpenFlags::empty()).unwrap();
        let mut buf = [0u8; 256];
        let len = file.read(&mut buf).unwrap();
        String::from(core::str::from_utf8(&buf[..len]).unwrap())
    }

    /// The errno of resolving `path`, or the path it resolves to.
    pub fn lookup(&self, path: &str, follow: bool) -> core::result::Result<String, Errno> {
        self.vfs
            .resolve(&self.caller(), path, follow)
            .map(|node| node.path_from(&self.root))
            .map_err(|error| error.errno)
    }
}

/// The errno of a failed result.
pub(crate) fn errno<T>(result: Result<T>) -> Errno {
    match result {
        Ok(_) => panic!("expected an error, got success"),
        Err(error) => error.errno,
    }
}
