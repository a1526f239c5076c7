//! Windows. Linted for `x86_64-pc-windows-msvc`, and run as the mingw build under Wine with the
//! official node.exe (the Windows lane): Win32 calls, error mapping, cross-process locks. What
//! only real Windows shows (POSIX renames and deletes on NTFS) follows the Win32 documentation.

use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::AsRawHandle;
use std::path::{Component, Path, PathBuf, Prefix};
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
  ERROR_ACCESS_DENIED, ERROR_DELETE_PENDING, ERROR_INVALID_FUNCTION, ERROR_INVALID_PARAMETER,
  ERROR_NOT_SUPPORTED, NTSTATUS, STATUS_DELETE_PENDING,
};
use windows_sys::Win32::Storage::FileSystem::{
  FileIdInfo, FileRenameInfoEx, GetFileInformationByHandle, GetFileInformationByHandleEx,
  LockFileEx, MoveFileExW, SetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION, DELETE,
  FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT, FILE_GENERIC_WRITE, FILE_ID_INFO,
  FILE_RENAME_INFO, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, LOCKFILE_EXCLUSIVE_LOCK,
  LOCKFILE_FAIL_IMMEDIATELY, MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH,
};
use windows_sys::Win32::System::WindowsProgramming::{
  FILE_RENAME_FLAG_POSIX_SEMANTICS, FILE_RENAME_FLAG_REPLACE_IF_EXISTS,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::RenameError;

/// Win32 error → Node's code: libuv 1.x's `uv_translate_sys_error` (src/win/error.c), entry for
/// entry, so that `err.code` is the one `fs` gives on Windows (ERROR_ACCESS_DENIED is EPERM
/// there, not EACCES). libuv 2 will map ERROR_ACCESS_DENIED to EACCES; Node 18 to 24 use 1.x.
pub(super) const NAMES: &[(i32, &str)] = &[
  (998, "EACCES"),            // ERROR_NOACCESS
  (10013, "EACCES"),          // WSAEACCES
  (740, "EACCES"),            // ERROR_ELEVATION_REQUIRED
  (1920, "EACCES"),           // ERROR_CANT_ACCESS_FILE
  (1227, "EADDRINUSE"),       // ERROR_ADDRESS_ALREADY_ASSOCIATED
  (10048, "EADDRINUSE"),      // WSAEADDRINUSE
  (10049, "EADDRNOTAVAIL"),   // WSAEADDRNOTAVAIL
  (10047, "EAFNOSUPPORT"),    // WSAEAFNOSUPPORT
  (10035, "EAGAIN"),          // WSAEWOULDBLOCK
  (10037, "EALREADY"),        // WSAEALREADY
  (1004, "EBADF"),            // ERROR_INVALID_FLAGS
  (6, "EBADF"),               // ERROR_INVALID_HANDLE
  (33, "EBUSY"),              // ERROR_LOCK_VIOLATION
  (231, "EBUSY"),             // ERROR_PIPE_BUSY
  (32, "EBUSY"),              // ERROR_SHARING_VIOLATION
  (995, "ECANCELED"),         // ERROR_OPERATION_ABORTED
  (10004, "ECANCELED"),       // WSAEINTR
  (1113, "ECHARSET"),         // ERROR_NO_UNICODE_TRANSLATION
  (1236, "ECONNABORTED"),     // ERROR_CONNECTION_ABORTED
  (10053, "ECONNABORTED"),    // WSAECONNABORTED
  (1225, "ECONNREFUSED"),     // ERROR_CONNECTION_REFUSED
  (10061, "ECONNREFUSED"),    // WSAECONNREFUSED
  (64, "ECONNRESET"),         // ERROR_NETNAME_DELETED
  (10054, "ECONNRESET"),      // WSAECONNRESET
  (183, "EEXIST"),            // ERROR_ALREADY_EXISTS
  (80, "EEXIST"),             // ERROR_FILE_EXISTS
  (111, "EFAULT"),            // ERROR_BUFFER_OVERFLOW
  (10014, "EFAULT"),          // WSAEFAULT
  (1232, "EHOSTUNREACH"),     // ERROR_HOST_UNREACHABLE
  (10065, "EHOSTUNREACH"),    // WSAEHOSTUNREACH
  (122, "EINVAL"),            // ERROR_INSUFFICIENT_BUFFER
  (13, "EINVAL"),             // ERROR_INVALID_DATA
  (87, "EINVAL"),             // ERROR_INVALID_PARAMETER
  (1464, "EINVAL"),           // ERROR_SYMLINK_NOT_SUPPORTED
  (10022, "EINVAL"),          // WSAEINVAL
  (10046, "EINVAL"),          // WSAEPFNOSUPPORT
  (1102, "EIO"),              // ERROR_BEGINNING_OF_MEDIA
  (1111, "EIO"),              // ERROR_BUS_RESET
  (23, "EIO"),                // ERROR_CRC
  (1166, "EIO"),              // ERROR_DEVICE_DOOR_OPEN
  (1165, "EIO"),              // ERROR_DEVICE_REQUIRES_CLEANING
  (1393, "EIO"),              // ERROR_DISK_CORRUPT
  (1129, "EIO"),              // ERROR_EOM_OVERFLOW
  (1101, "EIO"),              // ERROR_FILEMARK_DETECTED
  (31, "EIO"),                // ERROR_GEN_FAILURE
  (1106, "EIO"),              // ERROR_INVALID_BLOCK_LENGTH
  (1117, "EIO"),              // ERROR_IO_DEVICE
  (1104, "EIO"),              // ERROR_NO_DATA_DETECTED
  (205, "EIO"),               // ERROR_NO_SIGNAL_SENT
  (110, "EIO"),               // ERROR_OPEN_FAILED
  (1103, "EIO"),              // ERROR_SETMARK_DETECTED
  (156, "EIO"),               // ERROR_SIGNAL_REFUSED
  (10056, "EISCONN"),         // WSAEISCONN
  (1921, "ELOOP"),            // ERROR_CANT_RESOLVE_FILENAME
  (4, "EMFILE"),              // ERROR_TOO_MANY_OPEN_FILES
  (10024, "EMFILE"),          // WSAEMFILE
  (10040, "EMSGSIZE"),        // WSAEMSGSIZE
  (206, "ENAMETOOLONG"),      // ERROR_FILENAME_EXCED_RANGE
  (1231, "ENETUNREACH"),      // ERROR_NETWORK_UNREACHABLE
  (10051, "ENETUNREACH"),     // WSAENETUNREACH
  (10055, "ENOBUFS"),         // WSAENOBUFS
  (161, "ENOENT"),            // ERROR_BAD_PATHNAME
  (267, "ENOENT"),            // ERROR_DIRECTORY
  (203, "ENOENT"),            // ERROR_ENVVAR_NOT_FOUND
  (2, "ENOENT"),              // ERROR_FILE_NOT_FOUND
  (123, "ENOENT"),            // ERROR_INVALID_NAME
  (15, "ENOENT"),             // ERROR_INVALID_DRIVE
  (4392, "ENOENT"),           // ERROR_INVALID_REPARSE_DATA
  (126, "ENOENT"),            // ERROR_MOD_NOT_FOUND
  (3, "ENOENT"),              // ERROR_PATH_NOT_FOUND
  (11001, "ENOENT"),          // WSAHOST_NOT_FOUND
  (11004, "ENOENT"),          // WSANO_DATA
  (8, "ENOMEM"),              // ERROR_NOT_ENOUGH_MEMORY
  (14, "ENOMEM"),             // ERROR_OUTOFMEMORY
  (82, "ENOSPC"),             // ERROR_CANNOT_MAKE
  (112, "ENOSPC"),            // ERROR_DISK_FULL
  (277, "ENOSPC"),            // ERROR_EA_TABLE_FULL
  (1100, "ENOSPC"),           // ERROR_END_OF_MEDIA
  (39, "ENOSPC"),             // ERROR_HANDLE_DISK_FULL
  (2250, "ENOTCONN"),         // ERROR_NOT_CONNECTED
  (10057, "ENOTCONN"),        // WSAENOTCONN
  (145, "ENOTEMPTY"),         // ERROR_DIR_NOT_EMPTY
  (10038, "ENOTSOCK"),        // WSAENOTSOCK
  (50, "ENOTSUP"),            // ERROR_NOT_SUPPORTED
  (109, "EOF"),               // ERROR_BROKEN_PIPE
  (5, "EPERM"),               // ERROR_ACCESS_DENIED
  (1314, "EPERM"),            // ERROR_PRIVILEGE_NOT_HELD
  (230, "EPIPE"),             // ERROR_BAD_PIPE
  (232, "EPIPE"),             // ERROR_NO_DATA
  (233, "EPIPE"),             // ERROR_PIPE_NOT_CONNECTED
  (10058, "EPIPE"),           // WSAESHUTDOWN
  (10043, "EPROTONOSUPPORT"), // WSAEPROTONOSUPPORT
  (19, "EROFS"),              // ERROR_WRITE_PROTECT
  (121, "ETIMEDOUT"),         // ERROR_SEM_TIMEOUT
  (10060, "ETIMEDOUT"),       // WSAETIMEDOUT
  (17, "EXDEV"),              // ERROR_NOT_SAME_DEVICE
  (1, "EISDIR"),              // ERROR_INVALID_FUNCTION
  (208, "E2BIG"),             // ERROR_META_EXPANSION_TOO_LONG
  (10044, "ESOCKTNOSUPPORT"), // WSAESOCKTNOSUPPORT
  (193, "EFTYPE"),            // ERROR_BAD_EXE_FORMAT
  // libuv's own numbers, which it passes through untranslated (a number <= 0 "is already a
  // libuv error"): for the codes this crate raises itself that no Win32 error maps to.
  (-4052, "ENOTDIR"),
];

/// libuv's number for an error it has no name for.
pub(super) const UNKNOWN_ERRNO: i32 = -4094;

/// Node's `errno` on Windows: libuv's own numbers (`util.getSystemErrorMap()` under the Windows
/// node.exe), which are neither the Win32 ones nor Linux's.
const UV_ERRNOS: &[(&str, i32)] = &[
  ("EUNATCH", -4023),
  ("ENODATA", -4024),
  ("ESOCKTNOSUPPORT", -4025),
  ("EOVERFLOW", -4026),
  ("EILSEQ", -4027),
  ("EFTYPE", -4028),
  ("ENOTTY", -4029),
  ("EREMOTEIO", -4030),
  ("EHOSTDOWN", -4031),
  ("EMLINK", -4032),
  ("ENXIO", -4033),
  ("ERANGE", -4034),
  ("ENOPROTOOPT", -4035),
  ("EFBIG", -4036),
  ("EXDEV", -4037),
  ("ETXTBSY", -4038),
  ("ETIMEDOUT", -4039),
  ("ESRCH", -4040),
  ("ESPIPE", -4041),
  ("ESHUTDOWN", -4042),
  ("EROFS", -4043),
  ("EPROTOTYPE", -4044),
  ("EPROTONOSUPPORT", -4045),
  ("EPROTO", -4046),
  ("EPIPE", -4047),
  ("EPERM", -4048),
  ("ENOTSUP", -4049),
  ("ENOTSOCK", -4050),
  ("ENOTEMPTY", -4051),
  ("ENOTDIR", -4052),
  ("ENOTCONN", -4053),
  ("ENOSYS", -4054),
  ("ENOSPC", -4055),
  ("ENONET", -4056),
  ("ENOMEM", -4057),
  ("ENOENT", -4058),
  ("ENODEV", -4059),
  ("ENOBUFS", -4060),
  ("ENFILE", -4061),
  ("ENETUNREACH", -4062),
  ("ENETDOWN", -4063),
  ("ENAMETOOLONG", -4064),
  ("EMSGSIZE", -4065),
  ("EMFILE", -4066),
  ("ELOOP", -4067),
  ("EISDIR", -4068),
  ("EISCONN", -4069),
  ("EIO", -4070),
  ("EINVAL", -4071),
  ("EINTR", -4072),
  ("EHOSTUNREACH", -4073),
  ("EFAULT", -4074),
  ("EEXIST", -4075),
  ("EDESTADDRREQ", -4076),
  ("ECONNRESET", -4077),
  ("ECONNREFUSED", -4078),
  ("ECONNABORTED", -4079),
  ("ECHARSET", -4080),
  ("ECANCELED", -4081),
  ("EBUSY", -4082),
  ("EBADF", -4083),
  ("EALREADY", -4084),
  ("EAGAIN", -4088),
  ("EAFNOSUPPORT", -4089),
  ("EADDRNOTAVAIL", -4090),
  ("EADDRINUSE", -4091),
  ("EACCES", -4092),
  ("E2BIG", -4093),
  ("UNKNOWN", -4094),
  ("EOF", -4095),
];

/// Node's `errno` on Windows for the OS error `raw`: libuv's number for its name.
pub(super) fn node_errno(raw: i32) -> i32 {
  if raw < 0 {
    return raw; // already libuv's (see the end of NAMES)
  }
  let name = NAMES
    .iter()
    .find(|(errno, _)| *errno == raw)
    .map_or("UNKNOWN", |(_, name)| *name);
  UV_ERRNOS
    .iter()
    .find(|(uv_name, _)| *uv_name == name)
    .map_or(UNKNOWN_ERRNO, |(_, errno)| *errno)
}

/// Every handle this crate opens lets others read, write and delete (rename over) the file: a
/// writer's POSIX rename replaces a target that readers hold open only if they share delete,
/// and a lock holder removes its sidecar while waiters hold it open.
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/// Create a file that must not exist yet (CREATE_NEW, which refuses any existing name, a
/// symlink included). Windows has no mode bits to restrict.
pub(crate) fn create_exclusive(path: &Path) -> io::Result<File> {
  OpenOptions::new()
    .write(true)
    .create_new(true)
    .share_mode(SHARE_ALL)
    .open(path)
}

/// Open the lock sidecar, creating it if needed, shareable (and deletable) by other writers.
/// FILE_FLAG_OPEN_REPARSE_POINT opens a symlink planted there as the link itself, which is then
/// refused: the sidecar is never opened through a link.
///
/// A sidecar whose holder has just deleted it, but which a waiter still holds open, cannot be
/// opened until that waiter lets go (the "delete pending" state, in which the name is still
/// taken: FAT, SMB shares, Windows before 10 1903). That is [`is_busy`], not an error.
pub(crate) fn open_lock_file(path: &Path) -> io::Result<File> {
  let opened = OpenOptions::new()
    .read(true)
    .write(true)
    .create(true)
    .truncate(false)
    .share_mode(SHARE_ALL)
    .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
    .open(path);
  regular(opened.map_err(delete_pending)?)
}

/// Whether an error of [`open_lock_file`] means that the sidecar is being deleted by its last
/// holder: the caller waits as for a held lock.
pub(crate) fn is_busy(err: &io::Error) -> bool {
  err.raw_os_error() == Some(ERROR_DELETE_PENDING as i32)
}

/// ERROR_DELETE_PENDING for an open refused because the file is being deleted. Win32 reports
/// that as ERROR_ACCESS_DENIED, like a real denial; the NT status, still in the thread's TEB
/// right after the failed call, tells the two apart.
fn delete_pending(err: io::Error) -> io::Error {
  // SAFETY: RtlGetLastNtStatus only reads the calling thread's TEB.
  let status = unsafe { RtlGetLastNtStatus() };
  if err.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) && status == STATUS_DELETE_PENDING {
    io::Error::from_raw_os_error(ERROR_DELETE_PENDING as i32)
  } else {
    err
  }
}

