//! Guarantee 6 within one process: calls that target one file run in call order, whatever
//! path spelling each used, the last call's data ends in the file, and a burst of writes made
//! in one run of JavaScript costs one disk write, not one per call.
//!
//! Every call gets a sequence number when it is made. An async call then resolves its path to
//! the real file (symlinks of the file and of its directories followed) on a worker thread and
//! takes its place, by number, in that file's queue. A queued job starts only once every call
//! made before it has taken its place, so a call through another spelling can never be
//! overtaken. One job of a file runs at a time: a write, or a lease (the read-modify-write of
//! `updateJson`, held until its updater's result is committed or dropped).
//!
//! Coalescing: a queued write followed by another queued write is superseded by it before it
//! runs. Its data is dropped unwritten; the newer write carries its promise and its
//! requirements (see [`WriteOptions::absorb`]). A lease is never dropped: its updater must run.
//!
//! A Sync write runs on the JavaScript thread. It waits for the write of its file already on
//! the disk and supersedes the queued ones. It never waits for a lease, whose updater needs
//! that very thread: with an `updateJson` of the file running or queued before it, it fails at
//! once with ELOCKED. An update whose lease is ending (its result committed or dropped, its
//! promise about to settle) no longer counts: it needs the JavaScript thread no more, and the
//! Sync write waits for it to let go. Any call made from inside an updater (`enclosing`) for
//! the file that updater's lease holds fails at once with ELOCKED too: it would wait for itself.
//!
//! A write made behind a closed [`Gate`] (the tick gate: one synchronous run of JavaScript)
//! stays queued until it opens, so the newer writes of the same run supersede it first: a burst
//! of writes costs one disk write. It is held only while it is its file's one job and carries
//! only its own run's calls: a write that another call waits for (a lease, a write of another
//! run or thread queued behind it, or whose promises it carries) never waits for a gate, so no
//! thread waits for another's run to end.
//!
//! No more than [`in_flight_limit`] writes run at once, nor as many updates hold their files
//! (updates made inside another update's updater aside): the others wait in their queues
//! instead of failing with EMFILE.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use crate::error::{Code, Error, Result};
use crate::gate::Gate;
use crate::lock::FileLock;
use crate::options::WriteOptions;
use crate::poison::{self, lock};
use crate::pool::spawn;
use crate::read::{self, JsonText};
use crate::target::{identity, Target};
use crate::write::{write_text, Body};

/// One call's request: where, what, how.
#[derive(Debug)]
pub struct Request {
  /// Absolute path, as the caller named it (`.` and `..` resolved, symlinks not).
  pub path: PathBuf,
  /// What to write.
  pub body: Body,
  /// The options.
  pub options: WriteOptions,
}

/// Called once with the outcome of the write that carried a call's data (or superseded it).
pub type Settle = Box<dyn FnOnce(Result<()>) + Send>;

/// Called once, on a worker thread, with the lease of an `updateJson` (or why there is none).
pub type Grant = Box<dyn FnOnce(Result<Lease>) + Send>;

/// The leases (by id) whose updaters a call was made from, innermost last; empty at top level.
pub type Enclosing = Vec<u64>;

/// Queue `request` behind the calls made before it for the same file and return at once.
/// `settle` runs on a worker thread when the data (or newer data) is in the file, or the write
/// failed. Held back until this thread's current gate (if any, see [`crate::gate::hold`])
/// opens, unless another call waits for it (see [`State::pump`]). A text still being made is
/// never held: it supersedes nothing meanwhile.
pub fn submit(request: Request, enclosing: Enclosing, settle: Settle) {
  let gate = crate::gate::current().filter(|_| request.body.is_complete());
  enqueue(enclosing, |seq| {
    Job::Write(QueuedWrite {
      seq,
      request,
      settles: vec![settle],
      waiting_since: None,
      gate,
    })
  });
}

/// Open `gate` (see [`Gate::open`]): its writes start once the calls made so far are placed.
pub fn open_gate(gate: &Gate) {
  let state = QUEUES.lock();
  if gate.is_open() {
    return;
  }
  gate.mark_open(state.next_seq);
  start(QUEUES.pump(state));
}

/// Queue an exclusive hold on the file at `path` for a read-modify-write: when its turn comes,
/// the file is locked (in this process and across processes, always), read, and handed to
/// `grant` as a [`Lease`]. The file stays held until the lease commits or drops.
pub fn lease(path: PathBuf, options: WriteOptions, enclosing: Enclosing, grant: Grant) {
  let nested = !enclosing.is_empty();
  enqueue(enclosing, |seq| {
    Job::Lease(PendingLease {
      seq,
      path,
      options,
      grant,
      nested,
      waiting_since: None,
    })
  });
}

