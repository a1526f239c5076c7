//! Where `stringify.js` puts the pieces of a JSON text it walks: each piece is copied out of
//! V8 as it is made (a small flat string: one memcpy), so no big string is ever built. Past a
//! threshold the pieces go on to a writer thread that streams them into the temp file, so any
//! size fits in bounded memory.

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use super::js::Js;
use super::js_error;
use super::path::CallerPath;
use crate::spill::Spill;
use crate::text::{Piece, Pieces, Text};

/// Collects the pieces of one walked JSON text (used by stringify.js; not public API).
#[napi]
pub struct JsonSink {
  pieces: Pieces,
  held_bytes: usize,
  spill_after: usize,
  spill: Option<Spill>,
  caller: CallerPath,
}

impl JsonSink {
  /// A sink for the text of a write to `caller`'s path.
  pub(crate) fn new(caller: CallerPath) -> Self {
    JsonSink {
      pieces: Pieces::default(),
      held_bytes: 0,
      spill_after: usize::MAX,
      spill: None,
      caller,
    }
  }

  /// The text collected, leaving the sink empty.
  pub(crate) fn take(&mut self) -> Text {
    match self.spill.take().map(Spill::finish) {
      Some(Some(spilled)) => Text::Spilled(Box::new(spilled)),
      // The writer failed and `push` threw its error: the text is being discarded.
      Some(None) => Text::Pieces(Pieces::default()),
      None => Text::Pieces(std::mem::take(&mut self.pieces)),
    }
  }
}

#[napi]
impl JsonSink {
  /// Start: deeper pieces are indented with `gap` (JSON.stringify's), and past `spill_bytes`
  /// of held text, pieces are streamed to disk.
  #[napi(ts_args_type = "gap: string, spillBytes: number")]
  pub fn begin(&mut self, env: &Env, gap: Unknown, spill_bytes: f64) -> Result<()> {
    self.pieces = Pieces::new(Js::new(env, None)?.to_utf16(gap.raw(), 0)?);
    self.spill_after = if spill_bytes >= 0.0 {
      spill_bytes as usize
    } else {
      usize::MAX
    };
    Ok(())
  }

  /// Append `text` without its first `trim_start` and last `trim_end` characters, after a comma
  /// if `comma`, with `extra_depth` more levels of indent after each of its newlines. Throws the
  /// write's error if the text is being streamed to disk and that failed.
  #[napi(
    ts_args_type = "text: string, trimStart: number, trimEnd: number, extraDepth: number, comma: boolean"
  )]
  pub fn push(
    &mut self,
    env: &Env,
    text: Unknown,
    trim_start: u32,
    trim_end: u32,
    extra_depth: u32,
    comma: bool,
  ) -> Result<()> {
    let mut units = Js::new(env, None)?.to_utf16(text.raw(), 0)?;
    units.truncate(units.len().saturating_sub(trim_end as usize));
    units.drain(..(trim_start as usize).min(units.len()));
    if comma {
      self.add(env, Piece::new(vec![u16::from(b',')], 0))?;
    }
    self.add(env, Piece::new(units, extra_depth as usize))
  }
}

impl JsonSink {
  fn add(&mut self, env: &Env, piece: Piece) -> Result<()> {
    if let Some(spill) = self.spill.as_mut() {
      return spill
        .send(piece)
        .map_err(|err| js_error::to_js(env, &err, &self.caller));
    }
    self.held_bytes += piece.size();
    self.pieces.push_piece(piece);
    if self.held_bytes > self.spill_after {
      let pieces = std::mem::take(&mut self.pieces);
      let mut spill = Spill::start(self.caller.absolute.clone(), pieces.gap().to_vec());
      for piece in pieces.into_pieces() {
        spill
          .send(piece)
          .map_err(|err| js_error::to_js(env, &err, &self.caller))?;
      }
      self.spill = Some(spill);
    }
    Ok(())
  }
}