#[link(name = "ntdll")]
extern "system" {
  /// The NTSTATUS behind the thread's last Win32 error (exported by ntdll since Windows XP).
  fn RtlGetLastNtStatus() -> NTSTATUS;
}

/// Open an existing file of ours (a temp file, a staged backup, a sidecar) to lock it, never
/// through a symlink, and only if it is a regular file.
pub(crate) fn open_existing(path: &Path) -> io::Result<File> {
  let file = OpenOptions::new()
    .read(true)
    .share_mode(SHARE_ALL)
    .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
    .open(path)?;
  regular(file)
}

/// Open a file to read it. FILE_FLAG_BACKUP_SEMANTICS lets a directory open too (without it the
/// open fails with ERROR_ACCESS_DENIED), so that the caller's check of the handle says EISDIR,
/// as `fs.readFile` does, even for a directory that replaced the file after its `stat`.
pub(crate) fn open_for_read(path: &Path) -> io::Result<File> {
  OpenOptions::new()
    .read(true)
    .share_mode(SHARE_ALL)
    .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
    .open(path)
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

/// Whether `path` still names the file open as `file`: the same volume serial number and file
/// index. A name that still exists is not enough: since Windows 10 1903, deleting a file frees
/// its name at once (POSIX delete) while handles to it stay open, so a lock waiter can lock the
/// sidecar its holder just deleted while a newcomer creates and locks a new one under the same
/// name — two holders, unless the waiter sees that the name is no longer its file and starts
/// over. A name being deleted (delete pending, before 1903 or off NTFS) is not its file either.
pub(crate) fn is_same_file(file: &File, path: &Path) -> io::Result<bool> {
  match file_id_at(path) {
    Ok(named) => Ok(file_id(file)? == named),
    Err(err) if err.kind() == io::ErrorKind::NotFound || is_busy(&err) => Ok(false),
    Err(err) => Err(err),
  }
}

/// The identity of the file `path` itself names (not a link's target), opened for no data
/// access: only the identity is read, whatever else holds or locks the file.
fn file_id_at(path: &Path) -> io::Result<FileId> {
  let named = OpenOptions::new()
    .access_mode(0)
    .share_mode(SHARE_ALL)
    .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS)
    .open(path)
    .map_err(delete_pending)?;
  file_id(&named)
}