/// Number an async call and hand it to the resolver (started if idle, once the lock is let
/// go); it is unresolved until placed.
fn enqueue(enclosing: Enclosing, job: impl FnOnce(u64) -> Job) {
  let start_resolver = {
    let mut state = QUEUES.lock();
    let seq = state.take_number();
    state.unresolved.insert(seq);
    state.unplaced.push((job(seq), enclosing));
    !std::mem::replace(&mut state.resolving, true)
  };
  if start_resolver {
    spawn(resolve_batches);
  }
  deadlines::ensure_watcher();
}

/// Write `request` now, on this thread: wait for the write of its file already on the disk,
/// supersede the queued ones, and return when this call's data is in the file. ELOCKED at once
/// if an `updateJson` of the file is running or queued.
pub fn write_now(mut request: Request) -> Result<()> {
  // Its own `lockTimeoutMs` bounds its wait for the cross-process lock, whatever the writes it
  // supersedes asked for: this call blocks the event loop (if it fails, so do they).
  let timeout = request.options.lock_timeout;
  let key = identity(&request.path)?;
  let mut state = QUEUES.lock();
  let seq = state.take_number();
  // Sync writers (of several JavaScript threads) take the file in call order: each is in line
  // from the moment it is numbered.
  state
    .files
    .entry(key.clone())
    .or_default()
    .syncs_waiting
    .insert(seq);
  // Calls made before this one may still be resolving their paths on the pool: they may name
  // this file, so wait until each has its place.
  while state.unresolved.range(..seq).next().is_some() {
    state = QUEUES.wait(state);
  }
  let file = state
    .files
    .get_mut(&key)
    .expect("listed while a Sync writer waits");
  if file.has_lease_before(seq) {
    file.syncs_waiting.remove(&seq);
    state.forget_if_idle(&key);
    start(QUEUES.pump(state));
    return Err(locked(&request.path, Code::Locked { waited_ms: None }));
  }
  let superseded = file.take_writes_before(seq);
  for older in superseded.iter().rev() {
    request.options.absorb(&older.request.options);
  }
  request.options.lock_timeout = timeout;
  // The write of this file already on the disk ends on its own (after at most its own wait
  // for another process's lock).
  while !state.files[&key].is_turn_of_sync(seq) {
    state = QUEUES.wait(state);
  }
  let file = state
    .files
    .get_mut(&key)
    .expect("a waited-for file stays listed");
  file.syncs_waiting.remove(&seq);
  file.holder = Holder::Sync;
  drop(state);

  let (settles, bodies): (Vec<_>, Vec<_>) = superseded
    .into_iter()
    .map(|write| (write.settles, write.request.body))
    .unzip();
  // Before it lands, so that it joins the writers of the spilled ones (see `discard`).
  discard(bodies);
  let result = land(request);
  for settle in settles.into_iter().flatten() {
    settle(result.clone());
  }
  start(QUEUES.release(&key, Holder::Sync));
  result
}

/// Texts of at most this many bytes are freed where they are let go: that costs less than a
/// pool task (a spawn and a thread's wake-up), one per superseded call in a burst.
const FREE_HERE_BYTES: usize = 64 << 10;

/// Let the texts of superseded writes go. A spilled text here: that blocks on nothing (its
/// writer removes the temp file; the next write to land joins it, see `spill::reap`), and done
/// before the write that superseded it lands, it is joined by that write: done later on the
/// pool, that write could settle with the temp file still there. A small text here too. Bigger
/// ones (and streamed ones, of unknown size) may take long to free: not on this thread, which
/// may be the JavaScript one (a Sync write; a lease's release may pump).
fn discard(bodies: impl IntoIterator<Item = Body>) {
  let mut big = Vec::new();
  for body in bodies {
    match body {
      body @ Body::Filled(_) => drop(body),
      Body::Text(text)
        if text
          .held_bytes()
          .is_some_and(|held| held <= FREE_HERE_BYTES) =>
      {
        drop(text)
      }
      body => big.push(body),
    }
  }
  if !big.is_empty() {
    spawn(move || drop(big));
  }
}

