//! The cross-process lock and the leases of `updateJson`, through the queue the addon uses.

mod common;

use std::fs;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{request, test_dir, verify_no_leftovers, write};
use safe_write_json::lock::FileLock;
use safe_write_json::queue::{self, Lease};
use safe_write_json::read::Units;
use safe_write_json::target::Target;
use safe_write_json::{Body, Text};

/// The text a lease read, as a Rust string.
fn content(lease: &Lease) -> Option<String> {
  lease.content.as_ref().map(|text| match text.units() {
    Units::Latin1(bytes) => bytes.iter().map(|&b| char::from(b)).collect(),
    Units::Utf16(units) => String::from_utf16_lossy(units),
  })
}

fn lease_of(path: &std::path::Path) -> Lease {
  let (tx, rx) = mpsc::channel();
  queue::lease(
    path.to_path_buf(),
    Default::default(),
    vec![],
    Box::new(move |held| tx.send(held).unwrap()),
  );
  rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap()
}

#[test]
fn a_write_waits_for_the_lock_and_times_out_with_elocked() {
  let dir = test_dir();
  let path = dir.path().join("a.json");
  fs::write(&path, "old").unwrap();
  let held = FileLock::acquire(&Target::prepare(&path).unwrap(), Duration::ZERO).unwrap();
  let mut req = request(&path, "new");
  req.options.lock_timeout = Duration::from_millis(50);
  let started = Instant::now();
  let err = queue::write_now(req).unwrap_err();
  assert_eq!(err.code_name(), "ELOCKED");
  assert!(started.elapsed() >= Duration::from_millis(50));
  assert_eq!(fs::read_to_string(&path).unwrap(), "old");
  drop(held);
  write(&path, "new").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "new");
  verify_no_leftovers(dir.path());
  assert!(!dir.path().join(".a.json.lock").exists());
}

#[test]
fn lock_false_does_not_wait() {
  let dir = test_dir();
  let path = dir.path().join("a.json");
  let _held = FileLock::acquire(&Target::prepare(&path).unwrap(), Duration::ZERO).unwrap();
  let mut req = request(&path, "free");
  req.options.lock = false;
  queue::write_now(req).unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "free");
}

#[test]
fn a_lease_reads_the_file_and_holds_writes_until_it_commits() {
  let dir = test_dir();
  let path = dir.path().join("count.json");
  fs::write(&path, "1").unwrap();
  let lease = lease_of(&path);
  assert_eq!(content(&lease).as_deref(), Some("1"));

  // A write queued behind the lease waits for it.
  let (tx, rx) = mpsc::channel();
  queue::submit(
    request(&path, "3"),
    vec![],
    Box::new(move |r| tx.send(r).unwrap()),
  );
  assert!(
    rx.recv_timeout(Duration::from_millis(100)).is_err(),
    "the write went ahead of the lease"
  );

  let (done_tx, done_rx) = mpsc::channel();
  lease.commit(
    Body::Text(Text::Bytes(b"2".to_vec())),
    Box::new(move |r| done_tx.send(r).unwrap()),
  );
  done_rx
    .recv_timeout(Duration::from_secs(10))
    .unwrap()
    .unwrap();
  rx.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "3");
  verify_no_leftovers(dir.path());
}

#[test]
fn a_dropped_lease_writes_nothing_and_frees_the_file() {
  let dir = test_dir();
  let path = dir.path().join("x.json");
  let lease = lease_of(&path);
  assert!(lease.content.is_none());
  drop(lease);
  assert!(!path.exists());
  assert!(!dir.path().join(".x.json.lock").exists());
  write(&path, "after").unwrap();
}

#[test]
fn a_sync_write_does_not_wait_for_a_lease() {
  let dir = test_dir();
  let path = dir.path().join("busy.json");
  let lease = lease_of(&path);
  let err = write(&path, "sync").unwrap_err();
  assert_eq!(err.code_name(), "ELOCKED");
  assert!(
    err
      .to_string()
      .contains("updateJson running or queued in this process"),
    "{err}"
  );
  drop(lease);
  write(&path, "sync").unwrap();
}

#[cfg(unix)]
#[test]
fn a_sync_write_through_another_name_does_not_wait_for_a_lease_either() {
  let dir = test_dir();
  let path = dir.path().join("real.json");
  std::os::unix::fs::symlink("real.json", dir.path().join("alias.json")).unwrap();
  let lease = lease_of(&path);
  let err = write(&dir.path().join("alias.json"), "sync").unwrap_err();
  assert_eq!(err.code_name(), "ELOCKED");
  drop(lease);
}

#[test]
fn leases_are_never_coalesced() {
  let dir = test_dir();
  let path = dir.path().join("n.json");
  let (tx, rx) = mpsc::channel::<()>();
  for _ in 0..20 {
    let tx = tx.clone();
    queue::lease(
      path.clone(),
      Default::default(),
      vec![],
      Box::new(move |held| {
        let lease = held.unwrap();
        let n: u32 = content(&lease).map_or(0, |text| text.parse().unwrap());
        lease.commit(
          Body::Text(Text::Bytes((n + 1).to_string().into_bytes())),
          Box::new(move |r| {
            r.unwrap();
            tx.send(()).unwrap()
          }),
        );
      }),
    );
  }
  for _ in 0..20 {
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
  }
  assert_eq!(fs::read_to_string(&path).unwrap(), "20");
}
