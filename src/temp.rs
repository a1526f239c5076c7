//! The temp file a write fills before it replaces the target: a guard that removes itself
//! unless it was committed.
//!
//! Named `.<basename>.<8 letters or digits>.tmp` beside the target, so the final rename stays on
//! one file system, and created exclusively (O_EXCL, mode 0600), with a fresh random name after
//! a collision. The basename part is shortened when the whole name would exceed the file
//! system's limit; the target's own name never changes.
//!
//! A live temp file is held: its writer keeps a shared lock (`flock`, `LockFileEx`) on it from
//! creation to the rename, which `cleanupTempFiles` must take exclusively before it may remove
//! the file. So cleanup never removes the temp file of a write in progress in any process, however
//! long it waits, and the kernel drops the lock of a killed writer, whose file is then an orphan.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, IoResultExt, Result};
use crate::failpoint::{self, failpoint};
use crate::options::Durability;
use crate::sys::{self, RenameError};
use crate::target::Target;

/// Random letters and digits in a temp name.
const RANDOM_LEN: usize = 8;

/// An exclusively created temp file in the target's directory.
#[derive(Debug)]
pub struct TempFile {
  inner: tempfile::NamedTempFile<File>,
}

/// How many fresh names to try when cleanups keep removing the new file before it is held.
const CREATE_ATTEMPTS: usize = 16;

/// How long a writer waits for the shared lock on a file it just made. Only an exclusive holder
/// blocks it: a cleanup for an instant, or, for a staged backup link (which shares the target's
/// inode), a program that `flock`s the target itself — then the write goes on without the
/// lock, which that program's own lock keeps cleanups from taking meanwhile.
const HOLD_WAIT: Duration = Duration::from_secs(2);

impl TempFile {
  /// Create `.<basename>.<random>.tmp` in `dir` for a target called `basename`, held (see the
  /// module docs) until it is committed or dropped. `name_max` is the longest name `dir`'s file
  /// system accepts ([`sys::name_max`], which the caller has usually read already).
  pub fn create(dir: &Path, basename: &std::ffi::OsStr, name_max: usize) -> Result<TempFile> {
    failpoint!("temp.create", "open", dir);
    for _ in 0..CREATE_ATTEMPTS {
      let inner = make_in(dir, basename, name_max, sys::create_exclusive).at("open", dir)?;
      if hold(inner.as_file(), inner.path()).at("open", dir)? {
        return Ok(TempFile { inner });
      }
      // A cleanup claimed and removed it before the lock was ours: the name is not ours to
      // remove any more.
      let (_, path) = inner.into_parts();
      let _ = path.keep();
    }
    Err(io::Error::from(io::ErrorKind::NotFound)).at("open", dir)
  }

  /// The temp file of a write to `target`, in its directory (made again if it vanished: see
  /// [`Target::in_dir`]). Errors name the target, as `fs.writeFile`'s `open` would, not the
  /// directory.
  pub fn for_target(target: &Target) -> Result<TempFile> {
    target
      .in_dir(|| TempFile::create(&target.dir, &target.name, target.name_max))
      .map_err(|err| err.with_path(&target.path))
  }

  /// The open file.
  pub fn file(&self) -> &File {
    self.inner.as_file()
  }

  /// Where it is.
  pub fn path(&self) -> &Path {
    self.inner.path()
  }

