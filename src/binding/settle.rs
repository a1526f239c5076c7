//! The promises of the async exports, settled on the JavaScript thread in exactly the order the
//! worker threads settled them (guarantee 6: one file's calls settle in call order).
//!
//! A Node-API deferred settled from another thread goes through a threadsafe function; one per
//! promise (as napi-rs' `create_deferred` makes) gives each its own libuv async handle, and the
//! loop visits pending handles in creation order, not in the order they were signalled: a
//! later call can settle first. So every promise of a JavaScript thread settles through one
//! [`Queue`], a threadsafe function (first in, first out) made with the thread's first promise
//! and kept: it holds the event loop open while any promise is pending, and not while none is
//! (`napi_ref_…`/`napi_unref_…`), so an idle process can exit.
//!
//! Safe by construction: [`Pending::settle`] may be called from any thread at any time — after
//! the environment was torn down too (a worker thread terminated, the process exiting) — and
//! then simply drops its outcome. The raw threadsafe function lives in one place, a mutex
//! shared by every pending promise: its finalize callback, which Node calls when the
//! environment tears down and before it frees the function, takes it out; `settle` calls it
//! only under that mutex and only while it is there, so it can never reach freed memory.

use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi::{check_status, sys, Env, Error, JsValue, Result, Status};

use super::js_error;
use super::path::TargetPath;
use crate::poison::lock;

/// Makes the value a promise resolves with (or the error it rejects with), on the JavaScript
/// thread.
pub(crate) type Outcome = Box<dyn FnOnce(&Env) -> Result<sys::napi_value> + Send>;

/// `value` made into a JavaScript value of `env` (what an [`Outcome`] returns).
pub(crate) fn to_value(env: &Env, value: impl ToNapiValue) -> Result<sys::napi_value> {
  // SAFETY: `env` is the live environment of the JavaScript thread this runs on.
  unsafe { ToNapiValue::to_napi_value(env.raw(), value) }
}

/// The settling end of a promise made by [`promise`]. Send it anywhere; [`Pending::settle`]
/// once. Dropped unsettled, it rejects (see `Drop`).
pub(crate) struct Pending {
  /// `None` once settled.
  deferred: Option<Deferred>,
  queue: Arc<Queue>,
}

struct Deferred(sys::napi_deferred);

// SAFETY: the deferred is only used on the JavaScript thread, by `deliver`; other threads
// merely carry the pointer.
unsafe impl Send for Deferred {}

/// What the threadsafe function carries to the JavaScript thread: a promise and its outcome.
type Settling = (Deferred, Outcome);

/// The threadsafe function every promise of one JavaScript thread settles through.
#[derive(Default)]
struct Queue {
  /// The function while it may be called; `None` once Node finalized it.
  function: Mutex<Option<Function>>,
}

struct Function(sys::napi_threadsafe_function);

// SAFETY: a threadsafe function is made to be called from any thread; the pointer is only
// used under `Queue::function`'s mutex, and only while Node has not finalized it.
unsafe impl Send for Function {}

/// A JavaScript thread's queue, and how many of its promises are pending.
struct ThisThread {
  queue: Arc<Queue>,
  pending: usize,
}

thread_local! {
  /// This JavaScript thread's queue, once it made a promise (until its environment is gone).
  static THIS_THREAD: RefCell<Option<ThisThread>> = const { RefCell::new(None) };
}

/// Run `work` on the worker pool; its promise resolves with what it returns, or rejects with
/// its error, naming the path as the caller wrote it.
pub(crate) fn on_pool<T: ToNapiValue + Send + 'static>(
  env: &Env,
  target: TargetPath,
  work: impl FnOnce(&TargetPath) -> crate::Result<T> + Send + 'static,
) -> Result<Unknown<'_>> {
  let (settle, promise) = for_target(env, target.clone())?;
  crate::pool::spawn(move || settle(work(&target)));
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
  check_status!(status, "could not create a promise")?;
  let queue = THIS_THREAD.with_borrow_mut(|this_thread| -> Result<Arc<Queue>> {
    let this_thread = match this_thread.as_mut() {
      Some(this_thread) => this_thread,
      None => this_thread.insert(ThisThread {
        queue: Queue::new(env)?,
        pending: 0,
      }),
    };
    if this_thread.pending == 0 {
      this_thread.queue.keep_loop_alive(env, true);
    }
    this_thread.pending += 1;
    Ok(this_thread.queue.clone())
  })?;
  let pending = Pending {
    deferred: Some(Deferred(deferred)),
    queue,
  };
  // SAFETY: a live handle of this env, just made.
  let promise = unsafe { Unknown::from_raw_unchecked(env.raw(), promise) };
  Ok((pending, promise))
}

impl Pending {
  /// Settle the promise with what `outcome` makes on the JavaScript thread: resolve with its
  /// value, or reject with its error. Callable from any thread; settles in call order.
  pub(crate) fn settle(mut self, outcome: Outcome) {
    if let Some(deferred) = self.deferred.take() {
      self.queue.send((deferred, outcome));
    }
  }
}

impl Drop for Pending {
  /// Dropped unsettled — only a bug can do that —: reject rather than leave the promise, and the
  /// event loop held open for it, pending for ever.
  fn drop(&mut self) {
    if let Some(deferred) = self.deferred.take() {
      let outcome: Outcome = Box::new(|_| {
        Err(napi::Error::from_reason(
          "safe-write-json: this call was abandoned before it settled (a bug: please report it)",
        ))
      });
      self.queue.send((deferred, outcome));
    }
  }
}

