//! The native half of a text fed in later turns, while its write is already queued: that of an
//! `incremental: true` serialization, or the last pieces of a big async write's text (V8
//! flattens each string before Node-API can read it: copied later, that never lengthens the
//! call's own stall). Each slice's pieces are copied at once and sent through the core's
//! [`Feed`] (see [`super::sink::JsonSink::feed`]); dropped unfinished, its write fails with
//! ECANCELED.
//!
//! Between slices JavaScript awaits [`next`]: resolved in a later turn by an empty Node-API
//! async work (fake timers cannot hold it back), or — while the write is more than
//! [`crate::text::Flow::LIMIT`] behind — through the settle queue once it has caught up, so the
//! pieces held stay bounded. Not the settle queue every time: a threadsafe function runs up to
//! 1000 queued calls (and their microtasks) in one go, so every slice would run in one turn; an
//! async work's completion queued during another's is seen only by the loop's next poll.
//!
//! A Sync write blocks this thread and may wait for a write a text feeds: it first has every
//! text still being fed finished at once ([`finish_feeds`]), by the function JavaScript gave.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use napi::bindgen_prelude::{Function, FunctionRef, Unknown};
use napi::{Env, JsValue, Result, Task};

use super::settle::{self, to_value};
use crate::feed::{Feed, SliceClock};

/// The function JavaScript gave to finish its serialization at once (for a Sync write).
type Finish = FunctionRef<(), ()>;

/// A text being fed on this thread: while this lives, its function to finish it at once is
/// registered for [`finish_feeds`].
pub(crate) struct Feeding {
  /// Held, not read: the registry's reference to it lives as long as this.
  _finish: Rc<Finish>,
}

thread_local! {
  /// The texts being fed on this (JavaScript) thread: the function to finish each at once, for
  /// as long as its [`Feeding`] lives.
  static FEEDING: RefCell<Vec<Weak<Finish>>> = const { RefCell::new(Vec::new()) };
}

impl Feeding {
  /// Start feeding a text; `finish` (JavaScript) serializes the rest at once when a Sync write
  /// needs this thread.
  pub(crate) fn start(finish: Function<(), ()>) -> Result<Feeding> {
    let finish = Rc::new(finish.create_ref()?);
    FEEDING.with_borrow_mut(|feeding| {
      feeding.retain(|fed| fed.strong_count() > 0);
      feeding.push(Rc::downgrade(&finish));
    });
    Ok(Feeding { _finish: finish })
  }
}

/// A promise that resolves in a later turn, when the next slice of `feed` may run (its slice
/// timed by `clock`): at once if the write keeps up, else once it has caught up (or let the
/// text go).
pub(crate) fn next<'env>(env: &'env Env, feed: &Feed, clock: &SliceClock) -> Result<Unknown<'env>> {
  let clock = clock.clone();
  if !feed.is_behind() {
    let promise = env.spawn(Turn(clock))?.promise_object();
    // SAFETY: a live handle of this env, just made.
    return Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise.raw()) });
  }
  let (pending, promise) = settle::promise(env)?;
  // The slice begins as the promise resolves, on the JavaScript thread.
  let begin_slice = move |env: &Env| {
    clock.restart();
    to_value(env, ())
  };
  feed.wait(move || pending.settle(Box::new(begin_slice)));
  Ok(promise)
}

/// An async work that does nothing on the thread pool: its completion is a later turn.
struct Turn(SliceClock);

impl Task for Turn {
  type Output = ();
  type JsValue = ();

  fn compute(&mut self) -> Result<()> {
    Ok(())
  }

  fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
    self.0.restart();
    Ok(())
  }
}

/// Finish, now, every text still being fed on this thread: each one's JavaScript serializes
/// the rest at once (an error there is its own call's: it rejects with it).
pub(crate) fn finish_feeds(env: &Env) -> Result<()> {
  // One at a time, oldest first, each taken out before it runs: a Sync write that its
  // JavaScript makes (a getter) finds the rest still registered, and finishes them first.
  let next = || {
    FEEDING.with_borrow_mut(|feeding| {
      while !feeding.is_empty() {
        if let Some(finish) = feeding.remove(0).upgrade() {
          return Some(finish);
        }
      }
      None
    })
  };
  // Every one, even after a failure: a text left unfinished could hold up the Sync write.
  let mut first_error = Ok(());
  while let Some(finish) = next() {
    let called = finish.borrow_back(env).and_then(|finish| finish.call(()));
    if first_error.is_ok() {
      first_error = called;
    }
  }
  first_error
}