/// A file held for one read-modify-write: its content when it was locked, and the locks.
/// Dropping it releases everything without writing.
pub struct Lease {
  /// The file's text when it was locked (checked as UTF-8, decoded); `None` if it did not exist.
  pub content: Option<JsonText>,
  /// Where the file is (symlinks followed).
  pub target: Target,
  seq: u64,
  key: PathBuf,
  options: WriteOptions,
  os_lock: Option<FileLock>,
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
  /// This lease's id: the calls its updater makes name it in their `enclosing`.
  pub fn id(&self) -> u64 {
    self.seq
  }

  /// Write `body` under the held locks on a worker thread, then release the cross-process
  /// lock, `settle`, and hand the file on (in that order: no later call of the file can settle
  /// first, and the lock is free when the caller hears).
  pub fn commit(self, body: Body, settle: Settle) {
    spawn(move || {
      let result = write_text(&self.target, body, &self.options);
      self.end(result, settle);
    });
  }

  /// Let the file go without writing (in the same order as [`Lease::commit`]).
  pub fn release(self, settle: Settle) {
    self.end(Ok(()), settle);
  }

  /// The cross-process lock first, then `settle`, then the file's turn: no later call of the
  /// file can settle first, and the lock is free when the caller hears.
  fn end(mut self, result: Result<()>, settle: Settle) {
    drop(self.os_lock.take());
    QUEUES.lease_ending(&self.key, self.seq);
    settle(result);
    // Failpoint `lease.handoff` (a sleep): the caller has heard, the file is not handed on yet.
    let _ = crate::failpoint::enabled("lease.handoff");
    drop(self);
  }
}

impl Drop for Lease {
  fn drop(&mut self) {
    // The cross-process lock first, then the file's turn.
    drop(self.os_lock.take());
    let ready = QUEUES.release(&self.key, Holder::Lease(self.seq));
    start(ready);
  }
}

/// Resolve the paths of the calls made so far, a batch at a time, and place them in their
/// files' queues. One worker does it while calls come in: a burst of calls to one path costs one
/// resolution and one placement, and its writes coalesce.
fn resolve_batches() {
  let mut ready = Vec::new();
  loop {
    let batch = {
      let mut state = QUEUES.lock();
      if state.unplaced.is_empty() {
        state.resolving = false;
        drop(state);
        return run_on_this_worker(ready);
      }
      std::mem::take(&mut state.unplaced)
    };
    start(std::mem::take(&mut ready));
    let numbers: Vec<u64> = batch.iter().map(|(job, _)| job.seq()).collect();
    let placed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
      let mut known: HashMap<PathBuf, Result<PathBuf>> = HashMap::new();
      let resolved = batch
        .into_iter()
        .map(|(job, enclosing)| {
          let key = known
            .entry(job.path().to_path_buf())
            .or_insert_with_key(|path| identity(path))
            .clone();
          (job, enclosing, key)
        })
        .collect();
      place_all(resolved)
    }));
    ready = placed.unwrap_or_else(|_| {
      // A bug: the batch's calls are gone (their promises reject as they drop). The queues must
      // not wait for them.
      let mut state = QUEUES.lock();
      for seq in numbers {
        state.unresolved.remove(&seq);
      }
      QUEUES.pump(state)
    });
  }
}

/// Put resolved calls into their files' queues (or fail them); return what can start.
fn place_all(resolved: Vec<(Job, Enclosing, Result<PathBuf>)>) -> Vec<(PathBuf, Job)> {
  let mut failed = Vec::new();
  let mut state = QUEUES.lock();
  for (mut job, enclosing, key) in resolved {
    state.unresolved.remove(&job.seq());
    let key = match key {
      Ok(key) => key,
      Err(err) => {
        failed.push((job, err));
        continue;
      }
    };
    let file = state.files.entry(key.clone()).or_default();
    match file.holder {
      // Its updater made this call and waits for it: it would wait for itself.
      Holder::Lease(id) if enclosing.contains(&id) => {
        let err = locked(job.path(), Code::LockedBySelf);
        failed.push((job, err));
        state.forget_if_idle(&key);
      }
      _ => {
        // A top-level lease may wait for a free slot (see [`in_flight_limit`]) held by updates
        // that wait for it: it gets its deadline at once.
        if matches!(&job, Job::Lease(lease) if !lease.nested) {
          job.arm(&key);
        }
        file.insert(job);
        file.arm_behind_leases(&key);
      }
    }
  }
  let ready = QUEUES.pump(state);
  for (job, err) in failed {
    job.fail(err);
  }
  ready
}