/// Which file an open file is: its volume's serial number and its file ID on that volume.
type FileId = (u64, [u8; 16]);

/// The 128-bit file ID (FileIdInfo, Windows 8+), which ReFS needs: its IDs do not fit the 64
/// bits of the older call, which is the fallback where FileIdInfo is refused.
fn file_id(file: &File) -> io::Result<FileId> {
  let handle = file.as_raw_handle() as _;
  // SAFETY: FILE_ID_INFO is plain data; all-zero is a valid value.
  let mut id: FILE_ID_INFO = unsafe { std::mem::zeroed() };
  let size = std::mem::size_of::<FILE_ID_INFO>() as u32;
  // SAFETY: the handle is owned by `file`; `id` is a writable FILE_ID_INFO of `size` bytes.
  if unsafe { GetFileInformationByHandleEx(handle, FileIdInfo, (&raw mut id).cast(), size) } != 0 {
    return Ok((id.VolumeSerialNumber, id.FileId.Identifier));
  }
  // SAFETY: BY_HANDLE_FILE_INFORMATION is plain data; all-zero is a valid value.
  let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
  // SAFETY: the handle is owned by `file`, and `info` is a writable struct of the right type.
  if unsafe { GetFileInformationByHandle(handle, &mut info) } == 0 {
    return Err(io::Error::last_os_error());
  }
  let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
  let mut identifier = [0u8; 16];
  identifier[..8].copy_from_slice(&index.to_le_bytes());
  Ok((u64::from(info.dwVolumeSerialNumber), identifier))
}

