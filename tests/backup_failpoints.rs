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

#[test]
fn a_failed_rename_leaves_the_bak_unchanged_and_the_next_backup_write_leaves_nothing() {
  let dir = test_dir();
  let path = dir.path().join("a.json");
  let backup = dir.path().join("a.json.bak");
  write_with_backup(&path, "1").unwrap();
  write_with_backup(&path, "2").unwrap();
  assert_eq!(fs::read_to_string(&backup).unwrap(), "1");

  let scenario = fail::FailScenario::setup();
  fail::cfg("commit.rename", "1*return(EIO)").unwrap();
  let err = write_with_backup(&path, "3").unwrap_err();
  assert_eq!((err.code_name(), err.syscall), ("EIO", "rename"));
  assert_eq!(fs::read_to_string(&path).unwrap(), "2");
  assert_eq!(
    fs::read_to_string(&backup).unwrap(),
    "1",
    "the .bak changed"
  );
  verify_no_leftovers(dir.path());

  // The failed write had made `.bak` a link to the target; the next one keeps "2" as the
  // backup, and its staged link does not stay behind.
  write_with_backup(&path, "4").unwrap();
  scenario.teardown();
  assert_eq!(fs::read_to_string(&path).unwrap(), "4");
  assert_eq!(fs::read_to_string(&backup).unwrap(), "2");
  verify_no_leftovers(dir.path());
}
