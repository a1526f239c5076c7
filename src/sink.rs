//! The text of one JSON write as JavaScript hands it over, piece by piece, until its write takes
//! it: the state and the decisions behind the binding's `JsonSink`, which only copies the
//! pieces out of V8. The pieces are
//! - held, to be written once the text is complete ([`Sink::add`], then [`Sink::complete`]);
//! - or, once the text is too big to hold ([`Sink::spill`]), streamed into the temp file as
//!   they come (see [`Spill`]);
//! - or fed to a write already queued, which takes the text before it is complete
//!   ([`Sink::start_feed`], [`Sink::fed`]: see [`Feed`]).
//!
//! Only a complete text (or one being fed) is ever given ([`Sink::take`]), once; an abandoned
//! sink takes nothing more. (index.js keeps to that; a sink used any other way is
//! [`OutOfOrder`], never an empty or partial file.)

use std::path::PathBuf;

use crate::error::Result;
use crate::feed::Feed;
use crate::spill::Spill;
use crate::text::{Piece, Pieces, Text};
use crate::write::Body;

/// A sink used out of order: nothing pushed, already written, or abandoned.
#[derive(Debug)]
pub struct OutOfOrder;

/// The text of one JSON write to `path`, as it is pushed.
pub struct Sink {
  path: PathBuf,
  /// One level of indentation of deeper pieces (JSON.stringify's `gap`).
  gap: Vec<u16>,
  /// The pieces held, once any was added (and the text does not stream).
  held: Option<Pieces>,
  /// The writer the text streams to, once it is too big to hold.
  spill: Option<Spill>,
  /// The text fed to a write already queued.
  feed: Option<Feed>,
  state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
  Filling,
  /// Being fed: its write may take it before it is complete.
  Feeding,
  Complete,
  Done,
}

impl Sink {
  /// An empty text for a write to `path` (absolute, as the caller named it).
  pub fn new(path: PathBuf) -> Sink {
    Sink {
      path,
      gap: Vec::new(),
      held: None,
      spill: None,
      feed: None,
      state: State::Filling,
    }
  }

  /// A walked text: its deeper pieces are indented with `gap`.
  pub fn begin(&mut self, gap: Vec<u16>) {
    self.gap = gap;
  }

  /// `OutOfOrder` unless the sink still takes pieces (not complete, not abandoned).
  pub fn open(&self) -> std::result::Result<(), OutOfOrder> {
    match self.state {
      State::Filling | State::Feeding => Ok(()),
      State::Complete | State::Done => Err(OutOfOrder),
    }
  }

  /// From now on the pieces added stream into the temp file: the text is too big to hold.
  pub fn spill(&mut self) -> std::result::Result<(), OutOfOrder> {
    self.expect(State::Filling)?;
    if self.spill.is_none() {
      self.spill = Some(Spill::start(self.path.clone(), self.gap.clone()));
    }
    Ok(())
  }

  /// Add `piece`, after a comma if `comma`: sent to the write if the text is fed (`false` if
  /// the write no longer wants it: superseded, or failed), into the temp file if the text
  /// streams (then the writer's error, if it failed), else held.
  pub fn add(&mut self, comma: bool, piece: Piece) -> Result<bool> {
    if let Some(feed) = self.feed.as_mut() {
      return Ok(feed.send(comma, piece));
    }
    for piece in comma.then(Piece::comma).into_iter().chain([piece]) {
      match self.spill.as_mut() {
        Some(spill) => spill.send(piece)?,
        None => self
          .held
          .get_or_insert_with(|| Pieces::new(self.gap.clone()))
          .push_piece(piece),
      }
    }
    Ok(true)
  }

  /// The last pieces were added: the text is complete. A fed text, once its write has taken
  /// it, leaves the sink done.
  pub fn complete(&mut self) {
    self.state = State::Complete;
    if let Some(feed) = self.feed.as_mut() {
      feed.finish();
      if feed.is_taken() {
        self.done();
      }
    }
  }

  /// Whether the text may start being fed: still filling, nothing streamed.
  pub fn may_feed(&self) -> bool {
    self.state == State::Filling && self.spill.is_none() && self.feed.is_none()
  }

