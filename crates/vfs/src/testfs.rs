//! A small in-memory filesystem for the tests of this crate.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};

use spin::Mutex;

use crate::dirent::{emit_dots, DirIndex};
use crate::errno::{Errno, Result};
use crate::inode::{
    Clock, CreateOptions, DirSink, FileSystem, Inode, InodeRef, RenameFlags, SetAttr,
};
use crate::types::{DeviceId, FileType, Stat, StatFs, Timespec};

pub struct TestClock;

impl Clock for TestClock {
    fn now(&self) -> Timespec {
        Timespec { sec: 1000, nsec: 0 }
    }
}

pub struct TestFs {
    name: &'static str,
    root: Arc<TestInode>,
}

struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    atime: Timespec,
    mtime: Timespec,
}

enum Data {
    File(Vec<u8>),
    Dir {
        entries: DirIndex<Arc<TestInode>>,
        parent_ino: u64,
    },
    Symlink(String),
    Special,
}

pub struct TestInode {
    ino: u64,
    kind: FileType,
    next_ino: Arc<AtomicU64>,
    meta: Mutex<Meta>,
    data: Mutex<Data>,
}

impl TestFs {
    pub fn new(name: &'static str) -> Arc<TestFs> {
        let next_ino = Arc::new(AtomicU64::new(2));
        let root = TestInode::new(1, FileType::Directory, next_ino, 0o755, 0, 0, 1);
        Arc::new(TestFs { name, root })
    }
}

impl FileSystem for TestFs {
    fn name(&self) -> &str {
        self.name
    }

    fn root(&self) -> InodeRef {
        self.root.clone()
    }

    fn statfs(&self) -> Result<StatFs> {
        Ok(StatFs {
            fs_type: 0x1234,
            name_max: 255,
            ..StatFs::default()
        })
    }
}

impl TestInode {
    fn new(
        ino: u64,
        kind: FileType,
        next_ino: Arc<AtomicU64>,
        perm: u32,
        uid: u32,
        gid: u32,
        parent_ino: u64,
    ) -> Arc<TestInode> {
        let data = match kind {
            FileType::Regular => Data::File(Vec::new()),
            FileType::Directory => Data::Dir {
                entries: DirIndex::new(),
                parent_ino,
            },
            FileType::Symlink => Data::Symlink(String::new()),
            _ => Data::Special,
        };
        Arc::new(TestInode {
            ino,
            kind,
            next_ino,
            meta: Mutex::new(Meta {
                mode: kind.mode_bits() | perm,
                uid,
                gid,
                nlink: if kind.is_dir() { 2 } else { 1 },
                atime: Timespec::ZERO,
                mtime: Timespec::ZERO,
            }),
            data: Mutex::new(data),
        })
    }

    fn add(&self, name: &str, kind: FileType, opts: CreateOptions) -> Result<Arc<TestInode>> {
        let ino = self.next_ino.fetch_add(1, Ordering::Relaxed);
        let perm = opts.permissions.bits();
        let inode = TestInode::new(
            ino,
            kind,
            self.next_ino.clone(),
            perm,
            opts.uid,
            opts.gid,
            self.ino,
        );
        match &mut *self.data.lock() {
            Data::Dir { entries, .. } => entries.insert(name, inode.clone())?,
            _ => return Err(Errno::ENOTDIR.into()),
        }
        Ok(inode)
    }

    fn with_entries<T>(
        &self,
        f: impl FnOnce(&mut DirIndex<Arc<TestInode>>) -> Result<T>,
    ) -> Result<T> {
        match &mut *self.data.lock() {
            Data::Dir { entries, .. } => f(entries),
            _ => Err(Errno::ENOTDIR.into()),
        }
    }

    fn is_empty_dir(&self) -> bool {
        matches!(&*self.data.lock(), Data::Dir { entries, .. } if entries.is_empty())
    }

    fn set_parent(&self, parent: u64) {
        if let Data::Dir { parent_ino, .. } = &mut *self.data.lock() {
            *parent_ino = parent;
        }
    }
}

impl Inode for TestInode {
    fn stat(&self) -> Result<Stat> {
        let meta = self.meta.lock();
        let size = match &*self.data.lock() {
            Data::File(bytes) => bytes.len() as u64,
            Data::Symlink(target) => target.len() as u64,
            _ => 0,
        };
        Ok(Stat {
            dev: DeviceId::new(0, 42),
            ino: self.ino,
            mode: meta.mode,
            nlink: meta.nlink,
            uid: meta.uid,
            gid: meta.gid,
            size,
            atime: meta.atime,
            mtime: meta.mtime,
            ..Stat::default()
        })
    }

