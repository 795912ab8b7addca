//! Virtual memory areas: what each range of a user address space is.

use alloc::string::String;
use alloc::sync::Arc;

use bitflags::bitflags;
use vfs::InodeRef;

use super::shared::SharedPages;

bitflags! {
    /// `PROT_*` bits of a mapping.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Prot: u8 {
        const READ = 1;
        const WRITE = 2;
        const EXEC = 4;
    }
}

/// What a mapping's pages come from.
#[derive(Clone)]
pub enum Backing {
    /// Private zero-filled memory (heap, stack, `MAP_ANONYMOUS|MAP_PRIVATE`).
    Anonymous,
    /// Memory shared across fork (`MAP_ANONYMOUS|MAP_SHARED`); the mapping's
    /// first page is page `first_index` of the object.
    Shared {
        pages: Arc<SharedPages>,
        first_index: u64,
    },
    /// A private copy of a file's contents; bytes past `file_end` (a file
    /// offset) read as zero, so an ELF segment's bss tail stays clean.
    File {
        inode: InodeRef,
        offset: u64,
        file_end: u64,
        path: String,
    },
    /// A file's own pages (`MAP_SHARED`), see [`super::shared_file`];
    /// `writable` says whether the file was open for writing, without
    /// which the mapping may never become writable.
    SharedFile {
        inode: InodeRef,
        offset: u64,
        writable: bool,
        path: String,
    },
}

/// The role /proc/<pid>/maps names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmaRole {
    Plain,
    Heap,
    Stack,
    /// The vDSO's code.
    Vdso,
    /// The kernel's data page for the vDSO: never writable or executable.
    Vvar,
}

/// One mapping: `[start, end)`, page aligned.
#[derive(Clone)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    pub shared: bool,
    pub backing: Backing,
    pub role: VmaRole,
}

impl Vma {
    pub fn anonymous(start: u64, end: u64, prot: Prot, role: VmaRole) -> Vma {
        Vma {
            start,
            end,
            prot,
            shared: false,
            backing: Backing::Anonymous,
            role,
        }
    }

    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.start && addr < self.end
    }

    /// The part of this mapping from `start` to `end`, with the file
    /// offset moved along so the pages keep their contents.
    pub fn slice(&self, start: u64, end: u64) -> Vma {
        let mut part = self.clone();
        match &mut part.backing {
            Backing::File { offset, .. } | Backing::SharedFile { offset, .. } => {
                *offset += start - self.start
            }
            Backing::Shared { first_index, .. } => {
                *first_index += (start - self.start) / super::PAGE_SIZE
            }
            Backing::Anonymous => {}
        }
        part.start = start;
        part.end = end;
        part
    }

    /// The file offset of the page at `addr`, for file-backed mappings.
    pub fn file_offset(&self, addr: u64) -> Option<u64> {
        match &self.backing {
            Backing::File { offset, .. } | Backing::SharedFile { offset, .. } => {
                offset.checked_add(addr - self.start)
            }
            _ => None,
        }
    }

    /// Whether mprotect may add PROT_WRITE: not to a shared mapping of a
    /// file that was not open for writing, nor to the vvar page (EACCES, as
    /// on Linux).
    pub fn may_write(&self) -> bool {
        match &self.backing {
            _ if self.role == VmaRole::Vvar => false,
            Backing::SharedFile { writable, .. } => *writable,
            _ => true,
        }
    }

    /// Whether mprotect may add PROT_EXEC: everywhere but the vvar page,
    /// which is the kernel's data (Linux gives it no VM_MAYEXEC).
    pub fn may_exec(&self) -> bool {
        self.role != VmaRole::Vvar
    }

    /// Whether a writable private mapping counts against memory, as Linux's
    /// overcommit accounting counts it: its pages have nowhere else to go.
    pub fn is_accountable(&self) -> bool {
        !self.shared && self.prot.contains(Prot::WRITE)
    }

    /// Index of the page at `addr` in a shared anonymous object.
    pub fn shared_index(&self, addr: u64) -> Option<(Arc<SharedPages>, u64)> {
        match &self.backing {
            Backing::Shared { pages, first_index } => Some((
                pages.clone(),
                first_index + (addr - self.start) / super::PAGE_SIZE,
            )),
            _ => None,
        }
    }
}