/// A call waiting behind an `updateJson` gives up after its `lockTimeoutMs`, as it would
/// waiting for another process's lock: an updater that never ends (or that waits, in a way
/// the nesting check cannot see, for a call queued behind it) never hangs the calls after it.
mod deadlines {
  use std::cmp::Reverse;
  use std::collections::BinaryHeap;
  use std::path::PathBuf;
  use std::sync::{Condvar, LazyLock, Mutex};
  use std::time::{Duration, Instant};

  use super::{locked, Holder, Job, QUEUES};
  use crate::error::Code;
  use crate::poison::lock;

  type Deadline = Reverse<(Instant, u64, PathBuf)>;

  static DEADLINES: LazyLock<(Mutex<BinaryHeap<Deadline>>, Condvar)> =
    LazyLock::new(Default::default);

  /// Whether the thread that watches the deadlines runs. Started at the first deadline; if the
  /// OS refuses a thread then, the next deadline tries again (the heap keeps them all).
  static WATCHING: Mutex<bool> = Mutex::new(false);

  /// Look at call `seq`, queued for the file at `key`, again at `since + timeout`, to fail it
  /// if it is still waiting behind a lease then. A timeout past the end of `Instant`
  /// (`lockTimeoutMs: Infinity`) arms nothing: no deadline.
  pub(super) fn arm(seq: u64, since: Instant, timeout: Duration, key: PathBuf) {
    let Some(due) = since.checked_add(timeout) else {
      return;
    };
    let (heap, wake) = &*DEADLINES;
    lock(heap).push(Reverse((due, seq, key)));
    wake.notify_one();
    ensure_watcher();
  }

  /// Start the watcher if it is not running: at the first call of the process, so that it
  /// exists before any deadline is due; and again at every call, deadline and release should
  /// the OS have refused it a thread before.
  pub(super) fn ensure_watcher() {
    let mut watching = lock(&WATCHING);
    if !*watching {
      *watching = std::thread::Builder::new()
        .name("safe-write-json-deadlines".into())
        .spawn(watch)
        .is_ok();
    }
  }

  fn watch() {
    let (heap, wake) = &*DEADLINES;
    let mut deadlines = lock(heap);
    loop {
      let now = Instant::now();
      match deadlines.peek() {
        None => deadlines = crate::poison::wait(wake, deadlines),
        Some(Reverse((due, _, _))) if *due > now => {
          let pause = *due - now;
          deadlines = wake
            .wait_timeout(deadlines, pause)
            .unwrap_or_else(|e| e.into_inner())
            .0;
        }
        Some(_) => {
          let Some(Reverse((_, seq, key))) = deadlines.pop() else {
            continue;
          };
          drop(deadlines);
          // A bug in one expiry must not stop every later deadline.
          let _ = std::panic::catch_unwind(|| expire(seq, key));
          deadlines = lock(heap);
        }
      }
    }
  }

  /// Call `seq`'s time may be up: if it has waited its `lockTimeoutMs` behind a lease (or for a
  /// slot updates hold), it fails with ELOCKED; if it waits behind something else (a write
  /// ends on its own), it is looked at again a period later.
  fn expire(seq: u64, key: PathBuf) {
    let now = Instant::now();
    let mut state = QUEUES.lock();
    let slots_full = state.leases_running.len() >= super::in_flight_limit();
    let Some(file) = state.files.get_mut(&key) else {
      return;
    };
    let Some(index) = file.jobs.iter().position(|job| job.seq() == seq) else {
      return; // started, superseded or gone
    };
    let timeout = file.jobs[index].lock_timeout();
    let waits_for_slot =
      matches!(&file.jobs[index], Job::Lease(lease) if !lease.nested) && slots_full;
    let behind_lease = matches!(file.holder, Holder::Lease(_))
      || file.jobs.iter().take(index).any(|job| !job.is_write())
      || waits_for_slot;
    let since = file.jobs[index].waiting_since().unwrap_or(now);
    if !behind_lease {
      drop(state);
      arm(seq, now, timeout, key);
      return;
    }
    // Its wait may have grown since it was armed (a superseded call's longer timeout).
    if since.checked_add(timeout).is_none_or(|due| now < due) {
      drop(state);
      arm(seq, since, timeout, key);
      return;
    }
    let waited = now - since;
    let job = file.jobs.remove(index).expect("found at this index");
    let waited_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
    let err = locked(
      job.path(),
      Code::Locked {
        waited_ms: Some(waited_ms),
      },
    );
    state.forget_if_idle(&key);
    let ready = QUEUES.pump(state);
    job.fail(err);
    super::start(ready);
  }
}

