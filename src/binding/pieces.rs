//! Strings copied out of JavaScript: a piece of a JSON text as `stringify.js` pushes it (a
//! string and its four numbers), and any string as UTF-16.

use napi::bindgen_prelude::{JsObjectValue, Object};
use napi::{check_status, sys, JsString, JsValue, Result};

use crate::text::Piece;

/// Text `index` of `texts`, copied out with its four numbers of `meta`: whether a comma
/// precedes it, and the piece.
pub(crate) fn read_piece(texts: Object, meta: &[f64], index: u32) -> Result<(bool, Piece)> {
  let at = index as usize * 4;
  let number = |k: usize| meta.get(at + k).map_or(0, |&n| n as usize);
  let (trim_start, trim_end, depth, comma) = (number(0), number(1), number(2), number(3) != 0);
  let units = to_utf16(texts.get_element::<JsString>(index)?)?;
  Ok((comma, Piece::trimmed(units, trim_start, trim_end, depth)))
}

/// A string's UTF-16 code units, copied once (napi-rs' `JsStringUtf16` copies them twice).
pub(crate) fn to_utf16(string: JsString) -> Result<Vec<u16>> {
  let (env, value) = (string.value().env, string.raw());
  let length = string.utf16_len()?;
  // One more unit for the terminating NUL Node-API writes.
  let mut units = Vec::<u16>::with_capacity(length + 1);
  let mut copied = 0;
  // SAFETY: `env` and `value` are live handles of the current call; the buffer has room for
  // `length + 1` units, the size passed.
  let status = unsafe {
    sys::napi_get_value_string_utf16(env, value, units.as_mut_ptr(), length + 1, &mut copied)
  };
  check_status!(status, "could not copy a string")?;
  // SAFETY: Node-API initialised `copied` (≤ length) units.
  unsafe { units.set_len(copied) };
  Ok(units)
}
