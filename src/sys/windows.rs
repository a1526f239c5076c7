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
  LockFileEx, MoveFileExW, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
  LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, MOVEFILE_REPLACE_EXISTING,
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

/// Create a file that must not exist yet (CREATE_NEW). Windows has no mode bits to restrict.
pub(crate) fn create_exclusive(path: &Path) -> io::Result<File> {
  OpenOptions::new().write(true).create_new(true).open(path)
}

/// Open the lock sidecar, creating it if needed, shareable (and deletable) by other writers.
pub(crate) fn open_lock_file(path: &Path) -> io::Result<File> {
  OpenOptions::new()
    .read(true)
    .write(true)
    .create(true)
    .truncate(false)
    .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
    .open(path)
}

/// Take an exclusive LockFileEx lock on the sidecar's first byte without waiting.
pub(crate) fn try_lock(file: &File) -> io::Result<bool> {
  // SAFETY: OVERLAPPED is plain data; all-zero means offset 0 and no event.
  let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
  let flags = LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY;
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

/// Windows refuses to create a file under a name whose previous file is still open and marked
/// for deletion, so a lock on a removed sidecar cannot coexist with a new one: nothing to check.
pub(crate) fn is_same_file(_file: &File, _path: &Path) -> io::Result<bool> {
  Ok(true)
}

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
  // A read-only target cannot be replaced; it gets its read-only flag back from the temp file.
  if let Ok(meta) = fs::metadata(to) {
    let mut permissions = meta.permissions();
    if permissions.readonly() {
      permissions.set_readonly(false);
      fs::set_permissions(to, permissions)?;
    }
  }
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
