//! Directory fsyncs shared by writes that finish together (group commit).
//!
//! After its rename, a write needs *an* fsync of its directory that started after the rename.
//! If one is running, the write waits for it to end and then for the next one; the first writer
//! to find none running does it for everyone waiting. Sixteen writes in flight in one directory
//! thus need a few fsyncs, not sixteen, and each still returns only once its own rename is
//! durable.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, LazyLock, Mutex};

use crate::error::{Error, IoResultExt, Result};
use crate::failpoint::failpoint;
use crate::poison::{self, lock};
use crate::sys;

/// fsync `dir` (reporting errors on `target`), sharing the fsync with other writes in `dir`.
pub fn sync_dir_shared(dir: &Path, target: &Path) -> Result<()> {
  let shared = Shared::of(dir);
  let mut state = lock(&shared.state);
  state.requested += 1;
  let ticket = state.requested;
  loop {
    if state.finished >= ticket {
      // Covered by the first fsync that started after this request: the one whose range holds
      // the ticket. A later one proves nothing (after a failed fsync, the next may succeed
      // with the failed changes lost), so each outcome is kept until every request it covers
      // has looked at it.
      let at = state
        .outcomes
        .iter()
        .position(|o| o.first <= ticket && ticket <= o.last);
      let Some(at) = at else {
        // Unreachable: each ticket's outcome stays until that ticket has looked. Were it gone,
        // the fsync that covered it may have failed: report that rather than guess.
        return Err(Error::os("EIO", "fsync", target));
      };
      let outcome = &mut state.outcomes[at];
      outcome.unseen -= 1;
      let result = match &outcome.error {
        None => Ok(()),
        Some(err) => Err(err.clone().with_path(target)),
      };
      if outcome.unseen == 0 {
        state.outcomes.remove(at);
      }
      return result;
    }
    if !state.running {
      state.running = true;
      let first = state.finished + 1;
      let last = state.requested;
      drop(state);
      let error = sync_dir(dir, target).err();
      state = lock(&shared.state);
      state.running = false;
      state.finished = last;
      state.outcomes.push_back(Outcome {
        first,
        last,
        unseen: last - first + 1,
        error,
      });
      shared.changed.notify_all();
      continue;
    }
    // Failpoint `dir_sync.wait`, outside the lock: lets a test hold a waiter back, as a
    // thread the scheduler leaves behind would be held, while other fsyncs come and go.
    #[cfg(feature = "failpoints")]
    {
      drop(state);
      fail::fail_point!("dir_sync.wait");
      state = lock(&shared.state);
      if !state.running || state.finished >= ticket {
        continue;
      }
    }
    state = poison::wait(&shared.changed, state);
  }
}

/// fsync the directory `dir` now, reporting a failure as `fsync` on `target`.
///
/// Failpoints: `dir.fsync` fails it; with `dir.record` on, `dir` is logged first (see
/// [`recorded`]), so that tests see which directories were really fsynced.
fn sync_dir(dir: &Path, target: &Path) -> Result<()> {
  #[cfg(feature = "failpoints")]
  if crate::failpoint::enabled("dir.record") {
    lock(&RECORDED).push(dir.to_path_buf());
  }
  failpoint!("dir.fsync", "fsync", target);
  sys::sync_dir(dir).at("fsync", target)
}

#[cfg(feature = "failpoints")]
static RECORDED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Failpoints builds: every directory fsynced while `dir.record` was on, in order.
#[cfg(feature = "failpoints")]
pub fn recorded() -> Vec<PathBuf> {
  lock(&RECORDED).clone()
}

#[derive(Default)]
struct Shared {
  state: Mutex<State>,
  changed: Condvar,
}

#[derive(Default)]
struct State {
  /// Requests made so far (each write's ticket is the count at its request).
  requested: u64,
  /// Every request up to this one is covered by a finished fsync.
  finished: u64,
  running: bool,
  /// Finished fsyncs that some request they cover has not looked at yet, oldest first.
  outcomes: VecDeque<Outcome>,
}

/// One finished fsync: the requests it covers (made after the previous one started and before
/// it started), how many of those have not looked at it yet, and its error.
struct Outcome {
  first: u64,
  last: u64,
  unseen: u64,
  error: Option<Error>,
}

static DIRS: LazyLock<Mutex<HashMap<PathBuf, Arc<Shared>>>> = LazyLock::new(Default::default);

impl Shared {
  fn of(dir: &Path) -> Arc<Shared> {
    let mut dirs = lock(&DIRS);
    // Forget directories nobody is syncing, now and then, so the map stays small.
    if dirs.len() > 64 {
      dirs.retain(|_, shared| Arc::strong_count(shared) > 1);
    }
    dirs.entry(dir.to_path_buf()).or_default().clone()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn concurrent_syncs_of_one_directory_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..16)
      .map(|i| {
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || {
          std::fs::write(dir.join(format!("f{i}")), "x").unwrap();
          sync_dir_shared(&dir, &dir.join(format!("f{i}")))
        })
      })
      .collect();
    for thread in threads {
      thread.join().unwrap().unwrap();
    }
  }

  #[test]
  fn a_missing_directory_fails_every_waiter_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    let err = sync_dir_shared(&gone, &gone.join("x.json")).unwrap_err();
    assert_eq!(err.code_name(), "ENOENT");
    assert_eq!(err.path, gone.join("x.json"));
  }
}
