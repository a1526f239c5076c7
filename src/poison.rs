//! Mutexes and condition variables used without poisoning: every state behind them is
//! consistent at each point a panic could unwind through, so after a panic (a bug, which the
//! queue reports as EIO) later callers go on rather than panicking in turn.

use std::sync::{Condvar, Mutex, MutexGuard};

/// Lock `mutex`, ignoring poisoning.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
  mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wait on `condvar` with `guard`, ignoring poisoning.
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
  condvar.wait(guard).unwrap_or_else(|e| e.into_inner())
}
