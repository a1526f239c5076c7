//! A JSON text too big to hold in memory (guarantee 5: any size, bounded memory): once its
//! pieces pass a threshold, they are streamed into the temp file by a writer thread, through a
//! bounded channel, while the main thread is still making the rest.
//!
//! The temp file is then made before serialization ends — the one exception to "serialization
//! before any disk work". If serialization fails ([`Spilled::abandon`]), the writer removes the
//! temp file and the directories it created, so a failed call still leaves nothing behind.
//!
//! A spilled text dropped unused — superseded by a newer write of the same path, or its write
//! failed — is discarded off the calling thread (which may be the JavaScript thread, in the
//! call that superseded it): its writer removes the temp file (closing a file of hundreds of MB
//! takes tens of milliseconds) and is joined later, by the next write before it lands
//! ([`reap`]), so that the callers of the write that superseded it find nothing left behind.
//! It leaves the directories alone: the write that superseded it needs the same ones, and so
//! may any other write.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Mutex;
use std::thread::{self, JoinHandle};

use crate::error::{Error, IoResultExt, Result};
use crate::failpoint::failpoint;
use crate::poison::lock;
use crate::target::Target;
use crate::temp::TempFile;
use crate::text::{Piece, Utf8Stream};

/// Pieces in flight between the main thread and the writer (each at most ~32 KB).
const IN_FLIGHT: usize = 32;

/// The main thread's end of a text being spilled. Dropped before [`Spill::finish`], it is
/// discarded like an unused [`Spilled`].
#[derive(Debug)]
pub struct Spill {
  pieces: Option<SyncSender<Message>>,
  writer: Option<Writer>,
}

/// A spilled text whose last piece was sent: its temp file, once the writer is done.
///
/// Dropped unused, it is discarded without waiting (see the module docs).
#[derive(Debug)]
pub struct Spilled {
  pieces: Option<SyncSender<Message>>,
  writer: Option<Writer>,
}

/// The thread writing a spilled text into its temp file.
#[derive(Debug)]
struct Writer {
  thread: JoinHandle<Result<Filled>>,
}

/// Writers of discarded texts, still removing their temp files or not yet joined.
static DISCARDED: Mutex<Vec<Writer>> = Mutex::new(Vec::new());

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
  /// Serialization failed: remove the file and the directories this write created.
  Abandon,
}

impl Spill {
  /// Start a writer for the text of a write to `path` (absolute, as the caller named it),
  /// indenting deeper pieces with `gap`.
  pub fn start(path: PathBuf, gap: Vec<u16>) -> Spill {
    let (sender, receiver) = mpsc::sync_channel(IN_FLIGHT);
    let thread = thread::Builder::new()
      .name("safe-write-json-spill".into())
      .spawn(move || write_pieces(&path, &gap, receiver))
      .expect("a spill writer thread could not start");
    Spill {
      pieces: Some(sender),
      writer: Some(Writer { thread }),
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
    // It has stopped, having removed its temp file: joining it only collects the error.
    match self.writer.take().map(|writer| writer.thread.join()) {
      Some(Ok(Err(err))) => err,
      _ => Error::os("EIO", "write", PathBuf::new()),
    }
  }
}

impl Drop for Spill {
  fn drop(&mut self) {
    discard(self.pieces.take(), self.writer.take());
  }
}

impl Spilled {
  /// The temp file with the whole text in it, once the writer has written everything (and the
  /// texts discarded so far are gone: see [`reap`]).
  pub(crate) fn into_filled(mut self) -> Result<Filled> {
    // Sent only now, so that a spilled write superseded before it runs is discarded instead.
    if let Some(pieces) = self.pieces.take() {
      let _ = pieces.send(Message::Done);
    }
    reap();
    self
      .writer
      .take()
      .map(|writer| writer.thread.join())
      .and_then(|joined| joined.ok())
      .unwrap_or_else(|| Err(Error::os("EIO", "write", PathBuf::new())))
  }

