//! `cleanupTempFiles`: the scan and the removals run on the worker pool; the main thread only
//! checks the arguments and makes the array of paths.

use std::path::Path;

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use super::js::{Js, Made};
use super::js_error;
use super::options::cleanup_options;
use super::path::caller_path;
use crate::{cleanup, queue};

/// Remove the temp files that writes of this package left in `dir` when their process died
/// (names of exactly the shape `.<basename>.<8 letters or digits>.tmp`, regular files, last
/// modified at least `olderThanMs` ago), and resolve with their paths (`dir` joined with each
/// name), sorted. Files of any other name, and younger temp files (a write may be filling
/// them), are never touched. Subdirectories are not searched.
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
  realm: Unknown,
) -> Result<Unknown<'env>> {
  let js = Js::new(env, Some(realm.raw()))?;
  let checked = caller_path(js, dir.raw()).and_then(|caller| {
    let options = cleanup_options(js, options.raw())?;
    let holder = js.object()?;
    js.set(holder, "realm", js.realm())?;
    Ok((caller, options, js.keep(holder)?))
  });
  let (caller, options, kept) = match checked {
    Ok(checked) => checked,
    // SAFETY: `rejected` returns a live handle of this env.
    Err(err) => return Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), js.rejected(err)?) }),
  };
  let (deferred, promise) = env.create_deferred::<Made, Box<dyn FnOnce(Env) -> Result<Made>>>()?;
  queue::pool().spawn_blocking(move || {
    let outcome = cleanup::cleanup(&caller.absolute, &options);
    deferred.resolve(Box::new(move |env| {
      let main = Js::new(&env, None)?;
      let realm = main.get(main.kept(&kept)?, "realm")?;
      main.release(kept);
      let removed = outcome.map_err(|err| js_error::to_js(&env, &err, &caller))?;
      // Each as `dir` joined with the name, `dir` spelled as the caller spelled it.
      let shown: Vec<String> = removed
        .iter()
        .filter_map(|path| path.file_name())
        .map(|name| {
          Path::new(&caller.given)
            .join(name)
            .to_string_lossy()
            .into_owned()
        })
        .collect();
      Ok(Made(Js::new(&env, Some(realm))?.string_array(&shown)?))
    }));
  });
  Ok(promise.to_unknown())
}
