//! `cleanupTempFiles` on a real directory: exactly this package's orphans older than the
//! threshold go; every other file stays.

mod common;

use std::fs::{self, File, FileTimes};
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::test_dir;
use safe_write_json::cleanup::{self, Orphan};
use safe_write_json::CleanupOptions;

/// A file whose modification time is `age` ago.
fn file_aged(path: &Path, age: Duration) {
  let file = File::create(path).unwrap();
  file
    .set_times(FileTimes::new().set_modified(SystemTime::now() - age))
    .unwrap();
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn removes_only_our_old_temp_files_and_returns_them() {
  let dir = test_dir();
  let ours_old = [".a.json.Ab3dE9xZ.tmp", ".settings.json.bak.00000000.tmp"];
  let kept = [
    ".a.json.Zz9yY8xX.tmp.bak", // not ending in .tmp
    ".foo.tmp",                 // no random part
    "x.12345678.tmp",           // no leading dot
    ".a.json.abc.tmp",          // random part too short
    ".a.json.abcdefg-.tmp",     // not letters or digits
    "a.json",
    "a.json.bak",
  ];
  for name in ours_old.iter().chain(&kept) {
    file_aged(&dir.path().join(name), HOUR);
  }
  file_aged(&dir.path().join(".b.json.Young123.tmp"), Duration::ZERO);
  fs::create_dir(dir.path().join(".dir.json.Abcdefgh.tmp")).unwrap();

  let removed = cleanup::cleanup(dir.path(), &CleanupOptions::default()).unwrap();
  let mut expected: Vec<_> = ours_old.iter().map(|n| dir.path().join(n)).collect();
  expected.sort();
  assert_eq!(removed, expected);
  for name in kept
    .iter()
    .chain(&[".b.json.Young123.tmp", ".dir.json.Abcdefgh.tmp"])
  {
    assert!(dir.path().join(name).exists(), "{name} was removed");
  }
  for name in ours_old {
    assert!(!dir.path().join(name).exists(), "{name} is still there");
  }
}

#[test]
fn the_threshold_is_the_files_age() {
  let dir = test_dir();
  file_aged(
    &dir.path().join(".a.json.Aaaaaaaa.tmp"),
    Duration::from_secs(30),
  );
  file_aged(
    &dir.path().join(".b.json.Bbbbbbbb.tmp"),
    Duration::from_secs(90),
  );
  let found = cleanup::find(dir.path(), &CleanupOptions::default()).unwrap();
  assert_eq!(
    found,
    vec![(dir.path().join(".b.json.Bbbbbbbb.tmp"), Orphan::Temp)]
  );
  let all = CleanupOptions {
    older_than: Duration::ZERO,
  };
  assert_eq!(cleanup::cleanup(dir.path(), &all).unwrap().len(), 2);
  assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_future_modification_time_counts_as_now() {
  let dir = test_dir();
  let path = dir.path().join(".a.json.Aaaaaaaa.tmp");
  let file = File::create(&path).unwrap();
  file
    .set_times(FileTimes::new().set_modified(SystemTime::now() + HOUR))
    .unwrap();
  assert!(cleanup::cleanup(dir.path(), &CleanupOptions::default())
    .unwrap()
    .is_empty());
  let all = CleanupOptions {
    older_than: Duration::ZERO,
  };
  assert_eq!(cleanup::cleanup(dir.path(), &all).unwrap(), vec![path]);
}

#[cfg(unix)]
#[test]
fn a_symlink_with_our_name_is_not_followed_or_removed() {
  let dir = test_dir();
  file_aged(&dir.path().join("precious.json"), HOUR);
  std::os::unix::fs::symlink("precious.json", dir.path().join(".x.json.Linkname.tmp")).unwrap();
  let all = CleanupOptions {
    older_than: Duration::ZERO,
  };
  assert!(cleanup::cleanup(dir.path(), &all).unwrap().is_empty());
  assert!(dir.path().join("precious.json").exists());
}

#[test]
fn a_missing_directory_is_enoent_from_scandir() {
  let dir = test_dir();
  let err = cleanup::cleanup(&dir.path().join("nope"), &CleanupOptions::default()).unwrap_err();
  assert_eq!((err.code_name(), err.syscall), ("ENOENT", "scandir"));
}

#[test]
fn a_lock_sidecar_nobody_holds_is_removed_a_held_one_is_kept() {
  use safe_write_json::lock::FileLock;
  use safe_write_json::target::Target;
  let dir = test_dir();
  // Left by a writer that was killed: empty, and nobody holds its lock.
  fs::write(dir.path().join(".dead.json.lock"), "").unwrap();
  // Held right now by a live writer.
  let live = Target::prepare(&dir.path().join("live.json")).unwrap();
  let _held = FileLock::acquire(&live, std::time::Duration::ZERO).unwrap();
  // Same shape, but not empty: not one of ours.
  fs::write(dir.path().join(".other.json.lock"), "pid 42").unwrap();
  let options = CleanupOptions {
    older_than: std::time::Duration::ZERO,
  };
  let found: Vec<_> = cleanup::find(dir.path(), &options).unwrap();
  assert_eq!(
    found,
    vec![(dir.path().join(".dead.json.lock"), Orphan::Lock)]
  );
  assert_eq!(
    cleanup::cleanup(dir.path(), &options).unwrap(),
    vec![dir.path().join(".dead.json.lock")]
  );
  assert!(dir.path().join(".live.json.lock").exists());
  assert!(dir.path().join(".other.json.lock").exists());
}
