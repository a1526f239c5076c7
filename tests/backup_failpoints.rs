//! `backup: true` when the write's own rename fails (failpoint `commit.rename`): the `.bak` is
//! as it was, and the next backup write leaves no staged name behind. Run with
//! `cargo test --features failpoints`. One test in its own binary: failpoints are global.

#![cfg(feature = "failpoints")]

mod common;

use std::fs;

use common::{request, test_dir, verify_no_leftovers};
use safe_write_json::queue;

fn write_with_backup(path: &std::path::Path, content: &str) -> safe_write_json::Result<()> {
  let mut req = request(path, content);
  req.options.backup = true;
  queue::write_now(req)
}

/// Two backup writes ("1", then "2"), then one ("3") whose rename fails; the file's path.
fn after_a_failed_rename(dir: &std::path::Path) -> (std::path::PathBuf, safe_write_json::Error) {
  let path = dir.join("a.json");
  write_with_backup(&path, "1").unwrap();
  write_with_backup(&path, "2").unwrap();
  fail::cfg("commit.rename", "1*return(EIO)").unwrap();
  let err = write_with_backup(&path, "3").unwrap_err();
  fail::remove("commit.rename");
  (path, err)
}

#[test]
fn a_failed_rename_leaves_the_bak_as_it_was() {
  let dir = test_dir();
  let scenario = fail::FailScenario::setup();
  let (path, err) = after_a_failed_rename(dir.path());
  scenario.teardown();
  assert_eq!((err.code_name(), err.syscall), ("EIO", "rename"));
  assert_eq!(fs::read_to_string(&path).unwrap(), "2");
  assert_eq!(
    fs::read_to_string(dir.path().join("a.json.bak")).unwrap(),
    "1"
  );
  verify_no_leftovers(dir.path());
}

#[test]
fn the_backup_write_after_a_failed_rename_leaves_no_staged_link() {
  let dir = test_dir();
  let scenario = fail::FailScenario::setup();
  let (path, _) = after_a_failed_rename(dir.path());
  // On 66a42bb the failed write had made `.bak` a link to the target: this write's staged link
  // was renamed onto the same inode, which does nothing, and stayed.
  write_with_backup(&path, "4").unwrap();
  scenario.teardown();
  assert_eq!(fs::read_to_string(&path).unwrap(), "4");
  assert_eq!(
    fs::read_to_string(dir.path().join("a.json.bak")).unwrap(),
    "2"
  );
  verify_no_leftovers(dir.path());
}
