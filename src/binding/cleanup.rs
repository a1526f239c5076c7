//! `cleanupTempFiles`: the scan and the removals run on the worker pool; the main thread only
//! makes the list of paths.

use std::path::Path;

use napi::bindgen_prelude::Unknown;
use napi::{Env, Result};
use napi_derive::napi;

use super::js_error;
use super::options::CleanupOptions;
use super::path::TargetPath;
use super::settle::{self, to_value};
use crate::cleanup::{self, Orphan};
use crate::pool;

/// Remove the temp files and lock sidecars crashed writes left in the directory (the public
/// `cleanupTempFiles`, documented in index.d.ts); resolve with their paths, sorted.
#[napi(
  js_name = "cleanupTempFiles",
  ts_args_type = "target: TargetPath, options: CleanupOptions",
  ts_return_type = "Promise<string[]>"
)]
pub(crate) fn cleanup_temp_files(
  env: &Env,
  target: TargetPath,
  options: CleanupOptions,
) -> Result<Unknown<'_>> {
  scan(env, target, options, Scan::Remove)
}

/// The leftovers `cleanupTempFiles` would remove from `dir`, found the same way but not
/// removed: `{ kind: 'temp' | 'lock', path }`, sorted by path. For the CLI's `check`.
#[napi(
  js_name = "findLeftovers",
  ts_args_type = "target: TargetPath, options: CleanupOptions",
  ts_return_type = "Promise<Leftover[]>"
)]
pub(crate) fn find_leftovers(
  env: &Env,
  target: TargetPath,
  options: CleanupOptions,
) -> Result<Unknown<'_>> {
  scan(env, target, options, Scan::List)
}

/// A file `findLeftovers` found.
#[napi(object)]
pub(crate) struct Leftover {
  /// `'temp'` or `'lock'`.
  pub kind: String,
  /// The directory as the caller spelled it, joined with the file's name.
  pub path: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
  Remove,
  List,
}

/// Scan (and maybe clean) the directory on the pool, and settle with what was found, each
/// path as the directory (spelled as the caller spelled it) joined with the name.
fn scan(env: &Env, target: TargetPath, options: CleanupOptions, how: Scan) -> Result<Unknown<'_>> {
  let (pending, promise) = settle::promise(env)?;
  let options = crate::options::CleanupOptions::from(options);
  pool::spawn(move || {
    let dir = target.absolute();
    let found = match how {
      Scan::Remove => cleanup::cleanup(dir, &options)
        .map(|paths| paths.into_iter().map(|p| (p, None)).collect::<Vec<_>>()),
      Scan::List => cleanup::find(dir, &options)
        .map(|found| found.into_iter().map(|(p, k)| (p, Some(k))).collect()),
    };
    pending.settle(Box::new(move |env| {
      let found = found.map_err(|err| js_error::to_js(env, &err, &target))?;
      let shown = |path: &Path| {
        let name = path.file_name().unwrap_or_default();
        Path::new(&target.given)
          .join(name)
          .to_string_lossy()
          .into_owned()
      };
      match how {
        Scan::Remove => to_value(
          env,
          found
            .iter()
            .map(|(path, _)| shown(path))
            .collect::<Vec<_>>(),
        ),
        Scan::List => to_value(
          env,
          found
            .iter()
            .map(|(path, kind)| Leftover {
              kind: match kind {
                Some(Orphan::Lock) => "lock",
                _ => "temp",
              }
              .into(),
              path: shown(path),
            })
            .collect::<Vec<_>>(),
        ),
      }
    }))
  });
  Ok(promise)
}
