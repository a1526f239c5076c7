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

/// Keeps this library loaded until the process exits, once it has loaded. Node closes an addon
/// when the last environment that loaded it goes away (a terminated worker thread that alone
/// required the package), but the package's own threads (the pool, the gate watcher, spill
/// writers) outlive any environment and run the library's code: unloaded under them, the
/// process crashes. Best effort: where the loader refuses, the library is merely not pinned.
pub(crate) fn keep_loaded() {
  #[cfg(windows)]
  {
    use windows_sys::Win32::System::LibraryLoader::{
      GetModuleHandleExW, GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_PIN,
    };
    let mut module = std::ptr::null_mut();
    // SAFETY: with `FROM_ADDRESS` the name argument is an address inside the module wanted (this
    // function's own), never read as a string; `module` is a live out-parameter. With `PIN` the
    // loader keeps the module until the process exits: the handle needs no release.
    unsafe {
      GetModuleHandleExW(
        GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
        keep_loaded as *const u16,
        &mut module,
      )
    };
  }
  #[cfg(unix)]
  {
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    // SAFETY: the address is this function's, inside the library; `info` is a live out-parameter
    // of the right type, filled when `dladdr` returns non-zero.
    if unsafe { libc::dladdr(keep_loaded as *const libc::c_void, info.as_mut_ptr()) } == 0 {
      return;
    }
    // SAFETY: `dladdr` succeeded, so `info` is filled (zeroed fields where it found nothing).
    let path = unsafe { info.assume_init() }.dli_fname;
    if path.is_null() {
      return;
    }
    // SAFETY: `path` is the loader's NUL-terminated name of this library, alive while it is
    // loaded (it is: this code runs). `RTLD_NOLOAD` loads nothing, it finds the library already
    // there and marks it `RTLD_NODELETE`: never unloaded. The handle is kept, never closed.
    unsafe {
      libc::dlopen(
        path,
        libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
      )
    };
  }
}

/// Elsewhere than on Windows a path is passed to the system as it is (see `windows::verbatim`).
#[cfg(not(windows))]
pub(crate) fn verbatim(path: &std::path::Path) -> std::path::PathBuf {
  path.to_path_buf()
}

/// Elsewhere than on Windows a path is shown as it is (see `windows::plain`).
#[cfg(not(windows))]
pub(crate) fn plain(path: std::path::PathBuf) -> std::path::PathBuf {
  path
}

/// Windows canonicalizes by asking for the final path of an open handle: nothing to spare.
#[cfg(windows)]
pub(crate) fn has_no_symlinks(_path: &std::path::Path) -> bool {
  false
}

/// Only Windows has a sidecar that cannot be opened while it is being deleted (see
/// `windows::is_busy`).
#[cfg(not(windows))]
pub(crate) fn is_busy(_err: &std::io::Error) -> bool {
  false
}

/// Whether a path's canonical form differs from it only by its symlinks resolved, as with
/// glibc's and musl's `realpath`: then a name that is no symlink is its own canonical form. Not
/// on Windows nor macOS, whose canonical paths also spell each name as it is stored (its case,
/// on a file system that ignores case).
pub(crate) const CANONICAL_RESOLVES_ONLY_LINKS: bool =
  cfg!(any(target_os = "linux", target_os = "android"));

/// Why the final rename failed: before the name changed, or after (the flush that makes the
/// rename durable, on Windows). Past the rename the target holds the new file, and the write
/// must say so (`renamed: true`) rather than put anything back.
#[derive(Debug)]
pub(crate) enum RenameError {
  /// Nothing changed: the target is as it was, the source still there.
  Failed(std::io::Error),
  /// The target is the new file; making that durable failed.
  #[cfg_attr(not(windows), allow(dead_code))] // Unix flushes a rename with the directory, later
  Unflushed(std::io::Error),
}

/// libuv's message for an error code, which is what Node puts after `CODE: ` in its messages.
pub(crate) fn message_of(code: &str) -> Option<&'static str> {
  MESSAGES
    .iter()
    .find(|(name, _)| *name == code)
    .map(|(_, message)| *message)
}

