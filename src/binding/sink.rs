//! The sink `index.js` and `stringify.js` push a JSON text into: it copies the pieces out of V8
//! into the core's [`Sink`], which decides where each goes (held, streamed into the temp file,
//! or fed to a write already queued). A text too big to hold is pushed with
//! [`JsonSink::stream`]; one fed in later turns (see [`super::feed`]) with [`JsonSink::feed`];
//! the rest, and the last pieces, with [`JsonSink::push`].

use std::time::Duration;

use napi::bindgen_prelude::{Function, JsObjectValue, Object, Unknown};
use napi::{Env, Error, JsString, Result};
use napi_derive::napi;

use super::feed::{self, Feeding};
use super::js_error;
use super::path::TargetPath;
use super::pieces::{read_piece, to_utf16};
use crate::feed::SliceClock;
use crate::sink::Sink;
use crate::write::Body;

/// The text of one JSON write, as it is pushed (used by index.js and stringify.js; not public
/// API). Each push is `texts` and `meta`, four numbers per text: characters to trim at the
/// start and at the end, extra indent depth, whether a comma precedes it. What is done with
/// them is the core's `Sink`'s; this copies them out of V8.
#[napi]
pub struct JsonSink {
  target: TargetPath,
  sink: Sink,
  /// While the text is being fed: its function to finish it at once, registered.
  feeding: Option<Feeding>,
  /// When the current slice of an incremental serialization began.
  clock: SliceClock,
}

#[napi]
impl JsonSink {
  /// A sink for the text of a write to `target`'s path.
  #[napi(constructor)]
  pub fn new(target: TargetPath) -> Self {
    JsonSink {
      sink: Sink::new(target.absolute().to_path_buf()),
      target,
      feeding: None,
      clock: SliceClock::start(),
    }
  }

  /// Start a walked text: its deeper pieces are indented with `gap`.
  #[napi]
  pub fn begin(&mut self, gap: JsString) -> Result<()> {
    self.sink.begin(to_utf16(gap)?);
    Ok(())
  }

  /// Copy these pieces now and stream them, and the rest of the text, into the temp file: the
  /// text is too big to hold. Throws the write's error if that failed.
  #[napi(ts_args_type = "texts: string[], meta: number[]")]
  pub fn stream(&mut self, env: &Env, texts: Object, meta: Vec<f64>) -> Result<()> {
    self.sink.spill().map_err(|_| no_text(env))?;
    self.copy(env, texts, &meta).map(drop)
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
    if self.sink.may_feed() {
      self.feeding = Some(Feeding::start(finish)?);
      self.sink.start_feed();
    }
    if !self.sink.is_feeding() {
      return Err(no_text(env));
    }
    self.copy(env, texts, &meta)
  }

  /// Whether the current slice has run for `micros` microseconds or more (a monotonic clock:
  /// fake timers do not touch it).
  #[napi]
  pub fn due(&self, micros: f64) -> bool {
    let budget = Duration::from_secs_f64(micros.max(0.0) / 1e6);
    self.clock.spent(budget)
  }

  /// A promise that resolves in a later turn, when the next slice may be fed.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn next<'env>(&mut self, env: &'env Env) -> Result<Unknown<'env>> {
    let fed = self.sink.fed().map_err(|_| no_text(env))?;
    feed::next(env, fed, &self.clock)
  }

  /// The last pieces, copied now (or, if the text is being fed, sent): the text is complete.
  #[napi(ts_args_type = "texts: string[], meta: number[]")]
  pub fn push(&mut self, env: &Env, texts: Object, meta: Vec<f64>) -> Result<()> {
    self.sink.open().map_err(|_| no_text(env))?;
    self.copy(env, texts, &meta)?;
    self.sink.complete();
    self.let_go_of_feeding();
    Ok(())
  }

  /// Serialization failed: let the text go, and with it, if it was streaming, the temp file
  /// and the directories its write created (before this returns, so the failed call leaves
  /// nothing behind).
  #[napi]
  pub fn abandon(&mut self) {
    self.sink.abandon();
    self.feeding = None;
  }
}

impl JsonSink {
  /// The target and the text pushed (complete, or being fed), for its write.
  pub(crate) fn take(&mut self, env: &Env) -> Result<(TargetPath, Body)> {
    let body = self.sink.take().map_err(|_| no_text(env))?;
    self.let_go_of_feeding();
    Ok((self.target.clone(), body))
  }

  /// Once the text is no longer being fed, let go of the function JavaScript registered to
  /// finish it (which holds the whole value).
  fn let_go_of_feeding(&mut self) {
    if !self.sink.is_feeding() {
      self.feeding = None;
    }
  }

  /// Copy the pieces out of V8, now, into the sink (see [`Sink::add`]); `false` if the write
  /// no longer wants them. If that fails, the text is abandoned.
  fn copy(&mut self, env: &Env, texts: Object, meta: &[f64]) -> Result<bool> {
    let mut copy = || {
      for index in 0..texts.get_array_length()? {
        let (comma, piece) = read_piece(texts, meta, index)?;
        let added = self.sink.add(comma, piece);
        if !added.map_err(|err| js_error::to_js(env, &err, &self.target))? {
          return Ok(false);
        }
      }
      Ok(true)
    };
    let copied = copy();
    if copied.is_err() {
      self.abandon();
    }
    copied
  }
}

/// The error of a sink used out of order (only possible by calling the binding directly).
fn no_text(env: &Env) -> Error {
  js_error::coded(env, "ERR_INVALID_STATE", NO_TEXT)
}
const NO_TEXT: &str =
  "this JSON sink has no complete text to give (nothing pushed, already written, or abandoned)";
