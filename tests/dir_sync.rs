//! Directory group commit never reports a failed fsync as success: a writer whose covering
//! fsync failed gets that error, and one that looks only after its outcome has left the window
//! of kept outcomes fsyncs again rather than trusting a later one. Run with
//! `cargo test --features failpoints`.

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

/// More fsyncs than the window keeps (32), so the oldest outcome is dropped.
const MORE_THAN_KEPT: usize = 40;

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

#[test]
fn a_waiter_whose_failed_fsync_left_the_window_does_not_report_success() {
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
  // Then enough successful fsyncs to push that outcome out of the kept window.
  fail::remove("dir.fsync");
  for _ in 0..MORE_THAN_KEPT {
    sync_on("later", dir)
      .recv_timeout(HANG)
      .expect("hung")
      .unwrap();
  }
  // The slow writer looks now. Its fsync failed; a later success proves nothing about its
  // rename. It must sync again (failing here too, as the disk still does), never report Ok.
  fail::cfg("dir.fsync", "return(EIO)").unwrap();
  drop(release_slow);
  let outcome = slow.recv_timeout(HANG).expect("the slow writer hung");
  scenario.teardown();
  let err = outcome.expect_err("a failed directory fsync was reported as success");
  assert_eq!((err.code_name(), err.syscall), ("EIO", "fsync"));
  assert_eq!(err.path, dir.join("slow"));
}
