//! JavaScript data → bytes to write, on the main thread: the only work that must happen there.
//!
//! JSON text comes from V8's own `JSON.stringify`, so `toJSON`, the replacer, key order, number
//! formatting and escaping are JavaScript's by construction. A big array or object is walked by
//! `stringify.js` and stringified piece by piece into a [`JsonSink`]; anything else in one
//! call. Strings are copied out as UTF-16 (a memcpy inside V8); the UTF-8 encoding happens
//! later, on the worker.

use napi::bindgen_prelude::JavaScriptClassExt;
use napi::{Env, Result};

use super::invalid_arg;
use super::js::{Js, Type, Value};
use super::options::JsonOptions;
use super::path::CallerPath;
use super::sink::JsonSink;
use crate::text::Text;

/// The caller's `JSON.stringify(data, replacer, indent)` as the bytes to write (`null` where it
/// returns `undefined`). A throw (circular structure, BigInt, a throwing getter) is left
/// pending, so the caller gets the very value JavaScript threw.
pub(crate) fn json_text(
  js: Js,
  env: &Env,
  data: Value,
  options: &JsonOptions,
  caller: &CallerPath,
) -> Result<Text> {
  let undefined = js.undefined()?;
  let indent = options.indent.unwrap_or(undefined);
  let mut text = match walked(js, env, data, indent, options, caller)? {
    Some(text) => text,
    None => {
      let stringify = js.get(js.intrinsic("JSON")?, "stringify")?;
      let json = js.call(
        stringify,
        &[data, options.replacer.unwrap_or(undefined), indent],
      )?;
      match js.type_of(json)? {
        Type::String => Text::Utf16(js.to_utf16(json, usize::from(options.final_newline))?),
        // What JSON.stringify maps to `undefined` (a function, a symbol, `undefined`) writes `null`.
        _ => Text::Bytes(b"null".to_vec()),
      }
    }
  };
  if options.final_newline {
    text.push_newline();
  }
  Ok(text)
}

/// The text of `data` in pieces, if `stringify.js` walks it (a big array or object, no
/// replacer); `None` — nothing run, nothing made — when it should be stringified whole.
fn walked(
  js: Js,
  env: &Env,
  data: Value,
  indent: Value,
  options: &JsonOptions,
  caller: &CallerPath,
) -> Result<Option<Text>> {
  let Some(walk_into) = js
    .helper("walkInto")?
    .filter(|_| options.replacer.is_none())
  else {
    return Ok(None);
  };
  let mut sink = JsonSink::new(caller.clone()).into_instance(env)?;
  let walked = js
    .call(walk_into, &[data, indent, sink.value])
    .and_then(|walked| js.to_bool(walked));
  // Taken either way: on a throw, now rather than whenever the sink is garbage-collected, so
  // that a text already streaming to disk is abandoned (its temp file removed) at once.
  let text = sink.take();
  Ok(walked?.then_some(text))
}

/// The `data` of `safeWriteFile`, copied now so later changes to it do not matter: a string
/// (written as UTF-8) or a `Uint8Array` (written as is).
pub(crate) fn file_bytes(js: Js, data: Value) -> Result<Text> {
  if js.type_of(data)? == Type::String {
    return Ok(Text::Utf16(js.to_utf16(data, 0)?));
  }
  match js.uint8_bytes(data)? {
    Some(bytes) => Ok(Text::Bytes(bytes)),
    None => Err(invalid_arg::wrong_type(
      js,
      "data",
      "of type string or an instance of Uint8Array",
      data,
    )),
  }
}