/// Whether two metadata describe one file: std has no stable file index on Windows, so never
/// (callers then do the work a shared file would have made unnecessary).
pub(crate) fn same_inode(_a: &Metadata, _b: &Metadata) -> bool {
  false
}

/// Clear `path`'s read-only attribute, which makes DeleteFileW refuse it (std's `remove_file`
/// only gets past it with POSIX delete semantics, which Wine and older Windows lack). Best
/// effort: a failure here shows as the removal's own failure.
#[allow(clippy::permissions_set_readonly_false)]
pub(crate) fn make_removable(path: &Path) {
  if let Ok(meta) = fs::metadata(path) {
    let mut permissions = meta.permissions();
    if permissions.readonly() {
      permissions.set_readonly(false);
      let _ = fs::set_permissions(path, permissions);
    }
  }
}

/// FlushFileBuffers: on Windows it already flushes through the drive cache.
pub(crate) fn sync_full(file: &File) -> io::Result<()> {
  file.sync_all()
}

/// Directories cannot be flushed on Windows; `rename` below makes the rename itself durable
/// for `'full'` (FlushFileBuffers on the renamed file, or MOVEFILE_WRITE_THROUGH).
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
pub(crate) fn copy_owner(_file: &File, _mine: &Metadata, _previous: &Metadata) -> io::Result<()> {
  Ok(())
}

