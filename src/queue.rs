//! Guarantee 6 within one process: writes to the same path land in call order, the last call's
//! data ends in the file, and a burst of writes costs two disk writes, not one per call.
//!
//! Each path (as the caller named it, made absolute) has a slot: at most one write of it runs
//! at a time, and at most one more waits. A call that finds a write waiting takes its place and
//! its promise: the data it replaces is dropped and never hits the disk, and its caller is told
//! the outcome of the write that superseded it.
//!
//! Two different paths can name one file (a symlink, `a/../b`). Calls get a sequence number when
//! they are made; once a write has resolved its path to the real file, it holds that file's
//! in-process lock and is skipped if a later call already landed there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, OnceLock};

use crate::error::{Error, Result};
use crate::options::WriteOptions;
use crate::target::Target;
use crate::text::Text;
use crate::write::write_text;

/// One call's request: where, what, how.
#[derive(Debug)]
pub struct Request {
  /// Absolute path, as the caller named it (`.` and `..` resolved, symlinks not).
  pub path: PathBuf,
  /// The bytes.
  pub text: Text,
  /// The options.
  pub options: WriteOptions,
}

/// Called once with the outcome of the write that carried a call's data (or superseded it).
pub type Settle = Box<dyn FnOnce(Result<()>) + Send>;

/// Queue `request` behind the writes already made to its path and return at once. `settle`
/// runs on a worker thread when the data (or newer data) is in the file, or the write failed.
pub fn submit(request: Request, settle: Settle) {
  let seq = next_seq();
  let slot = Slot::of(&request.path);
  let mut state = slot.lock();
  let mut settles = state
    .waiting
    .take()
    .map(|superseded| superseded.settles)
    .unwrap_or_default();
  settles.push(settle);
  state.waiting = Some(Waiting {
    seq,
    request,
    settles,
  });
  if !state.running {
    state.running = true;
    drop(state);
    pool().spawn_blocking(move || slot.drain());
  }
}

/// Write `request` now, on this thread: wait for the write of its path already on the disk,
/// supersede the queued one, and return when this call's data is in the file.
pub fn write_now(request: Request) -> Result<()> {
  let seq = next_seq();
  let slot = Slot::of(&request.path);
  let mut state = slot.lock();
  let superseded = state.waiting.take();
  while state.running {
    state = slot.idle.wait(state).unwrap_or_else(|e| e.into_inner());
  }
  state.running = true;
  drop(state);

  let result = land(seq, &request);
  for settle in superseded.into_iter().flat_map(|w| w.settles) {
    settle(result.clone());
  }
  slot.finish_turn();
  result
}

/// Resolve the path, then write under the real file's in-process lock, unless a later call
/// already landed there. A panic (a bug) fails this write with EIO instead of wedging the path.
fn land(seq: u64, request: &Request) -> Result<()> {
  std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    land_unguarded(seq, request)
  }))
  .unwrap_or_else(|_| Err(Error::os("EIO", "write", &request.path)))
}

fn land_unguarded(seq: u64, request: &Request) -> Result<()> {
  let target = Target::prepare(&request.path)?;
  let file = lock(&FILES).entry(target.identity()).or_default().clone();
  let mut landed = lock(&file);
  if *landed > seq {
    return Ok(());
  }
  write_text(&target, &request.text, &request.options)?;
  *landed = seq;
  Ok(())
}

fn next_seq() -> u64 {
  static NEXT: AtomicU64 = AtomicU64::new(1);
  NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The thread pool writes run on (reads and cleanups too): tokio's blocking pool, which grows
/// with demand, so a slow disk or a waiting writer never starves the others.
pub(crate) fn pool() -> &'static tokio::runtime::Runtime {
  static POOL: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
  POOL.get_or_init(|| {
    tokio::runtime::Builder::new_multi_thread()
      .worker_threads(1)
      .thread_name("safe-write-json")
      .build()
      .expect("the write pool could not start")
  })
}

/// Slots of the paths with a write running or waiting. Lock order: this map, then a slot.
static SLOTS: LazyLock<Mutex<HashMap<PathBuf, Arc<Slot>>>> = LazyLock::new(Default::default);

/// Per real file: the sequence number of the last call that landed there. Only needed while
/// writes are in flight, so it is emptied whenever `SLOTS` is.
static FILES: LazyLock<Mutex<HashMap<PathBuf, Arc<Mutex<u64>>>>> = LazyLock::new(Default::default);

#[derive(Default)]
struct Slot {
  state: Mutex<SlotState>,
  /// Signalled when the running write of this path ends.
  idle: Condvar,
}

#[derive(Default)]
struct SlotState {
  /// A write of this path is on the disk now.
  running: bool,
  /// The newest call not yet started, with the promises of the calls it superseded.
  waiting: Option<Waiting>,
}

struct Waiting {
  seq: u64,
  request: Request,
  settles: Vec<Settle>,
}

impl Slot {
  fn of(path: &Path) -> Arc<Slot> {
    lock(&SLOTS).entry(path.to_path_buf()).or_default().clone()
  }

  fn lock(&self) -> MutexGuard<'_, SlotState> {
    lock(&self.state)
  }

  /// Write what waits, one at a time, until nothing does.
  fn drain(self: Arc<Self>) {
    loop {
      let Some(next) = self.lock().waiting.take() else {
        break;
      };
      let result = land(next.seq, &next.request);
      drop(next.request);
      for settle in next.settles {
        settle(result.clone());
      }
    }
    self.finish_turn();
  }

  /// The running write is done: hand over to a queued one or go idle, and forget the slot if
  /// nobody else holds it.
  fn finish_turn(self: &Arc<Self>) {
    let mut slots = lock(&SLOTS);
    let mut state = self.lock();
    if state.waiting.is_some() {
      // Queued while this thread held the turn without draining (a sync write): keep going.
      drop(state);
      drop(slots);
      let slot = self.clone();
      pool().spawn_blocking(move || slot.drain());
      return;
    }
    state.running = false;
    self.idle.notify_all();
    drop(state);
    // One reference in the map, one here: nobody else is about to use this slot.
    if Arc::strong_count(self) == 2 {
      slots.retain(|_, slot| !Arc::ptr_eq(slot, self));
      if slots.is_empty() {
        lock(&FILES).clear();
      }
    }
  }
}

/// Lock, ignoring poisoning: the data behind these locks stays consistent across a panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
  mutex.lock().unwrap_or_else(|e| e.into_inner())
}
