//! The bytes of one write, in the form they left JavaScript, and their UTF-8 encoding.
//!
//! Copying a V8 string out as UTF-16 (or Latin-1) is a memcpy; producing UTF-8 is a transcode.
//! The binding copies on the main thread and this module transcodes on the worker, chunk by
//! chunk, straight into the file, so the main thread never pays for the encoding and no second
//! full-size copy exists.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

/// Size of the UTF-8 chunks handed to `write(2)` when transcoding.
const CHUNK: usize = 256 * 1024;
/// Code units staged before a transcode (their UTF-8 always fits in one chunk).
const STAGE: usize = CHUNK / 3;

/// Text to be written as UTF-8.
#[derive(Debug)]
pub enum Text {
  /// Already UTF-8 (or raw bytes from a `Uint8Array`): written as is.
  Bytes(Vec<u8>),
  /// UTF-16 code units of a JavaScript string; a lone surrogate becomes U+FFFD, as
  /// `Buffer.from(string, 'utf8')` does.
  Utf16(Vec<u16>),
  /// A JSON text assembled from pieces that V8 stringified separately (see [`Pieces`]).
  Pieces(Pieces),
  /// A text whose pieces are still being copied out of JavaScript, in later turns of the event
  /// loop, and arrive through a channel as they are (see [`Streamed`]).
  Streamed(Streamed),
}

/// The receiving end of a text copied out of JavaScript piece by piece while the write waits.
#[derive(Debug)]
pub struct Streamed {
  pieces: mpsc::Receiver<Option<Piece>>,
  gap: Vec<u16>,
  flow: Arc<Flow>,
  /// The sender went away before the end: the text will never be complete (serialization
  /// failed, or its environment was torn down).
  abandoned: AtomicBool,
}

/// Back-pressure between whoever sends the pieces of a [`Streamed`] text and the write: the
/// sender stops when [`Flow::LIMIT`] units are in flight and calls [`Flow::pause`]; the write,
/// having written half of them, calls the `resume` given at creation (once per pause). So the
/// copies held between the two stay bounded.
pub struct Flow {
  in_flight: AtomicUsize,
  paused: AtomicBool,
  /// The write let the text go (written, failed, superseded): nothing more is wanted. The
  /// count in flight stays as it was, so without this a sender paused at the limit would wait
  /// for a wake that no write will ever send.
  closed: AtomicBool,
  /// The sender sent the whole text ([`PieceSender::finish`]): it can no longer be abandoned.
  finished: AtomicBool,
  resume: Box<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Flow {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.debug_struct("Flow")
      .field("in_flight", &self.in_flight)
      .field("paused", &self.paused)
      .field("closed", &self.closed)
      .finish()
  }
}

impl Flow {
  /// UTF-16 units in flight before the sender stops (16 MB).
  pub const LIMIT: usize = 8 << 20;

  /// A flow whose paused sender is woken by `resume`.
  pub fn new(resume: impl Fn() + Send + Sync + 'static) -> Arc<Flow> {
    Arc::new(Flow {
      in_flight: AtomicUsize::new(0),
      paused: AtomicBool::new(false),
      closed: AtomicBool::new(false),
      finished: AtomicBool::new(false),
      resume: Box::new(resume),
    })
  }

  /// The sender is handing over `units` more.
  fn sent(&self, units: usize) {
    self.in_flight.fetch_add(units, Ordering::SeqCst);
  }

  /// Whether the sender should stop for now: never once the write let the text go (its next
  /// send then fails, which is how the sender learns to let its pieces go too).
  pub fn is_full(&self) -> bool {
    !self.closed.load(Ordering::SeqCst) && self.in_flight.load(Ordering::SeqCst) >= Self::LIMIT
  }

  /// The sender stops until `resume` is called. `false` if the write caught up or let its text
  /// go meanwhile (then the sender goes on at once, and nobody will call `resume` for this
  /// pause): checked after `paused` is set, so a wake between `is_full` and here is not lost.
  pub fn pause(&self) -> bool {
    self.paused.store(true, Ordering::SeqCst);
    if self.closed.load(Ordering::SeqCst) || self.in_flight.load(Ordering::SeqCst) < Self::LIMIT / 2
    {
      return !self.paused.swap(false, Ordering::SeqCst);
    }
    true
  }

  /// The write has written `units`: wake a paused sender once half the limit is free.
  fn consumed(&self, units: usize) {
    let left = self.in_flight.fetch_sub(units, Ordering::SeqCst) - units;
    if left < Self::LIMIT / 2 {
      self.wake();
    }
  }

  fn wake(&self) {
    if self.paused.swap(false, Ordering::SeqCst) {
      (self.resume)();
    }
  }
}

