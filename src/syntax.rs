//! Where `JSON.parse` gives up on a text, and how to show that place to a person.
//!
//! `safeReadJson` parses with V8's own `JSON.parse`, which is fast but reports a position only
//! for some errors, counts it in UTF-16 units of the decoded string, and never gives a line.
//! When it throws, this module walks the file's bytes once more with the same grammar
//! (ECMA-404, as `JSON.parse` implements it: lone surrogate escapes are fine, nesting has no
//! limit) and finds the first byte that cannot continue the text. It runs only on that failure
//! path, so a good file is never walked twice.

use crate::error::JsonSyntax;

/// The first place where a text stops being JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
  /// Byte offset in the text given to [`first_error`].
  pub position: usize,
  /// What is wrong there, worded like V8's own messages.
  pub reason: String,
}

/// The first byte of `text` that cannot continue a JSON text, or `None` if all of `text` is one
/// JSON value between optional whitespace (exactly when `JSON.parse` accepts it).
pub fn first_error(text: &[u8]) -> Option<SyntaxError> {
  Grammar {
    text,
    at: 0,
    open: Vec::new(),
  }
  .check()
  .err()
}

/// Line, column and an excerpt for `position` (a byte offset in `file`, whose first `bom` bytes
/// are a byte order mark that editors do not show).
pub fn locate(file: &[u8], bom: usize, position: usize, reason: String) -> JsonSyntax {
  let before = &file[bom..position];
  let line_start = before
    .iter()
    .rposition(|&b| b == b'\n')
    .map_or(bom, |i| bom + i + 1);
  let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
  JsonSyntax {
    position: position as u64,
    line: line as u64,
    column: 1 + chars_in(&file[line_start..position]) as u64,
    reason,
    excerpt: excerpt(file, line_start, position),
  }
}

/// Characters shown before and after the error in an excerpt.
const BEFORE: usize = 24;
const AFTER: usize = 16;

/// The part of the error's line around `position`, escaped so that it prints on one line, with
/// `…` where it was cut.
fn excerpt(file: &[u8], line_start: usize, position: usize) -> String {
  let line_end = file[position..]
    .iter()
    .position(|&b| b == b'\n')
    .map_or(file.len(), |i| position + i);
  let mut start = position;
  for _ in 0..BEFORE {
    if start == line_start {
      break;
    }
    start -= 1;
    while start > line_start && is_continuation(file[start]) {
      start -= 1;
    }
  }
  let mut end = position;
  for _ in 0..AFTER {
    if end == line_end {
      break;
    }
    end += 1;
    while end < line_end && is_continuation(file[end]) {
      end += 1;
    }
  }
  let mut out = String::new();
  if start > line_start {
    out.push('…');
  }
  for ch in String::from_utf8_lossy(&file[start..end]).chars() {
    out.push_str(&shown(ch));
  }
  if end < line_end {
    out.push('…');
  }
  out
}

/// One character as an excerpt or a message shows it: control and invisible characters as
/// JSON escapes, everything else as itself.
fn shown(ch: char) -> String {
  match ch {
    '\t' => "\\t".into(),
    '\r' => "\\r".into(),
    '\n' => "\\n".into(),
    c if c.is_control() || c == '\u{feff}' || c == '\u{a0}' => {
      format!("\\u{:04x}", u32::from(c))
    }
    c => c.to_string(),
  }
}

/// Characters in valid UTF-8: the bytes that start one.
fn chars_in(bytes: &[u8]) -> usize {
  bytes.iter().filter(|&&b| !is_continuation(b)).count()
}

fn is_continuation(byte: u8) -> bool {
  byte & 0xC0 == 0x80
}

/// The JSON grammar as a loop with an explicit stack of open containers, so that nesting depth
/// costs memory (one byte a level), never the thread's stack.
struct Grammar<'a> {
  text: &'a [u8],
  at: usize,
  /// `[` or `{` for each container opened and not yet closed.
  open: Vec<u8>,
}

type Step = Result<(), SyntaxError>;

