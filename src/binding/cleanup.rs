//! `cleanupTempFiles`: the scan and the removals run on the worker pool; the main thread only
//! checks the arguments and makes the array of paths.

use std::path::{Path, PathBuf};

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use super::js::{rejection, Js, Made};
use super::js_error;
use super::options::cleanup_options;
use super::path::caller_path;
use crate::cleanup::{self, Orphan};
use crate::pool;

/// Remove what writes of this package left in `dir` when their process died, and resolve with
/// their paths (`dir` joined with each name), sorted: temp files (names of exactly the shape
/// `.<basename>.<8 letters or digits>.tmp`, regular files, last modified at least
/// `olderThanMs` ago) and lock sidecars (`.<basename>.lock`, empty, as old, whose lock nobody
/// holds). Files of any other name, younger temp files, temp files a live writer holds (in any
/// process: writers lock their temp files for their whole life) and held sidecars are never
/// touched. Subdirectories are not searched.
///
/// @throws never synchronously; the promise rejects with a `TypeError`/`RangeError` coded
/// `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` or `ERR_OUT_OF_RANGE` for a bad argument,
/// and with an `Error` with `code` (`ENOENT`, `ENOTDIR`, `EACCES`, …), `errno`, `syscall`
/// (`scandir`, `unlink`) and `path` when the directory cannot be read or a file removed.
///
/// @example
/// ```ts
/// import { cleanupTempFiles } from 'safe-write-json'
/// const removed = await cleanupTempFiles(stateDir) // e.g. ['state/.tasks.json.x8Kq2mZp.tmp']
/// ```
#[napi(
  ts_args_type = "dir: string | URL, options?: CleanupOptions | null",
  ts_return_type = "Promise<string[]>"
)]
pub(crate) fn cleanup_temp_files<'env>(
  env: &'env Env,
  dir: Unknown,
  options: Unknown,
  caller: Unknown,
) -> Result<Unknown<'env>> {
  scan(env, dir, options, caller, Scan::Remove)
}

/// The leftovers `cleanupTempFiles` would remove from `dir`, found the same way but not
/// removed: `{ kind: 'temp' | 'lock', path }`, sorted by path. For the CLI's `check`; not
/// public API.
#[napi(
  js_name = "findLeftovers",
  ts_args_type = "dir: string | URL, options: CleanupOptions | null | undefined, caller: object",
  ts_return_type = "Promise<Array<{ kind: 'temp' | 'lock'; path: string }>>"
)]
pub(crate) fn find_leftovers<'env>(
  env: &'env Env,
  dir: Unknown,
  options: Unknown,
  caller: Unknown,
) -> Result<Unknown<'env>> {
  scan(env, dir, options, caller, Scan::List)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
  Remove,
  List,
}

/// Check the arguments, scan (and maybe clean) `dir` on the pool, and settle with what was
/// found, each path as `dir` (spelled as the caller spelled it) joined with the name.
fn scan<'env>(
  env: &'env Env,
  dir: Unknown,
  options: Unknown,
  caller: Unknown,
  how: Scan,
) -> Result<Unknown<'env>> {
  let js = Js::new(env, Some(caller.raw()))?;
  let checked = caller_path(js, dir.raw()).and_then(|caller| {
    let options = cleanup_options(js, options.raw())?;
    let holder = js.object()?;
    js.set(holder, "caller", js.caller()?)?;
    Ok((caller, options, js.keep(holder)?))
  });
  let (caller, options, kept) = match checked {
    Ok(checked) => checked,
    Err(err) => return rejection(env, js, err),
  };
  let (deferred, promise) = env.create_deferred::<Made, Box<dyn FnOnce(Env) -> Result<Made>>>()?;
  pool::spawn(move || {
    let outcome = match how {
      Scan::Remove => cleanup::cleanup(&caller.absolute, &options)
        .map(|paths| paths.into_iter().map(|p| (p, None)).collect()),
      Scan::List => cleanup::find(&caller.absolute, &options)
        .map(|found| found.into_iter().map(|(p, k)| (p, Some(k))).collect()),
    };
    deferred.resolve(Box::new(move |env| {
      let main = Js::new(&env, None)?;
      let bundle = main.get(main.kept(&kept)?, "caller")?;
      main.release(kept);
      let found: Vec<(PathBuf, Option<Orphan>)> =
        outcome.map_err(|err| js_error::to_js(&env, &err, &caller))?;
      let js = Js::new(&env, Some(bundle))?;
      let shown = |path: &Path| {
        let name = path.file_name().unwrap_or_default();
        Path::new(&caller.given)
          .join(name)
          .to_string_lossy()
          .into_owned()
      };
      let items = found
        .iter()
        .map(|(path, kind)| match kind {
          None => js.string(&shown(path)),
          Some(kind) => {
            let item = js.object()?;
            let kind = match kind {
              Orphan::Temp => "temp",
              Orphan::Lock => "lock",
            };
            js.set(item, "kind", js.string(kind)?)?;
            js.set(item, "path", js.string(&shown(path))?)?;
            Ok(item)
          }
        })
        .collect::<Result<Vec<_>>>()?;
      Ok(Made(js.array(&items)?))
    }));
  });
  Ok(promise.to_unknown())
}
