//! `cleanupTempFiles`: the scan and the removals run on the worker pool; the main thread only
//! makes the list of paths.

use std::path::{Path, PathBuf};

use napi::bindgen_prelude::Unknown;
use napi::{Env, Result};
use napi_derive::napi;

use super::options::CleanupOptions;
use super::path::TargetPath;
use super::settle;
use crate::cleanup::{self, Orphan};
use crate::options::CleanupOptions as CoreCleanupOptions;

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
  let options = CoreCleanupOptions::from(options);
  settle::on_pool(env, target, move |target| {
    let removed = cleanup::cleanup(target.absolute(), &options)?;
    Ok(
      removed
        .iter()
        .map(|path| shown(target, path))
        .collect::<Vec<_>>(),
    )
  })
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
  let options = CoreCleanupOptions::from(options);
  settle::on_pool(env, target, move |target| {
    let found = cleanup::find(target.absolute(), &options)?;
    let leftover = |(path, kind): &(PathBuf, Orphan)| Leftover {
      kind: match kind {
        Orphan::Lock => "lock",
        Orphan::Temp => "temp",
      }
      .into(),
      path: shown(target, path),
    };
    Ok(found.iter().map(leftover).collect::<Vec<_>>())
  })
}

/// A file `findLeftovers` found.
#[napi(object)]
pub(crate) struct Leftover {
  /// `'temp'` or `'lock'`.
  pub kind: String,
  /// The directory as the caller spelled it, joined with the file's name.
  pub path: String,
}

/// A file found in the directory, as the directory (spelled as the caller spelled it) joined
/// with its name.
fn shown(target: &TargetPath, path: &Path) -> String {
  let name = path.file_name().unwrap_or_default();
  Path::new(&target.given)
    .join(name)
    .to_string_lossy()
    .into_owned()
}
