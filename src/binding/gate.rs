//! The tick gate's JavaScript side (see [`crate::gate`]): each JavaScript thread has at most one
//! current gate, that of the synchronous run of JavaScript now going on. `index.js` calls
//! `holdTick` before each async write; the first of a run makes the gate and is told to open it
//! in a microtask (`openTick`), which runs once the run has ended. The writes of the run join
//! that gate. Copies of `index.js` in several realms of one thread (jest) share it: whichever
//! made it opens it.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use napi::{Env, Result};
use napi_derive::napi;

use crate::gate::Gate;

thread_local! {
  /// This thread's current gate, from its run's first write to the microtask that opens it.
  static CURRENT: RefCell<Option<Arc<Gate>>> = const { RefCell::new(None) };
  /// Whether this thread's environment opens the current gate when it tears down.
  static HOOKED: Cell<bool> = const { Cell::new(false) };
}

/// Before an async write: join this run's gate. True if there was none still closed and this
/// made one: the caller must then call `openTick` in a microtask.
#[napi(js_name = "holdTick")]
pub(crate) fn hold_tick(env: Env) -> Result<bool> {
  // A gate already open (its microtask never ran: the watcher opened it) is not joined.
  if CURRENT.with_borrow(|gate| gate.as_ref().is_some_and(|gate| !gate.is_open())) {
    return Ok(false);
  }
  if !HOOKED.get() {
    // A worker terminated before its microtask ran: its writes must still start.
    let hooked = env.add_env_cleanup_hook((), |()| {
      HOOKED.set(false);
      open_tick();
    });
    if hooked.is_err() {
      return Ok(false); // no gate: the write starts at once
    }
    HOOKED.set(true);
  }
  CURRENT.set(Some(Gate::new(crate::queue::open_gate)));
  Ok(true)
}

/// The run that made this thread's gate has ended: open it (its writes start) and forget it.
#[napi(js_name = "openTick")]
pub(crate) fn open_tick() {
  // At teardown the thread-local may already be gone; its gate then opens at its hold limit.
  if let Ok(Some(gate)) = CURRENT.try_with(RefCell::take) {
    gate.open();
  }
}

/// The gate an async write made now joins, if any.
pub(crate) fn current() -> Option<Arc<Gate>> {
  CURRENT.with_borrow(Option::clone)
}
