//! Guarantee 6 within one process: writes to the same path land in call order, the last call's
//! data ends in the file, and a burst of writes costs two disk writes, not one per call.
//!
//! Each path (as the caller named it, made absolute) has a slot. One job of a slot runs at a
//! time — it holds the slot's `Turn` — and the others wait in call order. A write that arrives
//! behind a waiting write takes its place and its promise: the data it replaces is dropped and
//! never hits the disk, and its caller gets the outcome of the write that superseded it. A lease
//! (the read-modify-write of `updateJson`) is never dropped: its updater must run.
//!
//! Two different paths can name one file (a symlink, `a/../b`). Calls get a sequence number when
//! they are made; once a write has resolved its path to the real file, it holds that file's
//! in-process lock (and, unless `lock: false`, the cross-process one) and is skipped if a later
//! call already landed there.
//!
//! A Sync write runs on the JavaScript thread. It may wait for a plain write, which finishes on
//! its own, but never for a lease, whose updater needs that very thread: a Sync write to a file
//! with an `updateJson` in progress in the same process fails at once with ELOCKED.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use crate::error::{Code, Error, Result};
use crate::lock::FileLock;
use crate::options::WriteOptions;
use crate::poison::{self, lock};
use crate::read::{self, JsonText};
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

/// Called once, on a worker thread, with the lease of an `updateJson` (or why there is none).
pub type Grant = Box<dyn FnOnce(Result<Lease>) + Send>;

/// Queue `request` behind the jobs already queued for its path and return at once. `settle`
/// runs on a worker thread when the data (or newer data) is in the file, or the write failed.
pub fn submit(request: Request, settle: Settle) {
  let seq = next_seq();
  let slot = Slot::of(&request.path);
  let mut state = slot.lock();
  let mut settles = match state.jobs.back() {
    Some(Job::Write(_)) => match state.jobs.pop_back() {
      Some(Job::Write(superseded)) => superseded.settles,
      _ => unreachable!("the back job was a write"),
    },
    _ => Vec::new(),
  };
  settles.push(settle);
  state.jobs.push_back(Job::Write(Waiting {
    seq,
    request,
    settles,
  }));
  Slot::start_if_idle(&slot, state);
}

/// Write `request` now, on this thread: wait for the job of its path already on the disk,
/// supersede the queued writes (queued leases stay: they run after, on this call's data), and
/// return when this call's data is in the file.
pub fn write_now(request: Request) -> Result<()> {
  let seq = next_seq();
  let slot = Slot::of(&request.path);
  let mut state = slot.lock();
  if state.leased {
    return Err(locked_in_process(&request.path));
  }
  let superseded = take_writes(&mut state.jobs);
  state.sync_waiting += 1;
  while state.running && !state.leased {
    state = poison::wait(&slot.idle, state);
  }
  state.sync_waiting -= 1;
  let result = if state.leased {
    drop(state);
    Err(locked_in_process(&request.path))
  } else {
    state.running = true;
    drop(state);
    let turn = Turn {
      slot,
      leased: false,
    };
    let result = land(seq, request, Wait::NotForLeases);
    drop(turn);
    result
  };
  for settle in superseded.into_iter().flat_map(|waiting| waiting.settles) {
    settle(result.clone());
  }
  result
}

/// Queue an exclusive hold on the file at `path` for a read-modify-write: when its turn comes,
/// the file is locked (in-process and cross-process, always), read, and handed to `grant` as a
/// [`Lease`]. Everything stays locked until the lease commits or drops.
pub fn lease(path: PathBuf, options: WriteOptions, grant: Grant) {
  let seq = next_seq();
  let slot = Slot::of(&path);
  let mut state = slot.lock();
  state.jobs.push_back(Job::Lease(PendingLease {
    seq,
    path,
    options,
    grant,
  }));
  Slot::start_if_idle(&slot, state);
}

/// A file held for one read-modify-write: its content when it was locked, and the locks.
/// Dropping it releases everything without writing.
pub struct Lease {
  /// The file's text when it was locked (checked as UTF-8, decoded); `None` if it did not exist.
  pub content: Option<JsonText>,
  /// Where the file is (symlinks followed).
  pub target: Target,
  seq: u64,
  options: WriteOptions,
  os_lock: Option<FileLock>,
  file: Option<(Arc<File>, OwnedMutexGuard<u64>)>,
  turn: Option<Turn>,
}

