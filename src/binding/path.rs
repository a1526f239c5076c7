//! The `path` argument: a string or a `file:` URL, made absolute as `path.resolve` would.

use std::path::PathBuf;

use napi::Result;

use super::invalid_arg;
use super::js::{Js, Type, Value};
use crate::target::normalize;

/// A target path as the caller gave it (for error messages) and as the core uses it.
#[derive(Debug, Clone)]
pub(crate) struct CallerPath {
  /// The path as given (a URL already decoded to a path).
  pub(crate) given: String,
  /// `path.resolve(given)`: absolute, `.` and `..` resolved, symlinks untouched.
  pub(crate) absolute: PathBuf,
}

/// Check and resolve the `path` argument. Errors are Node's: `ERR_INVALID_ARG_TYPE` for a
/// non-string, `ERR_INVALID_ARG_VALUE` for an empty path or one with a NUL byte, and the
/// `ERR_INVALID_URL_SCHEME` / `ERR_INVALID_FILE_URL_*` family for unusable URLs.
pub(crate) fn caller_path(js: Js, value: Value) -> Result<CallerPath> {
  let given = match js.type_of(value)? {
    Type::String => js.to_rust_string(value)?,
    Type::Object if is_url(js, value)? => file_url_to_path(js, value)?,
    _ => {
      return Err(invalid_arg::wrong_type(
        js,
        "path",
        "of type string or an instance of URL",
        value,
      ))
    }
  };
  if given.is_empty() {
    return Err(invalid_arg::wrong_value(
      js,
      "path",
      "must be a non-empty string",
      value,
    ));
  }
  if given.contains('\0') {
    let reason = "must be a string, Uint8Array, or URL without null bytes";
    return Err(invalid_arg::wrong_value(
      js,
      "path",
      reason,
      js.string(&given)?,
    ));
  }
  let cwd = std::env::current_dir().unwrap_or_default();
  let absolute = normalize(&cwd.join(&given));
  Ok(CallerPath { given, absolute })
}

/// Node's test for a URL object: it has `href` and `protocol`, and none of the legacy
/// `url.parse()` fields.
fn is_url(js: Js, value: Value) -> Result<bool> {
  let present = |name| -> Result<bool> {
    let field = js.get(value, name)?;
    Ok(!matches!(js.type_of(field)?, Type::Undefined | Type::Null))
  };
  Ok(present("href")? && present("protocol")? && !present("auth")? && !present("path")?)
}

/// `url.fileURLToPath(url)`.
fn file_url_to_path(js: Js, url: Value) -> Result<String> {
  let text = |name| -> Result<String> {
    let field = js.get(url, name)?;
    match js.type_of(field)? {
      Type::String => js.to_rust_string(field),
      // An object with `href` and `protocol` but a non-string part is no URL after all.
      _ => Err(invalid_arg::wrong_type(
        js,
        "path",
        "of type string or an instance of URL",
        url,
      )),
    }
  };
  if text("protocol")? != "file:" {
    return Err(invalid_arg::type_error(
      js,
      "ERR_INVALID_URL_SCHEME",
      "The URL must be of scheme file",
    ));
  }
  let hostname = text("hostname")?;
  let pathname = text("pathname")?;
  let encoded_separator = |p: &str| {
    let lower = p.to_ascii_lowercase();
    lower.contains("%2f") || (cfg!(windows) && lower.contains("%5c"))
  };
  if encoded_separator(&pathname) {
    let message = if cfg!(windows) {
      "File URL path must not include encoded \\ or / characters"
    } else {
      "File URL path must not include encoded / characters"
    };
    return Err(invalid_arg::type_error(
      js,
      "ERR_INVALID_FILE_URL_PATH",
      message,
    ));
  }
  let decoded = percent_decode(&pathname).ok_or_else(|| {
    invalid_arg::type_error(
      js,
      "ERR_INVALID_FILE_URL_PATH",
      "File URL path must be valid percent-encoded UTF-8",
    )
  })?;
  if cfg!(windows) {
    let path = decoded.replace('/', "\\");
    if !hostname.is_empty() {
      return Ok(format!("\\\\{hostname}{path}"));
    }
    // "/C:/x" → "C:\x"
    return Ok(path.strip_prefix('\\').unwrap_or(&path).to_owned());
  }
  if !hostname.is_empty() {
    let message = format!(
      "File URL host must be \"localhost\" or empty on {}",
      std::env::consts::OS
    );
    return Err(invalid_arg::type_error(
      js,
      "ERR_INVALID_FILE_URL_HOST",
      &message,
    ));
  }
  Ok(decoded)
}

/// `%xx` sequences to bytes, the result read as UTF-8 (as `decodeURIComponent`, which throws
/// on invalid UTF-8 where this returns `None`).
fn percent_decode(text: &str) -> Option<String> {
  let bytes = text.as_bytes();
  let mut out = Vec::with_capacity(bytes.len());
  let mut i = 0;
  while i < bytes.len() {
    if bytes[i] == b'%' {
      let hex = text.get(i + 1..i + 3)?;
      out.push(u8::from_str_radix(hex, 16).ok()?);
      i += 3;
    } else {
      out.push(bytes[i]);
      i += 1;
    }
  }
  String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
  use super::percent_decode;

  #[test]
  fn percent_decoding() {
    assert_eq!(
      percent_decode("/a%20b/%C3%A9.json").as_deref(),
      Some("/a b/é.json")
    );
    assert_eq!(percent_decode("/bad%zz"), None);
    assert_eq!(percent_decode("/bad%ff"), None);
  }
}
