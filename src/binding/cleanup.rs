//! `cleanupTempFiles` and the CLI's `check`: the scan and the removals run on the worker pool;
//! the main thread only makes the list of what was found.

use std::path::PathBuf;

use napi::bindgen_prelude::Unknown;
use napi::{Env, Result};
use napi_derive::napi;

use super::options::CleanupOptions;
use super::path::TargetPath;
use super::settle;
use crate::cleanup::{self, Orphan};
use crate::options::CleanupOptions as CoreCleanupOptions;

/// The temp files and lock sidecars crashed writes left in the directory, `{ kind, path }`
/// sorted by path: removed (`remove`, the public `cleanupTempFiles`, documented in index.d.ts,
/// whose paths these are) or only found (the CLI's `check`), by the same listing.
#[napi(
  ts_args_type = "target: TargetPath, options: CleanupOptions, remove: boolean",
  ts_return_type = "Promise<Leftover[]>"
)]
pub(crate) fn leftovers(
  env: &Env,
  target: TargetPath,
  options: CleanupOptions,
  remove: bool,
) -> Result<Unknown<'_>> {
  let options = CoreCleanupOptions::from(options);
  settle::on_pool(env, target, move |target| {
    let found = match remove {
      true => cleanup::remove(target.absolute(), &options)?,
      false => cleanup::find(target.absolute(), &options)?,
    };
    let leftover = |(path, kind): &(PathBuf, Orphan)| Leftover {
      kind: kind.name().into(),
      path: target.shown(path),
    };
    Ok(found.iter().map(leftover).collect::<Vec<_>>())
  })
}

/// A leftover file, found or removed.
#[napi(object)]
pub(crate) struct Leftover {
  /// `'temp'` or `'lock'`.
  pub kind: String,
  /// The directory as the caller spelled it, joined with the file's name.
  pub path: String,
}