/// Run what [`State::pump`] found ready, each on a worker thread.
fn start(ready: Vec<(PathBuf, Job)>) {
  for job in ready {
    spawn(move || run_on_this_worker(vec![job]));
  }
}

/// On a worker thread that would otherwise go idle: run one ready job here (and then what it
/// makes ready, and so on), the others each on a worker of their own. Saves a thread hop per
/// write.
fn run_on_this_worker(mut ready: Vec<(PathBuf, Job)>) {
  while let Some(job) = ready.pop() {
    start(std::mem::take(&mut ready));
    ready = run(job);
  }
}

/// Run one job of a file that it now holds; return what became ready when it let go.
fn run((key, job): (PathBuf, Job)) -> Vec<(PathBuf, Job)> {
  match job {
    Job::Write(write) => {
      let result = land(write.request);
      // Settled before the file is let go: no later call of this file can settle first.
      for settle in write.settles {
        settle(result.clone());
      }
      QUEUES.release(&key, Holder::Write)
    }
    Job::Lease(pending) => {
      let held = acquire_lease(&pending, key);
      (pending.grant)(held);
      Vec::new()
    }
  }
}

/// Take a lease's cross-process lock and read the file. The file's turn is already the
/// lease's: on an error the half-built lease drops and hands it on.
fn acquire_lease(pending: &PendingLease, key: PathBuf) -> Result<Lease> {
  let turn = HeldTurn {
    key: Some(key),
    holder: Holder::Lease(pending.seq),
  };
  let target = Target::prepare(&pending.path)?;
  let key = turn.disarm();
  let mut lease = Lease {
    content: None,
    target,
    seq: pending.seq,
    key,
    options: pending.options.clone(),
    os_lock: None,
  };
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

/// Hands a file's turn on when dropped (for a lease that fails before it exists).
struct HeldTurn {
  key: Option<PathBuf>,
  holder: Holder,
}

impl HeldTurn {
  /// The lease exists now and hands the turn on itself.
  fn disarm(mut self) -> PathBuf {
    self.key.take().expect("armed until disarmed")
  }
}

impl Drop for HeldTurn {
  fn drop(&mut self) {
    if let Some(key) = self.key.take() {
      start(QUEUES.release(&key, self.holder));
    }
  }
}

/// Resolve the path and write, under the cross-process lock unless `lock: false`. A panic (a
/// bug) fails this write with EIO instead of wedging the file's queue.
fn land(request: Request) -> Result<()> {
  let path = request.path.clone();
  std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    let target = Target::prepare(&request.path)?;
    let os_lock = match request.options.lock {
      true => Some(FileLock::acquire(&target, request.options.lock_timeout)?),
      false => None,
    };
    let written = write_text(&target, request.body, &request.options);
    drop(os_lock);
    // A text abandoned midway (an incremental write whose serialization threw) leaves nothing:
    // not the directories made for it either (once the lock sidecar in them is gone).
    if written
      .as_ref()
      .is_err_and(|err| err.code_name() == "ECANCELED")
    {
      target.remove_created_dirs();
    }
    written
  }))
  .unwrap_or_else(|_| Err(Error::os("EIO", "write", path)))
}

fn locked(path: &Path, code: Code) -> Error {
  Error {
    code,
    syscall: "lock",
    path: path.to_path_buf(),
    renamed: false,
  }
}

/// How many writes may run at once, and how many updates may hold their files: each holds
/// descriptors (temp file, lock sidecar, directory), so a burst of thousands must wait its turn
/// rather than fail with EMFILE.
fn in_flight_limit() -> usize {
  static LIMIT: OnceLock<usize> = OnceLock::new();
  *LIMIT.get_or_init(|| match crate::sys::open_files_limit() {
    Some(limit) => (limit / 8).clamp(4, 256),
    None => 64,
  })
}

static QUEUES: LazyLock<Queues> = LazyLock::new(|| Queues {
  state: Mutex::new(State {
    next_seq: 0,
    unresolved: BTreeSet::new(),
    unplaced: Vec::new(),
    resolving: false,
    files: HashMap::new(),
    writes_running: 0,
    leases_running: Default::default(),
  }),
  changed: Condvar::new(),
});

/// Every file's queue, behind one lock (held only to move jobs, never across I/O).
struct Queues {
  state: Mutex<State>,
  /// Signalled whenever a call takes its place or a file's holder lets go.
  changed: Condvar,
}

