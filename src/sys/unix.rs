//! Unix: Linux, macOS and the BSDs.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Raw errno → Node's code. Node reports the same names libuv does, which are the POSIX ones.
pub(super) const NAMES: &[(i32, &str)] = &[
  (libc::E2BIG, "E2BIG"),
  (libc::EACCES, "EACCES"),
  (libc::EADDRINUSE, "EADDRINUSE"),
  (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL"),
  (libc::EAFNOSUPPORT, "EAFNOSUPPORT"),
  (libc::EAGAIN, "EAGAIN"),
  (libc::EALREADY, "EALREADY"),
  (libc::EBADF, "EBADF"),
  (libc::EBUSY, "EBUSY"),
  (libc::ECANCELED, "ECANCELED"),
  (libc::ECONNABORTED, "ECONNABORTED"),
  (libc::ECONNREFUSED, "ECONNREFUSED"),
  (libc::ECONNRESET, "ECONNRESET"),
  (libc::EDESTADDRREQ, "EDESTADDRREQ"),
  (libc::EDQUOT, "EDQUOT"),
  (libc::EEXIST, "EEXIST"),
  (libc::EFAULT, "EFAULT"),
  (libc::EFBIG, "EFBIG"),
  (libc::EHOSTDOWN, "EHOSTDOWN"),
  (libc::EHOSTUNREACH, "EHOSTUNREACH"),
  (libc::EILSEQ, "EILSEQ"),
  (libc::EINTR, "EINTR"),
  (libc::EINVAL, "EINVAL"),
  (libc::EIO, "EIO"),
  (libc::EISCONN, "EISCONN"),
  (libc::EISDIR, "EISDIR"),
  (libc::ELOOP, "ELOOP"),
  (libc::EMFILE, "EMFILE"),
  (libc::EMLINK, "EMLINK"),
  (libc::EMSGSIZE, "EMSGSIZE"),
  (libc::ENAMETOOLONG, "ENAMETOOLONG"),
  (libc::ENETDOWN, "ENETDOWN"),
  (libc::ENETUNREACH, "ENETUNREACH"),
  (libc::ENFILE, "ENFILE"),
  (libc::ENOBUFS, "ENOBUFS"),
  (libc::ENODATA, "ENODATA"),
  (libc::ENODEV, "ENODEV"),
  (libc::ENOENT, "ENOENT"),
  (libc::ENOMEM, "ENOMEM"),
  (libc::ENOPROTOOPT, "ENOPROTOOPT"),
  (libc::ENOSPC, "ENOSPC"),
  (libc::ENOSYS, "ENOSYS"),
  (libc::ENOTCONN, "ENOTCONN"),
  (libc::ENOTDIR, "ENOTDIR"),
  (libc::ENOTEMPTY, "ENOTEMPTY"),
  (libc::ENOTSOCK, "ENOTSOCK"),
  (libc::ENOTSUP, "ENOTSUP"),
  (libc::ENOTTY, "ENOTTY"),
  (libc::ENXIO, "ENXIO"),
  (libc::EOVERFLOW, "EOVERFLOW"),
  (libc::EPERM, "EPERM"),
  (libc::EPIPE, "EPIPE"),
  (libc::EPROTO, "EPROTO"),
  (libc::EPROTONOSUPPORT, "EPROTONOSUPPORT"),
  (libc::EPROTOTYPE, "EPROTOTYPE"),
  (libc::ERANGE, "ERANGE"),
  (libc::EROFS, "EROFS"),
  (libc::ESHUTDOWN, "ESHUTDOWN"),
  (libc::ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"),
  (libc::ESPIPE, "ESPIPE"),
  (libc::ESRCH, "ESRCH"),
  (libc::ESTALE, "ESTALE"),
  (libc::ETIMEDOUT, "ETIMEDOUT"),
  (libc::ETXTBSY, "ETXTBSY"),
  (libc::EXDEV, "EXDEV"),
  // libuv names these only where the OS has them; elsewhere it uses numbers of its own that no
  // system call returns.
  #[cfg(any(target_os = "linux", target_os = "android"))]
  (libc::ENONET, "ENONET"),
  #[cfg(any(target_os = "linux", target_os = "android"))]
  (libc::EREMOTEIO, "EREMOTEIO"),
  #[cfg(any(target_os = "linux", target_os = "android"))]
  (libc::EUNATCH, "EUNATCH"),
  #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
  (libc::EFTYPE, "EFTYPE"),
];

/// libuv's number for an error it has no name for.
pub(super) const UNKNOWN_ERRNO: i32 = -4094;

/// Node's `errno` property: libuv uses the negated POSIX number on Unix.
pub(super) fn node_errno(raw: i32) -> i32 {
  -raw
}

/// Create a file that must not exist yet, readable and writable by the owner only. O_EXCL
/// already refuses any existing name, a symlink included; O_NOFOLLOW says so once more.
pub(crate) fn create_exclusive(path: &Path) -> io::Result<File> {
  OpenOptions::new()
    .write(true)
    .create_new(true)
    .custom_flags(libc::O_NOFOLLOW)
    .mode(0o600)
    .open(path)
}

/// Open the lock sidecar, creating it (empty) if needed. Read-only suffices for `flock`, which
/// matters when another user created the sidecar of a file both may write. Never through a
/// symlink (ELOOP: whoever can write the directory must not make us create or open a file
/// elsewhere), and never anything but a regular file (O_NONBLOCK: a FIFO planted there opens
/// at once, and is then refused with EINVAL).
pub(crate) fn open_lock_file(path: &Path) -> io::Result<File> {
  let flags = libc::O_NOFOLLOW | libc::O_NONBLOCK;
  let file = match OpenOptions::new()
    .read(true)
    .write(true)
    .create(true)
    .truncate(false)
    .custom_flags(flags)
    .mode(0o666)
    .open(path)
  {
    // Not ours to write, or in a directory we may not write: an existing sidecar still works.
    Err(err) if err.raw_os_error() == Some(libc::EACCES) => OpenOptions::new()
      .read(true)
      .custom_flags(flags)
      .open(path)
      .map_err(|_| err)?,
    other => other?,
  };
  regular(file)
}

/// Open an existing file of ours (a temp file, a staged backup, a sidecar) to lock it: read-only,
/// never through a symlink (ELOOP), never blocking, and only if it is a regular file (EINVAL).
pub(crate) fn open_existing(path: &Path) -> io::Result<File> {
  let file = OpenOptions::new()
    .read(true)
    .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
    .open(path)?;
  regular(file)
}

/// Open a file to read it, following symlinks, without blocking in `open` (a FIFO swapped in
/// after the caller's `stat` opens at once instead of waiting for a writer). The caller checks
/// with `fstat` that it is a regular file; then [`blocking`] clears O_NONBLOCK.
pub(crate) fn open_for_read(path: &Path) -> io::Result<File> {
  OpenOptions::new()
    .read(true)
    .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
    .open(path)
}

/// Clear O_NONBLOCK on a file opened by [`open_for_read`], now known to be regular.
pub(crate) fn blocking(file: &File) -> io::Result<()> {
  use std::os::unix::io::AsRawFd;
  // SAFETY: the descriptor is owned by `file`, which outlives both calls; F_GETFL/F_SETFL
  // touch only the open file's status flags.
  unsafe {
    let flags = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
    if flags < 0 || libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK) < 0 {
      return Err(io::Error::last_os_error());
    }
  }
  Ok(())
}

/// `file` if it is a regular file; EINVAL (EISDIR for a directory) otherwise.
fn regular(file: File) -> io::Result<File> {
  let kind = file.metadata()?.file_type();
  if kind.is_file() {
    Ok(file)
  } else if kind.is_dir() {
    Err(io::Error::from_raw_os_error(libc::EISDIR))
  } else {
    Err(io::Error::from_raw_os_error(libc::EINVAL))
  }
}

/// Take the exclusive `flock` without waiting: `Ok(false)` if another open file holds it.
/// (`flock`, not `fcntl`: its lock belongs to the open file, so two writers in one process
/// exclude each other too, and it goes away when the holder dies.)
pub(crate) fn try_lock(file: &File) -> io::Result<bool> {
  flock(file, libc::LOCK_EX | libc::LOCK_NB)
}

/// Take a shared `flock` on one of our own files without waiting: `Ok(false)` if someone holds
/// it exclusively. A live writer holds its temp file this way for its whole life; cleanup's
/// [`try_claim`] then fails, and the file is left alone. Shared, so that two writers staging
/// backup links to one inode do not exclude each other.
pub(crate) fn try_share(file: &File) -> io::Result<bool> {
  flock(file, libc::LOCK_SH | libc::LOCK_NB)
}

/// Take the exclusive lock that proves no live writer holds one of our files (cleanup, before it
/// removes a temp file). With `flock` it is the sidecar's lock; Windows uses another range.
pub(crate) fn try_claim(file: &File) -> io::Result<bool> {
  try_lock(file)
}

fn flock(file: &File, operation: libc::c_int) -> io::Result<bool> {
  use std::os::unix::io::AsRawFd;
  loop {
    // SAFETY: the descriptor is owned by `file`, which outlives the call.
    if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
      return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
      Some(libc::EWOULDBLOCK) => return Ok(false),
      Some(libc::EINTR) => continue,
      _ => return Err(err),
    }
  }
}

