//! New parent directories are durable before any writer that relies on them returns: the one
//! that made them, one whose mkdir lost the race, one that found them still being made, and a
//! spilled write as much as one held in memory. Observed through the directories really
//! fsynced (failpoint `dir.record`). Run with `cargo test --features failpoints`.

#![cfg(feature = "failpoints")]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::{hold_at, request, test_dir, write};
use safe_write_json::dir_sync;
use safe_write_json::queue;
use safe_write_json::spill::Spill;
use safe_write_json::text::Piece;
use safe_write_json::Body;

/// Long enough that only a hang reaches it: a watchdog, not a timing assertion.
const HANG: Duration = Duration::from_secs(60);

/// The directories fsynced from the `mark`-th record on.
fn fsynced_since(mark: usize) -> Vec<PathBuf> {
  dir_sync::recorded()[mark..].to_vec()
}

/// The directories fsynced while `f` runs (with the log switched on).
fn fsyncs_during(f: impl FnOnce()) -> Vec<PathBuf> {
  let scenario = fail::FailScenario::setup();
  fail::cfg("dir.record", "return").unwrap();
  let mark = dir_sync::recorded().len();
  f();
  let synced = fsynced_since(mark);
  scenario.teardown();
  synced
}

/// Start writing `content` to `path` on a thread named `name`; the outcome comes on the receiver.
fn write_on(
  name: &str,
  path: PathBuf,
  content: &'static str,
) -> mpsc::Receiver<safe_write_json::Result<()>> {
  let (done_tx, done_rx) = mpsc::channel();
  thread::Builder::new()
    .name(name.into())
    .spawn(move || done_tx.send(write(&path, content)).unwrap())
    .unwrap();
  done_rx
}

/// A spilled text (the > 96 MiB path: its temp file made by the spill writer thread, which
/// resolves the target and creates the parents) of `content`.
fn spilled(path: &Path, content: &str) -> Body {
  let mut spill = Spill::start(path.to_path_buf(), Vec::new());
  spill
    .send(Piece::new(content.encode_utf16().collect(), 0))
    .unwrap();
  Body::Filled(Box::new(spill.finish().unwrap()))
}

/// Wait (a watchdog, not a timing assertion) until a temp file of ours is in `dir`.
fn wait_for_temp_in(dir: &Path) {
  let start = std::time::Instant::now();
  while !fs::read_dir(dir).is_ok_and(|entries| {
    entries
      .flatten()
      .any(|e| safe_write_json::temp::is_temp_name(&e.file_name().to_string_lossy()))
  }) {
    assert!(
      start.elapsed() < HANG,
      "no temp file appeared in {}",
      dir.display()
    );
    thread::sleep(Duration::from_millis(1));
  }
}

#[test]
fn a_spilled_write_into_new_directories_makes_every_new_name_durable() {
  let dir = test_dir();
  let root = fs::canonicalize(dir.path()).unwrap();
  let path = root.join("a/b/c/f.json");
  let synced = fsyncs_during(|| {
    let mut req = request(&path, "");
    req.body = spilled(&path, "{\"big\":true}");
    // As in the addon, where serializing takes a while: the writer thread has made the parents
    // and its temp file before the write is queued (else both would rightly fsync a new name).
    wait_for_temp_in(&root.join("a/b/c"));
    queue::write_now(req).unwrap();
  });
  assert_eq!(fs::read_to_string(&path).unwrap(), "{\"big\":true}");
  assert_each_fsynced_once(&synced, &root);
}

#[test]
fn a_write_into_new_directories_makes_every_new_name_durable_once() {
  let dir = test_dir();
  let root = fs::canonicalize(dir.path()).unwrap();
  let path = root.join("a/b/c/f.json");
  let synced = fsyncs_during(|| write(&path, "{}").unwrap());
  assert_each_fsynced_once(&synced, &root);
}

#[test]
fn a_writer_that_finds_a_directory_still_being_made_waits_for_its_name_to_be_durable() {
  let dir = test_dir();
  let root = fs::canonicalize(dir.path()).unwrap();
  let scenario = fail::FailScenario::setup();
  fail::cfg("dir.record", "return").unwrap();
  // The maker has made `a` and is held before fsyncing `root`: `a`'s name is not durable yet.
  let (made, release_maker) = hold_at("target.made", "maker");
  let maker = write_on("maker", root.join("a/f.json"), "1");
  made.recv_timeout(HANG).expect("the maker never made a/");
  let mark = dir_sync::recorded().len();
  // Another writer finds `a` there and must not return before `root` is fsynced.
  let other = write_on("other", root.join("a/g.json"), "2");
  let outcome = other.recv_timeout(HANG).expect("the other writer hung");
  let synced = fsynced_since(mark);
  drop(release_maker);
  maker.recv_timeout(HANG).expect("the maker hung").unwrap();
  scenario.teardown();
  outcome.unwrap();
  assert!(
    synced.contains(&root),
    "the root was not fsynced before the other writer returned: {synced:?}"
  );
}

#[test]
fn a_spilled_writer_whose_mkdir_lost_the_race_makes_the_name_durable_itself() {
  let dir = test_dir();
  let root = fs::canonicalize(dir.path()).unwrap();
  let path = root.join("a/g.json");
  let scenario = fail::FailScenario::setup();
  fail::cfg("dir.record", "return").unwrap();
  // The spilled write's writer thread has found `a` missing and is held before its mkdir.
  let (at_mkdir, release_spill) = hold_at("target.mkdir", "safe-write-json-spill");
  let text = spilled(&path, "2");
  at_mkdir
    .recv_timeout(HANG)
    .expect("the spill writer never reached mkdir");
  // Meanwhile the maker makes `a` and is held before fsyncing `root`.
  let (made, release_maker) = hold_at("target.made", "maker");
  let maker = write_on("maker", root.join("a/f.json"), "1");
  made.recv_timeout(HANG).expect("the maker never made a/");
  let mark = dir_sync::recorded().len();
  // The spilled write's mkdir now says EEXIST; it must not return before `root` is fsynced.
  drop(release_spill);
  let (done_tx, done_rx) = mpsc::channel();
  let mut req = request(&path, "");
  req.body = text;
  thread::spawn(move || done_tx.send(queue::write_now(req)).unwrap());
  let outcome = done_rx.recv_timeout(HANG).expect("the spilled write hung");
  let synced = fsynced_since(mark);
  drop(release_maker);
  maker.recv_timeout(HANG).expect("the maker hung").unwrap();
  scenario.teardown();
  outcome.unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "2");
  assert!(
    synced.contains(&root),
    "the root was not fsynced before the spilled write returned: {synced:?}"
  );
}

/// `root`, `root/a`, `root/a/b` and `root/a/b/c` were each fsynced exactly once.
fn assert_each_fsynced_once(synced: &[PathBuf], root: &Path) {
  for dir in ["", "a", "a/b", "a/b/c"].map(|sub| root.join(sub)) {
    let dir = dir.components().collect::<PathBuf>();
    let times = synced.iter().filter(|d| **d == dir).count();
    assert_eq!(
      times,
      1,
      "{} fsynced {times} times: {synced:?}",
      dir.display()
    );
  }
}
