//! `safeWriteJson`, `safeWriteFile` and their Sync twins. Each checks its arguments, turns the
//! data into bytes on the main thread, and hands one `Request` to the core: the async ones to
//! the worker pool, the Sync ones to `write_now` on this thread. Same core, same bytes.
//!
//! Each takes a last argument the TypeScript signature does not show: the caller's
//! `globalThis`, passed by `index.js` (see `Js::new`).

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use super::copier;
use super::js::{rejection, Js, Value};
use super::js_error;
use super::options::{json_options, write_options};
use super::path::{caller_path, CallerPath};
use super::serialize::{file_bytes, json_text, Copy};
use super::settle;
use super::update::enclosing_leases;
use crate::queue::{self, Request, Settle};

/// Write `data` as JSON to `path`, atomically and durably, without blocking the event loop.
///
/// The file ends up holding exactly `JSON.stringify(data, replacer, indent)` in UTF-8 (`null`
/// where that is `undefined`). The data is read during the call: later changes to it do not
/// affect what is written. The promise resolves once the new content is in place (and, with
/// the default `durability: 'full'`, on disk).
///
/// The third argument may be the indent, as with the old `safeWriteJson(filePath, data, indent)`.
///
/// @throws never synchronously; the promise rejects with: a `TypeError`/`RangeError` coded
/// `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` or `ERR_OUT_OF_RANGE` for a bad argument; the
/// very error `JSON.stringify` throws (circular structure, BigInt, a throwing `toJSON`); an
/// `Error` with `code` (`EACCES`, `ENOSPC`, `EISDIR`, `ENOTDIR`, `EVERIFY`, …), `errno`,
/// `syscall` and `path` when the file system fails. On every failure the target is untouched.
///
/// @example
/// ```ts
/// import { safeWriteJson } from 'safe-write-json'
/// await safeWriteJson('settings.json', { theme: 'dark' }, 2)
/// ```
#[napi(
  ts_args_type = "path: string | URL, data: unknown, options?: number | string | WriteJsonOptions | null",
  ts_return_type = "Promise<void>"
)]
pub(crate) fn safe_write_json<'env>(
  env: &'env Env,
  path: Unknown,
  data: Unknown,
  options: Unknown,
  realm: Unknown,
) -> Result<Unknown<'env>> {
  let js = Js::new(env, Some(realm.raw()))?;
  settle_later(
    js,
    env,
    json_request(js, env, path.raw(), data.raw(), options.raw(), Copy::Later),
  )
}

/// The synchronous twin of `safeWriteJson`: same checks, same bytes, same guarantees, but it
/// blocks until the file is written. It waits for an async write of the same file that is
/// already on the disk and supersedes queued ones (they settle with this call's outcome). With
/// an `updateJson` of the file running or queued in this process it throws `ELOCKED` at once:
/// the update needs this very thread.
///
/// @throws the errors `safeWriteJson` rejects with.
///
/// @example
/// ```ts
/// import { safeWriteJsonSync } from 'safe-write-json'
/// // where nothing can be awaited, e.g. a process 'exit' handler
/// process.on('exit', () => safeWriteJsonSync('state.json', state, 2))
/// ```
#[napi(
  ts_args_type = "path: string | URL, data: unknown, options?: number | string | WriteJsonOptions | null"
)]
pub(crate) fn safe_write_json_sync(
  env: &Env,
  path: Unknown,
  data: Unknown,
  options: Unknown,
  realm: Unknown,
) -> Result<()> {
  let js = Js::new(env, Some(realm.raw()))?;
  let (request, caller) = json_request(js, env, path.raw(), data.raw(), options.raw(), Copy::Now)?;
  write_now(env, request, &caller)
}

