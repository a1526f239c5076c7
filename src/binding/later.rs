//! Work for the JavaScript thread in a later turn of the event loop, without a JavaScript timer:
//! a Node-API threadsafe function (a libuv async handle, which fake timers do not touch). While
//! it exists it keeps the event loop alive, so the work is never lost to an exiting process.

use std::ffi::c_void;
use std::ptr;

use napi::{sys, Env, Result};

use super::js::Js;

/// A job for the JavaScript thread.
type Job = Box<dyn FnOnce(Env) + Send>;

/// A queue of jobs run on the JavaScript thread, one per later turn. Copyable: a job may carry
/// it to schedule the next. [`Later::release`] ends it, once.
#[derive(Clone, Copy)]
pub(crate) struct Later(sys::napi_threadsafe_function);

// SAFETY: a threadsafe function is made to be called from any thread, concurrently; that is
// its purpose.
unsafe impl Send for Later {}
// SAFETY: as above.
unsafe impl Sync for Later {}

impl Later {
  pub(crate) fn new(env: &Env) -> Result<Later> {
    let name = Js::new(env, None)?.string("safe-write-json")?;
    let mut function = ptr::null_mut();
    // SAFETY: no JavaScript function (the call_js callback does the work), one thread using it
    // (released by `release`), no finalizer data.
    let status = unsafe {
      sys::napi_create_threadsafe_function(
        env.raw(),
        ptr::null_mut(),
        ptr::null_mut(),
        name,
        0,
        1,
        ptr::null_mut(),
        None,
        ptr::null_mut(),
        Some(run_job),
        &mut function,
      )
    };
    if status != sys::Status::napi_ok {
      return Err(napi::Error::from_reason(
        "could not create a threadsafe function",
      ));
    }
    Ok(Later(function))
  }

  /// Run `job` on the JavaScript thread in a later turn.
  pub(crate) fn run(self, job: Job) {
    let data = Box::into_raw(Box::new(job)).cast::<c_void>();
    // SAFETY: the function is alive until `release`; `data` is reclaimed by `run_job` (which
    // Node-API calls, with a null env at teardown, for every item queued).
    let status = unsafe {
      sys::napi_call_threadsafe_function(self.0, data, sys::ThreadsafeFunctionCallMode::nonblocking)
    };
    if status != sys::Status::napi_ok {
      // Closing or tearing down: the job will not run; reclaim it.
      // SAFETY: not queued, so still ours.
      drop(unsafe { Box::from_raw(data.cast::<Job>()) });
    }
  }

  /// No more jobs: let the function go (the event loop may exit once it is gone).
  pub(crate) fn release(self) {
    // SAFETY: called once, by the last job.
    unsafe {
      sys::napi_release_threadsafe_function(self.0, sys::ThreadsafeFunctionReleaseMode::release)
    };
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
