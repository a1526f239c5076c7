//! The promises of the async exports, settled on the JavaScript thread in exactly the order the
//! worker threads settled them (guarantee 6: one file's calls settle in call order).
//!
//! A Node-API deferred settled from another thread goes through a threadsafe function; one per
//! promise (as napi-rs' `create_deferred` makes) gives each its own libuv async handle, and the
//! loop visits pending handles in creation order, not in the order they were signalled: a
//! later call can settle first. So every promise of a JavaScript thread settles through one
//! queue, a [`Later`], which runs its jobs first in, first out. It exists only while promises
//! are pending, so an idle process can exit; the next promise makes a new one, and by then
//! the old one has delivered everything.

use std::cell::RefCell;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi::{sys, Env, Error, Result, Status};

use super::js_error;
use super::later::Later;
use super::path::TargetPath;
use crate::pool;

/// Makes the value a promise resolves with (or the error it rejects with), on the JavaScript
/// thread.
pub(crate) type Outcome = Box<dyn FnOnce(&Env) -> Result<sys::napi_value> + Send>;

/// `value` made into a JavaScript value of `env` (what an [`Outcome`] returns).
pub(crate) fn to_value(env: &Env, value: impl ToNapiValue) -> Result<sys::napi_value> {
  // SAFETY: `env` is the live environment of the JavaScript thread this runs on.
  unsafe { ToNapiValue::to_napi_value(env.raw(), value) }
}

/// The settling end of a promise made by [`promise`]. Send it anywhere; [`Pending::settle`]
/// once. Dropped unsettled (its environment torn down), the promise simply never settles.
pub(crate) struct Pending {
  /// `None` once settled.
  deferred: Option<Deferred>,
  later: Later,
}

struct Deferred(sys::napi_deferred);

// SAFETY: the deferred is only used on the JavaScript thread, by the job `settle` queues there;
// other threads merely carry the pointer.
unsafe impl Send for Deferred {}

impl Deferred {
  /// The pointer, on the JavaScript thread (a method, so closures capture the `Send` whole).
  fn into_raw(self) -> sys::napi_deferred {
    self.0
  }
}

thread_local! {
  /// This JavaScript thread's queue while any of its promises is pending, and how many are.
  static QUEUE: RefCell<Option<Queue>> = const { RefCell::new(None) };
}

struct Queue {
  later: Later,
  pending: usize,
  /// Tells this queue from the next one (see `on_end`).
  generation: u64,
}

/// Run `work` on the worker pool; its promise resolves with what it returns, or rejects with
/// its error, naming the path as the caller wrote it.
pub(crate) fn on_pool<T: ToNapiValue + Send + 'static>(
  env: &Env,
  target: TargetPath,
  work: impl FnOnce(&TargetPath) -> crate::Result<T> + Send + 'static,
) -> Result<Unknown<'_>> {
  let (settle, promise) = for_target(env, target.clone())?;
  pool::spawn(move || settle(work(&target)));
  Ok(promise)
}

/// A promise for a call on `target`, and what settles it (from any thread, once): it resolves
/// with the value, or rejects with the error naming the path as the caller wrote it.
pub(crate) fn for_target<T: ToNapiValue + Send + 'static>(
  env: &Env,
  target: TargetPath,
) -> Result<(impl FnOnce(crate::Result<T>) + Send + 'static, Unknown<'_>)> {
  let (pending, promise) = promise(env)?;
  let settle = move |outcome: crate::Result<T>| {
    pending.settle(Box::new(move |env| match outcome {
      Ok(value) => to_value(env, value),
      Err(err) => Err(js_error::to_js(env, &err, &target)),
    }))
  };
  Ok((settle, promise))
}

/// A new promise of `env`'s thread, and the handle that settles it.
pub(crate) fn promise(env: &Env) -> Result<(Pending, Unknown<'_>)> {
  let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
  // SAFETY: `env` is the live environment of this call; valid out-pointers.
  let status = unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) };
  if status != sys::Status::napi_ok {
    return Err(Error::new(
      Status::from(status),
      "could not create a promise",
    ));
  }
  let later = QUEUE.with(|queue| -> Result<Later> {
    let mut queue = queue.borrow_mut();
    if let Some(queue) = queue.as_mut() {
      queue.pending += 1;
      return Ok(queue.later.clone());
    }
    static GENERATIONS: AtomicU64 = AtomicU64::new(0);
    let generation = GENERATIONS.fetch_add(1, Ordering::Relaxed);
    // Torn down with promises pending (a worker terminated): forget the queue, so that nothing
    // counts on it; a released one ends the same way, harmlessly, once it is already replaced.
    let later = Later::new(env, move || forget(generation))?;
    *queue = Some(Queue {
      later: later.clone(),
      pending: 1,
      generation,
    });
    Ok(later)
  })?;
  let pending = Pending {
    deferred: Some(Deferred(deferred)),
    later,
  };
  // SAFETY: a live handle of this env, just made.
  Ok((pending, unsafe {
    Unknown::from_raw_unchecked(env.raw(), promise)
  }))
}

impl Pending {
  /// Settle the promise with what `outcome` makes on the JavaScript thread: resolve with its
  /// value, or reject with its error. Callable from any thread; settles in call order.
  pub(crate) fn settle(mut self, outcome: Outcome) {
    if let Some(deferred) = self.deferred.take() {
      self
        .later
        .run(Box::new(move |env| deliver(&env, deferred, outcome)));
    }
  }
}

impl Drop for Pending {
  /// Dropped unsettled — only a bug can do that —: reject rather than leave the promise, and the
  /// queue that keeps the process alive for it, pending for ever.
  fn drop(&mut self) {
    if let Some(deferred) = self.deferred.take() {
      let outcome: Outcome = Box::new(|_| {
        Err(napi::Error::from_reason(
          "safe-write-json: this call was abandoned before it settled (a bug: please report it)",
        ))
      });
      self
        .later
        .run(Box::new(move |env| deliver(&env, deferred, outcome)));
    }
  }
}

/// On the JavaScript thread: settle `deferred` with what `outcome` makes.
fn deliver(env: &Env, deferred: Deferred, outcome: Outcome) {
  let deferred = deferred.into_raw();
  let status = match outcome(env) {
    // SAFETY: `deferred` is settled exactly once, here, on its own thread.
    Ok(value) => unsafe { sys::napi_resolve_deferred(env.raw(), deferred, value) },
    Err(error) => {
      // SAFETY: converts the error napi-rs carries into a live value of this env.
      match unsafe { ToNapiValue::to_napi_value(env.raw(), error) } {
        // SAFETY: as above.
        Ok(reason) => unsafe { sys::napi_reject_deferred(env.raw(), deferred, reason) },
        Err(_) => sys::Status::napi_generic_failure,
      }
    }
  };
  debug_assert_eq!(status, sys::Status::napi_ok);
  settled();
}

/// One promise of this thread settled: once none is pending, let the queue go.
fn settled() {
  QUEUE.with(|queue| {
    let mut queue = queue.borrow_mut();
    if let Some(current) = queue.as_mut() {
      current.pending -= 1;
      if current.pending == 0 {
        current.later.release();
        *queue = None;
      }
    }
  });
}

/// The queue of `generation` is gone: if it is still this thread's, forget it.
fn forget(generation: u64) {
  // At teardown the thread-local may already be destroyed: then there is nothing to forget.
  let _ = QUEUE.try_with(|queue| {
    if let Ok(mut queue) = queue.try_borrow_mut() {
      if queue.as_ref().is_some_and(|q| q.generation == generation) {
        *queue = None;
      }
    }
  });
}
