//! The `options` argument: checked key by key, so that a typo or a wrong type is an error and
//! never a silently ignored setting. Defaults come from the core's `WriteOptions::default()`.

use std::time::Duration;

use napi::Result;

use super::invalid_arg;
use super::js::{Js, Type, Value};
use crate::options::{CleanupOptions, Durability, WriteOptions, MAX_MODE};

/// Options of the JSON writers: the write options plus what `JSON.stringify` needs.
#[derive(Default)]
pub(crate) struct JsonOptions {
  pub(crate) write: WriteOptions,
  /// `JSON.stringify`'s `space`, passed through untouched (V8 clamps and cuts it).
  pub(crate) indent: Option<Value>,
  /// `JSON.stringify`'s `replacer`: a function or an array.
  pub(crate) replacer: Option<Value>,
  pub(crate) final_newline: bool,
}

const WRITE_KEYS: &[&str] = &["durability", "mode", "lock", "lockTimeoutMs", "backup"];
const JSON_ONLY_KEYS: &[&str] = &["indent", "replacer", "finalNewline", "prettyPrint"];

/// Options of `safeWriteJson`: `undefined`/`null`, a number or string (the indent, as the old
/// `safeWriteJson(filePath, data, indent)`), or an options object.
pub(crate) fn json_options(js: Js, value: Value) -> Result<JsonOptions> {
  match js.type_of(value)? {
    Type::Undefined | Type::Null => Ok(JsonOptions::default()),
    Type::Number | Type::String => Ok(JsonOptions {
      indent: Some(value),
      ..JsonOptions::default()
    }),
    Type::Object if is_boxed_indent(js, value)? => Ok(JsonOptions {
      indent: Some(value),
      ..JsonOptions::default()
    }),
    Type::Object if !js.is_array(value)? => json_fields(js, value, &[]),
    _ => Err(invalid_arg::wrong_type(
      js,
      "options",
      "of type number, string or object",
      value,
    )),
  }
}

/// Options of `updateJson`: those of `safeWriteJson` as an object, plus `default` (read by
/// `index.js`, not here). It always locks, so `lock: false` is refused.
pub(crate) fn update_options(js: Js, value: Value) -> Result<JsonOptions> {
  let options = match options_object(js, value)? {
    None => JsonOptions::default(),
    Some(object) => json_fields(js, object, &["default"])?,
  };
  if !options.write.lock {
    let reason = "must not be false: updateJson always holds the lock from read to write";
    return Err(invalid_arg::wrong_value(
      js,
      "options.lock",
      reason,
      js.get(value, "lock")?,
    ));
  }
  Ok(options)
}

/// Options of `safeWriteFile`: `undefined`/`null` or an options object.
pub(crate) fn write_options(js: Js, value: Value) -> Result<WriteOptions> {
  let Some(object) = options_object(js, value)? else {
    return Ok(WriteOptions::default());
  };
  reject_unknown_keys(js, object, &[WRITE_KEYS])?;
  write_fields(js, object)
}

/// The JSON writers' options object (with `extra` keys allowed that the caller reads itself).
fn json_fields(js: Js, object: Value, extra: &[&str]) -> Result<JsonOptions> {
  reject_unknown_keys(js, object, &[WRITE_KEYS, JSON_ONLY_KEYS, extra])?;
  let mut options = JsonOptions {
    write: write_fields(js, object)?,
    ..JsonOptions::default()
  };
  let mut pretty = false;
  for_each_set(js, object, JSON_ONLY_KEYS, |key, field| {
    match key {
      "indent" => {
        let ok =
          matches!(js.type_of(field)?, Type::Number | Type::String) || is_boxed_indent(js, field)?;
        if !ok {
          return Err(invalid_arg::wrong_type(
            js,
            "options.indent",
            "of type number or string",
            field,
          ));
        }
        options.indent = Some(field);
      }
      "replacer" => match js.type_of(field)? {
        Type::Null => {}
        Type::Function => options.replacer = Some(field),
        Type::Object if js.is_array(field)? => options.replacer = Some(field),
        _ => {
          return Err(invalid_arg::wrong_type(
            js,
            "options.replacer",
            "a function, an array or null",
            field,
          ))
        }
      },
      "finalNewline" => options.final_newline = boolean(js, "options.finalNewline", field)?,
      _ => pretty = boolean(js, "options.prettyPrint", field)?,
    }
    Ok(())
  })?;
  // `prettyPrint: true` is `indent: '\t'`; an explicit `indent` wins.
  if pretty && options.indent.is_none() {
    options.indent = Some(js.string("\t")?);
  }
  Ok(options)
}

/// Refuse any key of `object` that is not in one of the `known` lists.
fn reject_unknown_keys(js: Js, object: Value, known: &[&[&str]]) -> Result<()> {
  for key in js.own_keys(object)? {
    if !known.iter().any(|list| list.contains(&key.as_str())) {
      let field = js.get(object, &key)?;
      let supported: Vec<&str> = known.iter().flat_map(|list| list.iter().copied()).collect();
      let reason = format!(
        "is not a supported option (supported: {})",
        supported.join(", ")
      );
      return Err(invalid_arg::wrong_value(
        js,
        &format!("options.{key}"),
        &reason,
        field,
      ));
    }
  }
  Ok(())
}