/// Whether `path` itself (not a symlink's target) still names the file open as `file`: a lock
/// taken on a file that was removed meanwhile protects nothing (the previous holder removes the
/// sidecar when it is done; cleanup removes a temp file it claimed).
pub(crate) fn is_same_file(file: &File, path: &Path) -> io::Result<bool> {
  let open = file.metadata()?;
  match fs::symlink_metadata(path) {
    Ok(named) => Ok(named.dev() == open.dev() && named.ino() == open.ino()),
    Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
    Err(err) => Err(err),
  }
}

/// Whether two metadata describe one file (one inode).
pub(crate) fn same_inode(a: &Metadata, b: &Metadata) -> bool {
  a.dev() == b.dev() && a.ino() == b.ino()
}

/// A file is removable whatever its mode (the directory decides): nothing to do.
pub(crate) fn make_removable(_path: &Path) {}

/// fsync that reaches the platter: F_FULLFSYNC on macOS, where plain fsync stops at the drive's
/// cache; plain fsync elsewhere. Both sync the inode with the data (its size, and the mode and
/// owner set just before), which fdatasync may leave behind.
pub(crate) fn sync_full(file: &File) -> io::Result<()> {
  use std::os::unix::io::AsRawFd;
  #[cfg(target_vendor = "apple")]
  loop {
    // SAFETY: the descriptor is owned by `file`, which outlives the call.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_FULLFSYNC) } == 0 {
      return Ok(());
    }
    // Some file systems (network, FAT) refuse F_FULLFSYNC; plain fsync is the best they offer.
    // Only a refusal, though: an I/O error (EIO) is the write's failure, not a reason to retry
    // with less. (Not `File::sync_all`: on macOS std makes that F_FULLFSYNC again.)
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
      Some(libc::EINTR) => {}
      Some(libc::ENOTSUP | libc::EINVAL | libc::ENOTTY) => break,
      _ => return Err(err),
    }
  }
  loop {
    // SAFETY: the descriptor is owned by `file`, which outlives the call.
    if unsafe { libc::fsync(file.as_raw_fd()) } == 0 {
      return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() != Some(libc::EINTR) {
      return Err(err);
    }
  }
}

