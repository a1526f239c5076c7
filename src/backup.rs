//! `backup: true`: the previous version stays beside the target as `<name>.bak`, switched in
//! without an instant where the target is missing or a backup is half written.
//!
//! ```text
//! lstat("<name>.bak") is the target's inode?    // already the backup it would become: done
//! link(path, ".<name>.bak.<random8>.tmp")       // the old file gets a second name (same inode)
//!   or, where links are refused (EPERM, ENOTSUP, EXDEV, EMLINK):
//!   open(tmp, O_EXCL, 0600); copy; fchown; fchmod(old mode); fsync per durability
//! link("<name>.bak", ".<name>.bak.<random8>.tmp") // the older backup, kept until the write is done
//! rename(staged, "<name>.bak")                  // replaces the previous backup atomically
//! rename(new temp, path)                        // the write's own atomic step
//!   failed: rename(kept older backup, "<name>.bak") // the .bak is as it was
//!   done:   unlink(kept older backup)
//! fsync(dirname(path))                          // 'full': makes all the renames durable
//! ```
//!
//! The target itself is never renamed away: it keeps its old content until the write's own
//! rename. A hard link shares the old file's inode, so the backup has its mode and owner and
//! costs no copy. Every staged name is held as temp files are (see [`crate::temp`]), so a
//! cleanup never removes it mid-write — but for the older backup where Windows falls back to
//! MoveFileExW (see `sys::rename_letting_go`) — and is opened without following symlinks.
//!
//! `rename` onto a name that is already the same inode does nothing and leaves the source name
//! (POSIX): two writers (or a failed write before) can make `.bak` a link to the target, so every
//! rename here removes its source if it is still there.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{IoResultExt, Result};
use crate::failpoint::failpoint;
use crate::options::Durability;
use crate::sys::{self, RenameError};
use crate::target::Target;
use crate::temp::{self, TempFile};

/// Error codes with which a file system refuses a hard link that a copy can replace. EISDIR is
/// how Windows reports ERROR_INVALID_FUNCTION (FAT volumes have no hard links).
const LINK_REFUSED: &[&str] = &["EPERM", "ENOTSUP", "EXDEV", "EMLINK", "ENOSYS", "EISDIR"];

/// How many fresh names to try when cleanups keep removing a staged link before it is held.
const LINK_ATTEMPTS: usize = 16;

/// The `.bak` that a write's backup replaced (if there was one), set aside at a temp name until
/// [`OlderBackup::discard`] says the write's rename happened; dropped before that, it goes back
/// to `<name>.bak`.
#[derive(Debug)]
#[must_use = "dropping it undoes the backup"]
pub struct OlderBackup {
  older: Option<Staged>,
  backup: PathBuf,
  /// Whether `<name>.bak` was replaced by the new backup: only then is there anything to undo.
  switched: bool,
}

/// A file of ours at a temp name, held while it exists; dropped, it is removed.
#[derive(Debug)]
struct Staged {
  // Removed before the lock is released (fields drop in order).
  path: tempfile::TempPath,
  // `None` once let go for a rename that replaces another name of this file, where the OS
  // cannot replace a file held open (see `sys::rename_letting_go`).
  held: Option<File>,
}

impl Staged {
  /// Whether `path` names this very file (a link of it).
  fn is_at(&self, path: &Path) -> bool {
    self
      .held
      .as_ref()
      .is_some_and(|file| sys::is_same_file(file, path).unwrap_or(false))
  }
}

impl OlderBackup {
  /// The write's rename happened: the older backup is not needed any more.
  pub fn discard(mut self) {
    drop(self.older.take());
  }
}

impl Drop for OlderBackup {
  fn drop(&mut self) {
    // The write failed after the backup was switched: put the older one back. Best effort, the
    // write's own error is reported; a failure here leaves the older backup at its temp name.
    // (Not switched, `.bak` is still the older one: its staged link is only removed.)
    if let Some(older) = self.older.take().filter(|_| self.switched) {
      if let Err((_, older)) = rename_over(older, &self.backup, || {}) {
        let _ = older.path.keep();
      }
    }
  }
}

/// Make the file now at `target` (whose metadata is `previous`) its `<name>.bak`, leaving the
/// target in place; the older backup is kept until the returned guard says the write is done.
pub fn keep_previous(
  target: &Target,
  previous: &Metadata,
  durability: Durability,
) -> Result<OlderBackup> {
  let name = backup_name(&target.name);
  let backup = target.dir.join(&name);
  let older = match fs::symlink_metadata(&backup) {
    Ok(meta) if meta.is_file() => Some(meta),
    _ => None, // none; or not a file of ours, which the rename replaces (a symlink) or refuses
  };
  let mut set_aside = OlderBackup {
    older: None,
    backup,
    switched: false,
  };
  if older
    .as_ref()
    .is_some_and(|older| sys::same_inode(older, previous))
  {
    // `.bak` already is the previous version (another writer, or a failed write, made it).
    return Ok(set_aside);
  }
  if let Some(older) = &older {
    set_aside.older = Some(stage(target, &name, &set_aside.backup, older, durability)?);
  }
  // Staged last, just before its rename: on Windows a link of the target held open keeps other
  // writers (`lock: false`) from replacing the target through MoveFileExW meanwhile.
  let staged = stage(target, &name, &target.path, previous, durability)?;
  if staged.is_at(&set_aside.backup) {
    // The same, seen on the held link (Windows metadata has no file index): both staged links
    // are removed, sparing a rename over another name of the very file held open, which
    // Windows' rule against replacing an open file may refuse.
    drop(set_aside.older.take());
    return Ok(set_aside);
  }
  failpoint!("backup.rename", "rename", &target.path);
  // Failpoint `backup.renaming` (`sleep`): the staged backup about to be renamed, for cleanups
  // to try.
  fail::fail_point!("backup.renaming");
  // The staged backup stays held across its own rename; closed once it is `<name>.bak`, before
  // the write's rename replaces the target, another name of the same file. The older backup, a
  // link of the `.bak` it replaces, is let go where the OS cannot replace a file held open (the
  // Windows fallback), for good: it may be the target's file too (a `.bak` another writer linked
  // to it), which the write's rename replaces. From then on a cleanup may take it; a failed
  // write then cannot put it back.
  let older = &mut set_aside.older;
  let let_go = || {
    if let Some(older) = older {
      older.held = None;
    }
  };
  rename_over(staged, &set_aside.backup, let_go)
    .map_err(|(err, _)| err)
    .at("rename", &target.path)?;
  set_aside.switched = true;
  Ok(set_aside)
}

