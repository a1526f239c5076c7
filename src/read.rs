//! Reading a JSON file back (`safeReadJson`): everything but the parse, on a worker thread.
//!
//! ```text
//! stat(path)                                    // ENOENT: the file does not exist; EISDIR for a
//!                                               //   directory, EINVAL for a FIFO/device/socket
//! fd    = open(path, O_RDONLY|O_NONBLOCK)       // never waits for a FIFO's writer
//! fstat(fd) regular, or EINVAL                  // a FIFO swapped in after the stat
//! fcntl(fd, F_SETFL, blocking)
//! read(fd) until EOF                            // one buffer of the file's size
//! skip a UTF-8 BOM; check UTF-8                 // invalid UTF-8 is EJSONPARSE at its first byte
//! decode to Latin-1 (every char < U+0100) or UTF-16
//! ```
//!
//! The main thread then makes one JavaScript string of the decoded units (a memcpy) and calls
//! `JSON.parse` on it. Only if that throws is the text walked again, by [`crate::syntax`], to
//! say where it stops being JSON. With `recover`, the same is done for [`backup_path`].

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::backup;
use crate::error::{Code, Error, IoResultExt, Result};
use crate::failpoint::failpoint;
use crate::syntax::{first_error, locate};
use crate::sys;
use crate::target;

/// The UTF-8 byte order mark, skipped as `JSON.parse(buffer.toString())` users strip it by hand.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A file's text, checked as UTF-8 and decoded into the units a JavaScript string is made of.
#[derive(Debug)]
pub struct JsonText {
  /// The file as read (kept to locate a syntax error, should `JSON.parse` throw).
  bytes: Vec<u8>,
  /// Length of the BOM at the start of `bytes`: 0 or 3.
  bom: usize,
  decoded: Decoded,
}

#[derive(Debug)]
enum Decoded {
  /// All ASCII: the file's bytes after the BOM are already Latin-1.
  Ascii,
  /// Every character below U+0100: one byte each.
  Latin1(Vec<u8>),
  /// Anything else: UTF-16 code units.
  Utf16(Vec<u16>),
}

/// The code units of a decoded text, as V8 stores strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Units<'a> {
  /// One byte per character (ISO-8859-1).
  Latin1(&'a [u8]),
  /// UTF-16.
  Utf16(&'a [u16]),
}

impl JsonText {
  /// Check and decode a file's bytes. Invalid UTF-8 is a JSON error at its first byte, unless
  /// the grammar already fails before it.
  pub fn decode(bytes: Vec<u8>) -> std::result::Result<JsonText, crate::error::JsonSyntax> {
    let bom = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &bytes[bom..];
    let text = match std::str::from_utf8(body) {
      Ok(text) => text,
      Err(err) => {
        let valid = err.valid_up_to();
        let (position, reason) = match first_error(&body[..valid]) {
          // Within the valid part, a failure before its end is real; one at its end is only
          // the cut.
          Some(early) if early.position < valid => (early.position, early.reason),
          _ if err.error_len().is_none() => (valid, "incomplete UTF-8 character".into()),
          _ => (valid, format!("invalid UTF-8 (byte 0x{:02x})", body[valid])),
        };
        return Err(locate(&bytes, bom, bom + position, reason));
      }
    };
    let decoded = if text.is_ascii() {
      Decoded::Ascii
    } else if encoding_rs::mem::is_str_latin1(text) {
      let mut latin1 = vec![0; text.len()];
      let written = encoding_rs::mem::convert_utf8_to_latin1_lossy(body, &mut latin1);
      latin1.truncate(written);
      Decoded::Latin1(latin1)
    } else {
      let mut utf16 = vec![0; text.len()];
      let written = encoding_rs::mem::convert_str_to_utf16(text, &mut utf16);
      utf16.truncate(written);
      Decoded::Utf16(utf16)
    };
    Ok(JsonText {
      bytes,
      bom,
      decoded,
    })
  }

  /// The text's code units, for one JavaScript string.
  pub fn units(&self) -> Units<'_> {
    match &self.decoded {
      Decoded::Ascii => Units::Latin1(&self.bytes[self.bom..]),
      Decoded::Latin1(latin1) => Units::Latin1(latin1),
      Decoded::Utf16(utf16) => Units::Utf16(utf16),
    }
  }

  /// Where the text stops being JSON (as `EJSONPARSE` on `path`), or `None` if it is JSON.
  /// Called only after `JSON.parse` threw: a throw with valid JSON came from the reviver.
  pub fn syntax_error(&self, path: &Path) -> Option<Error> {
    let found = first_error(&self.bytes[self.bom..])?;
    let syntax = locate(
      &self.bytes,
      self.bom,
      self.bom + found.position,
      found.reason,
    );
    Some(json_error(syntax, path))
  }
}

/// Read and decode the file at `path` (symlinks followed).
pub fn load(path: &Path) -> Result<JsonText> {
  // A reserved DOS name (`aux.json`) is a file like any other (errors show the plain path).
  let bytes = read_file(&sys::verbatim(path))?;
  JsonText::decode(bytes).map_err(|syntax| json_error(syntax, path))
}

/// Whether `err` means that the file is not there: `default` applies, and `recover` may try
/// the backup.
pub fn is_missing(err: &Error) -> bool {
  err.code_name() == "ENOENT"
}

