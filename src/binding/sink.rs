//! The sink `index.js` and `stringify.js` push a JSON text into, piece by piece, and the one
//! place that holds it until its write takes it:
//! - pieces of a text too big to hold ([`JsonSink::stream`]) are copied at once and streamed
//!   to a writer thread that writes them into the temp file as they come, so any size fits in
//!   bounded memory;
//! - pieces fed ([`JsonSink::feed`], [`super::feed`]) are copied as they come and sent to a
//!   write already queued: JavaScript feeds them in later turns of the event loop (awaiting
//!   [`JsonSink::next`]) — the slices of an `incremental: true` serialization, and the last
//!   pieces of a big async write's text, whose copy out of JavaScript (V8 flattens each string
//!   before Node-API can read it) then never lengthens the call's own stall;
//! - everything else ([`JsonSink::push`]) is copied during the call.
//!
//! A Sync write blocks the JavaScript thread, so it first has every text still being fed
//! finished ([`super::feed::finish_feeds`]): an async write of the same file may be waiting
//! for one.

use std::time::Duration;

use napi::bindgen_prelude::{Function, JsObjectValue, Object, Unknown};
use napi::{Env, Error, JsString, Result};
use napi_derive::napi;

use super::feed::Feeding;
use super::js_error;
use super::path::TargetPath;
use super::pieces::{read_piece, to_utf16};
use crate::feed::SliceClock;
use crate::spill::Spill;
use crate::text::{Piece, Pieces, Text};
use crate::write::Body;

/// The text of one JSON write, as it is pushed (used by index.js and stringify.js; not public
/// API). Each push is `texts` and `meta`, four numbers per text: characters to trim at the
/// start and at the end, extra indent depth, whether a comma precedes it.
#[napi]
pub struct JsonSink {
  target: TargetPath,
  /// One level of indentation of deeper pieces (JSON.stringify's `gap`).
  gap: Vec<u16>,
  /// The text pushed, once copied or being copied.
  text: Option<Text>,
  /// The writer the text streams to, once it is too big to hold.
  spill: Option<Spill>,
  /// The text fed slice by slice to a write already queued.
  feeding: Option<Feeding>,
  /// When the current slice of an incremental serialization began.
  clock: SliceClock,
  /// Where the sink is: only a complete text (`push`ed) is ever written, once; an abandoned
  /// sink takes nothing more. (index.js keeps to that; the checks make a sink used any other
  /// way an error, never an empty or partial file.)
  state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
  Filling,
  /// Being fed slice by slice (`feed`): its write may take it before it is complete.
  Feeding,
  Complete,
  Done,
}

#[napi]
impl JsonSink {
  /// A sink for the text of a write to `target`'s path.
  #[napi(constructor)]
  pub fn new(target: TargetPath) -> Self {
    JsonSink {
      target,
      gap: Vec::new(),
      text: None,
      spill: None,
      feeding: None,
      clock: SliceClock::start(),
      state: State::Filling,
    }
  }

  /// Start a walked text: its deeper pieces are indented with `gap`.
  #[napi]
  pub fn begin(&mut self, gap: JsString) -> Result<()> {
    self.gap = to_utf16(gap)?;
    Ok(())
  }

  /// Copy these pieces now and stream them, and the rest of the text, into the temp file: the
  /// text is too big to hold. Throws the write's error if that failed.
  #[napi(ts_args_type = "texts: string[], meta: number[]")]
  pub fn stream(&mut self, env: &Env, texts: Object, meta: Vec<f64>) -> Result<()> {
    self.expect(env, State::Filling)?;
    if self.spill.is_none() {
      self.spill = Some(Spill::start(
        self.target.absolute().to_path_buf(),
        self.gap.clone(),
      ));
    }
    let copied = self.copy_now(env, texts, &meta);
    self.abandon_on_error(copied)
  }

  /// Copy these pieces now and send them to the write, which may already be queued (the text
  /// is then taken before it is complete); `finish` serializes (or feeds) the rest at once,
  /// when a Sync write needs this thread. `false` if the write no longer wants the text
  /// (superseded, or failed): stop serializing.
  #[napi(ts_args_type = "texts: string[], meta: number[], finish: () => void")]
  pub fn feed(
    &mut self,
    env: &Env,
    texts: Object,
    meta: Vec<f64>,
    finish: Function<(), ()>,
  ) -> Result<bool> {
    if self.state == State::Filling && self.spill.is_none() && self.feeding.is_none() {
      self.feeding = Some(Feeding::start(
        self.gap.clone(),
        self.clock.clone(),
        finish,
      )?);
      self.state = State::Feeding;
    }
    self.expect(env, State::Feeding)?;
    let feeding = self.feeding.as_mut().ok_or_else(|| no_text(env))?;
    let sent = feeding.send(texts, &meta);
    if sent.is_err() {
      self.abandon();
    }
    sent
  }