impl Queues {
  fn lock(&self) -> MutexGuard<'_, State> {
    lock(&self.state)
  }

  fn wait<'a>(&self, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
    poison::wait(&self.changed, state)
  }

  /// After a change of `state`: take what can start now, wake the Sync writers waiting, and let
  /// the lock go.
  fn pump(&self, mut state: MutexGuard<'_, State>) -> Vec<(PathBuf, Job)> {
    let ready = state.pump();
    self.changed.notify_all();
    ready
  }

  /// The lease `seq`, holding the file at `key`, is about to settle and let go of it.
  fn lease_ending(&self, key: &Path, seq: u64) {
    let mut state = self.lock();
    if let Some(file) = state.files.get_mut(key) {
      if file.holder == Holder::Lease(seq) {
        file.lease_ending = true;
      }
    }
  }

  /// `holder` lets go of the file at `key`: what can start now.
  fn release(&self, key: &Path, holder: Holder) -> Vec<(PathBuf, Job)> {
    let mut state = self.lock();
    if let Some(file) = state.files.get_mut(key) {
      if file.holder == holder {
        file.holder = Holder::Nobody;
        file.lease_ending = false;
      }
    }
    match holder {
      Holder::Write => state.writes_running -= 1,
      Holder::Lease(id) => {
        state.leases_running.remove(&id);
      }
      Holder::Nobody | Holder::Sync => {}
    }
    state.forget_if_idle(key);
    let ready = self.pump(state);
    deadlines::ensure_watcher();
    ready
  }
}

struct State {
  next_seq: u64,
  /// Calls numbered but not yet in a file's queue (their paths are being resolved).
  unresolved: BTreeSet<u64>,
  /// Those calls, waiting for the resolver; and whether it is at work.
  unplaced: Vec<(Job, Enclosing)>,
  resolving: bool,
  /// The files with a job running or waiting, by identity.
  files: HashMap<PathBuf, FileQueue>,
  writes_running: usize,
  /// The leases holding a file (and its lock sidecar's descriptor) that count against the
  /// limit: all but those taken from inside another update's updater, which must never wait
  /// for a slot their own outer update holds.
  leases_running: std::collections::HashSet<u64>,
}

impl State {
  /// The next call's number.
  fn take_number(&mut self) -> u64 {
    self.next_seq += 1;
    self.next_seq
  }

  /// Coalesce what can be, and take the jobs that can start now, marking their files held.
  fn pump(&mut self) -> Vec<(PathBuf, Job)> {
    let first_unresolved = self.unresolved.first().copied().unwrap_or(u64::MAX);
    let mut ready = Vec::new();
    for (key, file) in &mut self.files {
      file.coalesce(&self.unresolved, key);
      if file.holder != Holder::Nobody || !file.syncs_waiting.is_empty() {
        continue;
      }
      let Some(next) = file.jobs.front() else {
        continue;
      };
      if next.seq() > first_unresolved {
        continue; // a call made before it may still join this queue, ahead of it
      }
      // Held back until its run of JavaScript ends, unless another call waits behind it.
      if matches!(next, Job::Write(write) if write.is_held(first_unresolved))
        && file.jobs.len() == 1
      {
        continue;
      }
      match next {
        Job::Write(_) if self.writes_running >= in_flight_limit() => continue,
        Job::Write(_) => self.writes_running += 1,
        Job::Lease(lease) if lease.nested => {}
        Job::Lease(_) if self.leases_running.len() >= in_flight_limit() => continue,
        Job::Lease(lease) => {
          self.leases_running.insert(lease.seq);
        }
      }
      let job = file.jobs.pop_front().expect("the front job was there");
      file.holder = match &job {
        Job::Write(_) => Holder::Write,
        Job::Lease(pending) => Holder::Lease(pending.seq),
      };
      ready.push((key.clone(), job));
    }
    ready
  }

  /// Stop tracking a file nothing holds, waits for or is queued for (bounded memory).
  fn forget_if_idle(&mut self, key: &Path) {
    if self.files.get(key).is_some_and(FileQueue::is_idle) {
      self.files.remove(key);
    }
  }
}