/// libuv's error names and messages (`UV_ERRNO_MAP` in uv.h, as `util.getSystemErrorMap()` lists
/// them in Node 20), but its resolver codes (`EAI_*`), which no file operation returns; then
/// `EDQUOT` and `ESTALE`, which that libuv does not name (Node says `UNKNOWN`) but which say far
/// more to a user whose disk quota is full or whose NFS handle went stale.
const MESSAGES: &[(&str, &str)] = &[
  ("E2BIG", "argument list too long"),
  ("EACCES", "permission denied"),
  ("EADDRINUSE", "address already in use"),
  ("EADDRNOTAVAIL", "address not available"),
  ("EAFNOSUPPORT", "address family not supported"),
  ("EAGAIN", "resource temporarily unavailable"),
  ("EALREADY", "connection already in progress"),
  ("EBADF", "bad file descriptor"),
  ("EBUSY", "resource busy or locked"),
  ("ECANCELED", "operation canceled"),
  ("ECHARSET", "invalid Unicode character"),
  ("ECONNABORTED", "software caused connection abort"),
  ("ECONNREFUSED", "connection refused"),
  ("ECONNRESET", "connection reset by peer"),
  ("EDESTADDRREQ", "destination address required"),
  ("EEXIST", "file already exists"),
  ("EFAULT", "bad address in system call argument"),
  ("EFBIG", "file too large"),
  ("EHOSTUNREACH", "host is unreachable"),
  ("EINTR", "interrupted system call"),
  ("EINVAL", "invalid argument"),
  ("EIO", "i/o error"),
  ("EISCONN", "socket is already connected"),
  ("EISDIR", "illegal operation on a directory"),
  ("ELOOP", "too many symbolic links encountered"),
  ("EMFILE", "too many open files"),
  ("EMSGSIZE", "message too long"),
  ("ENAMETOOLONG", "name too long"),
  ("ENETDOWN", "network is down"),
  ("ENETUNREACH", "network is unreachable"),
  ("ENFILE", "file table overflow"),
  ("ENOBUFS", "no buffer space available"),
  ("ENODEV", "no such device"),
  ("ENOENT", "no such file or directory"),
  ("ENOMEM", "not enough memory"),
  ("ENONET", "machine is not on the network"),
  ("ENOPROTOOPT", "protocol not available"),
  ("ENOSPC", "no space left on device"),
  ("ENOSYS", "function not implemented"),
  ("ENOTCONN", "socket is not connected"),
  ("ENOTDIR", "not a directory"),
  ("ENOTEMPTY", "directory not empty"),
  ("ENOTSOCK", "socket operation on non-socket"),
  ("ENOTSUP", "operation not supported on socket"),
  ("EOVERFLOW", "value too large for defined data type"),
  ("EPERM", "operation not permitted"),
  ("EPIPE", "broken pipe"),
  ("EPROTO", "protocol error"),
  ("EPROTONOSUPPORT", "protocol not supported"),
  ("EPROTOTYPE", "protocol wrong type for socket"),
  ("ERANGE", "result too large"),
  ("EROFS", "read-only file system"),
  ("ESHUTDOWN", "cannot send after transport endpoint shutdown"),
  ("ESPIPE", "invalid seek"),
  ("ESRCH", "no such process"),
  ("ETIMEDOUT", "connection timed out"),
  ("ETXTBSY", "text file is busy"),
  ("EXDEV", "cross-device link not permitted"),
  ("UNKNOWN", "unknown error"),
  ("EOF", "end of file"),
  ("ENXIO", "no such device or address"),
  ("EMLINK", "too many links"),
  ("EHOSTDOWN", "host is down"),
  ("EREMOTEIO", "remote I/O error"),
  ("ENOTTY", "inappropriate ioctl for device"),
  ("EFTYPE", "inappropriate file type or format"),
  ("EILSEQ", "illegal byte sequence"),
  ("ESOCKTNOSUPPORT", "socket type not supported"),
  ("ENODATA", "no data available"),
  ("EUNATCH", "protocol driver not attached"),
  ("EDQUOT", "disk quota exceeded"),
  ("ESTALE", "stale file handle"),
];

/// Node's name and `errno` for an `io::Error`: `("EACCES", -13)` on Linux. An OS error libuv
/// has no name for is `UNKNOWN` with its own number, as Node reports it.
pub(crate) fn classify(err: &std::io::Error) -> (&'static str, i32) {
  let Some(raw) = err.raw_os_error() else {
    return ("UNKNOWN", UNKNOWN_ERRNO);
  };
  match NAMES.iter().find(|(errno, _)| *errno == raw) {
    Some(&(_, name)) => (name, node_errno(raw)),
    None => ("UNKNOWN", node_errno(raw)),
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
