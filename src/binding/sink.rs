//! The sink `index.js` and `stringify.js` push a JSON text into, piece by piece, and the one
//! place that decides when the pieces are copied out of JavaScript:
//! - pieces of a text too big to hold ([`JsonSink::stream`]) are copied at once and streamed
//!   to a writer thread that writes them into the temp file as they come, so any size fits in
//!   bounded memory;
//! - the last pieces ([`JsonSink::push`]) of an async write's text, if big enough and nothing
//!   of it was streamed, are copied in later turns of the event loop into a channel the write
//!   reads from: the call then only runs `JSON.stringify`. What is written is fixed when the
//!   call returns (strings are immutable), but copying the strings out — V8 flattens each
//!   before Node-API can read it — costs half as much again; done later, it never lengthens
//!   the call's own stall. No turn copies more than [`UNITS_PER_TURN`], and the copy pauses
//!   while the write has more than [`Flow::LIMIT`] units to catch up with (the write wakes it);
//! - everything else is copied during the call;
//! - with `incremental: true`, the pieces of each slice are copied as the slice ends and sent to
//!   a write already queued ([`JsonSink::feed`], [`super::feed`]).
//!
//! A Sync write blocks the JavaScript thread, so it first finishes every copy still pending
//! ([`finish_copies`]): an async write of the same file may be waiting for one.
//!
//! Each later copy's turns come through its own [`Later`], released when the copy is done; a
//! paused copy is woken through it from the write's thread, which may happen after that (a
//! no-op). If the environment goes away first (a worker thread terminated), the copy is
//! dropped then: its write learns that the text was abandoned, fails, and removes its temp file.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use std::time::Duration;

use napi::bindgen_prelude::{Function, JsObjectValue, Object, ObjectRef, Unknown};
use napi::{Env, Error, JsString, Result};
use napi_derive::napi;

use super::feed::{self, Feeding, SliceClock};
use super::js_error;
use super::later::Later;
use super::path::TargetPath;
use super::pieces::{read_piece, to_utf16};
use crate::spill::Spill;
use crate::text::{Flow, Piece, PieceSender, Pieces, Streamed, Text};
use crate::write::Body;

/// Texts shorter than this (UTF-16 units) are copied during the call: a later turn would cost
/// more.
const LATER_FROM_UNITS: usize = 64 * 1024;

/// UTF-16 units copied per later turn: about a millisecond of work.
const UNITS_PER_TURN: usize = 1 << 19;