/// Make a directory's entries (a rename, a new file) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
  let handle = File::open(dir)?;
  match sync_full(&handle) {
    // Some file systems cannot fsync a directory; there is nothing more we can do there.
    Err(err) if err.raw_os_error() == Some(libc::EINVAL) => Ok(()),
    other => other,
  }
}

/// Permission bits of an existing file, setuid/setgid/sticky included.
pub(crate) fn mode_of(meta: &Metadata) -> u32 {
  meta.mode() & 0o7777
}

/// The mode a new file gets by default: `0o666 & ~umask`, as `fs.writeFile` would create it.
pub(crate) fn default_mode() -> u32 {
  0o666 & !current_umask()
}

/// How many descriptors this process may have open (the soft `RLIMIT_NOFILE`).
pub(crate) fn open_files_limit() -> Option<usize> {
  let mut limit = libc::rlimit {
    rlim_cur: 0,
    rlim_max: 0,
  };
  // SAFETY: `limit` is a valid, writable rlimit for the call to fill.
  if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
    return None;
  }
  usize::try_from(limit.rlim_cur).ok()
}

/// The process umask, read without changing it where the OS allows (Linux), because
/// `umask(2)` can only be read by setting it, which races with other threads creating files.
fn current_umask() -> u32 {
  #[cfg(target_os = "linux")]
  if let Ok(status) = fs::read_to_string("/proc/self/status") {
    let found = status.lines().find_map(|line| line.strip_prefix("Umask:"));
    if let Some(mask) = found.and_then(|m| u32::from_str_radix(m.trim(), 8).ok()) {
      return mask;
    }
  }
  // SAFETY: umask cannot fail; the old value is restored at once.
  unsafe {
    let mask = libc::umask(0o022);
    libc::umask(mask);
    mask as u32
  }
}

