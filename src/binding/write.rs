//! The writes behind `safeWriteJson`, `safeWriteFile` and their Sync twins (`index.js` checks
//! the arguments and serializes): each copies its text out of JavaScript and hands one
//! `Request` to the core: the async ones to the worker pool, the Sync ones to `write_now` on
//! this thread. Same core, same bytes.

use napi::bindgen_prelude::{Either, Uint8ArraySlice, Unknown};
use napi::{Env, JsString, Result};
use napi_derive::napi;

use super::feed;
use super::js_error;
use super::options::{Owner, WriteOptions};
use super::path::TargetPath;
use super::pieces;
use super::settle;
use super::sink::JsonSink;
use crate::options::WriteOptions as CoreWriteOptions;
use crate::queue::{self, Request};
use crate::text::Text;
use crate::write::Body;

/// The `data` of `safeWriteFile`: a string (written as UTF-8) or a `Uint8Array` (written as is).
type FileData<'a> = Either<JsString<'a>, Uint8ArraySlice<'a>>;

/// Write the JSON text pushed into `sink` to its target, from the worker pool; `enclosing`:
/// the ids of the `updateJson` leases whose updaters this call runs inside, innermost last.
#[napi(
  js_name = "writeJson",
  ts_args_type = "sink: JsonSink, options: WriteOptions, finalNewline: boolean, enclosing: number[]",
  ts_return_type = "Promise<void>"
)]
pub(crate) fn write_json<'env>(
  env: &'env Env,
  sink: &mut JsonSink,
  options: WriteOptions,
  final_newline: bool,
  enclosing: Vec<f64>,
) -> Result<Unknown<'env>> {
  let (target, body) = sink.take(env)?;
  let request = Request {
    path: target.absolute().to_path_buf(),
    body,
    options: options.into_core(final_newline),
  };
  submit(env, target, request, &enclosing)
}

/// `writeJson` on this thread: returns once written.
#[napi(
  js_name = "writeJsonSync",
  ts_args_type = "sink: JsonSink, options: WriteOptions, finalNewline: boolean"
)]
pub(crate) fn write_json_sync(
  env: &Env,
  sink: &mut JsonSink,
  options: WriteOptions,
  final_newline: bool,
) -> Result<()> {
  let (target, body) = sink.take(env)?;
  write_now(env, target, body, options.into_core(final_newline))
}

/// Write a string (as UTF-8) or a `Uint8Array` to `target`'s path, from the worker pool;
/// `owner`: `safeWriteFile`'s `chown` (an option of that writer only, so it crosses as its own
/// argument), or `null` for the default.
#[napi(
  js_name = "writeFile",
  ts_args_type = "target: TargetPath, data: string | Uint8Array, options: WriteOptions, owner: Owner | null, enclosing: number[]",
  ts_return_type = "Promise<void>"
)]
pub(crate) fn write_file<'env>(
  env: &'env Env,
  target: TargetPath,
  data: FileData,
  options: WriteOptions,
  owner: Option<Owner>,
  enclosing: Vec<f64>,
) -> Result<Unknown<'env>> {
  let request = Request {
    path: target.absolute().to_path_buf(),
    body: file_bytes(data)?,
    options: file_options(options, owner),
  };
  submit(env, target, request, &enclosing)
}

/// `writeFile` on this thread: returns once written.
#[napi(
  js_name = "writeFileSync",
  ts_args_type = "target: TargetPath, data: string | Uint8Array, options: WriteOptions, owner: Owner | null"
)]
pub(crate) fn write_file_sync(
  env: &Env,
  target: TargetPath,
  data: FileData,
  options: WriteOptions,
  owner: Option<Owner>,
) -> Result<()> {
  let body = file_bytes(data)?;
  write_now(env, target, body, file_options(options, owner))
}

/// The core's options of a `safeWriteFile`: its write options and the owner it asks for.
fn file_options(options: WriteOptions, owner: Option<Owner>) -> CoreWriteOptions {
  CoreWriteOptions {
    owner: owner.map(Into::into),
    ..options.into_core(false)
  }
}

/// The data of `safeWriteFile`, copied now so later changes to it do not matter.
fn file_bytes(data: FileData) -> Result<Body> {
  Ok(Body::Text(match data {
    Either::A(string) => Text::Utf16(pieces::to_utf16(string)?),
    Either::B(bytes) => Text::Bytes(bytes.to_vec()),
  }))
}

/// Queue the write; return the promise it settles.
fn submit<'env>(
  env: &'env Env,
  target: TargetPath,
  request: Request,
  enclosing: &[f64],
) -> Result<Unknown<'env>> {
  let (settle, promise) = settle::for_target(env, target)?;
  queue::submit_behind(
    super::gate::current(),
    request,
    lease_ids(enclosing),
    Box::new(settle),
  );
  Ok(promise)
}

/// A Sync write, on this thread. Any async write still waiting for its text to be copied out
/// of JavaScript needs this thread to do that; finish those copies first, or a write of the
/// same file that this one waits for could never end.
fn write_now(env: &Env, target: TargetPath, body: Body, options: CoreWriteOptions) -> Result<()> {
  feed::finish_feeds(env)?;
  let request = Request {
    path: target.absolute().to_path_buf(),
    body,
    options,
  };
  queue::write_now(request).map_err(|err| js_error::to_js(env, &err, &target))
}

/// Lease ids as they cross from JavaScript (numbers).
pub(crate) fn lease_ids(enclosing: &[f64]) -> Vec<u64> {
  enclosing.iter().map(|&id| id as u64).collect()
}