/// Nor can it be given by ids: Windows has no uid/gid (`fs.chown` does nothing there either).
pub(crate) fn set_owner(
  _file: &File,
  _mine: &Metadata,
  _uid: Option<u32>,
  _gid: Option<u32>,
) -> io::Result<()> {
  Ok(())
}

/// How long `rename` keeps retrying while another process holds the target open.
const RENAME_RETRY_FOR: Duration = Duration::from_secs(2);

/// Replace a read-only target (winbase.h names only the first flags of FILE_RENAME_INFO; this
/// one is ntifs.h's FILE_RENAME_IGNORE_READONLY_ATTRIBUTE). Asked only when the target is
/// read-only: a Windows that refuses it then falls back as where POSIX renames are refused.
const FILE_RENAME_FLAG_IGNORE_READONLY_ATTRIBUTE: u32 = 0x40;

/// Replace `to` with `from`; with `flush` (`durability: 'full'`), make the rename itself durable.
/// `injected`: a failure of that flush, for the tests (failpoint `commit.flush`, looked up by the
/// caller so that `sys` stays below the failpoints).
///
/// First as POSIX does (SetFileInformationByHandle(FileRenameInfoEx) with
/// FILE_RENAME_FLAG_POSIX_SEMANTICS | REPLACE_IF_EXISTS, and IGNORE_READONLY_ATTRIBUTE over a
/// read-only target; Windows 10 1809+ on NTFS): it replaces a target that readers hold open, as
/// long as they share delete (`fs` and this package do), so readers in a loop cannot starve a
/// write; then, for `Full`, FlushFileBuffers on the renamed file: NTFS commits its journal,
/// where the rename is recorded.
/// Where that rename is refused (older Windows, FAT, SMB — and Wine, which answers
/// ERROR_INVALID_PARAMETER, so the Wine lane runs this fallback), with MoveFileExW
/// (MOVEFILE_WRITE_THROUGH for `Full`). Each rename is retried for up to 2 s on EPERM/EBUSY
/// while antivirus scanners, indexers and readers hold the target open; a flush never is, and a
/// flush that fails after the rename is [`RenameError::Unflushed`]: the target is the new file.
pub(crate) fn rename(
  from: &Path,
  to: &Path,
  flush: bool,
  injected: Option<io::Error>,
) -> Result<(), RenameError> {
  rename_with(from, to, flush, injected, || {})
}

