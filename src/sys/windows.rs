//! Windows. Compiled and linted here (`cargo clippy --target x86_64-pc-windows-msvc`), not
//! run: the behaviour follows the Win32 documentation and libuv's error mapping.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::AsRawHandle;
use std::path::Path;
use std::time::{Duration, Instant};

use windows_sys::Win32::Storage::FileSystem::{
  LockFileEx, MoveFileExW, FILE_FLAG_OPEN_REPARSE_POINT, FILE_SHARE_DELETE, FILE_SHARE_READ,
  FILE_SHARE_WRITE, LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, MOVEFILE_REPLACE_EXISTING,
  MOVEFILE_WRITE_THROUGH,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

/// Win32 error → Node's code, as libuv translates it (so `err.code` matches `fs` on Windows).
pub(super) const NAMES: &[(i32, &str)] = &[
  (1, "EISDIR"),         // ERROR_INVALID_FUNCTION
  (2, "ENOENT"),         // ERROR_FILE_NOT_FOUND
  (3, "ENOENT"),         // ERROR_PATH_NOT_FOUND
  (4, "EMFILE"),         // ERROR_TOO_MANY_OPEN_FILES
  (5, "EACCES"),         // ERROR_ACCESS_DENIED
  (6, "EBADF"),          // ERROR_INVALID_HANDLE
  (8, "ENOMEM"),         // ERROR_NOT_ENOUGH_MEMORY
  (15, "ENOENT"),        // ERROR_INVALID_DRIVE
  (17, "EXDEV"),         // ERROR_NOT_SAME_DEVICE
  (19, "EROFS"),         // ERROR_WRITE_PROTECT
  (23, "EIO"),           // ERROR_CRC
  (31, "EIO"),           // ERROR_GEN_FAILURE
  (32, "EBUSY"),         // ERROR_SHARING_VIOLATION
  (33, "EBUSY"),         // ERROR_LOCK_VIOLATION
  (39, "ENOSPC"),        // ERROR_HANDLE_DISK_FULL
  (50, "ENOTSUP"),       // ERROR_NOT_SUPPORTED
  (80, "EEXIST"),        // ERROR_FILE_EXISTS
  (82, "ENOSPC"),        // ERROR_CANNOT_MAKE
  (87, "EINVAL"),        // ERROR_INVALID_PARAMETER
  (110, "EIO"),          // ERROR_OPEN_FAILED
  (112, "ENOSPC"),       // ERROR_DISK_FULL
  (121, "ETIMEDOUT"),    // ERROR_SEM_TIMEOUT
  (123, "ENOENT"),       // ERROR_INVALID_NAME
  (145, "ENOTEMPTY"),    // ERROR_DIR_NOT_EMPTY
  (161, "ENOENT"),       // ERROR_BAD_PATHNAME
  (183, "EEXIST"),       // ERROR_ALREADY_EXISTS
  (206, "ENAMETOOLONG"), // ERROR_FILENAME_EXCED_RANGE
  (267, "ENOENT"),       // ERROR_DIRECTORY
  (740, "EACCES"),       // ERROR_ELEVATION_REQUIRED
  (998, "EACCES"),       // ERROR_NOACCESS
  (1117, "EIO"),         // ERROR_IO_DEVICE
  (1314, "EPERM"),       // ERROR_PRIVILEGE_NOT_HELD
  (1920, "EACCES"),      // ERROR_CANT_ACCESS_FILE
  (1921, "ELOOP"),       // ERROR_CANT_RESOLVE_FILENAME
  // Codes this crate raises itself that have no Win32 twin in libuv's table.
  (-4052, "ENOTDIR"),
];

/// libuv's number for an error it has no name for.
pub(super) const UNKNOWN_ERRNO: i32 = -4094;

/// Node's `errno` on Windows: libuv's own numbers, which are not the Win32 ones.
pub(super) fn node_errno(raw: i32) -> i32 {
  let name = NAMES
    .iter()
    .find(|(errno, _)| *errno == raw)
    .map_or("UNKNOWN", |(_, name)| *name);
  match name {
    "EACCES" => -4092,
    "EBADF" => -4083,
    "EBUSY" => -4082,
    "ECANCELED" => -4081,
    "EEXIST" => -4075,
    "EINVAL" => -4071,
    "EIO" => -4070,
    "EISDIR" => -4068,
    "ELOOP" => -4067,
    "EMFILE" => -4066,
    "ENAMETOOLONG" => -4064,
    "ENOENT" => -4058,
    "ENOMEM" => -4057,
    "ENOSPC" => -4055,
    "ENOTDIR" => -4052,
    "ENOTEMPTY" => -4051,
    "ENOTSUP" => -4049,
    "EPERM" => -4048,
    "EROFS" => -4043,
    "ETIMEDOUT" => -4039,
    "EXDEV" => -4037,
    _ => UNKNOWN_ERRNO,
  }
}

/// Create a file that must not exist yet (CREATE_NEW, which refuses any existing name, a
/// symlink included). Windows has no mode bits to restrict.
pub(crate) fn create_exclusive(path: &Path) -> io::Result<File> {
  OpenOptions::new().write(true).create_new(true).open(path)
}

/// Open the lock sidecar, creating it if needed, shareable (and deletable) by other writers.
/// FILE_FLAG_OPEN_REPARSE_POINT opens a symlink planted there as the link itself, which is then
/// refused: the sidecar is never opened through a link.
pub(crate) fn open_lock_file(path: &Path) -> io::Result<File> {
  let file = OpenOptions::new()
    .read(true)
    .write(true)
    .create(true)
    .truncate(false)
    .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
    .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
    .open(path)?;
  regular(file)
}

/// Open an existing file of ours (a temp file, a staged backup, a sidecar) to lock it, never
/// through a symlink, and only if it is a regular file.
pub(crate) fn open_existing(path: &Path) -> io::Result<File> {
  let file = OpenOptions::new()
    .read(true)
    .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
    .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
    .open(path)?;
  regular(file)
}

/// Open a file to read it. Windows has no FIFOs or devices in the file system's namespace that
/// a path to a JSON file could name; the caller still checks that it is a regular file.
pub(crate) fn open_for_read(path: &Path) -> io::Result<File> {
  File::open(path)
}

/// Nothing to clear: [`open_for_read`] opens blocking.
pub(crate) fn blocking(_file: &File) -> io::Result<()> {
  Ok(())
}

/// `file` if it is a regular file (a symlink opened as itself is ELOOP, as O_NOFOLLOW gives).
fn regular(file: File) -> io::Result<File> {
  let kind = file.metadata()?.file_type();
  if kind.is_file() {
    Ok(file)
  } else if kind.is_symlink() {
    Err(io::Error::from_raw_os_error(1921)) // ERROR_CANT_RESOLVE_FILENAME: ELOOP
  } else {
    Err(io::Error::from_raw_os_error(87)) // ERROR_INVALID_PARAMETER: EINVAL
  }
}

/// Take an exclusive LockFileEx lock on the sidecar's first byte without waiting.
pub(crate) fn try_lock(file: &File) -> io::Result<bool> {
  lock_range(file, LOCKFILE_EXCLUSIVE_LOCK, 0)
}

/// Where writers lock their own temp files: far beyond any data, because a LockFileEx range is
/// mandatory (a shared lock on bytes the writer writes would refuse its own writes).
const HELD_OFFSET: u64 = u64::MAX - 1;

/// Take a shared lock on one of our own files without waiting: `Ok(false)` if someone holds it
/// exclusively. A live writer holds its temp file this way; cleanup's [`try_claim`] then fails.
pub(crate) fn try_share(file: &File) -> io::Result<bool> {
  lock_range(file, 0, HELD_OFFSET)
}

/// The exclusive lock that proves no live writer holds one of our files (cleanup).
pub(crate) fn try_claim(file: &File) -> io::Result<bool> {
  lock_range(file, LOCKFILE_EXCLUSIVE_LOCK, HELD_OFFSET)
}

/// LockFileEx on the one byte at `offset`, failing at once: `Ok(false)` if another handle holds
/// a conflicting lock.
fn lock_range(file: &File, exclusive: u32, offset: u64) -> io::Result<bool> {
  // SAFETY: OVERLAPPED is plain data; all-zero means offset 0 and no event.
  let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
  overlapped.Anonymous.Anonymous.Offset = offset as u32;
  overlapped.Anonymous.Anonymous.OffsetHigh = (offset >> 32) as u32;
  let flags = exclusive | LOCKFILE_FAIL_IMMEDIATELY;
  // SAFETY: the handle is owned by `file`, and `overlapped` lives across the call.
  if unsafe { LockFileEx(file.as_raw_handle() as _, flags, 0, 1, 0, &mut overlapped) } != 0 {
    return Ok(true);
  }
  let err = io::Error::last_os_error();
  // ERROR_LOCK_VIOLATION: another handle holds it.
  if err.raw_os_error() == Some(33) {
    return Ok(false);
  }
  Err(err)
}

/// Whether `path` still names a file. Windows refuses to create a file under a name whose
/// previous file is still open and marked for deletion, and std exposes no file index to
/// compare, so a name that still exists is taken to be the file open as `file`.
pub(crate) fn is_same_file(_file: &File, path: &Path) -> io::Result<bool> {
  match fs::symlink_metadata(path) {
    Ok(_) => Ok(true),
    Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
    Err(err) => Err(err),
  }
}

/// Whether two metadata describe one file: std has no stable file index on Windows, so never
/// (callers then do the work a shared file would have made unnecessary).
pub(crate) fn same_inode(_a: &Metadata, _b: &Metadata) -> bool {
  false
}

/// Windows cannot rename a file that is open without sharing delete: the temp file is closed
/// first (and cleanup could claim it in between; only on Windows).
pub(crate) const CLOSE_BEFORE_RENAME: bool = true;

/// FlushFileBuffers: on Windows it already flushes through the drive cache.
pub(crate) fn sync_full(file: &File) -> io::Result<()> {
  file.sync_all()
}

/// FlushFileBuffers: Windows has no weaker file flush that keeps the data readable.
pub(crate) fn sync_data(file: &File) -> io::Result<()> {
  file.sync_all()
}

/// Directories cannot be flushed on Windows; `rename` below asks for MOVEFILE_WRITE_THROUGH,
/// which returns only once the rename is on disk.
pub(crate) fn sync_dir(_dir: &Path) -> io::Result<()> {
  Ok(())
}

/// Windows keeps only a read-only flag; it maps to 0o444, anything else to 0o666.
pub(crate) fn mode_of(meta: &Metadata) -> u32 {
  if meta.permissions().readonly() {
    0o444
  } else {
    0o666
  }
}

/// New files are writable: Windows has no umask.
pub(crate) fn default_mode() -> u32 {
  0o666
}

/// Windows has no small per-process descriptor limit (handles number in the millions).
pub(crate) fn open_files_limit() -> Option<usize> {
  None
}

/// A mode without any write bit makes the file read-only.
pub(crate) fn set_mode(file: &File, mode: u32) -> io::Result<()> {
  let mut permissions = file.metadata()?.permissions();
  permissions.set_readonly(mode & 0o222 == 0);
  file.set_permissions(permissions)
}

/// File ownership is not something a writer can hand over on Windows.
pub(crate) fn copy_owner(_file: &File, _previous: &Metadata) -> io::Result<()> {
  Ok(())
}

/// How long `rename` keeps retrying while another process holds the target open.
const RENAME_RETRY_FOR: Duration = Duration::from_secs(2);

/// Replace `to` with `from`, retrying for up to 2 s on EPERM/EBUSY/EACCES: antivirus scanners,
/// indexers and readers briefly hold files open without FILE_SHARE_DELETE.
// Clearing the read-only flag is the whole point here; the lint's Unix concern does not apply.
#[allow(clippy::permissions_set_readonly_false)]
pub(crate) fn rename(from: &Path, to: &Path) -> io::Result<()> {
  // A read-only target cannot be replaced; it gets its read-only flag back from the temp file,
  // or, if the rename fails, from `restore` below: a failed write leaves the target as it was.
  let mut restore = None;
  if let Ok(meta) = fs::metadata(to) {
    let permissions = meta.permissions();
    if permissions.readonly() {
      let mut writable = permissions.clone();
      writable.set_readonly(false);
      fs::set_permissions(to, writable)?;
      restore = Some(permissions);
    }
  }
  let moved = move_file(from, to);
  if let (Err(_), Some(permissions)) = (&moved, restore) {
    // Best effort: the rename's own error is the one to report.
    let _ = fs::set_permissions(to, permissions);
  }
  moved
}

/// MoveFileExW, retried while another process holds the target (see [`rename`]).
fn move_file(from: &Path, to: &Path) -> io::Result<()> {
  let from_w = wide(from);
  let to_w = wide(to);
  let started = Instant::now();
  let mut pause = Duration::from_millis(5);
  loop {
    // SAFETY: both buffers are NUL-terminated UTF-16 and live across the call.
    let ok = unsafe {
      MoveFileExW(
        from_w.as_ptr(),
        to_w.as_ptr(),
        MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH,
      )
    };
    if ok != 0 {
      return Ok(());
    }
    let err = io::Error::last_os_error();
    let retryable = matches!(err.raw_os_error(), Some(5 | 32 | 33 | 1314));
    if !retryable || started.elapsed() >= RENAME_RETRY_FOR {
      return Err(err);
    }
    std::thread::sleep(pause);
    pause = (pause * 2).min(Duration::from_millis(100));
  }
}

fn wide(path: &Path) -> Vec<u16> {
  path.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// NTFS, ReFS and exFAT all allow 255 UTF-16 units per name.
pub(crate) fn name_max(_dir: &Path) -> usize {
  255
}
