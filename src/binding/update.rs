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
use super::read::{js_string, throw_syntax_error};
use super::settle::{self, to_value};
use super::sink::JsonSink;
use super::write::{lease_ids, write_promise};
use crate::pool;
use crate::queue::{self, Lease};

/// Lock `target`'s path for a read-modify-write and read it: resolves with a lease once this
/// process and every other one have let go of the file. `enclosing` as for `writeJson`.
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
  let (pending, promise) = settle::promise(env)?;
  queue::lease(
    target.absolute().to_path_buf(),
    options.into_core(final_newline),
    lease_ids(&enclosing),
    Box::new(move |held| {
      pending.settle(Box::new(move |env| match held {
        Ok(lease) => to_value(
          env,
          UpdateLease {
            lease: Some(lease),
            target,
          },
        ),
        Err(err) => Err(js_error::to_js(env, &err, &target)),
      }))
    }),
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

  /// The file's text as one string; `null` if the file did not exist.
  #[napi(ts_return_type = "string | null")]
  pub fn text<'env>(&self, env: &'env Env) -> Result<Option<Unknown<'env>>> {
    match self.lease.as_ref().and_then(|lease| lease.content.as_ref()) {
      Some(text) => js_string(env, text).map(Some),
      None => Ok(None),
    }
  }

  /// After `JSON.parse` threw: throws `EJSONPARSE` saying where the text stops being JSON.
  #[napi(js_name = "throwSyntaxError")]
  pub fn throw_syntax_error(&self, env: &Env) -> Result<()> {
    match self.lease.as_ref() {
      Some(Lease {
        content: Some(text),
        target: resolved,
        ..
      }) => throw_syntax_error(env, text, &resolved.path, &self.target),
      _ => Ok(()),
    }
  }

  /// Write the JSON text pushed into `sink` under the held locks, then release them. The
  /// promise settles when the write is done.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn commit<'env>(&mut self, env: &'env Env, sink: &mut JsonSink) -> Result<Unknown<'env>> {
    let (_, body) = sink.take(env)?;
    let Some(lease) = self.lease.take() else {
      let message = "This lease was already committed or released";
      return Err(js_error::coded(env, "ERR_INVALID_STATE", message));
    };
    let (settle, promise) = write_promise(env, self.target.clone())?;
    lease.commit(body, settle);
    Ok(promise)
  }

  /// Release the locks without writing (also done when the lease is garbage-collected). The
  /// promise settles once they are released.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn release<'env>(&mut self, env: &'env Env) -> Result<Unknown<'env>> {
    let (settle, promise) = write_promise(env, self.target.clone())?;
    let lease = self.lease.take();
    pool::spawn(move || match lease {
      Some(lease) => lease.release(settle),
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