/// One real file's jobs, in call order, and who holds it.
#[derive(Default)]
struct FileQueue {
  jobs: VecDeque<Job>,
  holder: Holder,
  /// The holding lease has settled its promise and is handing the file on: JavaScript may
  /// already run code after the update, and a Sync write made then waits for the file instead
  /// of failing with ELOCKED.
  lease_ending: bool,
  /// Sync writers waiting for the holder, by number: nothing else starts meanwhile.
  syncs_waiting: BTreeSet<u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Holder {
  #[default]
  Nobody,
  Write,
  /// A lease, by id.
  Lease(u64),
  Sync,
}

impl FileQueue {
  fn is_idle(&self) -> bool {
    self.jobs.is_empty() && self.holder == Holder::Nobody && self.syncs_waiting.is_empty()
  }

  /// Whether the Sync writer `seq` may take the file now: nobody holds it and no Sync writer
  /// called before it waits.
  fn is_turn_of_sync(&self, seq: u64) -> bool {
    self.holder == Holder::Nobody && self.syncs_waiting.first() == Some(&seq)
  }

  /// Insert in call order.
  fn insert(&mut self, job: Job) {
    let at = self.jobs.partition_point(|queued| queued.seq() < job.seq());
    self.jobs.insert(at, job);
  }

  /// Supersede each queued write by the queued write right after it, unless a call made in
  /// between is still resolving (it could be a lease, which must see the older data) or the
  /// newer write's text may yet be abandoned.
  fn coalesce(&mut self, unresolved: &BTreeSet<u64>, key: &Path) {
    let mut index = 0;
    while index + 1 < self.jobs.len() {
      let (older, newer) = (&self.jobs[index], &self.jobs[index + 1]);
      let adjacent = unresolved.range(older.seq()..newer.seq()).next().is_none();
      // A text still being made (`incremental`, or copied in later turns) may yet be
      // abandoned (the serialization throws): it supersedes nothing until it is complete, or
      // the data it replaced would be lost with it. Each pump looks again.
      let supersedes = matches!(newer, Job::Write(newer) if newer.request.body.is_complete());
      if let (Job::Write(_), true, true) = (older, supersedes, adjacent) {
        let Some(Job::Write(older)) = self.jobs.remove(index) else {
          unreachable!("checked to be a write")
        };
        let Job::Write(newer) = &mut self.jobs[index] else {
          unreachable!("checked to be a write")
        };
        newer.absorb(older, key);
      } else {
        index += 1;
      }
    }
  }

  /// Give every job waiting behind a lease its deadline (once). Run at each placement: a lease
  /// placed late (its path took longer to resolve) can land ahead of jobs already queued.
  fn arm_behind_leases(&mut self, key: &Path) {
    let mut behind = matches!(self.holder, Holder::Lease(_));
    for job in &mut self.jobs {
      if behind && job.waiting_since().is_none() {
        job.arm(key);
      }
      behind |= matches!(job, Job::Lease(_));
    }
  }

  fn has_lease_before(&self, seq: u64) -> bool {
    (matches!(self.holder, Holder::Lease(_)) && !self.lease_ending)
      || self
        .jobs
        .iter()
        .any(|job| matches!(job, Job::Lease(lease) if lease.seq < seq))
  }

  /// Remove the queued writes made before `seq`, in call order.
  fn take_writes_before(&mut self, seq: u64) -> Vec<QueuedWrite> {
    let mut taken = Vec::new();
    let mut kept = VecDeque::with_capacity(self.jobs.len());
    for job in self.jobs.drain(..) {
      match job {
        Job::Write(write) if write.seq < seq => taken.push(write),
        other => kept.push_back(other),
      }
    }
    self.jobs = kept;
    taken
  }
}

enum Job {
  Write(QueuedWrite),
  Lease(PendingLease),
}

impl Job {
  fn seq(&self) -> u64 {
    match self {
      Job::Write(write) => write.seq,
      Job::Lease(pending) => pending.seq,
    }
  }

  fn waiting_since(&self) -> Option<Instant> {
    match self {
      Job::Write(write) => write.waiting_since,
      Job::Lease(pending) => pending.waiting_since,
    }
  }

  /// Start its wait: it fails with ELOCKED if it waits its `lockTimeoutMs` behind a lease.
  fn arm(&mut self, key: &Path) {
    let now = Instant::now();
    match self {
      Job::Write(write) => write.waiting_since = Some(now),
      Job::Lease(pending) => pending.waiting_since = Some(now),
    }
    deadlines::arm(self.seq(), now, self.lock_timeout(), key.to_path_buf());
  }

  fn is_write(&self) -> bool {
    matches!(self, Job::Write(_))
  }

