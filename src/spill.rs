//! A JSON text too big to hold in memory (guarantee 5: any size, bounded memory): once its
//! pieces pass a threshold, they are streamed into the temp file by a writer thread, through a
//! bounded channel, while the main thread is still making the rest.
//!
//! The temp file is then made before serialization ends — the one exception to "serialization
//! before any disk work". If serialization fails, the writer removes the temp file and the
//! directories it created, so a failed call still leaves nothing behind.

use std::fs;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use crate::error::{Error, IoResultExt, Result};
use crate::target::Target;
use crate::temp::TempFile;
use crate::text::{Piece, Utf8Stream};
use crate::write::FailableWriter;

/// Pieces in flight between the main thread and the writer (each at most ~32 KB).
const IN_FLIGHT: usize = 32;

/// The main thread's end of a text being spilled.
#[derive(Debug)]
pub struct Spill {
  pieces: Option<SyncSender<Message>>,
  writer: Option<JoinHandle<Result<Filled>>>,
}

/// A spilled text whose last piece was sent: its temp file, once the writer is done.
///
/// Dropped unused (serialization failed, or a newer write superseded it), it waits for the
/// writer to remove what it made: a failed call must leave nothing behind by the time it
/// settles, or a second call could find the first one's directories and count them as its own.
#[derive(Debug)]
pub struct Spilled {
  pieces: Option<SyncSender<Message>>,
  writer: Option<JoinHandle<Result<Filled>>>,
}

/// A temp file holding a whole text.
#[derive(Debug)]
pub(crate) struct Filled {
  pub(crate) temp: TempFile,
  /// Bytes written into it.
  pub(crate) written: u64,
}

#[derive(Debug)]
enum Message {
  Piece(Piece),
  /// The text is complete: keep the file.
  Done,
}

impl Spill {
  /// Start a writer for the text of a write to `path` (absolute, as the caller named it),
  /// indenting deeper pieces with `gap`.
  pub fn start(path: PathBuf, gap: Vec<u16>) -> Spill {
    let (sender, receiver) = mpsc::sync_channel(IN_FLIGHT);
    let writer = thread::Builder::new()
      .name("safe-write-json-spill".into())
      .spawn(move || write_pieces(&path, &gap, receiver))
      .expect("a spill writer thread could not start");
    Spill {
      pieces: Some(sender),
      writer: Some(writer),
    }
  }

  /// Hand a piece to the writer, waiting if it is behind. If it failed, its error.
  pub fn send(&mut self, piece: Piece) -> Result<()> {
    let sent = self
      .pieces
      .as_ref()
      .map(|pieces| pieces.send(Message::Piece(piece)));
    match sent {
      Some(Ok(())) => Ok(()),
      // The writer stopped: it can only have stopped on an error.
      _ => Err(self.writer_error()),
    }
  }

  /// The last piece was sent: the spilled text, or `None` if the writer already failed (its
  /// error went to the caller of [`Spill::send`]).
  pub fn finish(mut self) -> Option<Spilled> {
    Some(Spilled {
      pieces: Some(self.pieces.take()?),
      writer: Some(self.writer.take()?),
    })
  }

  fn writer_error(&mut self) -> Error {
    self.pieces = None;
    match self.writer.take().map(JoinHandle::join) {
      Some(Ok(Err(err))) => err,
      _ => Error::os("EIO", "write", PathBuf::new()),
    }
  }
}

impl Spilled {
  /// The temp file with the whole text in it, once the writer has written everything.
  pub(crate) fn into_filled(mut self) -> Result<Filled> {
    // Sent only now, so that a spilled write superseded before it runs is discarded instead.
    if let Some(pieces) = self.pieces.take() {
      let _ = pieces.send(Message::Done);
    }
    self
      .writer
      .take()
      .map(JoinHandle::join)
      .and_then(|joined| joined.ok())
      .unwrap_or_else(|| Err(Error::os("EIO", "write", PathBuf::new())))
  }

  /// `finalNewline`: a `\n` as the last piece, sent before the text is finished.
  pub(crate) fn push_newline(&mut self) {
    if let Some(pieces) = &self.pieces {
      let _ = pieces.send(Message::Piece(Piece::newline()));
    }
  }
}

impl Drop for Spilled {
  fn drop(&mut self) {
    // Closing the channel without `Done` tells the writer to remove its temp file and the
    // directories it created; wait until it has.
    drop(self.pieces.take());
    if let Some(writer) = self.writer.take() {
      let _ = writer.join();
    }
  }
}

/// The writer thread: resolve the target, create the temp file, write pieces until `Done`. If
/// the channel closes first (serialization failed, or the write was superseded), remove the
/// temp file and the directories this created.
fn write_pieces(path: &std::path::Path, gap: &[u16], pieces: Receiver<Message>) -> Result<Filled> {
  let target = Target::prepare(path)?;
  let temp =
    TempFile::create(&target.dir, &target.name).map_err(|err| err.with_path(&target.path))?;
  let mut stream = Utf8Stream::new(FailableWriter { file: temp.file() });
  loop {
    match pieces.recv() {
      Ok(Message::Piece(piece)) => piece.write_to(&mut stream, gap).at("write", &target.path)?,
      Ok(Message::Done) => break,
      Err(_) => {
        drop(stream);
        drop(temp);
        for dir in target.created_dirs.iter().rev() {
          let _ = fs::remove_dir(dir);
        }
        return Err(Error::os("ECANCELED", "write", &target.path));
      }
    }
  }
  let written = stream.finish().at("write", &target.path)?;
  Ok(Filled { temp, written })
}