  /// A writer that fills the file, each chunk of which a test can make fail.
  pub fn writer(&self) -> TempWriter<'_> {
    TempWriter { file: self.file() }
  }

  /// The open (held) file and its name, still removed when dropped (for a temp file that is not
  /// renamed over the target, such as a backup copy).
  pub fn into_parts(self) -> (File, tempfile::TempPath) {
    self.inner.into_parts()
  }

  /// Rename the temp file over `target`, as durably as `durability` asks of the rename itself
  /// (Windows flushes it; Unix leaves that to the directory fsync). On failure the temp file is
  /// removed (when the guard drops), and the target is as it was — unless the error says
  /// `renamed`: the flush after the rename failed, and the target is the new file.
  pub fn commit(self, target: &Path, durability: Durability) -> Result<()> {
    if let Err(err) = injected_rename_failure(target) {
      // As after a real failed rename: the temp file (perhaps read-only) removable as it drops.
      sys::make_removable(self.path());
      return Err(err);
    }
    // Kept open (and held) across the rename, so that no cleanup can claim it in between
    // (Windows too: it was opened sharing delete, which a rename of an open file needs).
    let (held, path) = self.inner.into_parts();
    // Failpoint `commit.renaming` (`sleep`): a writer about to rename, for cleanups to try.
    fail::fail_point!("commit.renaming");
    // Windows flushes the renamed file for 'full' (failpoint `commit.flush`: that flush fails;
    // looked up only where there is such a flush, so that its counts and sleeps mean the same).
    let flush = durability == Durability::Full;
    let injected = (cfg!(windows) && flush)
      .then(|| failpoint::io_error("commit.flush"))
      .flatten();
    let renamed = sys::rename(&path, target, flush, injected);
    if let Err(RenameError::Failed(err)) = renamed {
      // The guard removes it as it drops; Windows refuses to delete a read-only file (the
      // target's mode, applied before the rename).
      sys::make_removable(&path);
      return Err(Error::io(&err, "rename", target));
    }
    // The name now belongs to the target; the guard must not remove it.
    let _ = path.keep();
    if let Err(RenameError::Unflushed(err)) = renamed {
      return Err(Error::io(&err, "fsync", target).after_rename());
    }
    drop(held);
    Ok(())
  }
}

/// Failpoint `commit.rename`: the rename fails (before it is tried).
#[cfg_attr(not(feature = "failpoints"), allow(unused_variables))]
fn injected_rename_failure(target: &Path) -> Result<()> {
  failpoint!("commit.rename", "rename", target);
  Ok(())
}

/// The temp file as a `Write` whose every chunk can be made to fail (failpoint `temp.write`).
#[derive(Debug)]
pub struct TempWriter<'a> {
  file: &'a File,
}

impl Write for TempWriter<'_> {
  fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
    if let Some(err) = failpoint::io_error("temp.write") {
      return Err(err);
    }
    self.file.write(buf)
  }

  fn flush(&mut self) -> io::Result<()> {
    Ok(())
  }
}

/// Take the shared lock that tells cleanups a live writer holds `file`, just made at `path`.
/// `Ok(false)` if `path` no longer names it: a cleanup claimed it first and removed it.
pub(crate) fn hold(file: &File, path: &Path) -> io::Result<bool> {
  let started = Instant::now();
  let mut pause = Duration::from_millis(1);
  // A file system without these locks (some FUSE mounts) refuses them: the write goes on
  // unheld, and cleanup, which cannot claim the file there either, leaves it alone.
  while matches!(sys::try_share(file), Ok(false)) && started.elapsed() < HOLD_WAIT {
    thread::sleep(pause);
    pause = (pause * 2).min(Duration::from_millis(20));
  }
  // Checked after locking: a cleanup unlinks only while it holds the file exclusively.
  sys::is_same_file(file, path)
}

/// Make something (a file, a hard link) at a fresh temp name `.<basename>.<random>.tmp` in `dir`
/// (whose file system accepts names of up to `name_max` bytes) with `make`, retrying with a new
/// name while the name exists. The returned guard removes that name when dropped.
pub(crate) fn make_in<R>(
  dir: &Path,
  basename: &std::ffi::OsStr,
  name_max: usize,
  make: impl FnMut(&Path) -> std::io::Result<R>,
) -> std::io::Result<tempfile::NamedTempFile<R>> {
  let mut prefix = hidden_name(basename, RANDOM_LEN + ".tmp".len() + 1, name_max);
  prefix.push(".");
  tempfile::Builder::new()
    .prefix(&prefix)
    .suffix(".tmp")
    .rand_bytes(RANDOM_LEN)
    .make_in(dir, make)
}

/// `.<basename>` for a side file (temp, lock) whose name goes on with `rest` more bytes: the
/// basename is cut (at a character boundary) so that the whole name fits in `name_max` bytes.
pub(crate) fn hidden_name(basename: &std::ffi::OsStr, rest: usize, name_max: usize) -> OsString {
  let room = name_max.saturating_sub(1 + rest).max(1);
  let name = basename.to_string_lossy();
  let mut cut = name.len().min(room);
  while !name.is_char_boundary(cut) {
    cut -= 1;
  }
  let mut hidden = OsString::from(".");
  if cut == name.len() && name.as_bytes() == basename.as_encoded_bytes() {
    hidden.push(basename);
  } else {
    hidden.push(&name[..cut]);
  }
  hidden
}