/// [`rename`] (not flushed) of a file that another file of ours, held open, may share the
/// target's name with (the older backup is a link of the `.bak` that the staged backup
/// replaces): `let_go` closes that file just before the fallback, since MoveFileExW cannot
/// replace a file held open, even shared (Wine refuses it by inode, so a link open elsewhere
/// counts). The POSIX rename replaces it held, and `from` itself may stay open across either.
pub(crate) fn rename_letting_go(
  from: &Path,
  to: &Path,
  let_go: impl FnOnce(),
) -> Result<(), RenameError> {
  rename_with(from, to, false, None, let_go)
}

/// [`rename`], calling `let_go` before the fallback.
fn rename_with(
  from: &Path,
  to: &Path,
  flush: bool,
  injected: Option<io::Error>,
  let_go: impl FnOnce(),
) -> Result<(), RenameError> {
  // A read-only temp file (the target's mode kept) refuses the write access a flush needs:
  // MoveFileExW's write-through does it then.
  if let Ok(file) = open_for_rename(from, flush) {
    // Not cleared first (a crash in between would leave the target writable): replaced as it is.
    let read_only = fs::metadata(to).is_ok_and(|meta| meta.permissions().readonly());
    match retrying(|| posix_rename(&file, to, read_only)) {
      Ok(()) if flush => return flush_renamed(&file, injected),
      Ok(()) => return Ok(()),
      Err(err) if !unsupported(&err) => return Err(RenameError::Failed(err)),
      Err(_) => {}
    }
  }
  let_go();
  move_file(from, to, flush, injected)
}

/// After the rename, with `flush`: FlushFileBuffers on the renamed file (or the `injected`
/// failure of it).
fn flush_renamed(file: &File, injected: Option<io::Error>) -> Result<(), RenameError> {
  if let Some(err) = injected {
    return Err(RenameError::Unflushed(err));
  }
  file.sync_all().map_err(RenameError::Unflushed)
}

/// `attempt`, again for up to 2 s while it fails with what another process holding the target
/// causes (access denied, a sharing or lock violation).
fn retrying(mut attempt: impl FnMut() -> io::Result<()>) -> io::Result<()> {
  let started = Instant::now();
  let mut pause = Duration::from_millis(5);
  loop {
    let err = match attempt() {
      Ok(()) => return Ok(()),
      Err(err) => err,
    };
    let retryable = matches!(err.raw_os_error(), Some(5 | 32 | 33 | 1314));
    if !retryable || started.elapsed() >= RENAME_RETRY_FOR {
      return Err(err);
    }
    std::thread::sleep(pause);
    pause = (pause * 2).min(Duration::from_millis(100));
  }
}

/// Errors of [`posix_rename`] that say "not here": the system or the file system has no POSIX
/// renames (Windows before 10 1809, FAT, SMB, Wine), so MoveFileExW does it.
fn unsupported(err: &io::Error) -> bool {
  matches!(
    err.raw_os_error().map(|raw| raw as u32),
    Some(ERROR_INVALID_PARAMETER | ERROR_NOT_SUPPORTED | ERROR_INVALID_FUNCTION)
  )
}

