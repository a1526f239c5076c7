//! The cross-process lock on a target: an operating-system lock (`flock`, `LockFileEx`) on a
//! sidecar file `.<basename>.lock` beside it.
//!
//! The kernel drops the lock when its holder exits, however it exits, so a crashed writer never
//! blocks the next one: a sidecar left by a killed process is an empty file that anyone can
//! lock, and the next holder removes it. The holder removes the sidecar while it still holds the
//! lock; a writer that was waiting on that very file then finds, after locking, that the path no
//! longer names it, and starts over on the new one — so two writers never both "hold" the lock.
//!
//! The sidecar is opened with O_NOFOLLOW and must be a regular file: a symlink planted at its
//! name fails the write (`ELOOP`), a FIFO or a directory too (`EINVAL`, `EISDIR`), and nothing is
//! created or truncated through them.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Code, Error, IoResultExt, Result};
use crate::failpoint::{self, failpoint};
use crate::sys;
use crate::target::Target;
use crate::temp::hidden_name;

/// Longest pause between two attempts to take a busy lock: short enough that a writer gets a
/// lock released by a killed process well within a second, long enough not to spin.
const MAX_PAUSE: Duration = Duration::from_millis(20);

/// A held lock on one target. Dropping it removes the sidecar and releases the lock.
#[derive(Debug)]
pub struct FileLock {
  // Closed (and so unlocked) when the lock drops, after the sidecar is removed.
  _file: File,
  sidecar: PathBuf,
}

impl FileLock {
  /// Lock `target`, waiting up to `timeout` for another holder (`ELOCKED` after that). The wait
  /// sleeps on this thread: it is a worker's, never the event loop's.
  pub fn acquire(target: &Target, timeout: Duration) -> Result<FileLock> {
    let sidecar = sidecar_path(target);
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
      failpoint!("lock.acquire", "lock", &target.path);
      let opened = target.in_dir(|| match sys::open_lock_file(&sidecar) {
        Ok(file) => Ok(Some(file)),
        // Windows: the holder removed the sidecar, and a waiter still holds it open (the name
        // is free once it lets go): as busy as a held lock.
        Err(err) if sys::is_busy(&err) => Ok(None),
        Err(err) => Err(Error::io(&err, "open", &target.path)),
      })?;
      // Only if the path still names the file locked. If not, the holder we waited for
      // removed this sidecar on release: the current one is tried after the deadline check
      // and a pause like any busy try, so that a file system whose file IDs never match on
      // reopen ends in ELOCKED, not in a loop.
      if let Some(file) = opened {
        if sys::try_lock(&file).at("lock", &target.path)?
          && is_same_file(&file, &sidecar).at("stat", &target.path)?
        {
          return Ok(FileLock {
            _file: file,
            sidecar,
          });
        }
      }
      let waited = started.elapsed();
      if waited >= timeout {
        let waited_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
        return Err(Error {
          code: Code::Locked {
            waited_ms: Some(waited_ms),
          },
          syscall: "lock",
          path: sys::plain(target.path.clone()),
          renamed: false,
        });
      }
      thread::sleep(pause.min(timeout - waited));
      pause = (pause * 2).min(MAX_PAUSE);
    }
  }
}

impl Drop for FileLock {
  fn drop(&mut self) {
    // Failpoint `lock.release`: the unlink fails, as it may (EACCES, EIO); the sidecar stays,
    // an empty file that blocks nobody. The write itself has succeeded by now.
    if failpoint::io_error("lock.release").is_some() {
      return;
    }
    // While still locked: whoever opens the path next creates a fresh sidecar.
    let _ = fs::remove_file(&self.sidecar);
  }
}

/// Whether `sidecar` still names the file locked. Failpoint `lock.moved`: never, as on a file
/// system whose file IDs differ on each open.
fn is_same_file(file: &File, sidecar: &Path) -> std::io::Result<bool> {
  if failpoint::enabled("lock.moved") {
    return Ok(false);
  }
  sys::is_same_file(file, sidecar)
}

/// `.<basename>.lock` in the target's directory, the basename cut to fit the name limit.
pub fn sidecar_path(target: &Target) -> PathBuf {
  let mut name = hidden_name(&target.name, ".lock".len(), target.name_max);
  name.push(".lock");
  target.dir.join(name)
}