    fn file_type(&self) -> FileType {
        self.kind
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn set_attr(&self, attr: SetAttr) -> Result<()> {
        let mut meta = self.meta.lock();
        if let Some(perm) = attr.permissions {
            meta.mode = self.kind.mode_bits() | perm.bits();
        }
        meta.uid = attr.uid.unwrap_or(meta.uid);
        meta.gid = attr.gid.unwrap_or(meta.gid);
        meta.atime = attr.atime.unwrap_or(meta.atime);
        meta.mtime = attr.mtime.unwrap_or(meta.mtime);
        if let Some(size) = attr.size {
            match &mut *self.data.lock() {
                Data::File(bytes) => bytes.resize(size as usize, 0),
                _ => return Err(Errno::EINVAL.into()),
            }
        }
        Ok(())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        match &*self.data.lock() {
            Data::File(bytes) => {
                let start = (offset as usize).min(bytes.len());
                let len = buf.len().min(bytes.len() - start);
                buf[..len].copy_from_slice(&bytes[start..start + len]);
                Ok(len)
            }
            _ => Err(self.not_a_file()),
        }
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<usize> {
        match &mut *self.data.lock() {
            Data::File(bytes) => {
                let end = offset as usize + buf.len();
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                bytes[offset as usize..end].copy_from_slice(buf);
                Ok(buf.len())
            }
            _ => Err(self.not_a_file()),
        }
    }

    fn lookup(&self, name: &str) -> Result<InodeRef> {
        self.with_entries(|entries| {
            let inode = entries.get(name).ok_or(Errno::ENOENT)?;
            Ok(inode.clone() as InodeRef)
        })
    }

    fn create(&self, name: &str, kind: FileType, opts: CreateOptions) -> Result<InodeRef> {
        Ok(self.add(name, kind, opts)?)
    }

    fn symlink(&self, name: &str, target: &str, opts: CreateOptions) -> Result<InodeRef> {
        let inode = self.add(name, FileType::Symlink, opts)?;
        *inode.data.lock() = Data::Symlink(String::from(target));
        Ok(inode)
    }

    fn link(&self, name: &str, target: &InodeRef) -> Result<()> {
        let target = as_test(target)?;
        self.with_entries(|entries| entries.insert(name, target.clone()))?;
        target.meta.lock().nlink += 1;
        Ok(())
    }

    fn unlink(&self, name: &str) -> Result<()> {
        let victim = self.with_entries(|entries| {
            match entries.get(name) {
                Some(inode) if inode.kind.is_dir() => return Err(Errno::EISDIR.into()),
                Some(_) => {}
                None => return Err(Errno::ENOENT.into()),
            }
            Ok(entries.remove(name))
        })?;
        if let Some(victim) = victim {
            victim.meta.lock().nlink -= 1;
        }
        Ok(())
    }

    fn rmdir(&self, name: &str) -> Result<()> {
        self.with_entries(|entries| {
            let victim = entries.get(name).ok_or(Errno::ENOENT)?;
            if !victim.kind.is_dir() {
                return Err(Errno::ENOTDIR.into());
            }
            if !victim.is_empty_dir() {
                return Err(Errno::ENOTEMPTY.into());
            }
            entries.remove(name);
            Ok(())
        })
    }

    fn rename(&self, old: &str, new_dir: &InodeRef, new: &str, flags: RenameFlags) -> Result<()> {
        let new_dir = as_test(new_dir)?;
        let source = self.with_entries(|e| e.get(old).cloned().ok_or(Errno::ENOENT.into()))?;
        let target = new_dir.with_entries(|e| Ok(e.get(new).cloned()))?;
        if flags.exchange {
            let target = target.ok_or(Errno::ENOENT)?;
            self.with_entries(|e| Ok(e.replace(old, target.clone())))?;
            new_dir.with_entries(|e| Ok(e.replace(new, source.clone())))?;
            source.set_parent(new_dir.ino);
            target.set_parent(self.ino);
            return Ok(());
        }
        if let Some(target) = &target {
            match (source.kind.is_dir(), target.kind.is_dir()) {
                (true, false) => return Err(Errno::ENOTDIR.into()),
                (false, true) => return Err(Errno::EISDIR.into()),
                (true, true) if !target.is_empty_dir() => return Err(Errno::ENOTEMPTY.into()),
                _ => {}
            }
        }
        self.with_entries(|e| Ok(e.remove(old)))?;
        new_dir.with_entries(|e| Ok(e.replace(new, source.clone())))?;
        source.set_parent(new_dir.ino);
        Ok(())
    }

    fn readdir(&self, cookie: u64, sink: &mut DirSink<'_>) -> Result<()> {
        let data = self.data.lock();
        let Data::Dir {
            entries,
            parent_ino,
        } = &*data
        else {
            return Err(Errno::ENOTDIR.into());
        };
        let Some(cookie) = emit_dots(cookie, self.ino, *parent_ino, sink) else {
            return Ok(());
        };
        entries.readdir(cookie, sink, |inode| (inode.ino, inode.kind));
        Ok(())
    }

    fn readlink(&self) -> Result<String> {
        match &*self.data.lock() {
            Data::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL.into()),
        }
    }
}

fn as_test(inode: &InodeRef) -> Result<Arc<TestInode>> {
    let inode: Arc<dyn Any + Send + Sync> = inode.clone();
    inode
        .downcast::<TestInode>()
        .map_err(|_| Errno::EXDEV.into())
}
