//! Path nodes: where a resolved name sits in the namespace.
//!
//! A [`PathNode`] is an inode seen through a mount, with the name it was
//! reached by and its parent node, so `..` and `getcwd` need nothing from the
//! filesystem. Nodes are shared: a parent keeps weak links to the children
//! looked up through it, so every holder of `/a/b` (a cwd, an open file, a
//! mount point) holds the same node, and `rename` moves that node and every
//! path below it at once. A node disappears when its last holder drops it.
//!
//! The parent of a mount's root node is the parent of the directory it
//! covers, so `..` from a mount root leaves the mount.
//!
//! Locking: a node's `children` lock is never held while a node is dropped,
//! because dropping a node takes its parent's `children` lock.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::{fmt, ptr};

use spin::Mutex;

use crate::inode::InodeRef;
use crate::mount::Mount;
use crate::types::FileType;

/// A resolved location: an inode, the mount it was reached through, and the
/// chain of names leading to it.
pub struct PathNode {
    inode: InodeRef,
    mount: Arc<Mount>,
    /// Outside the namespace (a pipe, a socket): its path is just its name.
    anonymous: bool,
    link: Mutex<Link>,
    children: Mutex<BTreeMap<String, Weak<PathNode>>>,
}

struct Link {
    name: String,
    /// `None` only at the top of the namespace.
    parent: Option<Arc<PathNode>>,
    /// Set when the name was unlinked or replaced.
    deleted: bool,
}