/// Apply the final permission bits to the open temp file.
pub(crate) fn set_mode(file: &File, mode: u32) -> io::Result<()> {
  file.set_permissions(fs::Permissions::from_mode(mode))
}

/// Give the temp file (whose metadata is `mine`) the previous target's owner, where this
/// process may (see [`set_owner`]).
pub(crate) fn copy_owner(file: &File, mine: &Metadata, previous: &Metadata) -> io::Result<()> {
  set_owner(file, mine, Some(previous.uid()), Some(previous.gid()))
}

/// Give the temp file (whose metadata, read by the caller, is `mine`) this owner (`None`: leave
/// that id as it is), where this process may. A user may not give files away (EPERM), which is
/// not an error: the file then belongs to the writer, as with `fs.writeFile` after an unlink,
/// and as write-file-atomic does for non-root.
pub(crate) fn set_owner(
  file: &File,
  mine: &Metadata,
  uid: Option<u32>,
  gid: Option<u32>,
) -> io::Result<()> {
  if uid.is_none_or(|uid| uid == mine.uid()) && gid.is_none_or(|gid| gid == mine.gid()) {
    return Ok(());
  }
  match std::os::unix::fs::fchown(file, uid, gid) {
    Err(err) if err.raw_os_error() == Some(libc::EPERM) => Ok(()),
    other => other,
  }
}

/// Replace `to` with `from` atomically. Durability is the directory fsync's business here
/// (`sync_dir`, after the rename), so nothing is flushed.
pub(crate) fn rename(
  from: &Path,
  to: &Path,
  _flush: bool,
  _injected: Option<io::Error>,
) -> Result<(), super::RenameError> {
  fs::rename(from, to).map_err(super::RenameError::Failed)
}

/// [`rename`]: Unix replaces a file held open, so nothing is let go (see the Windows twin).
pub(crate) fn rename_letting_go(
  from: &Path,
  to: &Path,
  _let_go: impl FnOnce(),
) -> Result<(), super::RenameError> {
  rename(from, to, false, None)
}

/// The longest file name the directory's file system accepts, in bytes (eCryptfs: 143).
pub(crate) fn name_max(dir: &Path) -> usize {
  use std::os::unix::ffi::OsStrExt;
  const USUAL: usize = 255;
  let Ok(dir) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
    return USUAL;
  };
  // SAFETY: `dir` is a valid NUL-terminated string for the duration of the call.
  let max = unsafe { libc::pathconf(dir.as_ptr(), libc::_PC_NAME_MAX) };
  if max > 0 {
    max as usize
  } else {
    USUAL
  }
}

/// Whether no name on `path` is a symlink, told by one `openat2` with RESOLVE_NO_SYMLINKS (Linux
/// 5.6+), which fails with ELOOP at the first link, where `realpath` reads every name as a link.
/// `false` whenever it cannot tell: a link on the way, a missing name, an older kernel (ENOSYS), a
/// sandbox that refuses the call (EPERM).
#[cfg(target_os = "linux")]
pub(crate) fn has_no_symlinks(path: &Path) -> bool {
  use std::os::fd::{FromRawFd, OwnedFd};
  use std::os::unix::ffi::OsStrExt;
  let Ok(name) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
    return false;
  };
  /// The kernel's `struct open_how` (its first version, which every openat2 accepts; libc's is
  /// non-exhaustive, so cannot be built field by field).
  #[repr(C)]
  struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
  }
  let how = OpenHow {
    // O_PATH: nothing is read, no permission beyond the lookup's is needed.
    flags: (libc::O_PATH | libc::O_CLOEXEC) as u64,
    mode: 0,
    resolve: libc::RESOLVE_NO_SYMLINKS,
  };
  // SAFETY: `name` is NUL-terminated and `how` is an open_how whose size is the one passed; both
  // outlive the call, which only reads them.
  let fd = unsafe {
    libc::syscall(
      libc::SYS_openat2,
      libc::AT_FDCWD,
      name.as_ptr(),
      &how as *const OpenHow,
      std::mem::size_of::<OpenHow>(),
    )
  };
  let Ok(fd) = i32::try_from(fd) else {
    return false;
  };
  if fd < 0 {
    return false;
  }
  // SAFETY: the call just opened `fd`, which nothing else owns; it is closed here.
  drop(unsafe { OwnedFd::from_raw_fd(fd) });
  true
}

/// Other Unixes have no such call: canonicalizing is left to `realpath`.
#[cfg(not(target_os = "linux"))]
pub(crate) fn has_no_symlinks(_path: &Path) -> bool {
  false
}
