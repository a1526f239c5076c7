//! The tick gate's JavaScript side (see [`crate::gate`]): `index.js` calls `holdTick` before
//! each async write; the first of a run makes the thread's gate and is told to open it in a
//! microtask (`openTick`), which runs once the run has ended.

use std::cell::Cell;

use napi::{Env, Result};
use napi_derive::napi;

use crate::gate;

thread_local! {
  /// Whether this thread's environment opens the current gate when it tears down.
  static HOOKED: Cell<bool> = const { Cell::new(false) };
}

/// Before an async write: join this run's gate. True if this made it: the caller must then
/// call `openTick` in a microtask.
#[napi(js_name = "holdTick")]
pub(crate) fn hold_tick(env: Env) -> Result<bool> {
  if !HOOKED.get() {
    // A worker terminated before its microtask ran: its writes must still start.
    let hooked = env.add_env_cleanup_hook((), |()| {
      HOOKED.set(false);
      gate::open_current();
    });
    if hooked.is_err() {
      return Ok(false); // no gate: the write starts at once
    }
    HOOKED.set(true);
  }
  Ok(gate::hold(crate::queue::open_gate))
}

/// The run that made this thread's gate has ended: open it.
#[napi(js_name = "openTick")]
pub(crate) fn open_tick() {
  gate::open_current();
}