  /// Serialization failed after the text began to stream: remove the temp file and the
  /// directories this write created, and wait until that is done, so that the failed call
  /// leaves nothing behind by the time it settles (on the calling thread: serialization runs
  /// on the JavaScript thread, and this is its error path).
  pub fn abandon(mut self) {
    if let Some(pieces) = self.pieces.take() {
      let _ = pieces.send(Message::Abandon);
    }
    if let Some(writer) = self.writer.take() {
      let _ = writer.thread.join();
    }
  }
}

impl Drop for Spilled {
  fn drop(&mut self) {
    discard(self.pieces.take(), self.writer.take());
  }
}

/// Discard a text without waiting: closing the channel without `Done` tells the writer to
/// remove its temp file; it is joined later (see the module docs).
fn discard(pieces: Option<SyncSender<Message>>, writer: Option<Writer>) {
  drop(pieces);
  if let Some(writer) = writer {
    lock(&DISCARDED).push(writer);
  }
}

/// Wait until every text discarded so far has had its temp file removed. Called by each write
/// before it lands, on its thread (a worker's, or the JavaScript thread in a Sync call, which
/// blocks anyway), so that the writes it superseded leave nothing behind once it settles. Texts
/// are discarded only when a streamed write is superseded, so there is rarely anything to join.
pub(crate) fn reap() {
  let discarded = std::mem::take(&mut *lock(&DISCARDED));
  for writer in discarded {
    let _ = writer.thread.join();
  }
}

/// The writer thread: resolve the target, create the temp file, write pieces until `Done`. If
/// the channel closes first (the text was discarded), remove the temp file; on `Abandon`
/// (serialization failed), the directories this created too.
fn write_pieces(path: &Path, gap: &[u16], pieces: Receiver<Message>) -> Result<Filled> {
  let target = Target::prepare(path)?;
  let temp = TempFile::for_target(&target)?;
  let mut stream = Utf8Stream::new(temp.writer());
  loop {
    let abandoned = match pieces.recv() {
      Ok(Message::Piece(piece)) => {
        piece.write_to(&mut stream, gap).at("write", &target.path)?;
        continue;
      }
      Ok(Message::Done) => break,
      Ok(Message::Abandon) => true,
      Err(_) => false,
    };
    failpoint!("spill.discard", "unlink", &target.path);
    drop(stream);
    drop(temp);
    if abandoned {
      // Only when the call failed, so that it created nothing. A superseded text leaves them:
      // the write that superseded it goes to the same directory, and another write may be
      // about to create its own file there.
      target.remove_created_dirs();
    }
    return Err(Error::os("ECANCELED", "write", &target.path));
  }
  let written = stream.finish().at("write", &target.path)?;
  Ok(Filled { temp, written })
}

#[cfg(test)]
mod tests {
  use super::*;
  use std::fs;

  /// A text of one piece streamed for a write to `path`, finished (not yet landed).
  fn spilled(path: &Path) -> Spilled {
    let mut spill = Spill::start(path.to_path_buf(), Vec::new());
    spill
      .send(Piece::new("[1]".encode_utf16().collect(), 0))
      .unwrap();
    spill.finish().unwrap()
  }

  fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
      .unwrap()
      .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
      .collect();
    names.sort();
    names
  }

  #[test]
  fn a_discarded_text_removes_its_temp_file_but_not_the_directories() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("x/y");
    drop(spilled(&dir.join("f.json")));
    reap();
    assert!(dir.is_dir(), "another write may be using them");
    assert_eq!(names(&dir), Vec::<String>::new());
  }

  #[test]
  fn an_abandoned_text_removes_its_temp_file_and_new_directories() {
    let root = tempfile::tempdir().unwrap();
    spilled(&root.path().join("x/y/f.json")).abandon();
    assert_eq!(names(root.path()), Vec::<String>::new());
  }

  #[test]
  fn a_finished_text_is_in_its_temp_file() {
    let root = tempfile::tempdir().unwrap();
    let filled = spilled(&root.path().join("f.json")).into_filled().unwrap();
    assert_eq!(filled.written, 3);
    assert_eq!(fs::read(filled.temp.path()).unwrap(), b"[1]");
  }
}