/// `from` opened to be renamed (DELETE), and to be flushed after (write access) if `flush`.
fn open_for_rename(from: &Path, flush: bool) -> io::Result<File> {
  let write = if flush { FILE_GENERIC_WRITE } else { 0 };
  OpenOptions::new()
    .access_mode(DELETE | write)
    .share_mode(SHARE_ALL)
    .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
    .open(from)
}

/// The POSIX-semantics rename of `file` onto `to` (a `read_only` one too).
fn posix_rename(file: &File, to: &Path, read_only: bool) -> io::Result<()> {
  let mut flags = FILE_RENAME_FLAG_POSIX_SEMANTICS | FILE_RENAME_FLAG_REPLACE_IF_EXISTS;
  if read_only {
    flags |= FILE_RENAME_FLAG_IGNORE_READONLY_ATTRIBUTE;
  }
  let name: Vec<u16> = to.as_os_str().encode_wide().collect();
  let name_bytes = name.len() * 2;
  let offset = std::mem::offset_of!(FILE_RENAME_INFO, FileName);
  // FILE_RENAME_INFO ends in the name (and a NUL); u64 words keep the struct's alignment.
  let size = offset + name_bytes + 2;
  let mut buffer = vec![0u64; size.div_ceil(8)];
  let info = buffer.as_mut_ptr().cast::<FILE_RENAME_INFO>();
  // SAFETY: `buffer` is zeroed, aligned for FILE_RENAME_INFO and at least `size` bytes long:
  // room for the header and the name, with the NUL after it left zero.
  unsafe {
    (*info).Anonymous.Flags = flags;
    (*info).FileNameLength = name_bytes as u32;
    std::ptr::copy_nonoverlapping(
      name.as_ptr(),
      std::ptr::addr_of_mut!((*info).FileName).cast::<u16>(),
      name.len(),
    );
  }
  // SAFETY: the handle is owned by `file`; `info` points at `size` initialized bytes.
  let renamed = unsafe {
    SetFileInformationByHandle(
      file.as_raw_handle() as _,
      FileRenameInfoEx,
      info.cast(),
      size as u32,
    )
  };
  if renamed == 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(())
}

/// The fallback: MoveFileExW, with MOVEFILE_WRITE_THROUGH if `flush`.
///
/// MoveFileExW cannot replace a read-only target: its flag is cleared first, and put back if
/// the rename fails (a failed write leaves the target as it was); the new file has the temp
/// file's flag. A write-through MoveFileExW may fail in its flush with the rename done: `to`
/// then is the file `from` was, and that is [`RenameError::Unflushed`], not a failure to undo.
// Clearing the read-only flag is the whole point here; the lint's Unix concern does not apply.
#[allow(clippy::permissions_set_readonly_false)]
fn move_file(
  from: &Path,
  to: &Path,
  flush: bool,
  injected: Option<io::Error>,
) -> Result<(), RenameError> {
  let mut restore = None;
  if let Ok(meta) = fs::metadata(to) {
    let permissions = meta.permissions();
    if permissions.readonly() {
      let mut writable = permissions.clone();
      writable.set_readonly(false);
      fs::set_permissions(to, writable).map_err(RenameError::Failed)?;
      restore = Some(permissions);
    }
  }
  let moving = file_id_at(from).ok();
  let flags = MOVEFILE_REPLACE_EXISTING | if flush { MOVEFILE_WRITE_THROUGH } else { 0 };
  // The injected failure: MoveFileExW reports its write-through flush failed, the rename done.
  let injected = injected.filter(|_| flush).map_or(Ok(()), Err);
  let moved = retrying(|| move_file_once(from, to, flags)).and(injected);
  let Err(err) = moved else {
    return Ok(());
  };
  if moving.is_some() && !from.exists() && file_id_at(to).ok() == moving {
    return Err(RenameError::Unflushed(err));
  }
  if let Some(permissions) = restore {
    // Best effort: the rename's own error is the one to report.
    let _ = fs::set_permissions(to, permissions);
  }
  Err(RenameError::Failed(err))
}

/// One MoveFileExW.
fn move_file_once(from: &Path, to: &Path, flags: u32) -> io::Result<()> {
  let from_w = wide(from);
  let to_w = wide(to);
  // SAFETY: both buffers are NUL-terminated UTF-16 and live across the call.
  if unsafe { MoveFileExW(from_w.as_ptr(), to_w.as_ptr(), flags) } == 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(())
}

