//! Path resolution.
//!
//! A path is walked one component at a time from the caller's root (absolute
//! paths) or its working directory (relative ones). Each step asks the
//! directory's inode for one name and checks one map for a mount on top of
//! the result, so a lookup costs O(components). Symlinks are expanded in
//! place on a stack of pending components, never by recursion, so nesting
//! does not grow the kernel stack.
//!
//! Errors follow Linux: `ENOTDIR` when a component used as a directory is
//! not one (including a trailing slash after a non-directory), `ENOENT` when
//! a name is missing, `EACCES` when a directory on the way is not
//! searchable, `ELOOP` past [`MAX_SYMLINKS`], `ENAMETOOLONG` past
//! [`PATH_MAX`] or [`NAME_MAX`].

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use linux_raw_sys::general as raw;

use crate::cred::{Access, Credentials};
use crate::errno::{Errno, Result};
use crate::namespace::Vfs;
use crate::node::PathNode;
use crate::types::FileType;

/// Longest path accepted, counting the terminating NUL: a path string must
/// be shorter than this.
pub const PATH_MAX: usize = raw::PATH_MAX as usize;
/// Longest name of one component.
pub const NAME_MAX: usize = raw::NAME_MAX as usize;
/// Most symlinks one resolution follows (Linux's `MAXSYMLINKS`, which is not
/// part of its UAPI headers).
pub const MAX_SYMLINKS: u32 = 40;

/// The process-side context of a path operation.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    /// The process root (`chroot`); `..` never climbs above it.
    pub root: &'a Arc<PathNode>,
    /// Where relative paths start: the working directory, or the directory
    /// of an `*at` call's dirfd.
    pub cwd: &'a Arc<PathNode>,
    pub creds: &'a Credentials,
    /// Applied to the mode of everything created.
    pub umask: u32,
}

impl<'a> Caller<'a> {
    /// The same caller with relative paths starting at `dir`.
    pub fn at(&self, dir: &'a Arc<PathNode>) -> Caller<'a> {
        Caller { cwd: dir, ..*self }
    }
}

/// The last component of a path, for operations that create or remove it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LastComponent {
    Name(String),
    Dot,
    DotDot,
    /// The path was `/` (or a symlink to it): there is no last name.
    Root,
}

/// A path resolved up to its last component.
#[derive(Debug)]
pub struct ParentPath {
    /// The directory holding the last component.
    pub dir: Arc<PathNode>,
    pub last: LastComponent,
    /// The path ended with a slash, so the last component must be a
    /// directory.
    pub must_be_dir: bool,
}

/// What `open(O_CREAT)` found at the end of a path.
pub(crate) enum CreateTarget {
    Exists {
        node: Arc<PathNode>,
        must_be_dir: bool,
    },
    Missing {
        dir: Arc<PathNode>,
        name: String,
        must_be_dir: bool,
    },
}

struct Component {
    name: String,
    must_be_dir: bool,
}

/// The state of one resolution: where it is, what is left, how many links
/// it followed.
pub(crate) struct Walker<'v, 'a> {
    vfs: &'v Vfs,
    caller: Caller<'a>,
    current: Arc<PathNode>,
    /// Components still to walk, the next one last.
    pending: Vec<Component>,
    links_followed: u32,
}

