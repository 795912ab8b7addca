//! Page faults in user memory: demand paging and copy-on-write.

use alloc::vec;

use platform::mm::page::Page;

use super::map::pte_flags;
use super::{page_down, release, shared_file, Backing, Mm, MmInner, Prot, Vma, PAGE_SIZE};

/// Why a fault could not be resolved: the `si_code` of the SIGSEGV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No mapping at the address (SEGV_MAPERR).
    Unmapped,
    /// The mapping forbids the access (SEGV_ACCERR).
    Forbidden,
    /// No memory left to back the page: the process is killed.
    OutOfMemory,
    /// The file behind a mapping could not be read (SIGBUS).
    Io,
}

/// The access that faulted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Access {
    pub write: bool,
    pub exec: bool,
}

/// Resolves a fault at `addr` in `mm`, or says why it cannot be.
pub fn handle_page_fault(mm: &Mm, addr: u64, access: Access) -> Result<(), FaultKind> {
    let mut inner = mm.lock();
    let vma = inner.find(addr).ok_or(FaultKind::Unmapped)?.clone();
    let allowed = if access.write {
        vma.prot.contains(Prot::WRITE)
    } else if access.exec {
        vma.prot.contains(Prot::EXEC)
    } else {
        vma.prot.contains(Prot::READ) || vma.prot.contains(Prot::WRITE)
    };
    if !allowed {
        return Err(FaultKind::Forbidden);
    }

    let page_addr = page_down(addr);
    match inner.space.translate(page_addr) {
        Some((frame, flags)) => {
            let writable = flags.contains(x86_64::structures::paging::PageTableFlags::WRITABLE);
            if access.write && !writable {
                copy_on_write(&mut inner, &vma, page_addr, frame)?;
            }
            // Otherwise another thread resolved it first, or the TLB was stale.
            platform::mm::paging::flush(x86_64::VirtAddr::new(page_addr));
            Ok(())
        }
        None => populate(&mut inner, &vma, page_addr),
    }
}

/// A write to a present read-only page of a writable mapping: copy the page
/// unless this process holds the only reference.
fn copy_on_write(
    mm: &mut MmInner,
    vma: &Vma,
    addr: u64,
    frame: x86_64::structures::paging::PhysFrame,
) -> Result<(), FaultKind> {
    let flags = pte_flags(vma.prot, true);
    if vma.shared || !platform::mm::page::is_shared(frame) {
        let _ = mm.space.protect(addr, flags);
        return Ok(());
    }
    let old = Page::share_mapped(frame).ok_or(FaultKind::OutOfMemory)?;
    let copy = Page::copy_of(&old).ok_or(FaultKind::OutOfMemory)?;
    drop(old);
    if let Some(previous) = mm.space.unmap(addr) {
        release(previous);
    }
    mm.space
        .map(addr, copy.into_frame(), flags)
        .map_err(|_| FaultKind::OutOfMemory)?;
    mm.minor_faults += 1;
    Ok(())
}

/// First touch of a page: fill it from its backing and map it.
fn populate(mm: &mut MmInner, vma: &Vma, addr: u64) -> Result<(), FaultKind> {
    let page = match &vma.backing {
        Backing::Anonymous => Page::alloc_zeroed().ok_or(FaultKind::OutOfMemory)?,
        Backing::Shared { .. } => {
            let (pages, index) = vma.shared_index(addr).ok_or(FaultKind::Io)?;
            pages.page(index)?
        }
        Backing::SharedFile { inode, .. } => {
            let offset = vma.file_offset(addr).ok_or(FaultKind::Io)?;
            shared_file::page(inode, offset / PAGE_SIZE)?
        }
        Backing::File {
            inode, file_end, ..
        } => {
            let page = Page::alloc_zeroed().ok_or(FaultKind::OutOfMemory)?;
            let offset = vma.file_offset(addr).ok_or(FaultKind::Io)?;
            let wanted = file_end.saturating_sub(offset).min(PAGE_SIZE) as usize;
            if wanted > 0 {
                let mut buf = vec![0u8; wanted];
                let mut done = 0;
                while done < wanted {
                    match inode.read_at(offset + done as u64, &mut buf[done..]) {
                        Ok(0) => break,
                        Ok(n) => done += n,
                        Err(_) => return Err(FaultKind::Io),
                    }
                }
                page.write(0, &buf[..done]);
            }
            page
        }
    };
    // A page made for this mapping alone may be written at once; a private
    // mapping of a shared object's page (the vDSO) starts read-only, so that
    // a write after mprotect copies the page instead of changing it for all.
    let writable = vma.shared || matches!(vma.backing, Backing::Anonymous | Backing::File { .. });
    let flags = pte_flags(vma.prot, writable);
    mm.space
        .map(addr, page.into_frame(), flags)
        .map_err(|_| FaultKind::OutOfMemory)?;
    mm.minor_faults += 1;
    Ok(())
}
