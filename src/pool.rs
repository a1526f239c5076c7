//! The worker threads: everything the async calls do off the JavaScript thread (writes, the
//! queue's path resolution, reads, cleanups, letting big texts go) runs here.

use std::sync::{Arc, Mutex, OnceLock};

use crate::poison::lock;

/// Run `task` on a worker of the pool. Should the OS refuse every thread (a pids limit) and the
/// pool have none left, run it here rather than lose it: a queue that lost its resolver or a
/// running job would never move again.
pub(crate) fn spawn(task: impl FnOnce() + Send + 'static) {
  let task = Arc::new(Mutex::new(Some(task)));
  let handed = task.clone();
  let spawned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    pool().spawn_blocking(move || {
      if let Some(task) = lock(&handed).take() {
        task();
      }
    })
  }));
  if spawned.is_err() {
    if let Some(task) = lock(&task).take() {
      task();
    }
  }
}

/// The thread pool: tokio's blocking pool, which grows with demand, so a slow disk or a waiting
/// writer never starves the others.
fn pool() -> &'static tokio::runtime::Runtime {
  static POOL: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
  POOL.get_or_init(|| {
    tokio::runtime::Builder::new_multi_thread()
      .worker_threads(1)
      .thread_name("safe-write-json")
      .build()
      .expect("the write pool could not start")
  })
}