/// Whether `name` has the shape of a lock sidecar: `.<anything>.lock`.
pub fn is_lock_name(name: &str) -> bool {
  name.len() > ".x.lock".len() - 1
    && name.starts_with('.')
    && name.ends_with(".lock")
    && name != "..lock"
}

#[cfg(test)]
mod tests {
  use super::*;

  fn target_in(dir: &Path, name: &str) -> Target {
    Target::prepare(&dir.join(name)).unwrap()
  }

  #[test]
  fn the_sidecar_exists_only_while_held() {
    let dir = tempfile::tempdir().unwrap();
    let target = target_in(dir.path(), "a.json");
    let lock = FileLock::acquire(&target, Duration::ZERO).unwrap();
    assert!(dir.path().join(".a.json.lock").exists());
    assert!(crate::cleanup::is_held(
      &dir.path().join(".a.json.lock"),
      crate::cleanup::Orphan::Lock
    )
    .unwrap());
    drop(lock);
    assert!(!dir.path().join(".a.json.lock").exists());
  }

  #[test]
  fn a_second_holder_times_out_with_elocked() {
    let dir = tempfile::tempdir().unwrap();
    let target = target_in(dir.path(), "a.json");
    let _held = FileLock::acquire(&target, Duration::ZERO).unwrap();
    let started = Instant::now();
    let err = FileLock::acquire(&target, Duration::from_millis(60)).unwrap_err();
    assert_eq!(err.code_name(), "ELOCKED");
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert!(
      err
        .to_string()
        .starts_with("ELOCKED: file is locked by another writer (waited "),
      "{err}"
    );
  }

  #[test]
  fn a_waiter_gets_the_lock_when_it_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let target = target_in(dir.path(), "a.json");
    let held = FileLock::acquire(&target, Duration::ZERO).unwrap();
    let waiter = {
      let target = target_in(dir.path(), "a.json");
      thread::spawn(move || FileLock::acquire(&target, Duration::from_secs(5)).map(|_| ()))
    };
    thread::sleep(Duration::from_millis(30));
    drop(held);
    waiter.join().unwrap().unwrap();
  }

  #[test]
  fn a_stale_sidecar_blocks_nobody_and_is_removed_by_the_next_holder() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".a.json.lock"), "").unwrap();
    let target = target_in(dir.path(), "a.json");
    assert!(!crate::cleanup::is_held(
      &dir.path().join(".a.json.lock"),
      crate::cleanup::Orphan::Lock
    )
    .unwrap());
    drop(FileLock::acquire(&target, Duration::ZERO).unwrap());
    assert!(!dir.path().join(".a.json.lock").exists());
  }

  #[cfg(unix)]
  #[test]
  fn a_symlinked_sidecar_is_refused_and_its_target_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::os::unix::fs::symlink(&outside, dir.path().join(".a.json.lock")).unwrap();
    let target = target_in(dir.path(), "a.json");
    let err = FileLock::acquire(&target, Duration::ZERO).unwrap_err();
    assert_eq!(err.code_name(), "ELOOP", "{err}");
    assert!(!outside.exists());
  }

  #[test]
  fn a_sidecar_replaced_under_its_name_is_not_the_one_locked() {
    // What POSIX deletes allow (Linux; Windows 10 1903+): the name names a new file while the old
    // one is still open, and locked, by a waiter. Renaming it away does the same here.
    let dir = tempfile::tempdir().unwrap();
    let sidecar = dir.path().join(".a.json.lock");
    let old = sys::open_lock_file(&sidecar).unwrap();
    fs::rename(&sidecar, dir.path().join("moved")).unwrap();
    let new = sys::open_lock_file(&sidecar).unwrap();
    assert!(sys::try_lock(&old).unwrap() && sys::try_lock(&new).unwrap());
    assert!(!sys::is_same_file(&old, &sidecar).unwrap());
    assert!(sys::is_same_file(&new, &sidecar).unwrap());
  }

  #[test]
  fn lock_names() {
    assert!(is_lock_name(".a.json.lock"));
    assert!(!is_lock_name("a.json.lock"));
    assert!(!is_lock_name(".lock"));
    assert!(!is_lock_name("..lock"));
  }
}