  /// Whether the current slice has run for `micros` microseconds or more (a monotonic clock:
  /// fake timers do not touch it).
  #[napi]
  pub fn due(&self, micros: f64) -> bool {
    self
      .clock
      .spent(Duration::from_secs_f64(micros.max(0.0) / 1e6))
  }

  /// A promise that resolves in a later turn, when the next slice may be fed.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn next<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
    match (&self.feeding, self.state) {
      (Some(feeding), State::Feeding) => feeding.next(env),
      _ => Err(no_text(env)),
    }
  }

  /// The last pieces, copied now (or, if the text is being fed, sent): the text is complete.
  #[napi(ts_args_type = "texts: string[], meta: number[]")]
  pub fn push(&mut self, env: &Env, texts: Object, meta: Vec<f64>) -> Result<()> {
    if self.state == State::Feeding {
      return self.push_last_fed(env, texts, &meta);
    }
    self.expect(env, State::Filling)?;
    let copied = self.copy_now(env, texts, &meta);
    self.state = State::Complete;
    self.abandon_on_error(copied)
  }

  /// Serialization failed: let the text go, and with it, if it was streaming, the temp file
  /// and the directories its write created (before this returns, so the failed call leaves
  /// nothing behind).
  #[napi]
  pub fn abandon(&mut self) {
    self.state = State::Done;
    self.text = None;
    // Unfinished, its write fails (ECANCELED) and removes its temp file and directories.
    self.feeding = None;
    if let Some(spilled) = self.spill.take().and_then(Spill::finish) {
      spilled.abandon();
    }
  }
}

impl JsonSink {
  /// The target and the complete text pushed, leaving the sink done.
  pub(crate) fn take(&mut self, env: &Env) -> Result<(TargetPath, Body)> {
    if let Some(text) = self.feeding.as_mut().and_then(Feeding::take_text) {
      // Taken while still being fed (or complete, fed): the write reads it as it comes.
      if self.state == State::Complete {
        self.state = State::Done;
        self.feeding = None;
      }
      return Ok((self.target.clone(), Body::Text(text)));
    }
    self.expect(env, State::Complete)?;
    self.state = State::Done;
    let body = match self.spill.take().map(Spill::finish) {
      Some(Some(spilled)) => Some(Body::Filled(Box::new(spilled))),
      // The writer failed (and the copy that learnt it threw): there is no text.
      Some(None) => None,
      // A text of no pieces is no JSON text (index.js always pushes one).
      None => match self.text.take() {
        Some(Text::Pieces(pieces)) if pieces.is_empty() => None,
        text => text.map(Body::Text),
      },
    };
    let body = body.ok_or_else(|| no_text(env))?;
    Ok((self.target.clone(), body))
  }

  /// The last pieces of a fed text: sent, and the text ends. Once its write has taken it, the
  /// sink is done.
  fn push_last_fed(&mut self, env: &Env, texts: Object, meta: &[f64]) -> Result<()> {
    let feeding = self.feeding.as_mut().ok_or_else(|| no_text(env))?;
    let sent = feeding.send(texts, meta);
    if sent.is_err() {
      self.abandon();
      return sent.map(drop);
    }
    feeding.finish();
    // Not taken yet (its write is made after): `take` gives it, complete. Taken: let go of it
    // now, and with it of the function JavaScript registered (which holds the whole value).
    match feeding.is_taken() {
      true => {
        self.state = State::Done;
        self.feeding = None;
      }
      false => self.state = State::Complete,
    }
    Ok(())
  }

  /// `ERR_INVALID_STATE` unless the sink is `state`.
  fn expect(&self, env: &Env, state: State) -> Result<()> {
    match self.state == state {
      true => Ok(()),
      false => Err(no_text(env)),
    }
  }

  fn abandon_on_error(&mut self, result: Result<()>) -> Result<()> {
    if result.is_err() {
      self.abandon();
    }
    result
  }

  /// Copy the pieces now: into the spill if the text streams, else into the text held.
  fn copy_now(&mut self, env: &Env, texts: Object, meta: &[f64]) -> Result<()> {
    let mut held = match self.text.take() {
      Some(Text::Pieces(pieces)) => pieces,
      _ => Pieces::new(self.gap.clone()),
    };
    for index in 0..texts.get_array_length()? {
      let (comma, piece) = read_piece(texts, meta, index)?;
      for piece in comma.then(Piece::comma).into_iter().chain([piece]) {
        match self.spill.as_mut() {
          Some(spill) => spill
            .send(piece)
            .map_err(|err| js_error::to_js(env, &err, &self.target))?,
          None => held.push_piece(piece),
        }
      }
    }
    self.text = Some(Text::Pieces(held));
    Ok(())
  }
}

/// The error of a sink used out of order (only possible by calling the binding directly).
fn no_text(env: &Env) -> Error {
  js_error::coded(
    env,
    "ERR_INVALID_STATE",
    "this JSON sink has no complete text to give (nothing pushed, already written, or abandoned)",
  )
}
