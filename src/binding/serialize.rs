//! JavaScript data → bytes to write, on the main thread: the only work that must happen there.
//!
//! JSON text comes from V8's own `JSON.stringify`, so `toJSON`, the replacer, key order, number
//! formatting and escaping are JavaScript's by construction. The resulting string is copied out
//! as UTF-16 (a memcpy inside V8); the UTF-8 encoding happens later, on the worker.

use napi::Result;

use super::invalid_arg;
use super::js::{Js, Type, Value};
use super::options::JsonOptions;
use crate::text::Text;

/// The caller's `JSON.stringify(data, replacer, indent)` as the bytes to write (`null` where it returns
/// `undefined`). A throw (circular structure, BigInt, a throwing getter) is left pending, so
/// the caller gets the very value JavaScript threw.
pub(crate) fn json_text(js: Js, data: Value, options: &JsonOptions) -> Result<Text> {
  let stringify = js.get(js.intrinsic("JSON")?, "stringify")?;
  let undefined = js.undefined()?;
  let args = [
    data,
    options.replacer.unwrap_or(undefined),
    options.indent.unwrap_or(undefined),
  ];
  let json = js.call(stringify, &args)?;
  let newline = usize::from(options.final_newline);
  let mut text = match js.type_of(json)? {
    Type::String => Text::Utf16(js.to_utf16(json, newline)?),
    // What JSON.stringify maps to `undefined` (a function, a symbol, `undefined`) writes `null`.
    _ => Text::Bytes(b"null".to_vec()),
  };
  if options.final_newline {
    text.push_newline();
  }
  Ok(text)
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
