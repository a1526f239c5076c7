//! The text `lib/` made of the data, copied out of JavaScript: the only work on the main thread.
//!
//! JSON text comes from V8's own `JSON.stringify`, called by `index.js` (on the whole value, or
//! piece by piece by `stringify.js`, into a [`JsonSink`]). What is written is fixed when the
//! call returns (strings are immutable); for an async write, copying the strings out (UTF-16, a
//! memcpy once V8 has flattened them) happens in later turns of the event loop
//! ([`copier`](super::copier)), so it never lengthens the call's own stall. The UTF-8 encoding
//! happens on the worker.

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result, Status};

use super::copier;
use super::js::{Js, Type, Value};
use super::sink::JsonSink;
use crate::text::Text;
use crate::write::Body;

/// When the text is copied out of JavaScript.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CopyTime {
  /// During the call (a Sync write, or an update's commit).
  Now,
  /// In later turns, while the write waits (an async write).
  Later,
}

/// Texts shorter than this are copied during the call: a later turn would cost more.
const LATER_FROM_UNITS: usize = 64 * 1024;

/// The text to write: `json` is the whole JSON text (a string), or what `stringify.js` left of a
/// walked one (`{ texts, meta }`, its earlier pieces already in `sink`).
pub(crate) fn json_text(
  env: &Env,
  sink: &mut JsonSink,
  json: Unknown,
  copy: CopyTime,
) -> Result<Body> {
  let js = Js::new(env);
  let json = json.raw();
  if js.type_of(json)? == Type::Object {
    return walked(env, sink, json, copy);
  }
  if copy == CopyTime::Later && js.string_length(json)? >= LATER_FROM_UNITS {
    // One text, no trimming, no extra indent, no comma.
    let holder = js.object()?;
    js.set(holder, "texts", js.array(&[json])?)?;
    let zero = js.number(0.0)?;
    js.set(holder, "meta", js.array(&[zero, zero, zero, zero])?)?;
    return copier::later(env, holder, Vec::new()).map(Body::Text);
  }
  Ok(Body::Text(Text::Utf16(js.to_utf16(json, 0)?)))
}

/// The text of a walked value: copied later only if nothing was copied yet; a text big enough
/// that the walker already handed pieces over is copied (and streamed to disk) now, its rest
/// with it.
fn walked(env: &Env, sink: &mut JsonSink, rest: Value, copy: CopyTime) -> Result<Body> {
  if copy == CopyTime::Later && sink.is_untouched() {
    return copier::later(env, rest, sink.gap()).map(Body::Text);
  }
  let copied = sink.copy_now(env, rest);
  let body = sink.take();
  copied.map(|()| body)
}

/// The `data` of `safeWriteFile` (a string, written as UTF-8, or a `Uint8Array`, written as is),
/// copied now so later changes to it do not matter.
pub(crate) fn file_bytes(env: &Env, data: Unknown) -> Result<Body> {
  let js = Js::new(env);
  if js.type_of(data.raw())? == Type::String {
    return Ok(Body::Text(Text::Utf16(js.to_utf16(data.raw(), 0)?)));
  }
  match js.uint8_bytes(data.raw())? {
    Some(bytes) => Ok(Body::Text(Text::Bytes(bytes))),
    None => Err(napi::Error::new(
      Status::InvalidArg,
      "data must be a string or a Uint8Array",
    )),
  }
}
