//! Copying a text out of JavaScript after the call has returned, a slice per turn of the event
//! loop, into the channel the write reads from.
//!
//! The call itself only runs `JSON.stringify`: what is written is fixed then (strings are
//! immutable), but copying the strings out — V8 flattens each before Node-API can read it —
//! costs half as much again. Done in later turns, it never lengthens the call's own stall, and
//! no turn copies more than [`UNITS_PER_TURN`].
//!
//! A Sync write blocks the JavaScript thread, so it first finishes every copy still pending
//! ([`finish_all`]): an async write of the same file may be waiting for one.

use std::cell::RefCell;
use std::rc::Rc;

use napi::{Env, Result};

use super::js::{Js, Kept, Value};
use super::later::Later;
use crate::text::{Piece, PieceSender};

/// UTF-16 units copied per turn: a few milliseconds of work at most.
const UNITS_PER_TURN: usize = 1 << 20;

/// Copy the texts of `holder` (`{ texts: string[], meta: number[] }`, four numbers per text:
/// characters to trim at the start and at the end, extra indent depth, comma before it) to
/// `sender`, then a newline if `final_newline`, then the end; starting in the next turn.
pub(crate) fn start(
  env: &Env,
  holder: Value,
  final_newline: bool,
  sender: PieceSender,
) -> Result<()> {
  let js = Js::new(env, None)?;
  let count = js.array_length(js.get(holder, "texts")?)?;
  let later = Later::new(env)?;
  let copying = Rc::new(RefCell::new(Copying {
    holder: Some(js.keep(holder)?),
    next: 0,
    count,
    final_newline,
    sender: Some(sender),
  }));
  ACTIVE.with(|active| active.borrow_mut().push(copying.clone()));
  schedule(later, copying);
  Ok(())
}

/// Finish, now, every copy still pending on this thread.
pub(crate) fn finish_all(env: &Env) {
  let pending: Vec<_> = ACTIVE.with(|active| active.borrow().clone());
  for copying in pending {
    copying.borrow_mut().step(env, usize::MAX);
  }
}

thread_local! {
  /// Copies started on this (JavaScript) thread and not yet released.
  static ACTIVE: RefCell<Vec<Rc<RefCell<Copying>>>> = const { RefCell::new(Vec::new()) };
}

struct Copying {
  /// The texts, kept alive until copied; `None` once done.
  holder: Option<Kept>,
  next: u32,
  count: u32,
  final_newline: bool,
  sender: Option<PieceSender>,
}

/// Only ever touched on the JavaScript thread that made it; `Later` merely carries it there.
struct OnMainThread(Rc<RefCell<Copying>>);
// SAFETY: see above: the value is created, used and dropped on one thread.
unsafe impl Send for OnMainThread {}

impl OnMainThread {
  fn into_inner(self) -> Rc<RefCell<Copying>> {
    self.0
  }
}

fn schedule(later: Later, copying: Rc<RefCell<Copying>>) {
  let carried = OnMainThread(copying);
  later.run(Box::new(move |env| {
    let copying = carried.into_inner();
    let done = copying.borrow_mut().step(&env, UNITS_PER_TURN);
    if done {
      ACTIVE.with(|active| {
        active
          .borrow_mut()
          .retain(|other| !Rc::ptr_eq(other, &copying))
      });
      later.release();
    } else {
      schedule(later, copying);
    }
  }));
}

impl Copying {
  /// Copy up to `budget` units; return whether the copy is complete (or abandoned).
  fn step(&mut self, env: &Env, budget: usize) -> bool {
    let Ok(js) = Js::new(env, None) else {
      return self.finish(None, false);
    };
    let holder = match self.holder.as_ref().map(|kept| js.kept(kept)) {
      None => return true,
      Some(Ok(holder)) => holder,
      Some(Err(_)) => return self.finish(Some(js), false),
    };
    match self.copy(js, holder, budget) {
      Ok(false) => false,
      Ok(true) => self.finish(Some(js), true),
      // Node-API failed: dropping the sender without the end abandons the text.
      Err(_) => self.finish(Some(js), false),
    }
  }

  /// End the copy: if `complete`, tell the write so (else it learns the text was abandoned);
  /// let the texts go.
  fn finish(&mut self, js: Option<Js>, complete: bool) -> bool {
    if let (true, Some(sender)) = (complete, self.sender.take()) {
      if self.final_newline {
        let _ = sender.send(Some(Piece::newline()));
      }
      let _ = sender.send(None);
    }
    self.sender = None;
    if let (Some(kept), Some(js)) = (self.holder.take(), js) {
      js.release(kept);
    }
    true
  }

  /// Copy texts until the budget is spent; `Ok(true)` when all are sent (or nobody listens).
  fn copy(&mut self, js: Js, holder: Value, budget: usize) -> Result<bool> {
    let (texts, meta) = (js.get(holder, "texts")?, js.get(holder, "meta")?);
    let Some(sender) = self.sender.as_ref() else {
      return Ok(true);
    };
    let mut spent = 0;
    while self.next < self.count && spent < budget {
      let (comma, piece) = read_piece(js, texts, meta, self.next)?;
      spent += piece.size() / 2;
      let sent = (!comma
        || sender
          .send(Some(Piece::new(vec![u16::from(b',')], 0)))
          .is_ok())
        && sender.send(Some(piece)).is_ok();
      if !sent {
        return Ok(true);
      }
      self.next += 1;
    }
    Ok(self.next == self.count)
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
