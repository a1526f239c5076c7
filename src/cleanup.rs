//! `cleanupTempFiles(dir)`: remove what crashed writers of this package left in a directory,
//! and nothing else.
//!
//! ```text
//! for entry in readdir(dir):                    // one directory, not its subdirectories
//!   orphan(entry)?                              // our exact name shape, a regular file, old enough,
//!                                               //   held by nobody
//!   fd = open(dir/entry, O_NOFOLLOW|O_NONBLOCK) // never through a symlink, never a FIFO
//!   flock(fd, LOCK_EX|LOCK_NB)                  // no live writer holds it (else: skipped)
//!   lstat(dir/entry) is fd's inode?             // still the file locked
//!   unlink(dir/entry); close(fd)                // gone already (another cleaner): fine
//! ```
//!
//! A live writer holds its temp files (see [`crate::temp`]) and its sidecar for their whole
//! life, in any process, so the exclusive lock is what tells an orphan; the age threshold is
//! kept (a younger file may belong to a write that has not locked it yet). The unlink happens
//! while the file is locked, so a writer that locks it a moment later sees that its name is
//! gone and starts over. Every decision about one entry is made in [`orphan`]; nothing else here
//! looks at names.

use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, IoResultExt, Result};
use crate::failpoint::failpoint;
use crate::lock::is_lock_name;
use crate::options::CleanupOptions;
use crate::sys;
use crate::temp::is_temp_name;

/// What a leftover file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Orphan {
  /// `.<basename>.<8 letters or digits>.tmp`: the temp file of a write that never finished.
  Temp,
  /// `.<basename>.lock`, empty, its lock held by nobody: the sidecar of a writer that died.
  Lock,
}

impl Orphan {
  /// `'temp'` or `'lock'`, as `cleanupTempFiles` and the CLI name it.
  pub fn name(self) -> &'static str {
    match self {
      Orphan::Temp => "temp",
      Orphan::Lock => "lock",
    }
  }
}

/// Whether the entry `name` with metadata `meta` (of the entry itself, links not followed) is
/// a leftover of this package, `now` being the time of the scan.
///
/// The one place that decides; a new kind of leftover (a stale lock sidecar) is one more arm.
pub fn orphan(
  path: &Path,
  name: &str,
  meta: &Metadata,
  now: SystemTime,
  older_than: Duration,
) -> Option<Orphan> {
  if !meta.is_file() {
    return None; // a directory or a symlink of that name is somebody else's
  }
  let kind = if is_temp_name(name) {
    Orphan::Temp
  } else if is_lock_name(name) && meta.len() == 0 {
    // Ours are always empty.
    Orphan::Lock
  } else {
    return None;
  };
  // A modification time in the future (clock skew) counts as now.
  let age = meta
    .modified()
    .ok()
    .map(|modified| now.duration_since(modified).unwrap_or_default())?;
  // One that is held (or cannot be probed) is left alone.
  (age >= older_than && !is_held(path, kind).unwrap_or(true)).then_some(kind)
}

/// Whether a live writer (of any process) holds the file of ours at `path` right now.
pub fn is_held(path: &Path, kind: Orphan) -> io::Result<bool> {
  let file = match sys::open_existing(path) {
    Ok(file) => file,
    // Gone: nobody's.
    Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
    Err(err) => return Err(err),
  };
  Ok(!claim(&file, kind)?)
}

/// Remove the file of ours at `path` if nobody holds it, as its holder would: lock it, check that
/// the path still names it, unlink, unlock. `false` if someone holds it (or it is gone).
fn remove_if_unheld(path: &Path, kind: Orphan) -> io::Result<bool> {
  // Gone, or replaced by something that is not ours (a symlink, a FIFO) since the scan.
  let Ok(file) = sys::open_existing(path) else {
    return Ok(false);
  };
  if !claim(&file, kind)? || !sys::is_same_file(&file, path)? {
    return Ok(false);
  }
  fs::remove_file(path)?;
  Ok(true)
}

/// The exclusive lock a live holder of this kind of file would refuse.
fn claim(file: &fs::File, kind: Orphan) -> io::Result<bool> {
  match kind {
    Orphan::Temp => sys::try_claim(file),
    Orphan::Lock => sys::try_lock(file),
  }
}

/// The leftovers in `dir` (paths `dir` joined with their names), without removing them.
pub fn find(dir: &Path, options: &CleanupOptions) -> Result<Vec<(PathBuf, Orphan)>> {
  let now = SystemTime::now();
  let mut found = Vec::new();
  for entry in read_dir(dir)? {
    let entry = entry.at("scandir", dir)?;
    // Names that are not Unicode are never ours.
    let Ok(name) = entry.file_name().into_string() else {
      continue;
    };
    let meta = match entry.metadata() {
      Ok(meta) => meta,
      Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
      Err(err) => return Err(Error::io(&err, "lstat", dir.join(&name))),
    };
    // Under the caller's `dir`, not the verbatim one listed.
    let path = dir.join(&name);
    if let Some(kind) = orphan(&path, &name, &meta, now, options.older_than) {
      found.push((path, kind));
    }
  }
  found.sort();
  Ok(found)
}

/// List `dir` as `fs.readdir` would: a file there is ENOTDIR (Windows lists with
/// `FindFirstFileW(dir\*)`, which says "not found" for a file).
fn read_dir(dir: &Path) -> Result<fs::ReadDir> {
  let native = sys::verbatim(dir);
  fs::read_dir(&native).map_err(|err| match fs::metadata(&native) {
    Ok(meta) if !meta.is_dir() => Error::os("ENOTDIR", "scandir", dir),
    _ => Error::io(&err, "scandir", dir),
  })
}

/// Remove the leftovers in `dir`; return the paths removed (`dir` joined with each name), sorted.
pub fn cleanup(dir: &Path, options: &CleanupOptions) -> Result<Vec<PathBuf>> {
  Ok(
    remove(dir, options)?
      .into_iter()
      .map(|(path, _)| path)
      .collect(),
  )
}

/// [`cleanup`], saying what each file removed was.
pub fn remove(dir: &Path, options: &CleanupOptions) -> Result<Vec<(PathBuf, Orphan)>> {
  let mut removed = Vec::new();
  for (path, kind) in find(dir, options)? {
    failpoint!("cleanup.unlink", "unlink", &path);
    // Claimed first, so that a writer that holds it (or locked a sidecar a moment ago) keeps it.
    // Through the verbatim path, as `find` listed it: the plain one may name another file (a
    // directory whose name ends in a dot or a space, a DOS device name).
    let gone = remove_if_unheld(&sys::verbatim(&path), kind).and_then(|removed| match removed {
      true => Ok(()),
      false => Err(io::ErrorKind::NotFound.into()),
    });
    match gone {
      Ok(()) => removed.push((path, kind)),
      // Another cleaner (or the writer's own guard) was faster.
      Err(err) if err.kind() == io::ErrorKind::NotFound => {}
      Err(err) => return Err(Error::io(&err, "unlink", path)),
    }
  }
  Ok(removed)
}
