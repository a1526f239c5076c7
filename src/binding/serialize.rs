//! JavaScript data → bytes to write, on the main thread: the only work that must happen there.
//!
//! JSON text comes from V8's own `JSON.stringify`, so `toJSON`, the replacer, key order, number
//! formatting and escaping are JavaScript's by construction. A big array or object is walked by
//! `stringify.js` and stringified piece by piece; anything else in one call. What is written is
//! fixed when the call returns (strings are immutable); for an async write, copying the strings
//! out (UTF-16, a memcpy once V8 has flattened them) happens in later turns of the event loop
//! ([`copier`](super::copier)), so it never lengthens the call's own stall. The UTF-8 encoding
//! happens on the worker.

use napi::bindgen_prelude::JavaScriptClassExt;
use napi::{Env, Result};

use super::copier;
use super::invalid_arg;
use super::js::{Js, Type, Value};
use super::options::JsonOptions;
use super::path::CallerPath;
use super::sink::JsonSink;
use crate::text::Text;

/// When the text is copied out of JavaScript.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Copy {
  /// During the call (a Sync write, or an update's commit).
  Now,
  /// In later turns, while the write waits (an async write).
  Later,
}

/// Texts shorter than this are copied during the call: a later turn would cost more.
const LATER_FROM_UNITS: usize = 64 * 1024;

/// The caller's `JSON.stringify(data, replacer, indent)` (the one captured when the package
/// loaded, see [`Js::stringify`]) as the bytes to write (`null` where it
/// returns `undefined`). A throw (circular structure, BigInt, a throwing getter) is left
/// pending, so the caller gets the very value JavaScript threw.
pub(crate) fn json_text(
  js: Js,
  env: &Env,
  data: Value,
  options: &JsonOptions,
  caller: &CallerPath,
  copy: Copy,
) -> Result<Text> {
  let undefined = js.undefined()?;
  let indent = options.indent.unwrap_or(undefined);
  if options.replacer.is_none() {
    if let Some(text) = walked(js, env, data, indent, options, caller, copy)? {
      return Ok(text);
    }
  }
  let stringify = js.stringify()?;
  let json = js.call(
    stringify,
    &[data, options.replacer.unwrap_or(undefined), indent],
  )?;
  if js.type_of(json)? != Type::String {
    // What JSON.stringify maps to `undefined` (a function, a symbol, `undefined`) writes `null`.
    let mut text = Text::Bytes(b"null".to_vec());
    if options.final_newline {
      text.push_newline();
    }
    return Ok(text);
  }
  if copy == Copy::Later && js.string_length(json)? >= LATER_FROM_UNITS {
    // One text, no trimming, no extra indent, no comma.
    let holder = js.object()?;
    js.set(holder, "texts", js.array(&[json])?)?;
    js.set(
      holder,
      "meta",
      js.array(&[
        js.number(0.0)?,
        js.number(0.0)?,
        js.number(0.0)?,
        js.number(0.0)?,
      ])?,
    )?;
    return copier::later(env, holder, Vec::new(), options.final_newline);
  }
  let mut text = Text::Utf16(js.to_utf16(json, usize::from(options.final_newline))?);
  if options.final_newline {
    text.push_newline();
  }
  Ok(text)
}

/// The text of `data`, if `stringify.js` walks it (a big array or object, no replacer); `None`
/// — nothing run, nothing made — when it should be stringified whole.
fn walked(
  js: Js,
  env: &Env,
  data: Value,
  indent: Value,
  options: &JsonOptions,
  caller: &CallerPath,
  copy: Copy,
) -> Result<Option<Text>> {
  let Some(walk_into) = js.helper("walkInto")? else {
    return Ok(None);
  };
  let mut sink = JsonSink::new(caller.clone()).into_instance(env)?;
  let rest = match js.call(walk_into, &[data, indent, sink.value]) {
    Ok(rest) if js.type_of(rest)? == Type::Object => rest,
    Ok(_) => return Ok(None),
    Err(err) => {
      // Now rather than when the sink is garbage-collected, so that a text already streaming
      // to disk is abandoned (its temp file and new directories removed) before the call ends.
      sink.abandon();
      return Err(err);
    }
  };
  // Copied later only if nothing was copied yet: a text big enough that the walker already
  // handed pieces over is copied (and streamed to disk) now, its rest with it.
  if copy == Copy::Later && sink.is_untouched() {
    return copier::later(env, rest, sink.gap(), options.final_newline).map(Some);
  }
  let copied = sink
    .copy_now(env, rest)
    .and_then(|()| match options.final_newline {
      true => sink.push_newline(env),
      false => Ok(()),
    });
  let text = sink.take();
  copied.map(|()| Some(text))
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