/// Where the pieces of a [`Streamed`] text are sent, each counted in the flow before the write
/// can take it; then [`PieceSender::finish`]. Dropped unfinished, the text is abandoned and the
/// write fails.
#[derive(Debug)]
pub struct PieceSender {
  pieces: mpsc::Sender<Option<Piece>>,
  flow: Arc<Flow>,
}

impl PieceSender {
  /// Hand `piece` to the write; `false` if it no longer wants the text.
  pub fn send(&self, piece: Piece) -> bool {
    // Counted first: the write may take it, and count it written, the moment it is in the
    // channel, before this returns; the count must never go below zero.
    self.flow.sent(piece.size() / 2);
    fail::fail_point!("text.send");
    self.pieces.send(Some(piece)).is_ok()
  }

  /// The text is complete.
  pub fn finish(self) {
    self.flow.finished.store(true, Ordering::SeqCst);
    let _ = self.pieces.send(None);
  }
}

impl Drop for Streamed {
  fn drop(&mut self) {
    // Not wanted any more (written, failed or superseded): a paused sender must run once more
    // to find that out and let its texts go.
    self.flow.closed.store(true, Ordering::SeqCst);
    self.flow.wake();
  }
}

impl Streamed {
  /// A channel for a text whose deeper pieces are indented with `gap`, paced by `flow`.
  pub fn channel(gap: Vec<u16>, flow: Arc<Flow>) -> (PieceSender, Streamed) {
    let (sender, pieces) = mpsc::channel();
    let sender = PieceSender {
      pieces: sender,
      flow: flow.clone(),
    };
    let abandoned = AtomicBool::new(false);
    (
      sender,
      Streamed {
        pieces,
        gap,
        flow,
        abandoned,
      },
    )
  }

  fn write_utf8(&self, out: &mut impl Write) -> io::Result<u64> {
    let mut stream = Utf8Stream::new(out);
    loop {
      match self.pieces.recv() {
        Ok(Some(piece)) => {
          piece.write_to(&mut stream, &self.gap)?;
          self.flow.consumed(piece.size() / 2);
        }
        Ok(None) => return stream.finish(),
        Err(_) => {
          self.abandoned.store(true, Ordering::SeqCst);
          return Err(io::Error::other(
            "the text was abandoned before it was complete",
          ));
        }
      }
    }
  }
}

/// UTF-16 pieces of one JSON text, in order, some of them to be indented deeper than V8 made
/// them: a piece stringified on its own has its lines at depth 1, and one that belongs at
/// depth `d + 1` needs `d` more copies of the indent after each of its newlines.
///
/// The pieces are one stream of code units: a surrogate pair may meet across two of them (or
/// across an inserted indent), exactly as in the single string JSON.stringify would have made.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pieces {
  pieces: Vec<Piece>,
  /// One level of indentation (JSON.stringify's `gap`).
  gap: Vec<u16>,
}

/// One piece of a [`Pieces`] text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
  units: Vec<u16>,
  /// Copies of `gap` to insert after each newline of `units`.
  extra_depth: usize,
}

impl Piece {
  /// `units`, to be indented `extra_depth` levels deeper.
  pub fn new(units: Vec<u16>, extra_depth: usize) -> Piece {
    Piece { units, extra_depth }
  }

  /// [`Piece::new`] of `units` without their first `start` and last `end` units.
  pub fn trimmed(mut units: Vec<u16>, start: usize, end: usize, extra_depth: usize) -> Piece {
    units.truncate(units.len().saturating_sub(end));
    units.drain(..start.min(units.len()));
    Piece::new(units, extra_depth)
  }

  /// A lone `,` (between walked pieces).
  pub(crate) fn comma() -> Piece {
    Piece {
      units: vec![u16::from(b',')],
      extra_depth: 0,
    }
  }

  /// Bytes held (for memory accounting: two per UTF-16 code unit).
  pub fn size(&self) -> usize {
    self.units.len() * 2
  }

  /// Write this piece, indenting each of its lines `extra_depth` times `gap` deeper.
  pub(crate) fn write_to<W: Write>(
    &self,
    stream: &mut Utf8Stream<W>,
    gap: &[u16],
  ) -> io::Result<()> {
    for line in self.units.split_inclusive(|&unit| unit == u16::from(b'\n')) {
      stream.push(line)?;
      if self.extra_depth > 0 && line.last() == Some(&u16::from(b'\n')) {
        for _ in 0..self.extra_depth {
          stream.push(gap)?;
        }
      }
    }
    Ok(())
  }
}