fn wide(path: &Path) -> Vec<u16> {
  path.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// NTFS, ReFS and exFAT all allow 255 UTF-16 units per name.
pub(crate) fn name_max(_dir: &Path) -> usize {
  255
}

/// `path` (absolute) as Node hands paths to Win32 (`path.toNamespacedPath`): `\\?\C:\…`, or
/// `\\?\UNC\server\share\…` for a share. A verbatim path is taken as it is written, so a file
/// named `aux.json`, `con.json` or `nul.json` is a file, not the device the DOS name would open;
/// and no MAX_PATH limit applies. Verbatim paths are not normalized by Windows, so `.` and `..`
/// are resolved here and `/` becomes `\`. Anything else (already verbatim, `\\.\` devices, a
/// relative path) is returned as it is.
pub(crate) fn verbatim(path: &Path) -> PathBuf {
  let mut components = path.components();
  let mut out = match components.next() {
    Some(Component::Prefix(prefix)) => match prefix.kind() {
      Prefix::Disk(_) => {
        let mut out = OsString::from(r"\\?\");
        out.push(prefix.as_os_str());
        PathBuf::from(out)
      }
      Prefix::UNC(server, share) => {
        let mut out = OsString::from(r"\\?\UNC\");
        out.push(server);
        out.push(r"\");
        out.push(share);
        PathBuf::from(out)
      }
      _ => return path.to_path_buf(),
    },
    _ => return path.to_path_buf(),
  };
  if components.next() != Some(Component::RootDir) {
    return path.to_path_buf(); // `C:x`: relative to the drive's current directory
  }
  out.push(r"\");
  for component in components {
    match component {
      Component::CurDir => {}
      Component::ParentDir => {
        // Never above the root (`path.resolve` stops there too).
        if out.file_name().is_some() {
          out.pop();
        }
      }
      Component::Normal(name) => out.push(name),
      Component::Prefix(_) | Component::RootDir => {}
    }
  }
  out
}

/// A path as users write it: [`verbatim`]'s prefix taken off again (`\\?\C:\x` is `C:\x`,
/// `\\?\UNC\server\share\x` is `\\server\share\x`), for the paths errors show.
pub(crate) fn plain(path: PathBuf) -> PathBuf {
  let Some(text) = path.to_str() else {
    return path;
  };
  if let Some(share) = text.strip_prefix(r"\\?\UNC\") {
    return PathBuf::from(format!(r"\\{share}"));
  }
  match text.strip_prefix(r"\\?\") {
    // Only a drive path: `\\?\Volume{…}\` and other verbatim forms have no plain spelling.
    Some(rest) if rest.as_bytes().get(1) == Some(&b':') => PathBuf::from(rest),
    _ => path,
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn verbatim_paths_are_normalized_and_prefixed_as_node_does() {
    let cases = [
      (r"C:\x\aux.json", r"\\?\C:\x\aux.json"),
      (r"C:/x/./y/../con.json", r"\\?\C:\x\con.json"),
      (r"C:\..\nul.json", r"\\?\C:\nul.json"),
      (r"\\server\share\d\a.json", r"\\?\UNC\server\share\d\a.json"),
      (r"\\?\C:\x\a.json", r"\\?\C:\x\a.json"),
      (r"\\.\pipe\x", r"\\.\pipe\x"),
      (r"relative\a.json", r"relative\a.json"),
    ];
    for (given, want) in cases {
      assert_eq!(verbatim(Path::new(given)), Path::new(want), "{given}");
    }
  }

  #[test]
  fn plain_paths_drop_the_verbatim_prefix() {
    assert_eq!(
      plain(r"\\?\C:\x\aux.json".into()),
      Path::new(r"C:\x\aux.json")
    );
    assert_eq!(
      plain(r"\\?\UNC\server\share\a".into()),
      Path::new(r"\\server\share\a")
    );
    assert_eq!(plain(r"C:\x".into()), Path::new(r"C:\x"));
  }

  #[test]
  fn access_denied_is_eperm_with_libuv_s_number() {
    let err = io::Error::from_raw_os_error(5); // ERROR_ACCESS_DENIED
    assert_eq!(super::super::classify(&err), ("EPERM", -4048));
    assert_eq!(super::super::errno_of("ENOTDIR"), -4052);
    assert_eq!(super::super::errno_of("EISDIR"), -4068);
  }
}