/// `<name>.bak`.
pub fn backup_name(name: &OsStr) -> OsString {
  let mut backup = name.to_os_string();
  backup.push(".bak");
  backup
}

/// A second name for `source` (whose metadata is `meta`) at a temp name of the backup: a hard
/// link, or a copy where links are refused. Errors name the target, whose write fails.
fn stage(
  target: &Target,
  name: &OsStr,
  source: &Path,
  meta: &Metadata,
  durability: Durability,
) -> Result<Staged> {
  let linked = || -> Result<Staged> {
    // Failpoint `backup.link`: the link fails (with EXDEV, the copy below is made instead).
    failpoint!("backup.link", "link", &target.path);
    link(&target.dir, name, target.name_max, source).at("link", &target.path)
  };
  match linked() {
    Err(err) if LINK_REFUSED.contains(&err.code_name()) => {
      copy(target, name, source, meta, durability)
    }
    other => other,
  }
}

/// A hard link to `source` at a fresh temp name in `dir` (names of up to `name_max` bytes), held.
fn link(dir: &Path, name: &OsStr, name_max: usize, source: &Path) -> io::Result<Staged> {
  for _ in 0..LINK_ATTEMPTS {
    let path =
      temp::make_in(dir, name, name_max, |staged| hard_link(source, staged))?.into_temp_path();
    // Not through a symlink: `link` makes a link to a symlink itself (Linux), which is not a
    // backup we may open, hold, or rename into place (ELOOP).
    let file = sys::open_existing(&path)?;
    if temp::hold(&file, &path)? {
      return Ok(Staged {
        path,
        held: Some(file),
      });
    }
    // A cleanup removed it before it was held; the name is not ours any more.
    let _ = path.keep();
  }
  Err(io::ErrorKind::NotFound.into())
}

/// `link(source, staged)`. Linux fails it with ENOENT when the file `source` named is replaced
/// (its last link gone) between the lookup and the link, as an unlocked writer's rename does:
/// then `source` names the new file, and the link is tried again.
fn hard_link(source: &Path, staged: &Path) -> io::Result<()> {
  let mut retries = 3;
  loop {
    match fs::hard_link(source, staged) {
      Err(err) if err.kind() == io::ErrorKind::NotFound && retries > 0 && source.exists() => {
        retries -= 1;
      }
      other => return other,
    }
  }
}

/// A copy of `source` at a temp name of the backup, with its mode and owner (`meta`), synced as
/// the write is.
fn copy(
  target: &Target,
  name: &OsStr,
  source: &Path,
  meta: &Metadata,
  durability: Durability,
) -> Result<Staged> {
  let staged = TempFile::create(&target.dir, name, target.name_max)
    .map_err(|err| err.with_path(&target.path))?;
  // After the temp file exists, so that a test sees it removed.
  failpoint!("backup.copy", "copyfile", &target.path);
  let mut from = File::open(source).at("copyfile", &target.path)?;
  std::io::copy(&mut from, &mut staged.file()).at("copyfile", &target.path)?;
  // The owner first: changing it clears the setuid and setgid bits the mode may set.
  let copied = staged.file().metadata().at("fstat", &target.path)?;
  sys::copy_owner(staged.file(), &copied, meta).at("chown", &target.path)?;
  sys::set_mode(staged.file(), sys::mode_of(meta)).at("chmod", &target.path)?;
  durability.sync(staged.file()).at("fsync", &target.path)?;
  let (file, path) = staged.into_parts();
  Ok(Staged {
    path,
    held: Some(file),
  })
}

/// Rename `staged` over `to`, held (open, shared for delete on Windows) until the rename is done,
/// so that no cleanup can take it in between; closed after. If `to` already was the same file,
/// the rename did nothing: the staged name is removed (by its guard) instead of being left
/// behind. On failure, the error and the staged file, still there and held. `let_go` closes
/// another file of ours that `to` may name, where only that lets the rename replace it (see
/// `sys::rename_letting_go`).
fn rename_over(
  staged: Staged,
  to: &Path,
  let_go: impl FnOnce(),
) -> std::result::Result<(), (io::Error, Staged)> {
  // No flush of its own: the write's final rename, later, makes this one durable with it (one
  // directory fsync on Unix; on NTFS, one commit of the journal that records both).
  if let Err(RenameError::Failed(err) | RenameError::Unflushed(err)) =
    sys::rename_letting_go(&staged.path, to, let_go)
  {
    return Err((err, staged));
  }
  if fs::symlink_metadata(&staged.path).is_err() {
    // The name is `to`'s now; the guard must not remove it.
    let _ = staged.path.keep();
  }
  Ok(())
}
