//! `backup: true` on a real directory: the previous version is kept as `<name>.bak`, with the
//! target's mode, and never on the first write of a new file.

mod common;

use std::fs;

use common::{request, test_dir, verify_no_leftovers};
use safe_write_json::queue;

fn write_with_backup(path: &std::path::Path, content: &str) -> safe_write_json::Result<()> {
  let mut req = request(path, content);
  req.options.backup = true;
  queue::write_now(req)
}

#[test]
fn the_first_write_of_a_new_file_makes_no_backup() {
  let dir = test_dir();
  let path = dir.path().join("new.json");
  write_with_backup(&path, "1").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "1");
  assert!(!dir.path().join("new.json.bak").exists());
  verify_no_leftovers(dir.path());
}

#[test]
fn each_write_keeps_the_version_before_it() {
  let dir = test_dir();
  let path = dir.path().join("a.json");
  let backup = dir.path().join("a.json.bak");
  write_with_backup(&path, "1").unwrap();
  write_with_backup(&path, "2").unwrap();
  assert_eq!(fs::read_to_string(&backup).unwrap(), "1");
  write_with_backup(&path, "3").unwrap();
  assert_eq!(fs::read_to_string(&backup).unwrap(), "2");
  assert_eq!(fs::read_to_string(&path).unwrap(), "3");
  verify_no_leftovers(dir.path());
}

#[test]
fn a_write_without_backup_leaves_an_old_backup_alone() {
  let dir = test_dir();
  let path = dir.path().join("a.json");
  write_with_backup(&path, "1").unwrap();
  write_with_backup(&path, "2").unwrap();
  common::write(&path, "3").unwrap();
  assert_eq!(
    fs::read_to_string(dir.path().join("a.json.bak")).unwrap(),
    "1"
  );
}

#[test]
fn a_backup_name_beyond_the_limit_fails_the_write_and_keeps_the_target() {
  let dir = test_dir();
  let path = dir.path().join(format!("{}.js", "n".repeat(250))); // 253 bytes; with .bak 257
  common::write(&path, "1").unwrap();
  let err = write_with_backup(&path, "2").unwrap_err();
  assert_eq!((err.code_name(), err.syscall), ("ENAMETOOLONG", "rename"));
  assert_eq!(fs::read_to_string(&path).unwrap(), "1");
  verify_no_leftovers(dir.path());
}

#[cfg(unix)]
mod unix {
  use super::*;
  use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

  #[test]
  fn the_backup_has_the_old_files_mode_and_is_a_separate_file_from_the_new_one() {
    let dir = test_dir();
    let path = dir.path().join("secret.json");
    fs::write(&path, "old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    write_with_backup(&path, "new").unwrap();
    let backup = fs::metadata(dir.path().join("secret.json.bak")).unwrap();
    assert_eq!(backup.mode() & 0o7777, 0o600);
    assert_ne!(backup.ino(), fs::metadata(&path).unwrap().ino());
    assert_eq!(
      fs::read_to_string(dir.path().join("secret.json.bak")).unwrap(),
      "old"
    );
  }

  #[test]
  fn a_symlinked_target_keeps_its_backup_beside_the_real_file() {
    let dir = test_dir();
    fs::create_dir(dir.path().join("real")).unwrap();
    fs::write(dir.path().join("real/a.json"), "old").unwrap();
    symlink("real/a.json", dir.path().join("link.json")).unwrap();
    write_with_backup(&dir.path().join("link.json"), "new").unwrap();
    assert_eq!(
      fs::read_to_string(dir.path().join("real/a.json.bak")).unwrap(),
      "old"
    );
    assert!(!dir.path().join("link.json.bak").exists());
    verify_no_leftovers(&dir.path().join("real"));
  }
}
