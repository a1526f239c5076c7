//! The one converter from a core error to the JavaScript error callers see: an `Error` with
//! `code`, `errno`, `syscall`, `path` and Node's message form, like those of `fs`.

use napi::bindgen_prelude::Object;
use napi::{Env, JsError, JsValue, Result};

use super::path::TargetPath;
use crate::error::{Code, Error};

/// `EACCES: permission denied, open 'settings.json'` as a JavaScript error, naming the path the
/// way the caller wrote it.
///
/// Like the errors of `fs`, these belong to the addon's own realm: they are made when the write
/// settles, after the caller's realm is gone from the stack.
pub(crate) fn to_js(env: &Env, err: &Error, target: &TargetPath) -> napi::Error {
  let build = || -> Result<napi::Error> {
    // Node's message form, naming the path the way the caller wrote it.
    let message = err.clone().with_path(target.shown(&err.path)).to_string();
    let mut error = error_object(env, err.code_name(), &message);
    if let Some(errno) = err.errno() {
      error.set("errno", f64::from(errno))?;
    }
    if let Code::JsonParse(syntax) = &err.code {
      // No syscall failed; where in the file it went wrong is what matters.
      error.set("position", syntax.position as f64)?;
      error.set("line", syntax.line as f64)?;
      error.set("column", syntax.column as f64)?;
    } else {
      error.set("syscall", err.syscall)?;
    }
    error.set("path", target.shown(&err.path))?;
    if err.renamed {
      error.set("renamed", true)?;
    }
    Ok(napi::Error::from(error.to_unknown()))
  };
  build().unwrap_or_else(|failure| failure)
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
  napi::Error::from(error_object(env, code, message).to_unknown())
}

/// `new Error(message)` with `err.code = code` (of the addon's realm, like the errors of `fs`).
fn error_object<'env>(env: &'env Env, code: &str, message: &str) -> Object<'env> {
  let error = JsError::from(napi::Error::new(code, message)).into_unknown(*env);
  Object::from_raw(env.raw(), error.raw())
}
