//! The native half of `safeReadJson`: the file is read, checked and decoded on the worker pool;
//! `index.js` then makes one string of it and parses it with the caller's own `JSON.parse` (so
//! the result, the reviver's `this` and a reviver's errors all belong to the caller's realm),
//! and asks where the text stops being JSON only if that throws.

use std::path::PathBuf;

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use super::js_error;
use super::path::TargetPath;
use super::settle;
use crate::read::{self, JsonText, Units};

/// Read and decode the file `target` names (or, if `backup`, its `<name>.bak`) on the pool.
#[napi(
  js_name = "readJson",
  ts_args_type = "target: TargetPath, backup: boolean",
  ts_return_type = "Promise<JsonFile>"
)]
pub(crate) fn read_json(env: &Env, target: TargetPath, backup: bool) -> Result<Unknown<'_>> {
  settle::on_pool(env, target, move |target| {
    let path = match backup {
      false => target.absolute().to_path_buf(),
      true => read::backup_path(target.absolute())?,
    };
    Ok(JsonFile::new(read::load(&path)?, path, target.clone()))
  })
}

/// A JSON file read and decoded, not yet parsed (not public API).
#[napi]
pub struct JsonFile {
  text: JsonText,
  path: PathBuf,
  target: TargetPath,
}

impl JsonFile {
  /// `text`, read from `path` for a call on `target`.
  pub(crate) fn new(text: JsonText, path: PathBuf, target: TargetPath) -> JsonFile {
    JsonFile { text, path, target }
  }
}

#[napi]
impl JsonFile {
  /// The path read (a backup beside the file a symlink names, for instance).
  #[napi(getter)]
  pub fn path(&self) -> String {
    self.path.to_string_lossy().into_owned()
  }

  /// The text, as one string (a memcpy of its units).
  #[napi]
  pub fn text<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
    let string = match self.text.units() {
      Units::Latin1(bytes) if bytes.len() <= MAX_STRING_LENGTH => {
        env.create_string_latin1(bytes)?
      }
      Units::Utf16(units) if units.len() <= MAX_STRING_LENGTH => env.create_string_utf16(units)?,
      // What `fs.readFile(path, 'utf8')` says of a file too large for one string.
      _ => {
        let message =
          format!("Cannot create a string longer than 0x{MAX_STRING_LENGTH:x} characters");
        return Err(js_error::coded(env, "ERR_STRING_TOO_LONG", &message));
      }
    };
    Ok(string.to_unknown())
  }

  /// After `JSON.parse` threw: throws `EJSONPARSE` saying where the text stops being JSON;
  /// returns if it is JSON (then the reviver threw).
  #[napi(js_name = "throwSyntaxError")]
  pub fn throw_syntax_error(&self, env: &Env) -> Result<()> {
    match self.text.syntax_error(&self.path) {
      Some(err) => Err(js_error::to_js(env, &err, &self.target)),
      None => Ok(()),
    }
  }
}

/// V8's longest string (`buffer.constants.MAX_STRING_LENGTH` on 64-bit Node).
const MAX_STRING_LENGTH: usize = 0x1fff_ffe8;
