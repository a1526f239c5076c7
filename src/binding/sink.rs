//! Where the pieces of a JSON text that `stringify.js` walks end up when they are copied out
//! during the call: a text too big to hold (streamed on to a writer thread that writes it into
//! the temp file as it comes, so any size fits in bounded memory), and everything in a Sync
//! call. Otherwise the pieces are copied in later turns ([`super::copier`]). `index.js` makes
//! one per JSON write and hands it to the walker, then to the write.

use napi::bindgen_prelude::Unknown;
use napi::{Env, JsValue, Result};
use napi_derive::napi;

use super::copier::read_piece;
use super::js::{Js, Value};
use super::js_error;
use super::path::TargetPath;
use crate::spill::Spill;
use crate::text::{Piece, Pieces, Text};
use crate::write::Body;

/// Collects the pieces of one walked JSON text (used by index.js and stringify.js; not public
/// API).
#[napi]
pub struct JsonSink {
  pieces: Pieces,
  spill: Option<Spill>,
  target: TargetPath,
}

impl JsonSink {
  /// Whether nothing was copied into the sink yet.
  pub(crate) fn is_untouched(&self) -> bool {
    self.spill.is_none() && self.pieces.is_empty()
  }

  /// The indent of deeper pieces.
  pub(crate) fn gap(&self) -> Vec<u16> {
    self.pieces.gap().to_vec()
  }

  /// Copy `holder`'s texts (`{ texts, meta }`, as stringify.js makes them) now. On an error
  /// the text is abandoned.
  pub(crate) fn copy_now(&mut self, env: &Env, holder: Value) -> Result<()> {
    let js = Js::new(env);
    let copied = (|| self.copy(env, js, js.get(holder, "texts")?, js.get(holder, "meta")?))();
    self.abandon_on_error(copied)
  }

  fn abandon_on_error(&mut self, result: Result<()>) -> Result<()> {
    if result.is_err() {
      self.abandon_text();
    }
    result
  }

  /// Let the text go (see [`JsonSink::abandon`]).
  fn abandon_text(&mut self) {
    self.pieces = Pieces::default();
    if let Some(spilled) = self.spill.take().and_then(Spill::finish) {
      spilled.abandon();
    }
  }

  /// The text collected, leaving the sink empty.
  pub(crate) fn take(&mut self) -> Body {
    match self.spill.take().map(Spill::finish) {
      Some(Some(spilled)) => Body::Filled(Box::new(spilled)),
      // The writer failed and a copy threw its error: the text is being discarded.
      Some(None) => Body::Text(Text::Pieces(Pieces::default())),
      None => Body::Text(Text::Pieces(std::mem::take(&mut self.pieces))),
    }
  }

  fn copy(&mut self, env: &Env, js: Js, texts: Value, meta: Value) -> Result<()> {
    for index in 0..js.array_length(texts)? {
      let (comma, piece) = read_piece(js, texts, meta, index)?;
      if comma {
        self.add(env, Piece::comma())?;
      }
      self.add(env, piece)?;
    }
    Ok(())
  }

  fn add(&mut self, env: &Env, piece: Piece) -> Result<()> {
    match self.spill.as_mut() {
      Some(spill) => spill
        .send(piece)
        .map_err(|err| js_error::to_js(env, &err, &self.target)),
      None => {
        self.pieces.push_piece(piece);
        Ok(())
      }
    }
  }

  /// From now on, stream the text into the temp file (what is held first).
  fn start_spill(&mut self, env: &Env) -> Result<()> {
    if self.spill.is_some() {
      return Ok(());
    }
    let pieces = std::mem::take(&mut self.pieces);
    let mut spill = Spill::start(self.target.absolute().to_path_buf(), pieces.gap().to_vec());
    for piece in pieces.into_pieces() {
      spill
        .send(piece)
        .map_err(|err| js_error::to_js(env, &err, &self.target))?;
    }
    self.spill = Some(spill);
    Ok(())
  }
}

#[napi]
impl JsonSink {
  /// A sink for the text of a write to `target`'s path.
  #[napi(constructor)]
  pub fn new(target: TargetPath) -> Self {
    JsonSink {
      pieces: Pieces::default(),
      spill: None,
      target,
    }
  }

  /// Start: deeper pieces are indented with `gap` (JSON.stringify's).
  #[napi(ts_args_type = "gap: string")]
  pub fn begin(&mut self, env: &Env, gap: Unknown) -> Result<()> {
    self.pieces = Pieces::new(Js::new(env).to_utf16(gap.raw(), 0)?);
    Ok(())
  }

  /// Serialization failed: let the text go, and with it, if it was streaming, the temp file
  /// and the directories its write created (before this returns, so the failed call leaves
  /// nothing behind).
  #[napi]
  pub fn abandon(&mut self) {
    self.abandon_text();
  }

  /// Copy these pieces now and stream them, and the rest of the text, into the temp file: the
  /// text is too big to hold. Throws the write's error if that failed.
  #[napi(js_name = "copyNow", ts_args_type = "texts: string[], meta: number[]")]
  pub fn copy_pieces(&mut self, env: &Env, texts: Unknown, meta: Unknown) -> Result<()> {
    self.start_spill(env)?;
    let js = Js::new(env);
    self.copy(env, js, texts.raw(), meta.raw())
  }
}