/// Whether `recover` falls back to the backup after `err`: the file is missing or not JSON.
/// Any other failure (EACCES, EISDIR, EIO) is reported as it is.
pub fn is_recoverable(err: &Error) -> bool {
  is_missing(err) || matches!(err.code, Code::JsonParse(_))
}

/// `<name>.bak` beside the file `path` names: where `backup: true` keeps the previous version.
/// A symlink is followed first, as the writers do, since they keep the backup beside the real
/// file.
pub fn backup_path(path: &Path) -> Result<PathBuf> {
  let real = target::resolve(path)?;
  let backup = real.with_file_name(backup::backup_name(real.file_name().unwrap_or_default()));
  // As users write it: the binding compares it with the caller's own spelling.
  Ok(sys::plain(backup))
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
  failpoint!("read.open", "open", path);
  // Refused before any open: opening a FIFO for reading blocks until a writer comes (forever,
  // and `updateJson` would hold the lock meanwhile); opening a device can act on it.
  let meta =
    fs::metadata(path).map_err(|err| target::blame(Error::io(&err, "open", path), path))?;
  refuse_non_regular(&meta, path)?;
  let mut file =
    sys::open_for_read(path).map_err(|err| target::blame(Error::io(&err, "open", path), path))?;
  let meta = file.metadata().at("fstat", path)?;
  refuse_non_regular(&meta, path)?;
  sys::blocking(&file).at("fcntl", path)?;
  let mut bytes = Vec::new();
  // One allocation of the right size; a size beyond memory is ENOMEM, not an abort.
  bytes
    .try_reserve_exact(meta.len() as usize + 1)
    .map_err(|_| Error::os("ENOMEM", "read", path))?;
  failpoint!("read.read", "read", path);
  // `read_to_end` retries EINTR itself.
  file.read_to_end(&mut bytes).at("read", path)?;
  Ok(bytes)
}

/// A directory is EISDIR (as `fs.readFile` reports it), any other non-regular file EINVAL: a
/// FIFO or a device could block the worker forever; the writers refuse them too.
fn refuse_non_regular(meta: &fs::Metadata, path: &Path) -> Result<()> {
  if meta.is_dir() {
    return Err(Error::os("EISDIR", "read", path));
  }
  if !meta.is_file() {
    return Err(Error::os("EINVAL", "read", path));
  }
  Ok(())
}

fn json_error(syntax: crate::error::JsonSyntax, path: &Path) -> Error {
  Error {
    code: Code::JsonParse(Box::new(syntax)),
    syscall: "read",
    path: sys::plain(path.to_path_buf()),
    renamed: false,
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn units_of(bytes: &[u8]) -> Units<'static> {
    let text = JsonText::decode(bytes.to_vec()).unwrap();
    match text.units() {
      Units::Latin1(u) => Units::Latin1(u.to_vec().leak()),
      Units::Utf16(u) => Units::Utf16(u.to_vec().leak()),
    }
  }

  #[test]
  fn ascii_and_latin1_stay_one_byte_per_character() {
    assert_eq!(units_of(b"[1]"), Units::Latin1(b"[1]"));
    assert_eq!(units_of("\"é\"".as_bytes()), Units::Latin1(b"\"\xE9\""));
  }

  #[test]
  fn other_text_becomes_utf16() {
    let text = "\"中😀\"";
    let expected: Vec<u16> = text.encode_utf16().collect();
    assert_eq!(units_of(text.as_bytes()), Units::Utf16(&expected));
  }

  #[test]
  fn a_bom_is_skipped() {
    assert_eq!(units_of(b"\xEF\xBB\xBF{}"), Units::Latin1(b"{}"));
  }

  #[test]
  fn invalid_utf8_is_a_json_error_at_its_first_byte() {
    let err = JsonText::decode(b"{\"a\":\"x\xFFy\"}".to_vec()).unwrap_err();
    assert_eq!((err.position, err.line, err.column), (7, 1, 8));
    assert_eq!(err.reason, "invalid UTF-8 (byte 0xff)");
    let cut = JsonText::decode("[\"é".as_bytes()[..3].to_vec()).unwrap_err();
    assert_eq!(cut.position, 2);
    assert_eq!(cut.reason, "incomplete UTF-8 character");
  }

  #[test]
  fn a_syntax_error_before_invalid_utf8_is_the_one_reported() {
    let err = JsonText::decode(b"[1,,\"\xFF\"]".to_vec()).unwrap_err();
    assert_eq!(err.position, 3);
    assert_eq!(err.reason, "unexpected character ','");
  }

  #[test]
  fn positions_count_the_bom_but_columns_do_not() {
    let text = JsonText::decode(b"\xEF\xBB\xBF[1,]".to_vec()).unwrap();
    let err = text.syntax_error(Path::new("/x.json")).unwrap();
    let Code::JsonParse(syntax) = &err.code else {
      panic!("{err}")
    };
    assert_eq!((syntax.position, syntax.line, syntax.column), (6, 1, 4));
    assert_eq!(
      err.to_string(),
      "EJSONPARSE: unexpected character ']' at position 6 (line 1, column 4) in '/x.json': [1,]"
    );
  }
}