  /// Start feeding the text (if it [may](Sink::may_feed)).
  pub fn start_feed(&mut self) {
    if self.may_feed() {
      self.feed = Some(Feed::new(self.gap.clone()));
      self.state = State::Feeding;
    }
  }

  /// Whether the text is being fed (and is not complete).
  pub fn is_feeding(&self) -> bool {
    self.state == State::Feeding
  }

  /// The text being fed.
  pub fn fed(&mut self) -> std::result::Result<&mut Feed, OutOfOrder> {
    self.expect(State::Feeding)?;
    self.feed.as_mut().ok_or(OutOfOrder)
  }

  /// The text for its write, leaving the sink done — or, fed and not yet complete, still
  /// being fed (the write reads it as it comes).
  pub fn take(&mut self) -> std::result::Result<Body, OutOfOrder> {
    if let Some(text) = self.feed.as_mut().and_then(Feed::take_text) {
      if self.state == State::Complete {
        self.done();
      }
      return Ok(Body::Text(text));
    }
    self.expect(State::Complete)?;
    let (spill, held) = (self.spill.take(), self.held.take());
    self.done();
    let body = match spill.map(Spill::finish) {
      Some(Some(spilled)) => Some(Body::Filled(Box::new(spilled))),
      // The writer failed (and the add that learnt it failed too): there is no text.
      Some(None) => None,
      // A text of no pieces is no JSON text (index.js always pushes one).
      None => match held {
        Some(pieces) if !pieces.is_empty() => Some(Body::Text(Text::Pieces(pieces))),
        _ => None,
      },
    };
    body.ok_or(OutOfOrder)
  }

  /// Serialization failed: let the text go, and with it, if it was streaming, the temp file
  /// and the directories its write created (before this returns, so the failed call leaves
  /// nothing behind). A fed text, unfinished, fails its write (ECANCELED), which removes them.
  pub fn abandon(&mut self) {
    self.done();
    if let Some(spilled) = self.spill.take().and_then(Spill::finish) {
      spilled.abandon();
    }
  }

  /// Done: nothing more is taken; what is still held (but a spill) goes.
  fn done(&mut self) {
    self.state = State::Done;
    self.held = None;
    self.feed = None;
  }

  fn expect(&self, state: State) -> std::result::Result<(), OutOfOrder> {
    match self.state == state {
      true => Ok(()),
      false => Err(OutOfOrder),
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn piece(text: &str) -> Piece {
    Piece::new(text.encode_utf16().collect(), 0)
  }

  #[test]
  fn a_complete_text_is_taken_once() {
    let mut sink = Sink::new(PathBuf::from("/nowhere/a.json"));
    sink.add(false, piece("[1")).unwrap();
    sink.add(true, piece("2]")).unwrap();
    sink.complete();
    assert!(matches!(sink.take(), Ok(Body::Text(Text::Pieces(_)))));
    assert!(sink.take().is_err());
  }

  #[test]
  fn a_text_of_no_pieces_or_not_complete_or_abandoned_is_no_text() {
    let mut empty = Sink::new(PathBuf::from("/nowhere/a.json"));
    empty.complete();
    assert!(empty.take().is_err());
    let mut unfinished = Sink::new(PathBuf::from("/nowhere/a.json"));
    unfinished.add(false, piece("[]")).unwrap();
    assert!(unfinished.take().is_err());
    let mut abandoned = Sink::new(PathBuf::from("/nowhere/a.json"));
    abandoned.add(false, piece("[]")).unwrap();
    abandoned.complete();
    abandoned.abandon();
    assert!(abandoned.take().is_err());
  }

  #[test]
  fn a_fed_text_is_taken_before_it_is_complete_and_then_done() {
    let mut sink = Sink::new(PathBuf::from("/nowhere/a.json"));
    assert!(sink.may_feed());
    sink.start_feed();
    assert!(sink.add(false, piece("[]")).unwrap());
    assert!(matches!(sink.take(), Ok(Body::Text(Text::Streamed(_)))));
    assert!(sink.is_feeding());
    sink.complete();
    assert!(!sink.is_feeding() && sink.fed().is_err() && sink.take().is_err());
  }
}