impl Pieces {
  /// An empty text whose deeper pieces are indented with `gap`.
  pub fn new(gap: Vec<u16>) -> Self {
    Pieces {
      pieces: Vec::new(),
      gap,
    }
  }

  /// Append `units`, indented `extra_depth` levels deeper.
  pub fn push(&mut self, units: Vec<u16>, extra_depth: usize) {
    self.push_piece(Piece { units, extra_depth });
  }

  /// Append a piece.
  pub fn push_piece(&mut self, piece: Piece) {
    if !piece.units.is_empty() {
      self.pieces.push(piece);
    }
  }

  /// The indentation of deeper pieces.
  pub fn gap(&self) -> &[u16] {
    &self.gap
  }

  /// Whether nothing was pushed.
  pub fn is_empty(&self) -> bool {
    self.pieces.is_empty()
  }

  /// The pieces, to be written elsewhere (a spill).
  pub fn into_pieces(self) -> Vec<Piece> {
    self.pieces
  }

  fn write_utf8(&self, out: &mut impl Write) -> io::Result<u64> {
    let mut stream = Utf8Stream::new(out);
    for piece in &self.pieces {
      piece.write_to(&mut stream, &self.gap)?;
    }
    stream.finish()
  }
}

/// UTF-16 → UTF-8 into `out` through a bounded buffer, with a high surrogate at the end of one
/// push held back until the next shows whether it pairs.
pub(crate) struct Utf8Stream<W: Write> {
  out: W,
  staged: Vec<u16>,
  encoded: Vec<u8>,
  total: u64,
}

impl<W: Write> Utf8Stream<W> {
  pub(crate) fn new(out: W) -> Self {
    // Both buffers grow with the text, to their bounds: a small text costs no 256 KiB zeroed.
    Utf8Stream {
      out,
      staged: Vec::new(),
      encoded: Vec::new(),
      total: 0,
    }
  }

  pub(crate) fn push(&mut self, mut units: &[u16]) -> io::Result<()> {
    while !units.is_empty() {
      let room = STAGE - self.staged.len();
      let take = room.min(units.len());
      self.staged.extend_from_slice(&units[..take]);
      units = &units[take..];
      if self.staged.len() == STAGE {
        self.drain(false)?;
      }
    }
    Ok(())
  }

  /// Encode what is staged; unless `last`, keep a trailing high surrogate for the next push.
  fn drain(&mut self, last: bool) -> io::Result<()> {
    let keep = usize::from(
      !last
        && self
          .staged
          .last()
          .is_some_and(|&unit| (0xD800..0xDC00).contains(&unit)),
    );
    let whole = &self.staged[..self.staged.len() - keep];
    let room = utf8_room(whole.len());
    if self.encoded.len() < room {
      self.encoded.resize(room, 0);
    }
    self.total += transcode(whole, &mut self.encoded, &mut self.out)?;
    let kept = self.staged.len() - keep;
    self.staged.drain(..kept);
    Ok(())
  }

  /// Encode what is left; return the bytes written in all.
  pub(crate) fn finish(mut self) -> io::Result<u64> {
    self.drain(true)?;
    Ok(self.total)
  }
}

/// The buffer that encodes `units` UTF-16 code units at once (each makes at most 3 bytes of UTF-8,
/// a pair 4), or a chunk of them: never more than a text needs.
fn utf8_room(units: usize) -> usize {
  units.saturating_mul(3).min(CHUNK)
}

/// Write `units` as UTF-8 to `out`, a `buffer` at a time; return the bytes written. A lone
/// surrogate becomes U+FFFD.
fn transcode(units: &[u16], buffer: &mut [u8], out: &mut impl Write) -> io::Result<u64> {
  let mut rest = units;
  let mut total = 0u64;
  while !rest.is_empty() {
    // Converts as much as fits; a surrogate pair is never split across two calls.
    let (read, written) = encoding_rs::mem::convert_utf16_to_utf8_partial(rest, buffer);
    out.write_all(&buffer[..written])?;
    total += written as u64;
    rest = &rest[read..];
  }
  Ok(total)
}

impl Text {
  /// Whether the whole text is there or on its way: not a streamed text whose sender has not
  /// finished yet (and so may still abandon it).
  pub fn is_complete(&self) -> bool {
    match self {
      Text::Streamed(streamed) => streamed.flow.finished.load(Ordering::SeqCst),
      _ => true,
    }
  }

  /// Bytes it holds in memory (two per UTF-16 code unit), where that is known: not for a
  /// streamed text, whose pieces are still on their way.
  pub fn held_bytes(&self) -> Option<usize> {
    match self {
      Text::Bytes(bytes) => Some(bytes.len()),
      Text::Utf16(units) => Some(units.len() * 2),
      Text::Pieces(pieces) => Some(pieces.pieces.iter().map(Piece::size).sum()),
      Text::Streamed(_) => None,
    }
  }

