//! File bytes → a JavaScript value, with the caller's `JSON.parse`; a file that does not parse
//! is an `EJSONPARSE` error naming the file.

use napi::Result;

use super::js::{ErrorKind, Js, Value};
use super::path::CallerPath;

/// Parse `bytes` (UTF-8, a leading BOM skipped) with the caller realm's `JSON.parse(text,
/// reviver)`. A syntax error becomes `EJSONPARSE` with `path`; an error thrown by the reviver
/// is left as thrown.
pub(crate) fn parse_json(
  js: Js,
  bytes: &[u8],
  reviver: Option<Value>,
  caller: &CallerPath,
) -> Result<Value> {
  let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
  let text = js.string_from_utf8(bytes)?;
  let parse = js.get(js.intrinsic("JSON")?, "parse")?;
  let undefined = js.undefined()?;
  match js.call(parse, &[text, reviver.unwrap_or(undefined)]) {
    Ok(value) => Ok(value),
    Err(err) if reviver.is_some() => Err(err),
    Err(_) => {
      let thrown = js.take_exception()?;
      let detail = match thrown {
        Some(error) => js.to_rust_string(js.get(error, "message")?)?,
        None => "not valid JSON".to_owned(),
      };
      let message = format!("EJSONPARSE: {detail}, parse '{}'", caller.given);
      let error = js.error(ErrorKind::Error, "EJSONPARSE", &message)?;
      js.set(error, "path", js.string(&caller.given)?)?;
      Err(js.into_error(error))
    }
  }
}