/// Whether `name` has the shape of one of our temp files: `.<anything>.<8 alphanumerics>.tmp`.
pub fn is_temp_name(name: &str) -> bool {
  let Some(stem) = name.strip_suffix(".tmp") else {
    return false;
  };
  let Some(base_and_dot) = stem.get(..stem.len().saturating_sub(RANDOM_LEN)) else {
    return false;
  };
  let random = &stem[base_and_dot.len()..];
  random.len() == RANDOM_LEN
    && random.bytes().all(|b| b.is_ascii_alphanumeric())
    && base_and_dot.len() >= 3
    && base_and_dot.starts_with('.')
    && base_and_dot.ends_with('.')
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::ffi::OsStr;

  #[test]
  fn temp_name_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let temp = TempFile::create(
      dir.path(),
      OsStr::new("settings.json"),
      sys::name_max(dir.path()),
    )
    .unwrap();
    let name = temp
      .path()
      .file_name()
      .unwrap()
      .to_str()
      .unwrap()
      .to_owned();
    assert!(name.starts_with(".settings.json."), "{name}");
    assert!(is_temp_name(&name), "{name}");
    assert_eq!(name.len(), ".settings.json.".len() + 8 + 4);
  }

  #[cfg(unix)]
  #[test]
  fn temp_file_is_private_until_committed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let temp =
      TempFile::create(dir.path(), OsStr::new("a.json"), sys::name_max(dir.path())).unwrap();
    assert_eq!(
      temp.file().metadata().unwrap().permissions().mode() & 0o777,
      0o600
    );
  }

  #[test]
  fn dropped_temp_file_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let temp =
      TempFile::create(dir.path(), OsStr::new("a.json"), sys::name_max(dir.path())).unwrap();
    let path = temp.path().to_path_buf();
    assert!(path.exists());
    drop(temp);
    assert!(!path.exists());
  }

  #[cfg(unix)]
  #[test]
  fn a_symlink_at_a_temp_name_cannot_redirect_the_write() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    let planted = dir.path().join(".a.json.Planted1.tmp");
    std::os::unix::fs::symlink(&outside, &planted).unwrap();
    let err = sys::create_exclusive(&planted).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert!(!outside.exists());
  }

  #[test]
  fn a_live_temp_file_is_held_against_cleanup() {
    let dir = tempfile::tempdir().unwrap();
    let temp =
      TempFile::create(dir.path(), OsStr::new("a.json"), sys::name_max(dir.path())).unwrap();
    let options = crate::options::CleanupOptions {
      older_than: std::time::Duration::ZERO,
    };
    assert_eq!(
      crate::cleanup::cleanup(dir.path(), &options).unwrap(),
      Vec::<std::path::PathBuf>::new()
    );
    assert!(temp.path().exists());
    let path = temp.path().to_path_buf();
    // Once its writer lets go (here: a file left by a dead one), it is an orphan.
    let (file, kept) = temp.into_parts();
    drop(file);
    let kept = kept.keep().unwrap();
    assert_eq!(
      crate::cleanup::cleanup(dir.path(), &options).unwrap(),
      vec![path]
    );
    assert!(!kept.exists());
  }

  #[test]
  fn long_basenames_are_shortened_to_fit() {
    let long = "é".repeat(127) + ".json"; // 259 bytes: longer than any temp name may be
    let hidden = hidden_name(OsStr::new(&long), 1 + RANDOM_LEN + 4, 255);
    assert_eq!(
      hidden.len() + 1 + RANDOM_LEN + 4,
      254,
      "cut at a character boundary"
    );
    assert!(hidden.to_str().unwrap().starts_with(".éé"));
    assert_eq!(hidden_name(OsStr::new("a.json"), 5, 255), ".a.json");
  }

  #[test]
  fn recognises_only_our_shape() {
    assert!(is_temp_name(".a.json.Ab3dE9xZ.tmp"));
    assert!(!is_temp_name(".a.json.Ab3dE9x.tmp"));
    assert!(!is_temp_name("a.json.Ab3dE9xZ.tmp"));
    assert!(!is_temp_name(".a.json.Ab3dE9x-.tmp"));
    assert!(!is_temp_name("..Ab3dE9xZ.tmp"));
    assert!(!is_temp_name(".a.json.Ab3dE9xZ.tmp.bak"));
  }
}
