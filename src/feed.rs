//! A JSON text fed to its write as JavaScript makes it, slice by slice, over several turns of
//! the event loop, while the write is already queued: the pieces go through the channel of a
//! [`Streamed`] text, which the write transcodes into its temp file as they come, paced by a
//! [`Flow`] so the pieces held between the two stay bounded: a feeder ahead of its write
//! [waits](Feed::wait) until the write has caught up. (The turns themselves are the binding's.)
//!
//! Dropped unfinished (serialization threw, or the text was abandoned), the sender tells the
//! write its text was abandoned: the write fails with ECANCELED and removes its temp file.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::poison::lock;
use crate::text::{Flow, Piece, PieceSender, Streamed, Text};

/// A text being fed to its write.
pub struct Feed {
  /// `None` once finished (or once the write let the text go).
  sender: Option<PieceSender>,
  /// The write's end, until the write takes it.
  streamed: Option<Streamed>,
  flow: Arc<Flow>,
  /// What wakes the feeder waiting for the write (see [`Feed::wait`]), until it is called.
  waiting: Arc<Mutex<Option<Wake>>>,
}

/// Called once, from any thread, when a waiting feeder may go on.
type Wake = Box<dyn FnOnce() + Send>;

impl Feed {
  /// A text whose deeper pieces are indented with `gap`.
  pub fn new(gap: Vec<u16>) -> Feed {
    let waiting: Arc<Mutex<Option<Wake>>> = Arc::default();
    let flow = Flow::new({
      let waiting = waiting.clone();
      move || wake(&waiting)
    });
    let (sender, streamed) = Streamed::channel(gap, flow.clone());
    Feed {
      sender: Some(sender),
      streamed: Some(streamed),
      flow,
      waiting,
    }
  }

  /// The text, for the write (once).
  pub fn take_text(&mut self) -> Option<Text> {
    self.streamed.take().map(Text::Streamed)
  }

  /// Whether the write has taken the text.
  pub fn is_taken(&self) -> bool {
    self.streamed.is_none()
  }

  /// Whether pieces may still be sent: not finished, and still wanted by the write.
  pub fn is_open(&self) -> bool {
    self.sender.is_some()
  }

  /// Send `piece`, after a comma if `comma`; `false` if the write no longer wants the text
  /// (superseded, or failed): the feeder stops.
  pub fn send(&mut self, comma: bool, piece: Piece) -> bool {
    let Some(sender) = self.sender.as_ref() else {
      return false;
    };
    let sent = (!comma || sender.send(Piece::comma())) && sender.send(piece);
    if !sent {
      self.sender = None;
    }
    sent
  }

  /// Whether the feeder should wait for the write to catch up before the next slice.
  pub fn is_behind(&self) -> bool {
    self.flow.is_full()
  }

  /// The feeder waits for the write to catch up (or let the text go): `wake_up` is called then,
  /// from the write's thread — or at once, here, if that happened meanwhile.
  pub fn wait(&self, wake_up: impl FnOnce() + Send + 'static) {
    // Set before pausing: a wake between the two then finds it (and calls it).
    *lock(&self.waiting) = Some(Box::new(wake_up));
    if !self.flow.pause() {
      wake(&self.waiting);
    }
  }

  /// The last piece was sent: the text is complete.
  pub fn finish(&mut self) {
    if let Some(sender) = self.sender.take() {
      sender.finish();
    }
  }
}

/// Call the waiting feeder's wake, if it is still there.
fn wake(waiting: &Mutex<Option<Wake>>) {
  let wake = lock(waiting).take();
  if let Some(wake) = wake {
    wake();
  }
}

/// When the current slice began: set as a text starts (the call's own slice) and again as each
/// later slice's turn begins. A monotonic clock: fake timers, which replace `Date` and
/// `performance.now`, do not touch it.
#[derive(Clone)]
pub struct SliceClock(Arc<Mutex<Instant>>);

impl SliceClock {
  /// A clock whose slice begins now.
  pub fn start() -> SliceClock {
    SliceClock(Arc::new(Mutex::new(Instant::now())))
  }

  /// A new slice begins now.
  pub fn restart(&self) {
    *lock(&self.0) = Instant::now();
  }

  /// Whether the slice has run for `budget` or more.
  pub fn spent(&self, budget: Duration) -> bool {
    lock(&self.0).elapsed() >= budget
  }
}
