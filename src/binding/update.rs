//! The native half of `updateJson`: a lease on a file — locked in this process and across
//! processes, its content read — that `index.js` holds while the caller's (possibly async)
//! updater runs, then commits or releases. The orchestration is JavaScript because the updater
//! is; everything that touches the disk or the lock is here and in the core's `queue::lease`.

use napi::bindgen_prelude::Unknown;
use napi::{Env, Result};
use napi_derive::napi;

use super::js_error;
use super::options::WriteOptions;
use super::path::TargetPath;
use super::read::JsonFile;
use super::settle;
use super::sink::JsonSink;
use super::write::lease_ids;
use crate::pool;
use crate::queue::{self, Lease};

/// Lock `target`'s path for a read-modify-write and read it: resolves with a lease once this
/// process and every other one have let go of the file. `enclosing` as for `write`.
#[napi(
  js_name = "lockForUpdate",
  ts_args_type = "target: TargetPath, options: WriteOptions, finalNewline: boolean, enclosing: number[]",
  ts_return_type = "Promise<UpdateLease>"
)]
pub(crate) fn lock_for_update(
  env: &Env,
  target: TargetPath,
  options: WriteOptions,
  final_newline: bool,
  enclosing: Vec<f64>,
) -> Result<Unknown<'_>> {
  let (settle, promise) = settle::for_target(env, target.clone())?;
  let path = target.absolute().to_path_buf();
  let lease = move |lease| UpdateLease {
    lease: Some(lease),
    target,
  };
  queue::lease(
    path,
    options.into_core(final_newline, None),
    lease_ids(&enclosing),
    Box::new(move |held| settle(held.map(lease))),
  );
  Ok(promise)
}

/// A file locked for `updateJson`: read it, then commit new data or release it.
#[napi]
pub struct UpdateLease {
  lease: Option<Lease>,
  target: TargetPath,
}

#[napi]
impl UpdateLease {
  /// This lease's id, for the calls its updater makes (their `enclosing`).
  #[napi(getter)]
  pub fn id(&self) -> f64 {
    self.lease.as_ref().map_or(0.0, |lease| lease.id() as f64)
  }

  /// The file as it was when locked, read and decoded (once); `null` if it did not exist.
  #[napi]
  pub fn file(&mut self) -> Option<JsonFile> {
    let lease = self.lease.as_mut()?;
    let text = lease.content.take()?;
    let (path, target) = (lease.target.path.clone(), self.target.clone());
    Some(JsonFile::new(text, path, target))
  }

  /// Write the JSON text pushed into `sink` to the leased file (whatever the sink's own target)
  /// under the held locks, then release them. The promise settles when the write is done.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn commit<'env>(&mut self, env: &'env Env, sink: &mut JsonSink) -> Result<Unknown<'env>> {
    let (_, body) = sink.take(env)?;
    let Some(lease) = self.lease.take() else {
      let message = "This lease was already committed or released";
      return Err(js_error::coded(env, "ERR_INVALID_STATE", message));
    };
    let (settle, promise) = settle::for_target(env, self.target.clone())?;
    lease.commit(body, Box::new(settle));
    Ok(promise)
  }

  /// Release the locks without writing (also done when the lease is garbage-collected). The
  /// promise settles once they are released.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn release<'env>(&mut self, env: &'env Env) -> Result<Unknown<'env>> {
    let (settle, promise) = settle::for_target(env, self.target.clone())?;
    let lease = self.lease.take();
    pool::spawn(move || match lease {
      Some(lease) => lease.release(Box::new(settle)),
      None => settle(Ok(())),
    });
    Ok(promise)
  }
}

impl Drop for UpdateLease {
  /// Garbage-collected unreleased: let the lease go on a worker thread (closing and unlinking
  /// the lock sidecar is file-system work, which never runs on the JavaScript thread).
  fn drop(&mut self) {
    if let Some(lease) = self.lease.take() {
      pool::spawn(move || drop(lease));
    }
  }
}
