//! `safeReadJson`: the file is read, checked and decoded on the worker pool; the main thread
//! makes one string of it and calls the caller's own `JSON.parse` (so the result, the reviver's
//! `this` and a reviver's errors all belong to the caller's realm).
//!
//! With `recover`, a missing or unparseable file sends a second trip to the pool for the
//! backup; the first promise is resolved with the second one, so the caller still sees one.
//!
//! Like the writers, it takes the caller's `globalThis` as a last, hidden argument.

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use super::js::{rejection, ErrorKind, Js, Kept, Made, Type, Value, MAX_STRING_LENGTH};
use super::js_error;
use super::options::read_options;
use super::path::{caller_path, CallerPath};
use crate::pool;
use crate::read::{self, JsonText, Units};

/// The warning code `recover` emits with, when it returned the backup's content.
const RECOVERED: &str = "SAFE_WRITE_JSON_RECOVERED";

/// Read the JSON file at `path` and parse it, off the main thread: `JSON.parse` semantics
/// (with `reviver`), a UTF-8 byte order mark skipped.
///
/// - A file that does not exist (nor a directory on its path) resolves with `options.default`
///   when one is given (`undefined` is none), and rejects with `ENOENT` otherwise.
/// - A file that is not JSON (truncated, empty, NUL-filled, invalid UTF-8) rejects with
///   `code: 'EJSONPARSE'`, never with the default. The error carries `path`, `position` (0-based
///   byte offset in the file), `line` and `column` (1-based, in characters), and its message
///   names the file and the place and shows the text around it.
/// - With `recover: true`, a missing or unparseable file falls back to `<name>.bak` (kept by
///   the writers' `backup: true`). When the backup is valid JSON its content is returned and a
///   warning is emitted: `process.emitWarning(message, { code: 'SAFE_WRITE_JSON_RECOVERED',
///   detail })`, which Node prints to stderr and `process.on('warning')` observes. When the
///   backup fails too, the file's own outcome stands (the default, or the file's error).
///
/// @throws never synchronously; the promise rejects with: a `TypeError`/`RangeError` coded
/// `ERR_INVALID_ARG_TYPE` or `ERR_INVALID_ARG_VALUE` for a bad argument; `EJSONPARSE`; an
/// `Error` with `code` (`ENOENT`, `EACCES`, `EISDIR`, …), `errno`, `syscall` and `path` when the
/// file cannot be read; whatever the reviver throws.
///
/// @example
/// ```ts
/// import { safeReadJson } from 'safe-write-json'
/// const settings = await safeReadJson<Settings>('settings.json', { default: {}, recover: true })
/// ```
#[napi(
  ts_generic_types = "T = unknown",
  ts_args_type = "path: string | URL, options?: ReadJsonOptions<T> | null",
  ts_return_type = "Promise<T>"
)]
pub(crate) fn safe_read_json<'env>(
  env: &'env Env,
  path: Unknown,
  options: Unknown,
  realm: Unknown,
) -> Result<Unknown<'env>> {
  let js = Js::new(env, Some(realm.raw()))?;
  let reading = match Reading::new(js, path.raw(), options.raw()) {
    Ok(reading) => reading,
    Err(err) => return rejection(env, js, err),
  };
  let promise = reading.load(env, Attempt::File)?;
  // SAFETY: a live promise handle of this env.
  Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise) })
}

/// One call, between its trips to the pool.
struct Reading {
  caller: CallerPath,
  /// `{ realm, reviver, default }`, alive until the call settles.
  kept: Kept,
  has_default: bool,
  recover: bool,
}

/// Which file a trip reads.
enum Attempt {
  /// The file the caller named.
  File,
  /// Its backup, after the file failed with this error.
  Backup(crate::Error),
}

impl Reading {
  fn new(js: Js, path: Value, options: Value) -> Result<Reading> {
    let caller = caller_path(js, path)?;
    let options = read_options(js, options)?;
    let holder = js.object()?;
    js.set(holder, "caller", js.caller()?)?;
    if let Some(reviver) = options.reviver {
      js.set(holder, "reviver", reviver)?;
    }
    if let Some(default) = options.default {
      js.set(holder, "default", default)?;
    }
    Ok(Reading {
      caller,
      kept: js.keep(holder)?,
      has_default: options.default.is_some(),
      recover: options.recover,
    })
  }

  /// Read the file (or its backup) on the pool; return the promise of the outcome.
  fn load(self, env: &Env, attempt: Attempt) -> Result<Value> {
    let (deferred, promise) =
      env.create_deferred::<Made, Box<dyn FnOnce(Env) -> Result<Made>>>()?;
    let path = self.caller.absolute.clone();
    pool::spawn(move || {
      let outcome = match &attempt {
        Attempt::File => read::load(&path).map(|text| (path, text)),
        Attempt::Backup(_) => {
          read::backup_path(&path).and_then(|backup| read::load(&backup).map(|text| (backup, text)))
        }
      };
      deferred.resolve(Box::new(move |env| self.settle(&env, attempt, outcome)));
    });
    Ok(promise.raw())
  }