impl<'v, 'a> Walker<'v, 'a> {
    pub(crate) fn new(vfs: &'v Vfs, caller: &Caller<'a>, path: &str) -> Result<Self> {
        if path.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG.into());
        }
        let mut walker = Walker {
            vfs,
            caller: *caller,
            current: caller.cwd.clone(),
            pending: Vec::new(),
            links_followed: 0,
        };
        walker.push_path(path, false);
        Ok(walker)
    }

    /// Queues `path` to be walked next, from the root when it is absolute.
    fn push_path(&mut self, path: &str, must_be_dir: bool) {
        if path.starts_with('/') {
            self.current = self.caller.root.clone();
        }
        let trailing_slash = must_be_dir || path.ends_with('/');
        let start = self.pending.len();
        let names = path.split('/').filter(|name| !name.is_empty());
        self.pending.extend(names.map(|name| Component {
            name: String::from(name),
            must_be_dir: true,
        }));
        if let Some(last) = self.pending[start..].last_mut() {
            last.must_be_dir = trailing_slash;
        }
        self.pending[start..].reverse();
    }

    /// Replaces the symlink just reached by its target.
    fn follow_link(&mut self, link: &PathNode, must_be_dir: bool) -> Result<()> {
        self.links_followed += 1;
        if self.links_followed > MAX_SYMLINKS {
            return Err(Errno::ELOOP.into());
        }
        let target = link.inode().readlink()?;
        if target.is_empty() {
            return Err(Errno::ENOENT.into());
        }
        self.push_path(&target, must_be_dir);
        Ok(())
    }

    /// Checks that the current node is a directory the caller may search.
    fn check_searchable(&self) -> Result<()> {
        if !self.current.is_dir() {
            return Err(Errno::ENOTDIR.into());
        }
        let stat = self.current.inode().stat()?;
        self.caller.creds.check(&stat, Access::EXEC)
    }

    /// The node `..` of the current one: itself at the caller's root and at
    /// the namespace top.
    fn parent(&self) -> Arc<PathNode> {
        if self.current.same_place(self.caller.root) {
            return self.current.clone();
        }
        self.current
            .parent()
            .unwrap_or_else(|| self.current.clone())
    }

    /// Walks every component but the last and returns the last one (`None`
    /// when the path names the root).
    fn walk_to_last(&mut self) -> Result<Option<Component>> {
        loop {
            let Some(component) = self.pending.pop() else {
                return Ok(None);
            };
            if self.pending.is_empty() {
                return Ok(Some(component));
            }

            self.check_searchable()?;
            match component.name.as_str() {
                "." => {}
                ".." => self.current = self.parent(),
                name => {
                    let node = self.vfs.step(&self.current, name)?;
                    if node.file_type() == FileType::Symlink {
                        self.follow_link(&node, true)?;
                    } else {
                        self.current = node;
                    }
                }
            }
        }
    }

    /// Resolves the whole path; a symlink as the last component is followed
    /// when `follow` is set or a trailing slash demands a directory.
    pub(crate) fn resolve(mut self, follow: bool) -> Result<Arc<PathNode>> {
        loop {
            let Some(last) = self.walk_to_last()? else {
                return Ok(self.current);
            };

            self.check_searchable()?;
            let node = match last.name.as_str() {
                "." => self.current.clone(),
                ".." => self.parent(),
                name => self.vfs.step(&self.current, name)?,
            };
            if node.file_type() == FileType::Symlink && (follow || last.must_be_dir) {
                self.follow_link(&node, last.must_be_dir)?;
                continue;
            }
            if last.must_be_dir && !node.is_dir() {
                return Err(Errno::ENOTDIR.into());
            }
            return Ok(node);
        }
    }

    /// Resolves the directory holding the last component.
    pub(crate) fn resolve_parent(mut self) -> Result<ParentPath> {
        let last = self.walk_to_last()?;
        if last.is_some() {
            self.check_searchable()?;
        }
        let (last, must_be_dir) = match last {
            None => (LastComponent::Root, false),
            Some(c) => match c.name.as_str() {
                "." => (LastComponent::Dot, c.must_be_dir),
                ".." => (LastComponent::DotDot, c.must_be_dir),
                _ => (LastComponent::Name(c.name), c.must_be_dir),
            },
        };
        Ok(ParentPath {
            dir: self.current,
            last,
            must_be_dir,
        })
    }

    /// Resolves for `open(O_CREAT)`: a missing last name is not an error,
    /// and a symlink at the end is followed (when `follow`) even if its
    /// target is missing, so the target gets created.
    pub(crate) fn resolve_for_create(mut self, follow: bool) -> Result<CreateTarget> {
        loop {
            let Some(last) = self.walk_to_last()? else {
                let node = self.current;
                return Ok(CreateTarget::Exists {
                    node,
                    must_be_dir: false,
                });
            };

            self.check_searchable()?;
            // A trailing slash only matters after a name; `./` is just `.`.
            let (node, must_be_dir) = match last.name.as_str() {
                "." => (self.current.clone(), false),
                ".." => (self.parent(), false),
                name => match self.vfs.step(&self.current, name) {
                    Ok(node) => (node, last.must_be_dir),
                    Err(error) if error.errno == Errno::ENOENT => {
                        return Ok(CreateTarget::Missing {
                            dir: self.current,
                            name: last.name,
                            must_be_dir: last.must_be_dir,
                        });
                    }
                    Err(error) => return Err(error),
                },
            };
            if node.file_type() == FileType::Symlink && follow {
                self.follow_link(&node, must_be_dir)?;
                continue;
            }
            return Ok(CreateTarget::Exists { node, must_be_dir });
        }
    }
}

/// Checks a name about to be created or looked up.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.len() > NAME_MAX {
        Err(Errno::ENAMETOOLONG.into())
    } else {
        Ok(())
    }
}

impl Vfs {
    /// Resolves `path`; the last component is followed if it is a symlink
    /// and `follow` is set (`stat`, `open`) and not otherwise (`lstat`,
    /// `O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`).
    pub fn resolve(&self, caller: &Caller, path: &str, follow: bool) -> Result<Arc<PathNode>> {
        Walker::new(self, caller, path)?.resolve(follow)
    }

    /// Resolves the directory holding the last component of `path`, for
    /// operations that create, remove or rename that name.
    pub fn resolve_parent(&self, caller: &Caller, path: &str) -> Result<ParentPath> {
        Walker::new(self, caller, path)?.resolve_parent()
    }

    /// Looks up `name` (a plain name, never `.` or `..`) in `dir` and
    /// crosses any mounts stacked on the result. No permission checks, no
    /// symlink following: a building block for the kernel's own lookups.
    pub fn step(&self, dir: &Arc<PathNode>, name: &str) -> Result<Arc<PathNode>> {
        check_name(name)?;
        let inode = dir.inode().lookup(name)?;
        let mounts = self.mounts.read();
        let (mount, inode) = mounts.cross(dir.mount(), inode)?;
        Ok(dir.child(name, inode, &mount))
    }
}