impl std::fmt::Debug for Lease {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.debug_struct("Lease")
      .field("target", &self.target.path)
      .field("seq", &self.seq)
      .finish()
  }
}

impl Lease {
  /// Write `text` under the held locks on a worker thread, release them, then `settle`.
  pub fn commit(mut self, text: Text, settle: Settle) {
    pool().spawn_blocking(move || {
      let result = write_text(&self.target, text, &self.options);
      if let (Ok(()), Some((_, landed))) = (&result, self.file.as_mut()) {
        **landed = (**landed).max(self.seq);
      }
      drop(self);
      settle(result);
    });
  }
}

impl Drop for Lease {
  fn drop(&mut self) {
    // Release in the order taken backwards: cross-process lock, the file, then the path's turn.
    drop(self.os_lock.take());
    if let Some((file, guard)) = self.file.take() {
      file.leased.store(false, Ordering::SeqCst);
      drop(guard);
    }
    drop(self.turn.take());
  }
}

/// Take a lease's locks and read the file. On an error, what was taken is released as the
/// half-built lease drops.
fn hold(pending: &PendingLease, turn: Turn) -> Result<Lease> {
  let target = Target::prepare(&pending.path)?;
  let options = pending.options.clone();
  let mut lease = Lease {
    content: None,
    target,
    seq: pending.seq,
    options,
    os_lock: None,
    file: None,
    turn: Some(turn),
  };
  let file = File::of(&lease.target);
  let guard = file.landed.clone().blocking_lock_owned();
  file.leased.store(true, Ordering::SeqCst);
  lease.file = Some((file, guard));
  lease.os_lock = Some(FileLock::acquire(
    &lease.target,
    lease.options.lock_timeout,
  )?);
  lease.content = match read::load(&lease.target.path) {
    Ok(text) => Some(text),
    Err(err) if read::is_missing(&err) => None,
    Err(err) => return Err(err),
  };
  Ok(lease)
}

/// Whether a writer may wait for a lease on the same file (reached through another path).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
  /// Worker threads: a lease ends without their help.
  ForAnything,
  /// The JavaScript thread: a lease needs it to end, so waiting for one would never end.
  NotForLeases,
}

/// Resolve the path, then write under the real file's locks, unless a later call already landed
/// there. A panic (a bug) fails this write with EIO instead of wedging the path.
fn land(seq: u64, request: Request, wait: Wait) -> Result<()> {
  let path = request.path.clone();
  std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    land_unguarded(seq, request, wait)
  }))
  .unwrap_or_else(|_| Err(Error::os("EIO", "write", path)))
}

fn land_unguarded(seq: u64, request: Request, wait: Wait) -> Result<()> {
  let target = Target::prepare(&request.path)?;
  let mut landed = File::of(&target).lock(wait, &target)?;
  if *landed > seq {
    return Ok(());
  }
  let _os_lock = match request.options.lock {
    true => Some(FileLock::acquire(&target, request.options.lock_timeout)?),
    false => None,
  };
  write_text(&target, request.text, &request.options)?;
  *landed = seq;
  Ok(())
}

fn locked_in_process(path: &Path) -> Error {
  Error {
    code: Code::Locked { waited_ms: None },
    syscall: "lock",
    path: path.to_path_buf(),
  }
}