  /// On the main thread, with what the pool read.
  fn settle(
    self,
    env: &Env,
    attempt: Attempt,
    outcome: crate::Result<(std::path::PathBuf, JsonText)>,
  ) -> Result<Made> {
    let holder = Js::new(env, None)?.kept(&self.kept)?;
    let js = Js::new(env, Some(Js::new(env, None)?.get(holder, "caller")?))?;
    let (read_path, parsed) = match outcome {
      Ok((path, text)) => {
        let parsed = self.parse(js, holder, &path, &text);
        (path, parsed)
      }
      Err(err) => (std::path::PathBuf::new(), Err(Failure::File(err))),
    };
    match (parsed, attempt) {
      (Ok(value), Attempt::File) => self.done(js, Ok(value)),
      (Ok(value), Attempt::Backup(cause)) => {
        self.warn(js, &cause, &read_path);
        self.done(js, Ok(value))
      }
      (Err(Failure::File(err)), Attempt::File) if self.recover && read::is_recoverable(&err) => {
        Ok(Made(self.load(env, Attempt::Backup(err))?))
      }
      (Err(Failure::Thrown(thrown)), Attempt::File) => self.done(js, Err(thrown)),
      (Err(Failure::File(err)), Attempt::File) | (Err(_), Attempt::Backup(err)) => {
        // The backup did not help (or was not asked for): the file's own outcome stands.
        if self.has_default && read::is_missing(&err) {
          let default = js.get(holder, "default")?;
          return self.done(js, Ok(default));
        }
        let error = js_error::to_js(env, &err, &self.caller);
        self.done(js, Err(error))
      }
    }
  }

  fn parse(
    &self,
    js: Js,
    holder: Value,
    path: &std::path::Path,
    text: &JsonText,
  ) -> std::result::Result<Value, Failure> {
    let reviver = js
      .get(holder, "reviver")
      .map_err(|err| Failure::Thrown(js.caught(err)))?;
    parse_text(js, reviver, path, text)
  }

  /// `process.emitWarning(message, { code, detail })` of the caller's realm: the backup's
  /// content was returned in place of the file's.
  fn warn(&self, js: Js, cause: &crate::Error, backup: &std::path::Path) {
    let emit = || -> Result<()> {
      let process = js.intrinsic("process")?;
      if js.type_of(process)? != Type::Object {
        return Ok(());
      }
      let emit_warning = js.get(process, "emitWarning")?;
      if js.type_of(emit_warning)? != Type::Function {
        return Ok(());
      }
      // The backup as the caller would spell it, unless a symlink put it elsewhere.
      let mut beside = self.caller.absolute.clone().into_os_string();
      beside.push(".bak");
      let shown = if backup.as_os_str() == beside {
        format!("{}.bak", self.caller.given)
      } else {
        backup.display().to_string()
      };
      let message = format!(
        "safeReadJson: '{}' could not be read; returned its backup '{shown}' instead",
        self.caller.given
      );
      let options = js.object()?;
      js.set(options, "code", js.string(RECOVERED)?)?;
      js.set(
        options,
        "detail",
        js.string(&js_error::message(cause, &self.caller))?,
      )?;
      js.call(emit_warning, &[js.string(&message)?, options])?;
      Ok(())
    };
    // A warning that cannot be emitted (a handler threw) must not fail a good read.
    if let Err(err) = emit() {
      drop(js.caught(err));
    }
  }

  /// Let go of the kept values and settle.
  fn done(self, js: Js, outcome: Result<Value>) -> Result<Made> {
    js.release(self.kept);
    outcome.map(Made)
  }
}

/// Why a parse did not give a value.
pub(crate) enum Failure {
  /// The file (or backup) is not there, not readable, or not JSON.
  File(crate::Error),
  /// JavaScript threw (the reviver), or the string could not be made.
  Thrown(napi::Error),
}

fn too_long(js: Js) -> napi::Error {
  let message = format!("Cannot create a string longer than 0x{MAX_STRING_LENGTH:x} characters");
  match js.error(ErrorKind::Error, "ERR_STRING_TOO_LONG", &message) {
    Ok(error) => js.into_error(error),
    Err(err) => err,
  }
}

/// One string of the decoded text, then the caller's `JSON.parse(string, reviver)`. If that
/// throws, the text is walked to find where it stops being JSON; if it is JSON, the reviver
/// threw, and its error is the outcome.
pub(crate) fn parse_text(
  js: Js,
  reviver: Value,
  path: &std::path::Path,
  text: &JsonText,
) -> std::result::Result<Value, Failure> {
  let string = match text.units() {
    Units::Latin1(bytes) if bytes.len() <= MAX_STRING_LENGTH => js.latin1_string(bytes),
    Units::Utf16(units) if units.len() <= MAX_STRING_LENGTH => js.utf16_string(units),
    // What `fs.readFile(path, 'utf8')` says of a file too large for one string.
    _ => return Err(Failure::Thrown(too_long(js))),
  }
  // V8 can still refuse (out of memory): its RangeError is the outcome, no longer pending.
  .map_err(|err| Failure::Thrown(js.caught(err)))?;
  let call = || -> Result<Value> {
    let parse = js.get(js.intrinsic("JSON")?, "parse")?;
    js.call(parse, &[string, reviver])
  };
  call().map_err(|err| {
    let thrown = js.caught(err);
    match text.syntax_error(path) {
      Some(syntax) => Failure::File(syntax),
      None => Failure::Thrown(thrown),
    }
  })
}