impl Queue {
  /// The queue of `env`'s thread, holding its event loop open.
  fn new(env: &Env) -> Result<Arc<Queue>> {
    let name = env.create_string("safe-write-json")?.raw();
    let queue = Arc::new(Queue::default());
    let finalize_data = Arc::into_raw(queue.clone()).cast_mut().cast::<c_void>();
    let mut function = ptr::null_mut();
    // SAFETY: no JavaScript function (`deliver` does the work); one thread count,
    // never given back (the function lasts as long as its environment); `finalize_data` is a
    // strong count of `queue`, reclaimed by `finalize`, which Node calls exactly once if the
    // function was created.
    let status = unsafe {
      sys::napi_create_threadsafe_function(
        env.raw(),
        ptr::null_mut(),
        ptr::null_mut(),
        name,
        0,
        1,
        finalize_data,
        Some(finalize),
        ptr::null_mut(),
        Some(deliver),
        &mut function,
      )
    };
    if status != sys::Status::napi_ok {
      // SAFETY: not created, so `finalize` will never run: the count is still ours.
      drop(unsafe { Arc::from_raw(finalize_data.cast::<Queue>()) });
      return Err(Error::new(
        Status::from(status),
        "could not create a threadsafe function",
      ));
    }
    *lock(&queue.function) = Some(Function(function));
    Ok(queue)
  }

  /// Settle in a later turn on the JavaScript thread; if the environment is gone, drop it (on
  /// this thread) instead.
  fn send(&self, settling: Settling) {
    let function = lock(&self.function);
    let Some(Function(raw)) = function.as_ref() else {
      return;
    };
    let data = Box::into_raw(Box::new(settling)).cast::<c_void>();
    // SAFETY: `raw` is alive: it is still in the mutex, which `finalize` empties before Node
    // frees it, and we hold that mutex. `data` is reclaimed by `deliver` (which Node-API
    // calls, with a null env at teardown, for every item queued).
    let status = unsafe {
      sys::napi_call_threadsafe_function(*raw, data, sys::ThreadsafeFunctionCallMode::nonblocking)
    };
    drop(function);
    if status != sys::Status::napi_ok {
      // Closing (the environment is tearing down): it will not be delivered; reclaim it.
      // SAFETY: not queued, so still ours.
      drop(unsafe { Box::from_raw(data.cast::<Settling>()) });
    }
  }

  /// Whether the queue holds the event loop open (while promises are pending) or not (idle).
  /// On the JavaScript thread of `env`.
  fn keep_loop_alive(&self, env: &Env, alive: bool) {
    if let Some(Function(raw)) = lock(&self.function).as_ref() {
      let change = match alive {
        true => sys::napi_ref_threadsafe_function,
        false => sys::napi_unref_threadsafe_function,
      };
      // SAFETY: on the function's own JavaScript thread, where `finalize` also runs, and it is
      // still in the mutex: not finalized, so alive.
      let status = unsafe { change(env.raw(), *raw) };
      debug_assert_eq!(status, sys::Status::napi_ok);
    }
  }
}

/// Node is about to free the function: its environment is going away. What was queued and
/// not delivered never will be; promises of this thread made later would need a new queue.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  // SAFETY: `data` is the strong count `Queue::new` gave up for this one call.
  let queue = unsafe { Arc::from_raw(data.cast::<Queue>()) };
  lock(&queue.function).take();
  // At teardown the thread-local may already be destroyed: then there is nothing to forget.
  let _ = THIS_THREAD.try_with(|this_thread| {
    if let Ok(mut this_thread) = this_thread.try_borrow_mut() {
      if this_thread
        .as_ref()
        .is_some_and(|this_thread| Arc::ptr_eq(&this_thread.queue, &queue))
      {
        *this_thread = None;
      }
    }
  });
}

/// The threadsafe function's call on the JavaScript thread: settle one promise; once none of
/// this thread is pending, the loop may exit without the queue.
unsafe extern "C" fn deliver(
  env: sys::napi_env,
  _js_callback: sys::napi_value,
  _context: *mut c_void,
  data: *mut c_void,
) {
  // SAFETY: `data` came from `Box::into_raw` in `Queue::send`, and each item is delivered once.
  let (Deferred(deferred), outcome) = *unsafe { Box::from_raw(data.cast::<Settling>()) };
  if env.is_null() {
    return; // the environment is going away: nothing can run, the promise is dropped
  }
  let env = Env::from_raw(env);
  let status = match outcome(&env) {
    // SAFETY: `deferred` is settled exactly once, here, on its own thread.
    Ok(value) => unsafe { sys::napi_resolve_deferred(env.raw(), deferred, value) },
    // SAFETY: converts the error napi-rs carries into a live value of this env.
    Err(error) => match unsafe { ToNapiValue::to_napi_value(env.raw(), error) } {
      // SAFETY: as above.
      Ok(reason) => unsafe { sys::napi_reject_deferred(env.raw(), deferred, reason) },
      Err(_) => sys::Status::napi_pending_exception,
    },
  };
  // Making the value threw in user code (a setter on `Error.prototype`, say): with that
  // exception pending the promise cannot settle, so it rejects with the exception instead.
  if status == sys::Status::napi_pending_exception {
    let mut thrown = ptr::null_mut();
    // SAFETY: as above; taking the exception lets the rejection run.
    unsafe { sys::napi_get_and_clear_last_exception(env.raw(), &mut thrown) };
    // SAFETY: as above; not settled: Node-API refuses with `napi_pending_exception` before it
    // touches (and frees) the deferred.
    unsafe { sys::napi_reject_deferred(env.raw(), deferred, thrown) };
  }
  THIS_THREAD.with_borrow_mut(|this_thread| {
    if let Some(this_thread) = this_thread.as_mut() {
      this_thread.pending -= 1;
      if this_thread.pending == 0 {
        this_thread.queue.keep_loop_alive(&env, false);
      }
    }
  });
}