/// Remove the queued writes, keeping the leases in order.
fn take_writes(jobs: &mut VecDeque<Job>) -> Vec<Waiting> {
  let (writes, leases): (VecDeque<Job>, VecDeque<Job>) =
    jobs.drain(..).partition(|job| matches!(job, Job::Write(_)));
  *jobs = leases;
  writes
    .into_iter()
    .filter_map(|job| match job {
      Job::Write(waiting) => Some(waiting),
      Job::Lease(_) => None,
    })
    .collect()
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

/// Slots of the paths with a job running or waiting. Lock order: this map, then a slot.
static SLOTS: LazyLock<Mutex<HashMap<PathBuf, Arc<Slot>>>> = LazyLock::new(Default::default);

/// Per real file: its in-process lock, holding the sequence number of the last call that landed
/// there. Only needed while jobs are in flight, so it is emptied whenever `SLOTS` is.
static FILES: LazyLock<Mutex<HashMap<PathBuf, Arc<File>>>> = LazyLock::new(Default::default);

/// The in-process state of one real file.
#[derive(Default)]
struct File {
  /// The file's in-process lock; the value is the sequence number of the last call landed.
  landed: Arc<tokio::sync::Mutex<u64>>,
  /// A lease holds `landed` (so a Sync writer must not wait for it).
  leased: AtomicBool,
}

impl File {
  fn of(target: &Target) -> Arc<File> {
    lock(&FILES).entry(target.identity()).or_default().clone()
  }

  fn lock(&self, wait: Wait, target: &Target) -> Result<OwnedMutexGuard<u64>> {
    if wait == Wait::ForAnything {
      return Ok(self.landed.clone().blocking_lock_owned());
    }
    loop {
      if self.leased.load(Ordering::SeqCst) {
        return Err(locked_in_process(&target.path));
      }
      if let Ok(guard) = self.landed.clone().try_lock_owned() {
        return Ok(guard);
      }
      // A plain write through another path holds it; it ends on its own, shortly.
      std::thread::sleep(Duration::from_millis(1));
    }
  }
}

#[derive(Default)]
struct Slot {
  state: Mutex<SlotState>,
  /// Signalled whenever the running job of this path ends.
  idle: Condvar,
}

#[derive(Default)]
struct SlotState {
  /// A job of this path holds the turn.
  running: bool,
  /// The job holding the turn is a lease.
  leased: bool,
  /// Sync writers waiting for the turn: the running job hands it to them, not to the queue.
  sync_waiting: usize,
  jobs: VecDeque<Job>,
}

enum Job {
  Write(Waiting),
  Lease(PendingLease),
}

/// A queued write, with the promises of the calls it superseded.
struct Waiting {
  seq: u64,
  request: Request,
  settles: Vec<Settle>,
}

struct PendingLease {
  seq: u64,
  path: PathBuf,
  options: WriteOptions,
  grant: Grant,
}

/// The right to run the one job of a path. Dropping it hands the path on: to a waiting Sync
/// writer, else to the next queued job, else the path goes idle.
struct Turn {
  slot: Arc<Slot>,
  leased: bool,
}

impl Drop for Turn {
  fn drop(&mut self) {
    let mut slots = lock(&SLOTS);
    let mut state = self.slot.lock();
    state.running = false;
    if self.leased {
      state.leased = false;
    }
    self.slot.idle.notify_all();
    if state.sync_waiting > 0 {
      return;
    }
    if !state.jobs.is_empty() {
      state.running = true;
      drop(state);
      drop(slots);
      let turn = Turn {
        slot: self.slot.clone(),
        leased: false,
      };
      pool().spawn_blocking(move || run(turn));
      return;
    }
    drop(state);
    // One reference in the map, one here: nobody else is about to use this slot.
    if Arc::strong_count(&self.slot) == 2 {
      slots.retain(|_, slot| !Arc::ptr_eq(slot, &self.slot));
      if slots.is_empty() {
        lock(&FILES).clear();
      }
    }
  }
}

impl Slot {
  fn of(path: &Path) -> Arc<Slot> {
    lock(&SLOTS).entry(path.to_path_buf()).or_default().clone()
  }

  fn lock(&self) -> MutexGuard<'_, SlotState> {
    lock(&self.state)
  }

  /// Start running the queue if nothing of this path is running.
  fn start_if_idle(slot: &Arc<Slot>, mut state: MutexGuard<'_, SlotState>) {
    if state.running || state.sync_waiting > 0 {
      return;
    }
    state.running = true;
    drop(state);
    let turn = Turn {
      slot: slot.clone(),
      leased: false,
    };
    pool().spawn_blocking(move || run(turn));
  }
}

/// Run the queued jobs of a path, one at a time, until none is left, a Sync writer is waiting,
/// or a lease takes the turn with it.
fn run(mut turn: Turn) {
  loop {
    let mut state = turn.slot.lock();
    if state.sync_waiting > 0 {
      return;
    }
    match state.jobs.pop_front() {
      None => return,
      Some(Job::Write(next)) => {
        drop(state);
        let result = land(next.seq, next.request, Wait::ForAnything);
        for settle in next.settles {
          settle(result.clone());
        }
      }
      Some(Job::Lease(pending)) => {
        // Marked under the slot lock, before anything can block: a Sync writer arriving from
        // now on must not wait for this turn.
        state.leased = true;
        drop(state);
        turn.leased = true;
        let held = hold(&pending, turn);
        (pending.grant)(held);
        return;
      }
    }
  }
}
