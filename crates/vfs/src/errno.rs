//! Errors as Linux reports them: an errno value plus an optional reason for logs.

use core::fmt;

use linux_raw_sys::errno as raw;

/// A Linux errno value. The numbers come from `linux-raw-sys`, never retyped.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(u16);

macro_rules! errnos {
    ($($name:ident),* $(,)?) => {
        impl Errno {
            $(pub const $name: Errno = Errno(raw::$name as u16);)*

            /// The symbolic name (`"ENOENT"`), or `"E?"` for a value we do not name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Errno::$name => stringify!($name),)*
                    _ => "E?",
                }
            }
        }
    };
}

errnos!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    ENOEXEC,
    EBADF,
    ECHILD,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EBUSY,
    EEXIST,
    EXDEV,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOTTY,
    ETXTBSY,
    EFBIG,
    ENOSPC,
    ESPIPE,
    EROFS,
    EMLINK,
    EPIPE,
    EDOM,
    ERANGE,
    EDEADLK,
    ENAMETOOLONG,
    ENOLCK,
    ENOSYS,
    ENOTEMPTY,
    ELOOP,
    ENODATA,
    ETIME,
    EOVERFLOW,
    EBADFD,
    ENOTSOCK,
    EOPNOTSUPP,
    EAFNOSUPPORT,
    ETIMEDOUT,
    ECONNREFUSED,
    ESTALE,
    EDQUOT,
    ECANCELED,
);

impl Errno {
    /// Wraps a raw errno value (positive, as in `errno.h`).
    pub const fn from_raw(value: u16) -> Errno {
        Errno(value)
    }

    /// The positive errno value.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// The value a syscall returns for this error: `-errno`.
    pub const fn as_syscall_return(self) -> isize {
        -(self.0 as isize)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An errno with an optional short, lowercase reason for the log.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Error {
    pub errno: Errno,
    pub reason: Option<&'static str>,
}

impl Error {
    pub const fn new(errno: Errno) -> Error {
        Error {
            errno,
            reason: None,
        }
    }

    pub const fn with_reason(errno: Errno, reason: &'static str) -> Error {
        Error {
            errno,
            reason: Some(reason),
        }
    }
}

impl From<Errno> for Error {
    fn from(errno: Errno) -> Error {
        Error::new(errno)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            Some(reason) => write!(f, "{:?}: {}", self.errno, reason),
            None => write!(f, "{:?}", self.errno),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The result type of every filesystem operation.
pub type Result<T> = core::result::Result<T, Error>;
