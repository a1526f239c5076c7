//! Platform facade: the one place that knows which operating system it runs on.
//!
//! The pipeline calls these functions and never uses `cfg` itself. Each platform module provides
//! the same set: error numbers and their Node names, the fsync flavours, directory sync, the
//! umask, owner changes, and the final rename.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use self::unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use self::windows::*;

/// libuv's message for an error code, which is what Node puts after `CODE: ` in its messages.
pub(crate) fn message_of(code: &str) -> Option<&'static str> {
  Some(match code {
    "E2BIG" => "argument list too long",
    "EACCES" => "permission denied",
    "EAGAIN" => "resource temporarily unavailable",
    "EBADF" => "bad file descriptor",
    "EBUSY" => "resource busy or locked",
    "ECANCELED" => "operation canceled",
    "EDQUOT" => "disk quota exceeded",
    "EEXIST" => "file already exists",
    "EFAULT" => "bad address in system call argument",
    "EFBIG" => "file too large",
    "EINTR" => "interrupted system call",
    "EINVAL" => "invalid argument",
    "EIO" => "i/o error",
    "EISDIR" => "illegal operation on a directory",
    "ELOOP" => "too many symbolic links encountered",
    "EMFILE" => "too many open files",
    "EMLINK" => "too many links",
    "ENAMETOOLONG" => "name too long",
    "ENFILE" => "file table overflow",
    "ENODEV" => "no such device",
    "ENOENT" => "no such file or directory",
    "ENOMEM" => "not enough memory",
    "ENOSPC" => "no space left on device",
    "ENOSYS" => "function not implemented",
    "ENOTDIR" => "not a directory",
    "ENOTEMPTY" => "directory not empty",
    "ENOTSUP" => "operation not supported on socket",
    "ENXIO" => "no such device or address",
    "EPERM" => "operation not permitted",
    "EROFS" => "read-only file system",
    "ESPIPE" => "invalid seek",
    "ESTALE" => "stale file handle",
    "ETIMEDOUT" => "connection timed out",
    "ETXTBSY" => "text file is busy",
    "UNKNOWN" => "unknown error",
    "EXDEV" => "cross-device link not permitted",
    _ => return None,
  })
}

/// Node's name and `errno` for an `io::Error`: `("EACCES", -13)` on Linux.
pub(crate) fn classify(err: &std::io::Error) -> (&'static str, i32) {
  match err
    .raw_os_error()
    .and_then(|raw| NAMES.iter().find(|(errno, _)| *errno == raw))
  {
    Some(&(raw, name)) => (name, node_errno(raw)),
    None => ("UNKNOWN", UNKNOWN_ERRNO),
  }
}

/// Node's `errno` for an error name this crate raises itself (`EISDIR` for a directory target).
pub(crate) fn errno_of(name: &str) -> i32 {
  NAMES
    .iter()
    .find(|(_, n)| *n == name)
    .map_or(UNKNOWN_ERRNO, |&(raw, _)| node_errno(raw))
}

/// The static spelling of a known error name (for names that arrive as text, e.g. failpoints).
#[cfg(feature = "failpoints")]
pub(crate) fn known_name(name: &str) -> Option<&'static str> {
  NAMES.iter().find(|(_, n)| *n == name).map(|(_, n)| *n)
}

/// The raw OS number for a known error name (to inject it as a real `io::Error`).
#[cfg(feature = "failpoints")]
pub(crate) fn raw_of(name: &str) -> i32 {
  NAMES
    .iter()
    .find(|(_, n)| *n == name)
    .map_or(0, |(raw, _)| *raw)
}
