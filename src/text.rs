//! The bytes of one write, in the form they left JavaScript, and their UTF-8 encoding.
//!
//! Copying a V8 string out as UTF-16 (or Latin-1) is a memcpy; producing UTF-8 is a transcode.
//! The binding copies on the main thread and this module transcodes on the worker, chunk by
//! chunk, straight into the file, so the main thread never pays for the encoding and no second
//! full-size copy exists.

use std::io::{self, Write};

/// Size of the UTF-8 chunks handed to `write(2)` when transcoding.
const CHUNK: usize = 256 * 1024;

/// Text to be written as UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
  /// Already UTF-8 (or raw bytes from a `Uint8Array`): written as is.
  Bytes(Vec<u8>),
  /// UTF-16 code units of a JavaScript string; a lone surrogate becomes U+FFFD, as
  /// `Buffer.from(string, 'utf8')` does.
  Utf16(Vec<u16>),
}

impl Text {
  /// Write the UTF-8 encoding to `out`, in bounded chunks, and return how many bytes that was.
  pub fn write_utf8(&self, out: &mut impl Write) -> io::Result<u64> {
    match self {
      Text::Bytes(bytes) => {
        for chunk in bytes.chunks(CHUNK) {
          out.write_all(chunk)?;
        }
        Ok(bytes.len() as u64)
      }
      Text::Utf16(units) => {
        let mut buffer = vec![0u8; CHUNK];
        let mut rest = &units[..];
        let mut total = 0u64;
        while !rest.is_empty() {
          // Converts as much as fits; a surrogate pair is never split across two calls.
          let (read, written) = encoding_rs::mem::convert_utf16_to_utf8_partial(rest, &mut buffer);
          out.write_all(&buffer[..written])?;
          total += written as u64;
          rest = &rest[read..];
        }
        Ok(total)
      }
    }
  }

  /// Append a `\n` (for `finalNewline`).
  pub fn push_newline(&mut self) {
    match self {
      Text::Bytes(bytes) => bytes.push(b'\n'),
      Text::Utf16(units) => units.push(u16::from(b'\n')),
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn utf8_of(text: &Text) -> Vec<u8> {
    let mut out = Vec::new();
    let n = text.write_utf8(&mut out).unwrap();
    assert_eq!(n, out.len() as u64);
    out
  }

  #[test]
  fn utf16_is_transcoded() {
    let s = "{\"a\":\"héllo 😀 ✓\"}";
    assert_eq!(
      utf8_of(&Text::Utf16(s.encode_utf16().collect())),
      s.as_bytes()
    );
  }

  #[test]
  fn lone_surrogates_become_replacement_characters() {
    let units = vec![0x61, 0xD800, 0x62, 0xDC00];
    assert_eq!(
      utf8_of(&Text::Utf16(units)),
      "a\u{FFFD}b\u{FFFD}".as_bytes()
    );
  }

  #[test]
  fn pairs_across_chunk_boundaries_stay_whole() {
    // Put an emoji's surrogate pair exactly across the point where the first chunk fills up.
    let mut s = "x".repeat(CHUNK - 2);
    s.push('😀');
    s.push_str(&"é".repeat(CHUNK));
    assert_eq!(
      utf8_of(&Text::Utf16(s.encode_utf16().collect())),
      s.as_bytes()
    );
  }

  #[test]
  fn newline_is_appended() {
    let mut text = Text::Utf16("1".encode_utf16().collect());
    text.push_newline();
    assert_eq!(utf8_of(&text), b"1\n");
  }
}
