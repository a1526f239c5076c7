//! The native half of `updateJson`: a lease on a file — locked in this process and across
//! processes, its content read — that `index.js` holds while the caller's (possibly async)
//! updater runs, then commits or releases. The orchestration is JavaScript because the updater
//! is; everything that touches the disk or the lock is here and in the core's `queue::lease`.

use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use super::invalid_arg;
use super::js::{rejection, Js, Type};
use super::js_error;
use super::options::update_options;
use super::path::{caller_path, CallerPath};
use super::read::{parse_text, Failure};
use super::serialize::{json_text, Copy};
use super::settle;
use super::write::write_promise;
use crate::pool;
use crate::queue::{self, Lease};

/// Lock `path` for a read-modify-write and read it: resolves with a lease once this process and
/// every other one have let go of the file. Used by `updateJson` in `index.js`; not public API.
#[napi(
  js_name = "lockForUpdate",
  ts_args_type = "path: string | URL, updater: unknown, options: unknown, caller: object",
  ts_return_type = "Promise<UpdateLease>"
)]
pub(crate) fn lock_for_update<'env>(
  env: &'env Env,
  path: Unknown,
  updater: Unknown,
  options: Unknown,
  realm: Unknown,
) -> Result<Unknown<'env>> {
  let js = Js::new(env, Some(realm.raw()))?;
  let checked = (|| {
    let caller = caller_path(js, path.raw())?;
    if js.type_of(updater.raw())? != Type::Function {
      return Err(invalid_arg::wrong_type(
        js,
        "updater",
        "of type function",
        updater.raw(),
      ));
    }
    Ok((caller, update_options(js, options.raw())?))
  })();
  let (caller, options) = match checked {
    Ok(checked) => checked,
    Err(err) => return rejection(env, js, err),
  };
  let absolute = caller.absolute.clone();
  let enclosing = enclosing_leases(js)?;
  // Last: from here on nothing fails before the lease is queued to settle it.
  let (pending, promise) = settle::promise(env)?;
  queue::lease(
    absolute,
    options.write,
    enclosing,
    Box::new(move |held| {
      pending.settle(Box::new(move |env| match held {
        // SAFETY: a new instance of this class, made in `env` on its own thread.
        Ok(lease) => unsafe {
          ToNapiValue::to_napi_value(
            env.raw(),
            UpdateLease {
              lease: Some(lease),
              caller,
            },
          )
        },
        Err(err) => Err(js_error::to_js(env, &err, &caller)),
      }))
    }),
  );
  Ok(promise)
}

/// A file locked for `updateJson`: read it, then commit new data or release it.
#[napi]
pub struct UpdateLease {
  lease: Option<Lease>,
  caller: CallerPath,
}

#[napi]
impl UpdateLease {
  /// This lease's id, for the calls its updater makes (see `enclosing_leases`).
  #[napi(getter)]
  pub fn id(&self) -> f64 {
    self.lease.as_ref().map_or(0.0, |lease| lease.id() as f64)
  }

  /// Whether the file existed when it was locked.
  #[napi(getter)]
  pub fn exists(&self) -> bool {
    self
      .lease
      .as_ref()
      .is_some_and(|lease| lease.content.is_some())
  }

  /// The content parsed with the caller's `JSON.parse` (`undefined` if the file did not exist);
  /// throws EJSONPARSE if it does not parse.
  #[napi(ts_args_type = "caller: object", ts_return_type = "unknown")]
  pub fn read<'env>(&self, env: &'env Env, realm: Unknown) -> Result<Unknown<'env>> {
    let js = Js::new(env, Some(realm.raw()))?;
    let parsed = match self
      .lease
      .as_ref()
      .and_then(|lease| lease.content.as_ref().map(|text| (lease, text)))
    {
      Some((lease, text)) => match parse_text(js, js.undefined()?, &lease.target.path, text) {
        Ok(value) => value,
        Err(Failure::File(err)) => return Err(js_error::to_js(env, &err, &self.caller)),
        Err(Failure::Thrown(thrown)) => return Err(thrown),
      },
      None => js.undefined()?,
    };
    // SAFETY: a live handle of this env.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), parsed) })
  }

  /// Write `data` as `safeWriteJson` would (same `options`), under the held locks, then release
  /// them. The promise settles when the write is done.
  #[napi(
    ts_args_type = "data: unknown, options: unknown, caller: object",
    ts_return_type = "Promise<void>"
  )]
  pub fn commit<'env>(
    &mut self,
    env: &'env Env,
    data: Unknown,
    options: Unknown,
    realm: Unknown,
  ) -> Result<Unknown<'env>> {
    let js = Js::new(env, Some(realm.raw()))?;
    let prepared = (|| {
      let options = update_options(js, options.raw())?;
      json_text(js, env, data.raw(), &options, &self.caller, Copy::Now)
    })();
    // On a bad value the lease stays held: `index.js` releases it, off this thread.
    let text = match prepared {
      Ok(text) => text,
      Err(err) => return rejection(env, js, err),
    };
    let Some(lease) = self.lease.take() else {
      let err = invalid_arg::type_error(
        js,
        "ERR_INVALID_STATE",
        "This lease was already committed or released",
      );
      return rejection(env, js, err);
    };
    let (settle, promise) = write_promise(env, self.caller.clone())?;
    lease.commit(text, settle);
    Ok(promise)
  }

  /// Release the locks without writing (also done when the lease is garbage-collected). The
  /// promise settles once they are released.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn release<'env>(&mut self, env: &'env Env) -> Result<Unknown<'env>> {
    let (settle, promise) = write_promise(env, self.caller.clone())?;
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

/// The leases whose updaters this call runs inside, innermost last: `index.js` passes them as
/// `leases` (an array of ids) on the caller object while an updater runs. A call from inside an
/// updater to the file that very update holds must fail, not wait for itself.
pub(crate) fn enclosing_leases(js: Js) -> Result<Vec<u64>> {
  let caller = js.caller()?;
  // An own property only: nothing on `Object.prototype` can make a call look nested.
  let Some(leases) = js.own(caller, "leases")? else {
    return Ok(Vec::new());
  };
  if !js.is_array(leases)? {
    return Ok(Vec::new());
  }
  (0..js.array_length(leases)?)
    .map(|index| Ok(js.to_f64(js.element(leases, index)?)? as u64))
    .collect()
}
