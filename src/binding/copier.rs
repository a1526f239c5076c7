//! Copying a text out of JavaScript after the call has returned, a slice per turn of the event
//! loop, into the channel the write reads from.
//!
//! The call itself only runs `JSON.stringify`: what is written is fixed then (strings are
//! immutable), but copying the strings out — V8 flattens each before Node-API can read it —
//! costs half as much again. Done in later turns, it never lengthens the call's own stall; no
//! turn copies more than [`UNITS_PER_TURN`], and the copier pauses while the write has more than
//! [`Flow::LIMIT`] units to catch up with (the write wakes it). Each text is let go once copied.
//!
//! A Sync write blocks the JavaScript thread, so it first finishes every copy still pending
//! ([`finish_all`]): an async write of the same file may be waiting for one.
//!
//! Each copy's turns come through its own [`Later`], released when the copy is done; a paused
//! copy is woken through it from the write's thread, which may happen after that (a no-op).
//! If the environment goes away first (a worker thread terminated), the copy is dropped then:
//! its write learns that the text was abandoned, fails, and removes its temp file.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use napi::{Env, Result};

use super::js::{HolderRef, Js, Value};
use super::later::Later;
use crate::text::{Flow, Piece, PieceSender, Streamed, Text};

/// UTF-16 units copied per turn: about a millisecond of work.
const UNITS_PER_TURN: usize = 1 << 19;

/// A text whose pieces, `holder` (`{ texts: string[], meta: number[] }`, four numbers per text:
/// characters to trim at the start and at the end, extra indent depth, comma before it), are
/// copied out from the next turn on; then the end.
pub(crate) fn later(env: &Env, holder: Value, gap: Vec<u16>) -> Result<Text> {
  let js = Js::new(env);
  let count = js.array_length(js.get(holder, "texts")?)?;
  let holder = js.hold(holder)?;
  let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
  // If the environment goes away first (a worker thread terminated), the copy can never end:
  // drop it then, so the write learns at once that its text was abandoned.
  let later = match Later::new(env, move || forget(id)) {
    Ok(later) => later,
    Err(err) => {
      js.let_go(holder);
      return Err(err);
    }
  };
  // The write wakes a paused copier from its own thread: by id, through the threadsafe function
  // (a no-op once that is gone: released after the copy, or with its environment).
  let waker = later.clone();
  let flow = Flow::new(move || waker.run(Box::new(move |env| turn(&env, id))));
  let (sender, streamed) = Streamed::channel(gap, flow.clone());
  later.run(Box::new(move |env| turn(&env, id)));
  let copying = Copying {
    id,
    holder: Some(holder),
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

/// Finish, now, every copy still pending on this thread (whatever is in flight).
pub(crate) fn finish_all(env: &Env) {
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
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
  /// Copies started on this (JavaScript) thread and not yet released.
  static ACTIVE: RefCell<Vec<Copying>> = const { RefCell::new(Vec::new()) };
}

struct Copying {
  id: u64,
  /// The texts, kept alive until copied; `None` once done.
  holder: Option<HolderRef>,
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
  /// The write has enough to catch up with; it will wake the copier.
  Wait,
  /// All sent (or abandoned): let everything go.
  Done,
}

/// One turn of copy `id` (if it is still there: [`finish_all`] may have finished it).
fn turn(env: &Env, id: u64) {
  let next = with_copying(id, |copying| copying.step(env, UNITS_PER_TURN, true));
  match next {
    Some((Next::Turn, later)) => later.run(Box::new(move |env| turn(&env, id))),
    Some((Next::Wait, _)) => {}
    Some((Next::Done, later)) => {
      ACTIVE.with(|active| active.borrow_mut().retain(|copying| copying.id != id));
      later.release();
    }
    None => {}
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
/// Dropping its sender without the end tells the write the text was abandoned. (Its texts are
/// not released: the environment that held them is going away with them.)
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
  /// Copy up to `budget` units (pausing when the write is behind, if `paced`).
  fn step(&mut self, env: &Env, budget: usize, paced: bool) -> Next {
    let js = Js::new(env);
    let holder = match self.holder.as_ref().map(|held| js.holder(held)) {
      None => return Next::Done,
      Some(Ok(holder)) => holder,
      Some(Err(_)) => return self.finish(Some(js), false),
    };
    match self.copy(js, holder, budget, paced) {
      Ok(Next::Done) => self.finish(Some(js), true),
      Ok(next) => next,
      // Node-API failed: dropping the sender without the end abandons the text.
      Err(_) => self.finish(Some(js), false),
    }
  }

  /// End the copy: if `complete`, tell the write so (else it learns the text was abandoned);
  /// let the texts go.
  fn finish(&mut self, js: Option<Js>, complete: bool) -> Next {
    if let (true, Some(sender)) = (complete, self.sender.take()) {
      sender.finish();
    }
    self.sender = None;
    if let (Some(held), Some(js)) = (self.holder.take(), js) {
      js.let_go(held);
    }
    Next::Done
  }

  /// Copy texts until the budget is spent, or the write is behind (if `paced`).
  fn copy(&mut self, js: Js, holder: Value, budget: usize, paced: bool) -> Result<Next> {
    let (texts, meta) = (js.get(holder, "texts")?, js.get(holder, "meta")?);
    let Some(sender) = self.sender.as_ref() else {
      return Ok(Next::Done);
    };
    let undefined = js.undefined()?;
    let mut spent = 0;
    while self.next < self.count {
      if spent >= budget {
        return Ok(Next::Turn);
      }
      if paced && self.flow.is_full() && self.flow.pause() {
        return Ok(Next::Wait);
      }
      let (comma, piece) = read_piece(js, texts, meta, self.next)?;
      // Copied: the string (and the flat copy V8 made of it) can go.
      js.set_element(texts, self.next, undefined)?;
      let units = piece.size() / 2 + usize::from(comma);
      if !((!comma || sender.send(Piece::comma())) && sender.send(piece)) {
        return Ok(Next::Done); // the write no longer wants it (superseded)
      }
      spent += units;
      self.next += 1;
    }
    Ok(Next::Done)
  }
}

/// Text `index` of the walker's `texts` and `meta` (four numbers per text: characters to trim
/// at the start and at the end, extra indent depth, comma before it), copied out: whether a
/// comma precedes it, and the piece.
pub(crate) fn read_piece(js: Js, texts: Value, meta: Value, index: u32) -> Result<(bool, Piece)> {
  let number =
    |k: u32| -> Result<usize> { Ok(js.to_f64(js.element(meta, index * 4 + k)?)? as usize) };
  let (trim_start, trim_end, depth, comma) = (number(0)?, number(1)?, number(2)?, number(3)? != 0);
  let mut units = js.to_utf16(js.element(texts, index)?, 0)?;
  units.truncate(units.len().saturating_sub(trim_end));
  units.drain(..trim_start.min(units.len()));
  Ok((comma, Piece::new(units, depth)))
}