  /// How long it may wait for a lock (`lockTimeoutMs`).
  fn lock_timeout(&self) -> std::time::Duration {
    match self {
      Job::Write(write) => write.request.options.lock_timeout,
      Job::Lease(pending) => pending.options.lock_timeout,
    }
  }

  fn path(&self) -> &Path {
    match self {
      Job::Write(write) => &write.request.path,
      Job::Lease(pending) => &pending.path,
    }
  }

  /// Settle (or deny) a job that will never run.
  fn fail(self, err: Error) {
    match self {
      Job::Write(write) => {
        for settle in write.settles {
          settle(Err(err.clone()));
        }
      }
      Job::Lease(pending) => (pending.grant)(Err(err)),
    }
  }
}

/// A queued write, with the promises of the calls it superseded.
struct QueuedWrite {
  seq: u64,
  request: Request,
  settles: Vec<Settle>,
  /// When it started to wait behind a lease, and so got a deadline (see [`deadlines`]).
  waiting_since: Option<Instant>,
  /// The gate of the run of JavaScript it was made in, if it is held back until that ends.
  gate: Option<Arc<Gate>>,
}

impl QueuedWrite {
  /// Whether its gate holds it back (see [`Gate::holds`]).
  fn is_held(&self, first_unresolved: u64) -> bool {
    self
      .gate
      .as_ref()
      .is_some_and(|gate| gate.holds(first_unresolved))
  }

  /// Supersede `older`: its promises settle with this write, which owes them what they asked.
  fn absorb(&mut self, older: QueuedWrite, key: &Path) {
    self.request.options.absorb(&older.request.options);
    // It waits on since the older call began to, and for at least as long.
    if let Some(older_since) = older.waiting_since {
      if self.waiting_since.is_none_or(|since| older_since < since) {
        self.waiting_since = Some(older_since);
        let timeout = self.request.options.lock_timeout;
        deadlines::arm(self.seq, older_since, timeout, key.to_path_buf());
      }
    }
    let mut settles = older.settles;
    settles.append(&mut self.settles);
    self.settles = settles;
    // Calls of another run (another thread's, maybe) now wait for this write: it must not wait
    // for this run's end, which may be waiting for them.
    let same_run = match (&self.gate, &older.gate) {
      (Some(newer), Some(older)) => Arc::ptr_eq(newer, older),
      _ => false,
    };
    if !same_run {
      self.gate = None;
    }
    // Here, before this write can land (see `discard`).
    discard([older.request.body]);
  }
}

struct PendingLease {
  seq: u64,
  path: PathBuf,
  options: WriteOptions,
  grant: Grant,
  /// Taken from inside another update's updater.
  nested: bool,
  /// When it started to wait behind a lease, and so got a deadline (see [`deadlines`]).
  waiting_since: Option<Instant>,
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::sync::mpsc;
  use std::time::Duration;

  fn tracked_under(dir: &Path) -> usize {
    let dir = std::fs::canonicalize(dir).unwrap();
    QUEUES
      .lock()
      .files
      .keys()
      .filter(|key| key.starts_with(&dir))
      .count()
  }

  #[test]
  fn files_are_forgotten_once_idle_while_another_stays_busy() {
    let dir = tempfile::tempdir().unwrap();
    let (granted, grants) = mpsc::channel();
    lease(
      dir.path().join("busy.json"),
      WriteOptions::default(),
      vec![],
      Box::new(move |held| granted.send(held).unwrap()),
    );
    let held = grants
      .recv_timeout(Duration::from_secs(10))
      .unwrap()
      .unwrap();
    let (settled, outcomes) = mpsc::channel();
    for i in 0..100 {
      let settled = settled.clone();
      let request = Request {
        path: dir.path().join(format!("f{i}.json")),
        body: Body::Text(crate::text::Text::Bytes(b"{}".to_vec())),
        options: WriteOptions {
          durability: crate::options::Durability::None,
          ..WriteOptions::default()
        },
      };
      submit(request, vec![], Box::new(move |r| settled.send(r).unwrap()));
    }
    for _ in 0..100 {
      outcomes
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .unwrap();
    }
    // Only the file the lease holds is still tracked (settles run just before the release).
    let mut tracked = tracked_under(dir.path());
    for _ in 0..1000 {
      if tracked == 1 {
        break;
      }
      std::thread::sleep(Duration::from_millis(1));
      tracked = tracked_under(dir.path());
    }
    assert_eq!(tracked, 1);
    drop(held);
    assert_eq!(tracked_under(dir.path()), 0);
  }
}