/// Write a string (as UTF-8) or a `Uint8Array` to `path`, with the same guarantees as
/// `safeWriteJson`. The data is copied during the call.
///
/// @throws never synchronously; rejects as `safeWriteJson` does.
///
/// @example
/// ```ts
/// import { safeWriteFile } from 'safe-write-json'
/// await safeWriteFile('notes.md', '# Notes', { mode: 0o600 })
/// ```
#[napi(
  ts_args_type = "path: string | URL, data: string | Uint8Array, options?: WriteOptions | null",
  ts_return_type = "Promise<void>"
)]
pub(crate) fn safe_write_file<'env>(
  env: &'env Env,
  path: Unknown,
  data: Unknown,
  options: Unknown,
  realm: Unknown,
) -> Result<Unknown<'env>> {
  let js = Js::new(env, Some(realm.raw()))?;
  settle_later(
    js,
    env,
    file_request(js, path.raw(), data.raw(), options.raw()),
  )
}

/// The synchronous twin of `safeWriteFile`.
///
/// @throws the errors `safeWriteFile` rejects with.
///
/// @example
/// ```ts
/// import { safeWriteFileSync } from 'safe-write-json'
/// safeWriteFileSync('cache.bin', Buffer.from([1, 2, 3]), { durability: 'none' })
/// ```
#[napi(
  ts_args_type = "path: string | URL, data: string | Uint8Array, options?: WriteOptions | null"
)]
pub(crate) fn safe_write_file_sync(
  env: &Env,
  path: Unknown,
  data: Unknown,
  options: Unknown,
  realm: Unknown,
) -> Result<()> {
  let js = Js::new(env, Some(realm.raw()))?;
  let (request, caller) = file_request(js, path.raw(), data.raw(), options.raw())?;
  write_now(env, request, &caller)
}

fn json_request(
  js: Js,
  env: &Env,
  path: Value,
  data: Value,
  options: Value,
  copy: Copy,
) -> Result<(Request, CallerPath)> {
  let caller = caller_path(js, path)?;
  let options = json_options(js, options)?;
  let text = json_text(js, env, data, &options, &caller, copy)?;
  Ok((
    Request {
      path: caller.absolute.clone(),
      text,
      options: options.write,
    },
    caller,
  ))
}

/// A Sync write, on this thread. Any async write still waiting for its text to be copied out
/// of JavaScript needs this thread to do that; finish those copies first, or a write of the
/// same file that this one waits for could never end.
fn write_now(env: &Env, request: Request, caller: &CallerPath) -> Result<()> {
  copier::finish_all(env);
  queue::write_now(request).map_err(|err| js_error::to_js(env, &err, caller))
}

fn file_request(js: Js, path: Value, data: Value, options: Value) -> Result<(Request, CallerPath)> {
  let caller = caller_path(js, path)?;
  let options = write_options(js, options)?;
  let text = file_bytes(js, data)?;
  Ok((
    Request {
      path: caller.absolute.clone(),
      text,
      options,
    },
    caller,
  ))
}

/// A promise for a checked request, settled from the worker; or one already rejected with the
/// error of the checks.
fn settle_later<'env>(
  js: Js,
  env: &'env Env,
  checked: Result<(Request, CallerPath)>,
) -> Result<Unknown<'env>> {
  let (request, caller) = match checked {
    Ok(checked) => checked,
    Err(err) => return rejection(env, js, err),
  };
  let enclosing = enclosing_leases(js)?;
  let (settle, promise) = write_promise(env, caller)?;
  queue::submit(request, enclosing, settle);
  Ok(promise)
}

/// A promise for a write to `caller`'s path, and the callback the core settles it with: it
/// resolves, or rejects with the error naming the path as the caller wrote it. Promises settle
/// in the order the core settles them (see [`settle`]).
pub(crate) fn write_promise(env: &Env, caller: CallerPath) -> Result<(Settle, Unknown<'_>)> {
  let (pending, promise) = settle::promise(env)?;
  let settle: Settle = Box::new(move |outcome| {
    pending.settle(Box::new(move |env| match outcome {
      Ok(()) => Js::new(env, None)?.undefined(),
      Err(err) => Err(js_error::to_js(env, &err, &caller)),
    }))
  });
  Ok((settle, promise))
}
