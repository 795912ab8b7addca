//! Reading and writing user memory: every access goes through the
//! platform's checked copy, so a bad pointer is EFAULT, never a kernel fault.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use bytemuck::{Pod, Zeroable};
use platform::arch::usercopy::{self, CStrError};
use platform::mm::user::USER_SPACE_END;
use vfs::path::PATH_MAX;
use vfs::{Errno, Error, Result};

fn efault<T>(_: T) -> Error {
    Errno::EFAULT.into()
}

/// Linux's `access_ok`: EFAULT unless `[addr, addr + len)` ends at or below
/// the end of user space without wrapping; an empty range must start there
/// too. Returns `len`, which the check keeps far below `isize::MAX`.
pub fn check_access(addr: u64, len: u64) -> Result<usize> {
    match addr.checked_add(len) {
        Some(end) if end <= USER_SPACE_END => Ok(len as usize),
        _ => Err(Errno::EFAULT.into()),
    }
}

/// Copies a plain-data value out of user memory.
pub fn read<T: Pod>(addr: u64) -> Result<T> {
    let mut value = T::zeroed();
    usercopy::copy_from_user(bytemuck::bytes_of_mut(&mut value), addr).map_err(efault)?;
    Ok(value)
}

/// Copies a plain-data value into user memory.
pub fn write<T: Pod>(addr: u64, value: &T) -> Result<()> {
    usercopy::copy_to_user(addr, bytemuck::bytes_of(value)).map_err(efault)
}

/// Fills `buf` from user memory at `addr`.
pub fn read_into(addr: u64, buf: &mut [u8]) -> Result<()> {
    usercopy::copy_from_user(buf, addr).map_err(efault)
}

/// Copies `len` bytes out of user memory.
pub fn read_bytes(addr: u64, len: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    buf.resize(len, 0);
    read_into(addr, &mut buf)?;
    Ok(buf)
}

/// Copies `data` into user memory at `addr`.
pub fn write_bytes(addr: u64, data: &[u8]) -> Result<()> {
    usercopy::copy_to_user(addr, data).map_err(efault)
}

/// A NUL-terminated string of at most `max` bytes (without the NUL).
pub fn read_cstr(addr: u64, max: usize) -> Result<Vec<u8>> {
    usercopy::copy_cstr_from_user(addr, max).map_err(|err| match err {
        CStrError::Fault => Errno::EFAULT.into(),
        CStrError::TooLong => Errno::ENAMETOOLONG.into(),
    })
}

/// A path argument: EFAULT for a bad pointer, ENAMETOOLONG past PATH_MAX,
/// ENOENT for an empty path (the `*at` callers check AT_EMPTY_PATH first).
pub fn read_path(addr: u64) -> Result<String> {
    let bytes = read_cstr(addr, PATH_MAX - 1)?;
    String::from_utf8(bytes).map_err(|_| Error::with_reason(Errno::EINVAL, "non-utf8 path"))
}

/// A NULL-terminated array of string pointers (argv, envp).
pub fn read_string_array(addr: u64) -> Result<Vec<Vec<u8>>> {
    let mut strings = Vec::new();
    if addr == 0 {
        return Ok(strings);
    }
    let mut total = 0usize;
    for index in 0.. {
        let pointer: u64 = read(addr + index * 8)?;
        if pointer == 0 {
            break;
        }
        let string = read_cstr(pointer, loader::stack::MAX_ARG_STRLEN).map_err(|e| {
            if e.errno == Errno::ENAMETOOLONG {
                Errno::E2BIG.into()
            } else {
                e
            }
        })?;
        total += string.len() + 1;
        if total > loader::stack::ARG_MAX {
            return Err(Errno::E2BIG.into());
        }
        strings.push(string);
    }
    Ok(strings)
}

/// A scratch buffer for moving file data between user memory and files.
pub fn buffer(len: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    buf.resize(len, 0);
    Ok(buf)
}

/// `struct iovec`.
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
#[repr(C)]
pub struct IoVec {
    pub base: u64,
    pub len: u64,
}

/// Linux's `UIO_MAXIOV`.
pub const IOV_MAX: usize = 1024;

/// Reads an iovec array; EINVAL for too many entries or a total past `isize::MAX`.
pub fn read_iovecs(addr: u64, count: usize) -> Result<Vec<IoVec>> {
    if count > IOV_MAX {
        return Err(Errno::EINVAL.into());
    }
    let mut iovecs = vec![IoVec::default(); count];
    read_into(addr, bytemuck::cast_slice_mut(&mut iovecs))?;
    let mut total: u64 = 0;
    for iov in &iovecs {
        total = total.checked_add(iov.len).ok_or(Errno::EINVAL)?;
    }
    if total > isize::MAX as u64 {
        return Err(Errno::EINVAL.into());
    }
    Ok(iovecs)
}
