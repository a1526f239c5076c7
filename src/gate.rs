//! The tick gate: a burst of async writes made in one synchronous run of JavaScript costs one
//! disk write. Each write of the run joins the run's [`Gate`] and, queued behind it, does not
//! start until the gate opens; meanwhile each newer write of the file supersedes the older as
//! usual (see [`crate::queue`]), so the run ends with one queued write carrying the last data.
//! Its number, and so its order, is taken at call time as before: only its start waits. An
//! open gate still holds its writes until every call made before it opened has taken its place
//! in its file's queue (resolving a path takes a moment on the pool): the run's last calls may
//! be for the same file.
//!
//! Opening a gate is always safe (it only gives up some coalescing); a gate left closed would
//! hang its writes. So a gate opens at the first of:
//! - the end of its run (the binding opens it in a microtask, before any `await` resumes);
//! - the teardown of its JavaScript environment (a worker terminated mid-run);
//! - [`HOLD_LIMIT`] after it was made (within twice that), whatever JavaScript does: a thread that blocks after
//!   its call (`Atomics.wait`), a microtask that never runs. The queue also never holds a write
//!   that another call waits for (see `queue`'s pump): the limit is for what it cannot see.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::poison::lock;

/// The longest a gate holds its writes back: far longer than a run of calls takes, short
/// enough that a thread blocked after its calls only delays its writes.
pub const HOLD_LIMIT: Duration = Duration::from_millis(100);

/// Holds back the writes of one synchronous run of JavaScript until it opens (once, for good).
#[derive(Debug)]
pub struct Gate {
  /// Opens it and starts what it held (the queue's; given, so that this module needs none).
  opener: fn(&Gate),
  open: AtomicBool,
  /// Once open: the number of the last call made before it opened.
  through: AtomicU64,
}

impl Gate {
  /// A closed gate that `opener` opens (see [`crate::queue::open_gate`]), by itself after
  /// [`HOLD_LIMIT`] at the latest (an open one if no thread can be had to see to that: then
  /// nothing is held back).
  pub fn new(opener: fn(&Gate)) -> Arc<Gate> {
    let gate = Arc::new(Gate {
      opener,
      open: AtomicBool::new(false),
      through: AtomicU64::new(0),
    });
    // Failpoint `gate.unlimited`: no hold limit, so that a test sees what else opens gates.
    if crate::failpoint::enabled("gate.unlimited") {
      return gate;
    }
    if !limit::watch(&gate) {
      gate.open.store(true, Ordering::SeqCst);
    }
    gate
  }

  /// Whether it was opened.
  pub fn is_open(&self) -> bool {
    self.open.load(Ordering::SeqCst)
  }

  /// Whether it holds its writes back while `first_unresolved` is the first call not yet in
  /// its file's queue: until it opens, and then until every call made before that is placed.
  pub(crate) fn holds(&self, first_unresolved: u64) -> bool {
    !self.is_open() || first_unresolved <= self.through.load(Ordering::SeqCst)
  }

  /// Let its writes start once the calls made so far are placed; a second call does nothing.
  pub fn open(&self) {
    (self.opener)(self);
  }

  /// Open it, under the queue's lock, with `through` the number of the last call made.
  pub(crate) fn mark_open(&self, through: u64) {
    self.through.store(through, Ordering::SeqCst);
    self.open.store(true, Ordering::SeqCst);
  }
}

thread_local! {
  /// This JavaScript thread's current gate: that of the run of JavaScript now going on, from its
  /// first write to the microtask that opens it. Copies of the package in several realms of one
  /// thread (jest) share it: whichever made it opens it.
  static CURRENT: RefCell<Option<Arc<Gate>>> = const { RefCell::new(None) };
}

/// Before an async write: join the current run's gate. True if there was none still closed and
/// this made one (that `opener` opens): the caller must then [`open_current`] at the run's end.
pub fn hold(opener: fn(&Gate)) -> bool {
  // A gate already open (its microtask never ran: the watcher opened it) is not joined.
  if CURRENT.with_borrow(|gate| gate.as_ref().is_some_and(|gate| !gate.is_open())) {
    return false;
  }
  CURRENT.set(Some(Gate::new(opener)));
  true
}

/// The run that made this thread's gate has ended: open it (its writes start) and forget it.
pub fn open_current() {
  // At teardown the thread-local may already be gone; its gate then opens at its hold limit.
  if let Ok(Some(gate)) = CURRENT.try_with(RefCell::take) {
    gate.open();
  }
}

/// The gate an async write made now on this thread joins, if any.
pub(crate) fn current() -> Option<Arc<Gate>> {
  CURRENT.with_borrow(Option::clone)
}

/// The gates not yet past [`HOLD_LIMIT`], oldest first, and the thread that opens them then.
mod limit {
  use super::*;

  type Due = (Instant, Weak<Gate>);

  static DUE: LazyLock<(Mutex<VecDeque<Due>>, Condvar)> = LazyLock::new(Default::default);
  static WATCHING: Mutex<bool> = Mutex::new(false);

  /// Open `gate` at [`HOLD_LIMIT`] from now; false if no thread could be started to do it.
  pub(super) fn watch(gate: &Arc<Gate>) -> bool {
    let mut watching = lock(&WATCHING);
    if !*watching {
      *watching = std::thread::Builder::new()
        .name("safe-write-json-gates".into())
        .spawn(open_when_due)
        .is_ok();
    }
    if !*watching {
      return false;
    }
    drop(watching);
    let (due, wake) = &*DUE;
    let mut gates = lock(due);
    // Every gate waits the same time, so the list stays in order of due time. The watcher
    // sleeps for good only while the list is empty.
    gates.push_back((Instant::now() + HOLD_LIMIT, Arc::downgrade(gate)));
    if gates.len() == 1 {
      wake.notify_one();
    }
    true
  }

  /// Opens the gates past their limit, looking once per [`HOLD_LIMIT`] (so within twice the
  /// limit) rather than at each gate's due time: a wake-up per gate would cost a thread switch
  /// per write, and almost every gate has long been opened by its microtask.
  fn open_when_due() {
    let (due, wake) = &*DUE;
    let mut gates = lock(due);
    loop {
      if gates.is_empty() {
        gates = crate::poison::wait(wake, gates);
        continue;
      }
      gates = wake
        .wait_timeout(gates, HOLD_LIMIT)
        .unwrap_or_else(|e| e.into_inner())
        .0;
      let now = Instant::now();
      let past = gates.partition_point(|(at, _)| *at <= now);
      let past: Vec<Due> = gates.drain(..past).collect();
      drop(gates);
      for gate in past.iter().filter_map(|(_, gate)| gate.upgrade()) {
        if !gate.is_open() {
          // A bug in one pump must not leave every later gate closed.
          let _ = std::panic::catch_unwind(|| gate.open());
        }
      }
      gates = lock(due);
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_gate_nobody_opens_opens_by_itself_after_the_hold_limit() {
    let gate = Gate::new(|gate| gate.mark_open(0));
    assert!(!gate.is_open());
    let waited = Instant::now();
    while !gate.is_open() {
      assert!(
        waited.elapsed() < HOLD_LIMIT * 100,
        "the gate stayed closed"
      );
      std::thread::sleep(Duration::from_millis(1));
    }
  }
}