/// Whether two inode handles are the same object.
pub(crate) fn same_inode(a: &InodeRef, b: &InodeRef) -> bool {
    ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

impl PathNode {
    /// The top node of a namespace.
    pub(crate) fn new_root(inode: InodeRef, mount: Arc<Mount>) -> Arc<PathNode> {
        Self::top(inode, mount, String::from("/"), false)
    }

    /// A node outside the namespace, for files no path reaches (pipes,
    /// sockets); `name` is what `/proc/<pid>/fd` shows (`pipe:[42]`).
    pub fn anonymous(inode: InodeRef, mount: Arc<Mount>, name: String) -> Arc<PathNode> {
        Self::top(inode, mount, name, true)
    }

    fn top(inode: InodeRef, mount: Arc<Mount>, name: String, anonymous: bool) -> Arc<PathNode> {
        Arc::new(PathNode {
            inode,
            mount,
            anonymous,
            link: Mutex::new(Link {
                name,
                parent: None,
                deleted: false,
            }),
            children: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn inode(&self) -> &InodeRef {
        &self.inode
    }

    pub fn mount(&self) -> &Arc<Mount> {
        &self.mount
    }

    pub fn file_type(&self) -> FileType {
        self.inode.file_type()
    }

    pub fn is_dir(&self) -> bool {
        self.file_type().is_dir()
    }

    /// The name this node was reached by (`/` at the top of the namespace).
    pub fn name(&self) -> String {
        self.link.lock().name.clone()
    }

    /// The node `..` leads to; `None` at the top of the namespace.
    pub fn parent(&self) -> Option<Arc<PathNode>> {
        self.link.lock().parent.clone()
    }

    /// Whether the name was unlinked (or replaced by a rename) since.
    pub fn is_deleted(&self) -> bool {
        self.link.lock().deleted
    }

    /// Whether both stand for the same inode through the same mount.
    pub fn same_place(&self, other: &PathNode) -> bool {
        Arc::ptr_eq(&self.mount, &other.mount) && same_inode(&self.inode, &other.inode)
    }

    /// Whether this is the root of its mount (or the namespace top).
    pub fn is_mount_root(&self) -> bool {
        match self.parent() {
            Some(parent) => !Arc::ptr_eq(&parent.mount, &self.mount),
            None => true,
        }
    }

    /// The absolute path of this node as seen from `root`, as `/proc` links
    /// show it: ` (deleted)` appended for an unlinked node, `(unreachable)`
    /// prefixed for a node outside `root`.
    pub fn path_from(&self, root: &PathNode) -> String {
        if self.anonymous {
            return self.name();
        }
        let (mut path, reachable) = self.absolute_path(root);
        if !reachable {
            path.insert_str(0, "(unreachable)");
        }
        if self.is_deleted() {
            path.push_str(" (deleted)");
        }
        path
    }

    /// The path from `root` down to this node, and whether `root` was met on
    /// the way up (otherwise the path starts at the namespace top).
    pub(crate) fn absolute_path(&self, root: &PathNode) -> (String, bool) {
        let mut names = Vec::new();
        let mut reachable = false;
        let mut parent = None::<Arc<PathNode>>;
        loop {
            let current: &PathNode = parent.as_deref().unwrap_or(self);
            if current.same_place(root) {
                reachable = true;
                break;
            }
            let link = current.link.lock();
            let Some(next) = link.parent.clone() else {
                break;
            };
            names.push(link.name.clone());
            drop(link);
            parent = Some(next);
        }

        let mut path = String::new();
        for name in names.iter().rev() {
            path.push('/');
            path.push_str(name);
        }
        if path.is_empty() {
            path.push('/');
        }
        (path, reachable)
    }

    fn is_at(&self, inode: &InodeRef, mount: &Arc<Mount>) -> bool {
        Arc::ptr_eq(&self.mount, mount) && same_inode(&self.inode, inode)
    }

    /// The node for `name` in this directory, standing for `inode` in
    /// `mount`: the shared one when it is cached, a new one otherwise.
    pub(crate) fn child(
        self: &Arc<Self>,
        name: &str,
        inode: InodeRef,
        mount: &Arc<Mount>,
    ) -> Arc<Self> {
        let mut children = self.children.lock();
        let cached = children.get(name).and_then(Weak::upgrade);
        if let Some(node) = &cached {
            if node.is_at(&inode, mount) {
                return node.clone();
            }
        }

        let node = Arc::new(PathNode {
            inode,
            mount: mount.clone(),
            anonymous: false,
            link: Mutex::new(Link {
                name: String::from(name),
                parent: Some(self.clone()),
                deleted: false,
            }),
            children: Mutex::new(BTreeMap::new()),
        });
        children.insert(String::from(name), Arc::downgrade(&node));
        drop(children);
        // `cached` (a node that no longer matches) may be the last reference;
        // it is dropped here, after the lock.
        drop(cached);
        node
    }

    /// Forgets the cached child `name`, marking it deleted when it stands
    /// for `inode`.
    pub(crate) fn forget_child(&self, name: &str, inode: Option<&InodeRef>) {
        let removed = self.children.lock().remove(name);
        let Some(node) = removed.and_then(|weak| weak.upgrade()) else {
            return;
        };
        if inode.is_some_and(|inode| same_inode(&node.inode, inode)) {
            node.link.lock().deleted = true;
        }
    }

    /// Moves the cached child `old_name` of `old_dir` to `new_name` of
    /// `new_dir` after a rename; with `exchange`, the entry at the new name
    /// moves the other way, otherwise it is marked deleted.
    pub(crate) fn move_child(
        old_dir: &Arc<PathNode>,
        old_name: &str,
        new_dir: &Arc<PathNode>,
        new_name: &str,
        exchange: bool,
    ) {
        let moved = old_dir.children.lock().remove(old_name);
        let moved = moved.and_then(|weak| weak.upgrade());
        let target = new_dir.children.lock().remove(new_name);
        let target = target.and_then(|weak| weak.upgrade());

        let mut old_links = Vec::new();
        if let Some(node) = &moved {
            old_links.push(node.relink(new_dir, new_name));
        }
        if let Some(node) = &target {
            if exchange {
                old_links.push(node.relink(old_dir, old_name));
            } else {
                node.link.lock().deleted = true;
            }
        }
        // The replaced parent links and upgraded nodes are dropped on return,
        // after every lock is released.
    }

    /// Points this node at `dir`/`name` and caches it there; returns the
    /// previous parent for the caller to drop outside the locks.
    fn relink(self: &Arc<Self>, dir: &Arc<PathNode>, name: &str) -> Option<Arc<PathNode>> {
        let old_parent = {
            let mut link = self.link.lock();
            link.name = String::from(name);
            link.parent.replace(dir.clone())
        };
        let displaced = dir
            .children
            .lock()
            .insert(String::from(name), Arc::downgrade(self));
        drop(displaced);
        old_parent
    }
}

impl fmt::Debug for PathNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PathNode")
            .field("name", &self.name())
            .field("mount", &self.mount.id())
            .field("type", &self.file_type())
            .finish_non_exhaustive()
    }
}

impl PathNode {
    /// How many children this node's cache holds, dead or alive.
    #[cfg(test)]
    pub(crate) fn cached_children(&self) -> usize {
        self.children.lock().len()
    }

    /// Takes this dying node out of its parent: drops the parent's cache
    /// entry for it and hands back the parent link.
    fn detach(&mut self) -> Option<Arc<PathNode>> {
        let link = self.link.get_mut();
        let parent = link.parent.take()?;
        // The entry under our name is ours if it is dead; a live one belongs
        // to a node that replaced us and stays.
        let mut children = parent.children.lock();
        if children
            .get(&link.name)
            .is_some_and(|weak| weak.strong_count() == 0)
        {
            children.remove(&link.name);
        }
        drop(children);
        Some(parent)
    }
}

impl Drop for PathNode {
    /// Releases the chain of parents in a loop: a long chain dropped at
    /// once (leaving a very deep cwd) must not recurse once per level.
    fn drop(&mut self) {
        let mut next = self.detach();
        while let Some(parent) = next {
            // A parent we held the last reference to is detached here and
            // then dropped with no parent left, so its own drop stops at once.
            next = Arc::into_inner(parent).and_then(|mut node| node.detach());
        }
    }
}
