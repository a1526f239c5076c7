//! Directory group commit never reports a failed fsync as success: a writer whose covering
//! fsync failed gets that error, however many fsyncs (failed or not) come and go before it
//! looks. Run with `cargo test --features failpoints`.

#![cfg(feature = "failpoints")]

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{hold_at, test_dir};
use safe_write_json::dir_sync::sync_dir_shared;

/// Long enough that only a hang reaches it: a watchdog, not a timing assertion.
const HANG: Duration = Duration::from_secs(60);

/// Many fsyncs after the failed one: more than a window of recent outcomes would ever keep.
const MANY_LATER: usize = 40;

/// `sync_dir_shared(dir)` on a thread named `name`; its outcome comes on the receiver.
fn sync_on(name: &'static str, dir: &Path) -> mpsc::Receiver<safe_write_json::Result<()>> {
  let (done_tx, done_rx) = mpsc::channel();
  let dir = dir.to_path_buf();
  thread::Builder::new()
    .name(name.into())
    .spawn(move || {
      done_tx
        .send(sync_dir_shared(&dir, &dir.join(name)))
        .unwrap()
    })
    .unwrap();
  done_rx
}

/// A slow writer's covering fsync fails (EIO), then `MANY_LATER` fsyncs succeed, and only then
/// does the slow writer look, while the disk's fsync `fails_when_it_looks` or not. It must get
/// the EIO of its own fsync: a later success proves nothing about its rename (Linux reports a
/// writeback error once, so an fsync after a failed one may succeed with the changes lost).
fn slow_writer_whose_fsync_failed_long_ago(fails_when_it_looks: bool) {
  let dir = test_dir();
  let dir = dir.path();
  let scenario = fail::FailScenario::setup();
  // A first fsync runs (held), so the slow writer's request waits for the next one.
  let (running, release_runner) = hold_at("dir.fsync", "runner");
  let runner = sync_on("runner", dir);
  running
    .recv_timeout(HANG)
    .expect("the runner never fsynced");
  let (waiting, release_slow) = hold_at("dir_sync.wait", "slow");
  let slow = sync_on("slow", dir);
  waiting
    .recv_timeout(HANG)
    .expect("the slow writer never waited");
  drop(release_runner);
  runner.recv_timeout(HANG).expect("the runner hung").unwrap();

  // The next fsync — the first to start after the slow writer's request — fails (EIO); the
  // slow writer is still held and has not looked.
  fail::cfg("dir.fsync", "return(EIO)").unwrap();
  let failed = sync_on("failed", dir).recv_timeout(HANG).expect("hung");
  assert_eq!(failed.unwrap_err().code_name(), "EIO");
  // Then many successful fsyncs.
  fail::remove("dir.fsync");
  for _ in 0..MANY_LATER {
    sync_on("later", dir)
      .recv_timeout(HANG)
      .expect("hung")
      .unwrap();
  }
  // The slow writer looks now.
  if fails_when_it_looks {
    fail::cfg("dir.fsync", "return(EIO)").unwrap();
  }
  drop(release_slow);
  let outcome = slow.recv_timeout(HANG).expect("the slow writer hung");
  scenario.teardown();
  let err = outcome.expect_err("a failed directory fsync was reported as success");
  assert_eq!((err.code_name(), err.syscall), ("EIO", "fsync"));
  assert_eq!(err.path, dir.join("slow"));
}

#[test]
fn a_waiter_whose_fsync_failed_gets_the_error_after_many_later_successes() {
  slow_writer_whose_fsync_failed_long_ago(false);
}

#[test]
fn a_waiter_whose_fsync_failed_gets_the_error_while_the_disk_still_fails() {
  slow_writer_whose_fsync_failed_long_ago(true);
}