impl Grammar<'_> {
  fn check(mut self) -> Step {
    'value: loop {
      self.skip_whitespace();
      match self.peek() {
        Some(b'{') => {
          self.at += 1;
          self.skip_whitespace();
          if self.peek() == Some(b'}') {
            self.at += 1;
          } else {
            self.key("expected property name or '}'")?;
            self.open.push(b'{');
            continue 'value;
          }
        }
        Some(b'[') => {
          self.at += 1;
          self.skip_whitespace();
          if self.peek() == Some(b']') {
            self.at += 1;
          } else {
            self.open.push(b'[');
            continue 'value;
          }
        }
        Some(b'"') => self.string()?,
        Some(b'-' | b'0'..=b'9') => self.number()?,
        Some(b't') => self.literal(b"true")?,
        Some(b'f') => self.literal(b"false")?,
        Some(b'n') => self.literal(b"null")?,
        _ => return Err(self.unexpected()),
      }
      // A value is complete: close containers until one continues with another value.
      loop {
        self.skip_whitespace();
        match (self.open.last(), self.peek()) {
          (None, None) => return Ok(()),
          (None, Some(_)) => {
            return Err(self.fail("unexpected non-whitespace character after JSON"))
          }
          (Some(b'['), Some(b',')) => {
            self.at += 1;
            continue 'value;
          }
          (Some(b'{'), Some(b',')) => {
            self.at += 1;
            self.skip_whitespace();
            self.key("expected double-quoted property name")?;
            continue 'value;
          }
          (Some(b'['), Some(b']')) | (Some(b'{'), Some(b'}')) => {
            self.at += 1;
            self.open.pop();
          }
          (Some(b'['), _) => return Err(self.fail("expected ',' or ']' after array element")),
          (Some(_), _) => return Err(self.fail("expected ',' or '}' after property value")),
        }
      }
    }
  }

  /// `"name"` and the `:` after it.
  fn key(&mut self, reason: &str) -> Step {
    if self.peek() != Some(b'"') {
      return Err(self.fail(reason));
    }
    self.string()?;
    self.skip_whitespace();
    if self.peek() != Some(b':') {
      return Err(self.fail("expected ':' after property name"));
    }
    self.at += 1;
    Ok(())
  }

  fn string(&mut self) -> Step {
    self.at += 1; // the opening quote
    loop {
      match self.peek() {
        Some(b'"') => {
          self.at += 1;
          return Ok(());
        }
        Some(b'\\') => {
          self.at += 1;
          match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
            Some(b'u') => {
              self.at += 1;
              for _ in 0..4 {
                // Any four hex digits: JSON.parse accepts lone surrogates.
                if !self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                  return Err(self.fail("bad Unicode escape"));
                }
                self.at += 1;
              }
            }
            _ => return Err(self.fail("bad escaped character")),
          }
        }
        Some(0..=0x1F) => return Err(self.fail("bad control character in string literal")),
        Some(_) => self.at += 1,
        None => return Err(self.fail("unterminated string")),
      }
    }
  }

  fn number(&mut self) -> Step {
    if self.peek() == Some(b'-') {
      self.at += 1;
    }
    match self.peek() {
      Some(b'0') => self.at += 1,
      Some(b'1'..=b'9') => self.digits(),
      _ => return Err(self.fail("no number after minus sign")),
    }
    if self.peek() == Some(b'.') {
      self.at += 1;
      if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
        return Err(self.fail("unterminated fractional number"));
      }
      self.digits();
    }
    if matches!(self.peek(), Some(b'e' | b'E')) {
      self.at += 1;
      if matches!(self.peek(), Some(b'+' | b'-')) {
        self.at += 1;
      }
      if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
        return Err(self.fail("exponent part is missing a number"));
      }
      self.digits();
    }
    Ok(())
  }

  fn digits(&mut self) {
    while self.peek().is_some_and(|b| b.is_ascii_digit()) {
      self.at += 1;
    }
  }

  fn literal(&mut self, word: &[u8]) -> Step {
    for &expected in word {
      if self.peek() != Some(expected) {
        return Err(self.unexpected());
      }
      self.at += 1;
    }
    Ok(())
  }

  fn skip_whitespace(&mut self) {
    while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
      self.at += 1;
    }
  }

  fn peek(&self) -> Option<u8> {
    self.text.get(self.at).copied()
  }

  /// An error here; at the end of the text it is always "unexpected end of JSON input".
  fn fail(&self, reason: &str) -> SyntaxError {
    SyntaxError {
      position: self.at,
      reason: if self.at == self.text.len() {
        "unexpected end of JSON input".into()
      } else {
        reason.into()
      },
    }
  }

  /// "unexpected character 'x'", naming the character found.
  fn unexpected(&self) -> SyntaxError {
    let rest = &self.text[self.at..];
    let width = match rest.first() {
      None => return self.fail(""),
      Some(0..=0x7F) => 1,
      Some(0xC0..=0xDF) => 2,
      Some(0xE0..=0xEF) => 3,
      _ => 4,
    };
    let found = std::str::from_utf8(&rest[..width.min(rest.len())])
      .ok()
      .and_then(|s| s.chars().next())
      .map_or_else(
        || format!("byte 0x{:02x}", rest[0]),
        |c| format!("'{}'", shown(c)),
      );
    self.fail(&format!("unexpected character {found}"))
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn at(text: &str) -> Option<(usize, String)> {
    first_error(text.as_bytes()).map(|e| (e.position, e.reason))
  }

  #[test]
  fn accepts_what_json_parse_accepts() {
    for text in [
      "0",
      "-0.5e+10",
      " \t\r\n[1, 2.0, -3E-2, true, false, null] \n",
      r#"{"a":{"b":[{}, [], ""]}, "c\u00e9\ud800\n\"\\\/":"é😀"}"#,
      "\"\u{2028}\u{2029}\"",
    ] {
      assert_eq!(at(text), None, "{text}");
    }
  }

  #[test]
  fn nesting_has_no_limit() {
    let deep = "[".repeat(1_000_000) + &"]".repeat(1_000_000);
    assert_eq!(at(&deep), None);
    let unclosed = "{\"a\":".repeat(100_000);
    assert_eq!(at(&unclosed).unwrap().0, unclosed.len());
  }

  /// Positions and wording as V8 reports them (`JSON.parse` in Node 20), where it does.
  #[test]
  fn fails_where_json_parse_fails() {
    let cases: &[(&str, usize, &str)] = &[
      ("", 0, "unexpected end of JSON input"),
      ("  ", 2, "unexpected end of JSON input"),
      ("{\"a\":1,}", 7, "expected double-quoted property name"),
      ("[1,]", 3, "unexpected character ']'"),
      ("tru", 3, "unexpected end of JSON input"),
      ("trux", 3, "unexpected character 'x'"),
      ("01", 1, "unexpected non-whitespace character after JSON"),
      ("-a", 1, "no number after minus sign"),
      ("1.e", 2, "unterminated fractional number"),
      ("1e+", 3, "unexpected end of JSON input"),
      ("1.5ex", 4, "exponent part is missing a number"),
      ("\"\\x\"", 2, "bad escaped character"),
      ("\"\\u12g4\"", 5, "bad Unicode escape"),
      ("\"a\nb\"", 2, "bad control character in string literal"),
      ("\"abc", 4, "unexpected end of JSON input"),
      ("{\"a\" 1}", 5, "expected ':' after property name"),
      ("{1:2}", 1, "expected property name or '}'"),
      ("[1 2]", 3, "expected ',' or ']' after array element"),
      ("{\"a\":1 2}", 7, "expected ',' or '}' after property value"),
      ("\0\0", 0, "unexpected character '\\u0000'"),
      ("\u{feff}1", 0, "unexpected character '\\ufeff'"),
      ("é", 0, "unexpected character 'é'"),
      ("[1]x", 3, "unexpected non-whitespace character after JSON"),
    ];
    for &(text, position, reason) in cases {
      assert_eq!(at(text), Some((position, reason.to_owned())), "{text:?}");
    }
  }

  #[test]
  fn lines_and_columns_count_characters_after_the_bom() {
    let file = "\u{feff}{\n  \"é😀\": tru".as_bytes();
    let found = first_error(&file[3..]).unwrap();
    let syntax = locate(file, 3, 3 + found.position, found.reason);
    assert_eq!(syntax.position, file.len() as u64);
    assert_eq!((syntax.line, syntax.column), (2, 12));
    assert_eq!(syntax.excerpt, "  \"é😀\": tru");
  }

  #[test]
  fn excerpts_are_cut_and_escaped() {
    let file = format!("{}\t?{}\nnext line", "a".repeat(40), "b".repeat(40));
    let position = 41; // the '?'
    let syntax = locate(file.as_bytes(), 0, position, "x".into());
    assert_eq!(
      syntax.excerpt,
      format!("…{}\\t?{}…", "a".repeat(23), "b".repeat(15))
    );
    assert_eq!(locate(b"", 0, 0, "x".into()).excerpt, "");
  }
}