  /// Whether writing it failed because it was abandoned before it was complete (its sender
  /// went away): no I/O failed, the text will never exist.
  pub fn was_abandoned(&self) -> bool {
    matches!(self, Text::Streamed(streamed) if streamed.abandoned.load(Ordering::SeqCst))
  }

  /// Write the UTF-8 encoding to `out`, in bounded chunks, and return how many bytes that was.
  pub fn write_utf8(&self, out: &mut impl Write) -> io::Result<u64> {
    match self {
      Text::Bytes(bytes) => {
        for chunk in bytes.chunks(CHUNK) {
          out.write_all(chunk)?;
        }
        Ok(bytes.len() as u64)
      }
      Text::Utf16(units) => transcode(units, &mut vec![0u8; utf8_room(units.len())], out),
      Text::Pieces(pieces) => pieces.write_utf8(out),
      Text::Streamed(streamed) => streamed.write_utf8(out),
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
  fn texts_of_one_or_two_units_are_written_whole_through_buffers_their_size() {
    // The buffer is sized to the text: one unit of three UTF-8 bytes, a lone surrogate, a pair.
    for s in [vec![0x20AC], vec![0xD800], vec![0xD83D, 0xDE00], vec![0x41]] {
      let expected = String::from_utf16_lossy(&s).into_bytes();
      assert_eq!(utf8_of(&Text::Utf16(s.clone())), expected);
      let mut pieces = Pieces::new(Vec::new());
      pieces.push_piece(Piece::new(s, 0));
      assert_eq!(utf8_of(&Text::Pieces(pieces)), expected);
    }
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

  fn pieces(gap: &str, parts: &[(&str, usize)]) -> Text {
    let mut pieces = Pieces::new(gap.encode_utf16().collect());
    for (part, depth) in parts {
      pieces.push(part.encode_utf16().collect(), *depth);
    }
    Text::Pieces(pieces)
  }

  #[test]
  fn pieces_are_joined_and_indented_deeper() {
    // JSON.stringify([[1, 2]], null, 2), with the inner array stringified on its own.
    let text = pieces("  ", &[("[\n  ", 0), ("[\n  1,\n  2\n]", 1), ("\n]", 0)]);
    assert_eq!(utf8_of(&text), "[\n  [\n    1,\n    2\n  ]\n]".as_bytes());
  }

  #[test]
  fn a_surrogate_pair_may_meet_across_pieces_and_indents() {
    // A gap cut by JSON.stringify can end in a high surrogate; the next copy of a gap that
    // starts with a low one completes the pair, as in the single string.
    let gap: Vec<u16> = vec![0xDE00, u16::from(b'x'), 0xD83D];
    let mut p = Pieces::new(gap.clone());
    p.push("[\n".encode_utf16().collect(), 0);
    p.push("1\n2".encode_utf16().collect(), 2);
    let mut whole: Vec<u16> = "[\n1\n".encode_utf16().collect();
    whole.extend(&gap);
    whole.extend(&gap);
    whole.extend("2".encode_utf16());
    assert_eq!(utf8_of(&Text::Pieces(p)), utf8_of(&Text::Utf16(whole)));
  }

  /// The write may take a piece and count it written the moment it is in the channel, before
  /// the sender returns: the flow must already count it then (else its count went below zero:
  /// a panic in a debug build; in a release one, a wrapped count that stalls the sender).
  #[cfg(feature = "failpoints")]
  #[test]
  fn the_write_can_take_a_piece_as_soon_as_it_is_sent() {
    // Hold each send at its midpoint, long enough for the waiting write to run first.
    fail::cfg("text.send", "sleep(50)").unwrap();
    let flow = Flow::new(|| {});
    let (sender, streamed) = Streamed::channel(Vec::new(), flow.clone());
    let write = std::thread::spawn(move || utf8_of(&Text::Streamed(streamed)));
    for part in ["[1", ",2", "]"] {
      assert!(sender.send(Piece::new(part.encode_utf16().collect(), 0)));
    }
    sender.finish();
    let written = write.join();
    fail::remove("text.send");
    assert_eq!(written.expect("the write panicked"), b"[1,2]");
    assert_eq!(flow.in_flight.load(Ordering::SeqCst), 0);
  }

  #[test]
  fn pieces_longer_than_the_staging_buffer() {
    let long = "é😀".repeat(STAGE);
    let text = pieces("", &[(&long, 0), (&long, 0)]);
    assert_eq!(utf8_of(&text), (long.clone() + &long).as_bytes());
  }
}
