//! The one write behind `safeWriteJson`, `safeWriteFile` and their Sync twins (`index.js`
//! checks the arguments and serializes): it copies its text out of JavaScript and hands one
//! `Request` to the core: an async write to the worker pool, a Sync one to `write_now` on this
//! thread. Same core, same bytes.

use napi::bindgen_prelude::{ClassInstance, Either, Either3, Null, Uint8ArraySlice, Unknown};
use napi::{Env, JsString, Result};
use napi_derive::napi;

use super::feed;
use super::js_error;
use super::options::{Owner, WriteOptions};
use super::path::TargetPath;
use super::pieces;
use super::settle;
use super::sink::JsonSink;
use crate::queue::{self, Request};
use crate::text::Text;
use crate::write::Body;

/// What is written: the JSON text pushed into a sink, a string (as UTF-8) or a `Uint8Array`
/// (as is).
type Data<'a> = Either3<ClassInstance<'a, JsonSink>, JsString<'a>, Uint8ArraySlice<'a>>;

/// Write `data` to `target`'s path (a sink's own target, which its text may already be streaming
/// beside, wins). `finalNewline` (the JSON writers' option) and `owner` (`safeWriteFile`'s
/// `chown`, `null` for the default) cross as their own arguments: options of one kind of writer
/// only. `enclosing`: the ids of the `updateJson` leases whose updaters this call runs inside,
/// innermost last; `null` for a Sync write, made on this thread (returns `null` once written).
/// An async write is queued on the worker pool and returns its promise.
#[napi(
  ts_args_type = "target: TargetPath, data: JsonSink | string | Uint8Array, options: WriteOptions, finalNewline: boolean, owner: Owner | null, enclosing: number[] | null",
  ts_return_type = "Promise<void> | null"
)]
pub(crate) fn write<'env>(
  env: &'env Env,
  target: TargetPath,
  data: Data,
  options: WriteOptions,
  final_newline: bool,
  owner: Option<Owner>,
  enclosing: Either<Vec<f64>, Null>,
) -> Result<Option<Unknown<'env>>> {
  let (target, body) = match data {
    Either3::A(mut sink) => sink.take(env)?,
    Either3::B(string) => (target, Body::Text(Text::Utf16(pieces::to_utf16(string)?))),
    Either3::C(bytes) => (target, Body::Text(Text::Bytes(bytes.to_vec()))),
  };
  let request = Request {
    path: target.absolute().to_path_buf(),
    body,
    options: options.into_core(final_newline, owner),
  };
  let Either::A(enclosing) = enclosing else {
    // A Sync write. Any async write still waiting for its text to be copied out of JavaScript
    // needs this thread to do that; finish those copies first, or a write of the same file that
    // this one waits for could never end.
    feed::finish_feeds(env)?;
    let written = queue::write_now(request);
    return written
      .map(|()| None)
      .map_err(|err| js_error::to_js(env, &err, &target));
  };
  let (settle, promise) = settle::for_target(env, target)?;
  queue::submit(request, lease_ids(&enclosing), Box::new(settle));
  Ok(Some(promise))
}

/// Lease ids as they cross from JavaScript (numbers).
pub(crate) fn lease_ids(enclosing: &[f64]) -> Vec<u64> {
  enclosing.iter().map(|&id| id as u64).collect()
}
