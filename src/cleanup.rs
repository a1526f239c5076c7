//! `cleanupTempFiles(dir)`: remove what crashed writers of this package left in a directory,
//! and nothing else.
//!
//! ```text
//! for entry in readdir(dir):                    // one directory, not its subdirectories
//!   orphan(entry)?                              // our exact name shape, a regular file, old enough
//!   unlink(dir/entry)                           // a temp file; gone already (another cleaner): fine
//!   flock(entry); unlink(dir/entry)             // a lock sidecar nobody holds, as its holder would
//! ```
//!
//! A temp file younger than the threshold may belong to a write in progress (its mtime moves
//! while it is filled), so only older ones go; a lock sidecar goes only if nobody holds its
//! lock (a live holder removes its own). Every decision about one entry is made in [`orphan`];
//! nothing else here looks at names.

use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, IoResultExt, Result};
use crate::failpoint::failpoint;
use crate::lock::{self, is_lock_name};
use crate::options::CleanupOptions;
use crate::temp::is_temp_name;

/// What a leftover file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Orphan {
  /// `.<basename>.<8 letters or digits>.tmp`: the temp file of a write that never finished.
  Temp,
  /// `.<basename>.lock`, empty, its lock held by nobody: the sidecar of a writer that died.
  Lock,
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
  } else if is_lock_name(name) && meta.len() == 0 && !lock::is_held(path).unwrap_or(true) {
    // Ours are always empty; one whose lock is taken (or cannot be probed) is left alone.
    Orphan::Lock
  } else {
    return None;
  };
  // A modification time in the future (clock skew) counts as now.
  let age = meta
    .modified()
    .ok()
    .map(|modified| now.duration_since(modified).unwrap_or_default())?;
  (age >= older_than).then_some(kind)
}

/// The leftovers in `dir` (paths `dir` joined with their names), without removing them.
pub fn find(dir: &Path, options: &CleanupOptions) -> Result<Vec<(PathBuf, Orphan)>> {
  let now = SystemTime::now();
  let mut found = Vec::new();
  for entry in fs::read_dir(dir).at("scandir", dir)? {
    let entry = entry.at("scandir", dir)?;
    // Names that are not Unicode are never ours.
    let Ok(name) = entry.file_name().into_string() else {
      continue;
    };
    let meta = match entry.metadata() {
      Ok(meta) => meta,
      Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
      Err(err) => return Err(Error::io(&err, "lstat", entry.path())),
    };
    if let Some(kind) = orphan(&entry.path(), &name, &meta, now, options.older_than) {
      found.push((entry.path(), kind));
    }
  }
  found.sort();
  Ok(found)
}

/// Remove the leftovers in `dir`; return the paths removed (`dir` joined with each name), sorted.
pub fn cleanup(dir: &Path, options: &CleanupOptions) -> Result<Vec<PathBuf>> {
  let mut removed = Vec::new();
  for (path, kind) in find(dir, options)? {
    failpoint!("cleanup.unlink", "unlink", &path);
    let gone = match kind {
      Orphan::Temp => fs::remove_file(&path),
      // Taken first, so that a writer that locked it a moment ago keeps its sidecar.
      Orphan::Lock => lock::remove_if_stale(&path).and_then(|stale| match stale {
        true => Ok(()),
        false => Err(io::ErrorKind::NotFound.into()),
      }),
    };
    match gone {
      Ok(()) => removed.push(path),
      // Another cleaner (or the writer's own guard) was faster.
      Err(err) if err.kind() == io::ErrorKind::NotFound => {}
      Err(err) => return Err(Error::io(&err, "unlink", path)),
    }
  }
  Ok(removed)
}