/// The options every writer has.
fn write_fields(js: Js, object: Value) -> Result<WriteOptions> {
  let mut options = WriteOptions::default();
  for_each_set(js, object, WRITE_KEYS, |key, field| {
    match key {
      "durability" => {
        if js.type_of(field)? != Type::String {
          return Err(invalid_arg::wrong_type(
            js,
            "options.durability",
            "of type string",
            field,
          ));
        }
        let reason = "must be one of: 'full', 'data', 'none'";
        options.durability = Durability::parse(&js.to_rust_string(field)?)
          .ok_or_else(|| invalid_arg::wrong_value(js, "options.durability", reason, field))?;
      }
      "mode" => {
        let mode = number(js, "options.mode", field)?;
        if mode.fract() != 0.0 || !(0.0..=f64::from(MAX_MODE)).contains(&mode) {
          return Err(invalid_arg::out_of_range(
            js,
            "options.mode",
            "an integer >= 0 && <= 4095",
            field,
          ));
        }
        options.mode = Some(mode as u32);
      }
      "lock" => options.lock = boolean(js, "options.lock", field)?,
      "backup" => options.backup = boolean(js, "options.backup", field)?,
      // Infinity is allowed: wait as long as it takes.
      _ => options.lock_timeout = milliseconds(js, "options.lockTimeoutMs", field)?,
    }
    Ok(())
  })?;
  Ok(options)
}

/// Options of `safeReadJson`. `default` and `reviver` stay JavaScript values.
pub(crate) struct ReadOptions {
  /// What to resolve with when the file does not exist; `None` for absent or `undefined`.
  pub(crate) default: Option<Value>,
  /// `JSON.parse`'s reviver.
  pub(crate) reviver: Option<Value>,
  /// Fall back to `<name>.bak` when the file is missing or does not parse.
  pub(crate) recover: bool,
}

const READ_KEYS: &[&str] = &["default", "reviver", "recover"];

/// Options of `safeReadJson`: `undefined`/`null` or an options object.
pub(crate) fn read_options(js: Js, value: Value) -> Result<ReadOptions> {
  let mut options = ReadOptions {
    default: None,
    reviver: None,
    recover: false,
  };
  let Some(value) = options_object(js, value)? else {
    return Ok(options);
  };
  reject_unknown_keys(js, value, &[READ_KEYS])?;
  for_each_set(js, value, READ_KEYS, |key, field| {
    match key {
      "default" => options.default = Some(field),
      "reviver" => match js.type_of(field)? {
        Type::Function => options.reviver = Some(field),
        Type::Null => {}
        _ => {
          return Err(invalid_arg::wrong_type(
            js,
            "options.reviver",
            "a function or null",
            field,
          ))
        }
      },
      _ => options.recover = boolean(js, "options.recover", field)?,
    }
    Ok(())
  })?;
  Ok(options)
}

/// Options of `cleanupTempFiles`: `undefined`/`null` or `{ olderThanMs }`.
pub(crate) fn cleanup_options(js: Js, value: Value) -> Result<CleanupOptions> {
  let mut options = CleanupOptions::default();
  let Some(value) = options_object(js, value)? else {
    return Ok(options);
  };
  reject_unknown_keys(js, value, &[&["olderThanMs"]])?;
  for_each_set(js, value, &["olderThanMs"], |_, field| {
    // Infinity means "nothing is old enough".
    options.older_than = milliseconds(js, "options.olderThanMs", field)?;
    Ok(())
  })?;
  Ok(options)
}

/// An options argument that must be an object: `None` for `undefined`/`null`, the object, or
/// `ERR_INVALID_ARG_TYPE` for anything else (an array included).
fn options_object(js: Js, value: Value) -> Result<Option<Value>> {
  match js.type_of(value)? {
    Type::Undefined | Type::Null => Ok(None),
    Type::Object if !js.is_array(value)? => Ok(Some(value)),
    _ => Err(invalid_arg::wrong_type(
      js,
      "options",
      "of type object",
      value,
    )),
  }
}

/// Call `each(key, value)` for the keys of `object` whose value is not `undefined`. Each
/// property is read once (a getter runs once).
fn for_each_set(
  js: Js,
  object: Value,
  keys: &[&str],
  mut each: impl FnMut(&str, Value) -> Result<()>,
) -> Result<()> {
  for key in keys {
    let field = js.get(object, key)?;
    if js.type_of(field)? != Type::Undefined {
      each(key, field)?;
    }
  }
  Ok(())
}

/// A duration in milliseconds: a number >= 0 (NaN is not), Infinity the longest there is.
fn milliseconds(js: Js, name: &str, value: Value) -> Result<Duration> {
  let ms = number(js, name, value)?;
  if ms.is_nan() || ms < 0.0 {
    return Err(invalid_arg::out_of_range(js, name, ">= 0", value));
  }
  Ok(Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX))
}

fn boolean(js: Js, name: &str, value: Value) -> Result<bool> {
  if js.type_of(value)? != Type::Boolean {
    return Err(invalid_arg::wrong_type(js, name, "of type boolean", value));
  }
  js.to_bool(value)
}

fn number(js: Js, name: &str, value: Value) -> Result<f64> {
  if js.type_of(value)? != Type::Number {
    return Err(invalid_arg::wrong_type(js, name, "of type number", value));
  }
  js.to_f64(value)
}

/// `new Number(2)` and `new String('  ')` are indents too, as for `JSON.stringify`.
fn is_boxed_indent(js: Js, value: Value) -> Result<bool> {
  Ok(js.is_boxed(value, "Number")? || js.is_boxed(value, "String")?)
}
