//! Argument errors worded and coded as Node's own (`ERR_INVALID_ARG_TYPE`, …), so callers can
//! handle ours exactly like those of `fs`.

use napi::{Error, Result};

use super::js::{ErrorKind, Js, Type, Value};

/// `TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string or an
/// instance of URL. Received type number (1)`.
pub(crate) fn wrong_type(js: Js, name: &str, expected: &str, actual: Value) -> Error {
  let message = format!(
    "The {} must be {expected}. Received {}",
    subject(name),
    received(js, actual)
  );
  build(js, ErrorKind::Type, "ERR_INVALID_ARG_TYPE", &message)
}

/// `TypeError [ERR_INVALID_ARG_VALUE]: The argument 'path' must be a non-empty string.
/// Received ''`.
pub(crate) fn wrong_value(js: Js, name: &str, reason: &str, actual: Value) -> Error {
  let kind = if name.contains('.') {
    "property"
  } else {
    "argument"
  };
  let message = format!(
    "The {kind} '{name}' {reason}. Received {}",
    inspect(js, actual)
  );
  build(js, ErrorKind::Type, "ERR_INVALID_ARG_VALUE", &message)
}

/// `RangeError [ERR_OUT_OF_RANGE]: The value of "options.mode" is out of range. It must be an
/// integer >= 0 && <= 4095. Received 4096`.
pub(crate) fn out_of_range(js: Js, name: &str, range: &str, actual: Value) -> Error {
  let message = format!(
    "The value of \"{name}\" is out of range. It must be {range}. Received {}",
    inspect(js, actual)
  );
  build(js, ErrorKind::Range, "ERR_OUT_OF_RANGE", &message)
}

/// A `TypeError` with another Node code (the `ERR_INVALID_FILE_URL_*` family).
pub(crate) fn type_error(js: Js, code: &str, message: &str) -> Error {
  build(js, ErrorKind::Type, code, message)
}

fn build(js: Js, kind: ErrorKind, code: &str, message: &str) -> Error {
  match js.error(kind, code, message) {
    Ok(value) => js.into_error(value),
    Err(err) => err,
  }
}

/// `"path" argument` / `"options.mode" property`, as Node words it.
fn subject(name: &str) -> String {
  if name.contains('.') {
    format!("\"{name}\" property")
  } else {
    format!("\"{name}\" argument")
  }
}

/// Node's `determineSpecificType`: `type number (1)`, `an instance of Array`, `undefined`, …
fn received(js: Js, value: Value) -> String {
  let describe = || -> Result<String> {
    Ok(match js.type_of(value)? {
      Type::Undefined => "undefined".into(),
      Type::Null => "null".into(),
      Type::Boolean => format!("type boolean ({})", js.to_bool(value)?),
      Type::Number => format!("type number ({})", number_text(js, value)?),
      Type::BigInt => format!("type bigint ({}n)", coerced(js, value)?),
      Type::String => {
        let text = js.to_rust_string(value)?;
        let text = if text.chars().count() > 28 {
          format!("{}...", text.chars().take(25).collect::<String>())
        } else {
          text
        };
        if text.contains('\'') {
          format!("type string ({})", serde_like_quote(&text))
        } else {
          format!("type string ('{text}')")
        }
      }
      Type::Symbol => format!("type symbol (Symbol({}))", symbol_description(js, value)?),
      Type::Function => format!("function {}", coerced(js, js.get(value, "name")?)?),
      Type::Object | Type::External => {
        let constructor = js.get(value, "constructor")?;
        if js.type_of(constructor)? == Type::Function {
          format!(
            "an instance of {}",
            coerced(js, js.get(constructor, "name")?)?
          )
        } else {
          "[Object: null prototype]".into()
        }
      }
    })
  };
  describe().unwrap_or_else(|_| "an unreadable value".into())
}

/// A short `util.inspect`: strings quoted and escaped, numbers as JavaScript prints them.
fn inspect(js: Js, value: Value) -> String {
  let show = || -> Result<String> {
    Ok(match js.type_of(value)? {
      Type::String => {
        let text = js.to_rust_string(value)?;
        let mut quoted = String::from("'");
        for ch in text.chars() {
          match ch {
            '\'' => quoted.push_str("\\'"),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
              quoted.push_str(&format!("\\x{:02X}", c as u32))
            }
            c => quoted.push(c),
          }
        }
        quoted.push('\'');
        quoted
      }
      Type::Number => number_text(js, value)?,
      Type::Boolean => js.to_bool(value)?.to_string(),
      Type::Undefined => "undefined".into(),
      Type::Null => "null".into(),
      Type::BigInt => format!("{}n", coerced(js, value)?),
      _ => received(js, value),
    })
  };
  let text = show().unwrap_or_else(|_| "an unreadable value".into());
  if text.chars().count() > 128 {
    format!("{}...", text.chars().take(128).collect::<String>())
  } else {
    text
  }
}

/// JavaScript's own `String(number)` (`-0` shown as Node shows it).
fn number_text(js: Js, value: Value) -> Result<String> {
  let number = js.to_f64(value)?;
  if number == 0.0 && number.is_sign_negative() {
    return Ok("-0".into());
  }
  coerced(js, value)
}

/// `String(value)` for primitives whose conversion runs no user code (numbers, bigints, the
/// `name` of a function or constructor).
fn coerced(js: Js, value: Value) -> Result<String> {
  match js.type_of(value)? {
    Type::String => js.to_rust_string(value),
    Type::Number | Type::BigInt => js.to_rust_string(js.coerce_to_string(value)?),
    _ => Ok(String::new()),
  }
}

fn symbol_description(js: Js, symbol: Value) -> Result<String> {
  let description = js.get(symbol, "description")?;
  match js.type_of(description)? {
    Type::String => js.to_rust_string(description),
    _ => Ok(String::new()),
  }
}

/// `JSON.stringify(text)` for the short strings shown in messages.
fn serde_like_quote(text: &str) -> String {
  let mut out = String::from("\"");
  for ch in text.chars() {
    match ch {
      '"' => out.push_str("\\\""),
      '\\' => out.push_str("\\\\"),
      '\n' => out.push_str("\\n"),
      c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
      c => out.push(c),
    }
  }
  out.push('"');
  out
}
