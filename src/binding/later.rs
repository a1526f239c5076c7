//! Work for the JavaScript thread in a later turn of the event loop, without a JavaScript timer:
//! a Node-API threadsafe function (a libuv async handle, which fake timers do not touch). From
//! [`Later::new`] to [`Later::release`] it keeps the event loop alive, so pending work is never
//! lost to an exiting process; create one per piece of pending work, not one per process.
//!
//! Safe by construction: [`Later::run`] may be called from any thread at any time — before or
//! after `release`, after the environment was torn down (a worker thread terminated, the
//! process exiting) — and then simply drops the job. The raw threadsafe function lives in one
//! place, a mutex shared by every clone: `release` takes it out, and so does its finalize
//! callback, which Node calls once the function is gone for good (after the release, or when
//! the environment tears down) and before it frees it. `run` calls it only under that mutex
//! and only while it is there, so it can never reach freed memory.
//!
//! Jobs run in the order their `run` calls took that mutex, from whatever threads: the
//! threadsafe function's queue is first in, first out.

use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex};

use crate::poison::lock;
use napi::{sys, Env, JsValue, Result};

/// A job for the JavaScript thread. It may also be dropped unrun, on any thread (see
/// [`Later::run`]), so dropping it must not touch JavaScript.
type Job = Box<dyn FnOnce(Env) + Send>;

/// Run once on the JavaScript thread when the function is gone: jobs not run by then never run.
type OnEnd = Box<dyn FnOnce() + Send>;

/// A queue of jobs run on the JavaScript thread, one per later turn. Cloning shares it: a job
/// may carry a clone to schedule the next. [`Later::release`] ends it.
#[derive(Clone)]
pub(crate) struct Later(Arc<Shared>);

struct Shared {
  /// The threadsafe function while it may be called; `None` once released or finalized.
  function: Mutex<Option<Function>>,
  on_end: Mutex<Option<OnEnd>>,
}

struct Function(sys::napi_threadsafe_function);

// SAFETY: a threadsafe function is made to be called from any thread; the pointer is only
// used under `Shared::function`'s mutex, and only while Node has not finalized it.
unsafe impl Send for Function {}

impl Later {
  /// A queue of jobs for the JavaScript thread of `env`. `on_end` runs on that thread once the
  /// queue is gone: after [`Later::release`], or when the environment tears down while jobs
  /// may still be wanted (then it is the place to let go of what they would have finished).
  pub(crate) fn new(env: &Env, on_end: impl FnOnce() + Send + 'static) -> Result<Later> {
    let name = env.create_string("safe-write-json")?.raw();
    let shared = Arc::new(Shared {
      function: Mutex::new(None),
      on_end: Mutex::new(Some(Box::new(on_end))),
    });
    let finalize_data = Arc::into_raw(shared.clone()).cast_mut().cast::<c_void>();
    let mut function = ptr::null_mut();
    // SAFETY: no JavaScript function (the call_js callback does the work), one thread count
    // (given back by `release`); `finalize_data` is a strong count of `shared`, reclaimed by
    // `finalize`, which Node calls exactly once if the function was created.
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
        Some(run_job),
        &mut function,
      )
    };
    if status != sys::Status::napi_ok {
      // SAFETY: not created, so `finalize` will never run: the count is still ours.
      drop(unsafe { Arc::from_raw(finalize_data.cast::<Shared>()) });
      return Err(napi::Error::from_reason(
        "could not create a threadsafe function",
      ));
    }
    *lock(&shared.function) = Some(Function(function));
    Ok(Later(shared))
  }

  /// Run `job` on the JavaScript thread in a later turn; if the queue was released or its
  /// environment is gone, drop it (on this thread) instead.
  pub(crate) fn run(&self, job: Job) {
    let function = lock(&self.0.function);
    let Some(Function(raw)) = function.as_ref() else {
      return;
    };
    let data = Box::into_raw(Box::new(job)).cast::<c_void>();
    // SAFETY: `raw` is alive: it is still in the mutex, which `finalize` empties before Node
    // frees it, and we hold that mutex. `data` is reclaimed by `run_job` (which Node-API calls,
    // with a null env at teardown, for every item queued).
    let status = unsafe {
      sys::napi_call_threadsafe_function(*raw, data, sys::ThreadsafeFunctionCallMode::nonblocking)
    };
    drop(function);
    if status != sys::Status::napi_ok {
      // Closing (the environment is tearing down): the job will not run; reclaim it.
      // SAFETY: not queued, so still ours.
      drop(unsafe { Box::from_raw(data.cast::<Job>()) });
    }
  }

  /// No more jobs: let the function go (the event loop may exit once it is gone). Jobs already
  /// queued still run; later calls of [`Later::run`] drop theirs. A second call does nothing.
  pub(crate) fn release(&self) {
    if let Some(Function(raw)) = lock(&self.0.function).take() {
      // SAFETY: it was still in the mutex, so alive, and taking it out makes this the one
      // release of our one thread count.
      unsafe {
        sys::napi_release_threadsafe_function(raw, sys::ThreadsafeFunctionReleaseMode::release)
      };
    }
  }
}

/// Node is about to free the function (released, or its environment is going away).
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  // SAFETY: `data` is the strong count `Later::new` gave up for this one call.
  let shared = unsafe { Arc::from_raw(data.cast::<Shared>()) };
  lock(&shared.function).take();
  let on_end = lock(&shared.on_end).take();
  if let Some(on_end) = on_end {
    on_end();
  }
}

unsafe extern "C" fn run_job(
  env: sys::napi_env,
  _js_callback: sys::napi_value,
  _context: *mut c_void,
  data: *mut c_void,
) {
  // SAFETY: `data` came from `Box::into_raw` in `run`, and each item is delivered once.
  let job = unsafe { Box::from_raw(data.cast::<Job>()) };
  if env.is_null() {
    return; // the environment is going away: nothing can run, the job is dropped
  }
  job(Env::from_raw(env));
}