/// The text of one JSON write, as it is pushed (used by index.js and stringify.js; not public
/// API). Each push is `texts` and `meta`, four numbers per text: characters to trim at the
/// start and at the end, extra indent depth, whether a comma precedes it.
#[napi]
pub struct JsonSink {
  target: TargetPath,
  /// Whether the text may be copied in later turns (an async write's).
  later: bool,
  /// One level of indentation of deeper pieces (JSON.stringify's `gap`).
  gap: Vec<u16>,
  /// The text pushed, once copied or being copied.
  text: Option<Text>,
  /// The writer the text streams to, once it is too big to hold.
  spill: Option<Spill>,
  /// The text fed slice by slice to a write already queued (`incremental: true`).
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
  /// A sink for the text of a write to `target`'s path; `later`: an async write's.
  #[napi(constructor)]
  pub fn new(target: TargetPath, later: bool) -> Self {
    JsonSink {
      target,
      later,
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

  /// Incremental: copy these pieces now and send them to the write, which may already be
  /// queued (the text is then taken before it is complete); `finish` serializes the rest at
  /// once, when a Sync write needs this thread. `false` if the write no longer wants the text
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

  /// Incremental: a promise that resolves in a later turn, when the next slice may run.
  #[napi(ts_return_type = "Promise<void>")]
  pub fn next<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
    match (&self.feeding, self.state) {
      (Some(feeding), State::Feeding) => feeding.next(env),
      _ => Err(no_text(env)),
    }
  }

  /// The last pieces: copied in later turns if they may be and it is worth it, else now.
  #[napi(ts_args_type = "texts: string[], meta: number[]")]
  pub fn push(&mut self, env: &Env, texts: Object, meta: Vec<f64>) -> Result<()> {
    if self.state == State::Feeding {
      return self.push_last_fed(env, texts, &meta);
    }
    self.expect(env, State::Filling)?;
    let copied = match self.later && self.spill.is_none() && worth_later(texts)? {
      true => copy_later(env, texts, meta, self.gap.clone()).map(|text| {
        self.text = Some(text);
      }),
      false => self.copy_now(env, texts, &meta),
    };
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

/// Whether `texts` hold enough to be copied in later turns.
fn worth_later(texts: Object) -> Result<bool> {
  let mut units = 0;
  for index in 0..texts.get_array_length()? {
    units += texts.get_element::<JsString>(index)?.utf16_len()?;
    if units >= LATER_FROM_UNITS {
      return Ok(true);
    }
  }
  Ok(false)
}

/// A text whose pieces, `texts` (with `meta`), are copied out from the next turn on; then the
/// end.
fn copy_later(env: &Env, texts: Object, meta: Vec<f64>, gap: Vec<u16>) -> Result<Text> {
  let count = texts.get_array_length()?;
  let texts = texts.create_ref::<false>()?;
  let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
  // If the environment goes away first (a worker thread terminated), the copy can never end:
  // drop it then, so the write learns at once that its text was abandoned.
  let later = match Later::new(env, move || forget(id)) {
    Ok(later) => later,
    Err(err) => {
      let _ = texts.unref(env);
      return Err(err);
    }
  };
  // The write wakes a paused copy from its own thread: by id, through the threadsafe function
  // (a no-op once that is gone: released after the copy, or with its environment).
  let waker = later.clone();
  let flow = Flow::new(move || waker.run(Box::new(move |env| turn(&env, id))));
  let (sender, streamed) = Streamed::channel(gap, flow.clone());
  later.run(Box::new(move |env| turn(&env, id)));
  let copying = Copying {
    id,
    texts: Some(texts),
    meta,
    next: 0,
    count,
    sender: Some(sender),
    flow,
    later,
  };
  // Before the first turn can run: that is a later turn of this very thread.
  ACTIVE.with(|active| active.borrow_mut().push(copying));
  Ok(Text::Streamed(streamed))
}

/// Finish, now, every later copy still pending on this thread (whatever is in flight).
pub(crate) fn finish_copies(env: &Env) -> Result<()> {
  // First the texts still being serialized: that is JavaScript, which then needs no copy.
  feed::finish_feeds(env)?;
  let ids: Vec<u64> =
    ACTIVE.with(|active| active.borrow().iter().map(|copying| copying.id).collect());
  for id in ids {
    // Done now; a turn releases it (one may be queued already: the second finds nothing).
    if let Some((Next::Done, later)) =
      with_copying(id, |copying| copying.step(env, usize::MAX, false))
    {
      later.run(Box::new(move |env| turn(&env, id)));
    }
  }
  Ok(())
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
  /// Later copies started on this (JavaScript) thread and not yet released.
  static ACTIVE: RefCell<Vec<Copying>> = const { RefCell::new(Vec::new()) };
}

struct Copying {
  id: u64,
  /// The texts, kept alive until copied; `None` once done.
  texts: Option<ObjectRef<false>>,
  meta: Vec<f64>,
  next: u32,
  count: u32,
  sender: Option<PieceSender>,
  flow: Arc<Flow>,
  later: Later,
}

/// What a step left to do.
enum Next {
  /// More to copy: go on in the next turn.
  Turn,
  /// The write has enough to catch up with; it will wake the copy.
  Wait,
  /// All sent (or abandoned): let everything go.
  Done,
}

/// One turn of copy `id` (if it is still there: [`finish_copies`] may have finished it).
fn turn(env: &Env, id: u64) {
  let next = with_copying(id, |copying| copying.step(env, UNITS_PER_TURN, true));
  match next {
    Some((Next::Turn, later)) => later.run(Box::new(move |env| turn(&env, id))),
    Some((Next::Wait, _)) | None => {}
    Some((Next::Done, later)) => {
      ACTIVE.with(|active| active.borrow_mut().retain(|copying| copying.id != id));
      later.release();
    }
  }
}

/// Run `f` on copy `id`, if it is active; with its `Later`.
fn with_copying(id: u64, f: impl FnOnce(&mut Copying) -> Next) -> Option<(Next, Later)> {
  ACTIVE.with(|active| {
    let mut active = active.borrow_mut();
    let copying = active.iter_mut().find(|copying| copying.id == id)?;
    Some((f(copying), copying.later.clone()))
  })
}

/// Drop copy `id` unfinished, if it is still active: its `Later` is gone with the environment.
/// Dropping its sender unfinished tells the write the text was abandoned. (Its texts are not
/// released: the environment that held them is going away with them.)
fn forget(id: u64) {
  // `try_`: at thread exit the list may be gone already, or (never in practice) in use.
  let forgotten = ACTIVE.try_with(|active| {
    let mut active = active.try_borrow_mut().ok()?;
    let index = active.iter().position(|copying| copying.id == id)?;
    Some(active.remove(index))
  });
  drop(forgotten);
}

impl Copying {
  /// Copy up to `budget` units (pausing when the write is behind, if `paced`); at the end, or
  /// if Node-API failed (the write then learns the text was abandoned), let the texts go.
  fn step(&mut self, env: &Env, budget: usize, paced: bool) -> Next {
    let copied = match self.texts.as_ref().map(|held| held.get_value(env)) {
      None => return Next::Done,
      Some(Ok(texts)) => self.copy(texts, budget, paced),
      Some(Err(err)) => Err(err),
    };
    match copied {
      Ok(Next::Done) => {
        if let Some(sender) = self.sender.take() {
          sender.finish();
        }
      }
      Ok(next) => return next,
      Err(_) => {}
    }
    self.sender = None;
    if let Some(held) = self.texts.take() {
      let _ = held.unref(env);
    }
    Next::Done
  }

  /// Copy texts until the budget is spent, or the write is behind (if `paced`).
  fn copy(&mut self, mut texts: Object, budget: usize, paced: bool) -> Result<Next> {
    let Some(sender) = self.sender.as_ref() else {
      return Ok(Next::Done);
    };
    let mut spent = 0;
    while self.next < self.count {
      if spent >= budget {
        return Ok(Next::Turn);
      }
      if paced && self.flow.is_full() && self.flow.pause() {
        return Ok(Next::Wait);
      }
      let (comma, piece) = read_piece(texts, &self.meta, self.next)?;
      // Copied: the string (and the flat copy V8 made of it) can go.
      texts.delete_element(self.next)?;
      spent += piece.size() / 2 + usize::from(comma);
      if !((!comma || sender.send(Piece::comma())) && sender.send(piece)) {
        return Ok(Next::Done); // the write no longer wants it (superseded)
      }
      self.next += 1;
    }
    Ok(Next::Done)
  }
}
