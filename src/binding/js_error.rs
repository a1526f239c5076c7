//! The one converter from a core error to the JavaScript error callers see: an `Error` with
//! `code`, `errno`, `syscall`, `path` and Node's message form, like those of `fs`.

use std::path::Path;

use napi::{Env, Result};

use super::js::Js;
use super::path::TargetPath;
use crate::error::{Code, Error};
use crate::target::normalize;

/// `EACCES: permission denied, open 'settings.json'` as a JavaScript error, naming the path the
/// way the caller wrote it.
///
/// Like the errors of `fs`, these belong to the addon's own realm: they are made when the write
/// settles, after the caller's realm is gone from the stack.
pub(crate) fn to_js(env: &Env, err: &Error, target: &TargetPath) -> napi::Error {
  let build = || -> Result<napi::Error> {
    let js = Js::new(env);
    let path = shown_path(&err.path, target);
    let value = js.error(err.code_name(), &message(err, target))?;
    if let Some(errno) = err.errno() {
      js.set(value, "errno", js.number(f64::from(errno))?)?;
    }
    if let Code::JsonParse(syntax) = &err.code {
      // No syscall failed; where in the file it went wrong is what matters.
      js.set(value, "position", js.number(syntax.position as f64)?)?;
      js.set(value, "line", js.number(syntax.line as f64)?)?;
      js.set(value, "column", js.number(syntax.column as f64)?)?;
    } else {
      js.set(value, "syscall", js.string(err.syscall)?)?;
    }
    js.set(value, "path", js.string(&path)?)?;
    if err.renamed {
      js.set(value, "renamed", js.boolean(true)?)?;
    }
    Ok(js.into_error(value))
  };
  build().unwrap_or_else(|failure| failure)
}

/// The error's message, naming the path the way the caller wrote it.
pub(crate) fn message(err: &Error, target: &TargetPath) -> String {
  err
    .clone()
    .with_path(shown_path(&err.path, target))
    .to_string()
}

/// The caller's own spelling of the target; for an error caused by an ancestor directory (a
/// file where a directory should be), that ancestor, spelled the same way.
fn shown_path(failed: &Path, target: &TargetPath) -> String {
  // A file inside the directory the caller named (cleanupTempFiles failing to remove an
  // orphan): that file, under the caller's spelling of the directory.
  let absolute = target.absolute();
  if let Ok(rest) = failed.strip_prefix(absolute) {
    if !rest.as_os_str().is_empty() {
      return Path::new(&target.given)
        .join(rest)
        .to_string_lossy()
        .into_owned();
    }
  }
  if failed == absolute || !absolute.starts_with(failed) {
    return target.given.clone();
  }
  let levels_up = absolute.components().count() - failed.components().count();
  let given = Path::new(&target.given);
  if let Some(ancestor) = given
    .ancestors()
    .nth(levels_up)
    .filter(|a| !a.as_os_str().is_empty())
  {
    let cwd = std::env::current_dir().unwrap_or_default();
    if normalize(&cwd.join(ancestor)) == failed {
      return ancestor.to_string_lossy().into_owned();
    }
  }
  failed.to_string_lossy().into_owned()
}

/// For the errno test only, in the build with `--features failpoints`: what a failed `open` of
/// `path` with the operating system's error number `raw` becomes, thrown as callers see it.
/// (The jest test compares it, number by number, with what Node itself says.)
#[cfg(feature = "failpoints")]
#[napi_derive::napi(js_name = "osErrorOfOpen")]
pub(crate) fn os_error_of_open(env: Env, raw: i32, path: String) -> Result<()> {
  let err = Error::io(&std::io::Error::from_raw_os_error(raw), "open", &path);
  let target = TargetPath {
    absolute: path.clone(),
    given: path,
  };
  Err(to_js(&env, &err, &target))
}

/// An `Error` with a Node-style `code` that is not the core's (`ERR_INVALID_STATE`, …).
pub(crate) fn coded(env: &Env, code: &str, message: &str) -> napi::Error {
  let js = Js::new(env);
  match js.error(code, message) {
    Ok(value) => js.into_error(value),
    Err(err) => err,
  }
}
