//! A failure injected at every step of the pipeline leaves the target with its complete old
//! content (or, after the rename, the complete new one), no temp file, and the injected code.
//! Run with `cargo test --features failpoints`.

#![cfg(feature = "failpoints")]

mod common;

use std::fs;

use common::{test_dir, verify_no_leftovers, write};

const OLD: &str = "{\"version\":\"old\"}";
const NEW: &str = "{\"version\":\"new\",\"padding\":\"....................\"}";

/// Inject `action` at `point` during one write over OLD; return the error and what is on disk.
fn inject(point: &str, action: &str) -> (safe_write_json::Error, String, tempfile::TempDir) {
  let dir = test_dir();
  let path = dir.path().join("state.json");
  fs::write(&path, OLD).unwrap();
  let scenario = fail::FailScenario::setup();
  fail::cfg(point, action).unwrap();
  let err = write(&path, NEW).expect_err(point);
  let on_disk = fs::read_to_string(&path).unwrap();
  verify_no_leftovers(dir.path());
  // The next write, with nothing injected, succeeds. (Still inside the scenario: failpoints are
  // global, and another test's scenario must not inject into this write.)
  fail::remove(point);
  write(&path, NEW).unwrap();
  scenario.teardown();
  assert_eq!(fs::read_to_string(&path).unwrap(), NEW);
  (err, on_disk, dir)
}

#[test]
fn every_step_before_the_rename_leaves_the_old_content() {
  let steps = [
    ("target.stat", "ENOENT", "open"),
    ("temp.create", "EACCES", "open"),
    ("temp.write", "ENOSPC", "write"),
    ("temp.verify", "EIO", "fstat"),
    ("temp.chmod", "EPERM", "chmod"),
    ("temp.fsync", "EIO", "fsync"),
    ("commit.rename", "EXDEV", "rename"),
  ];
  for (point, code, syscall) in steps {
    let (err, on_disk, _dir) = inject(point, &format!("return({code})"));
    assert_eq!(err.code_name(), code, "{point}");
    assert_eq!(err.syscall, syscall, "{point}");
    assert_eq!(on_disk, OLD, "{point}");
  }
}

#[test]
fn a_failed_directory_fsync_comes_after_the_new_content_is_in_place() {
  let (err, on_disk, _dir) = inject("commit.fsync-dir", "return(EIO)");
  assert_eq!(err.code_name(), "EIO");
  assert_eq!(err.syscall, "fsync");
  assert_eq!(on_disk, NEW);
}

#[test]
fn a_short_file_on_disk_is_caught_by_the_size_check() {
  let (err, on_disk, _dir) = inject("temp.truncate", "return");
  assert_eq!(err.code_name(), "EVERIFY");
  assert_eq!(
    err.to_string().split(',').next().unwrap(),
    format!(
      "EVERIFY: size on disk is {} bytes but {} were written",
      NEW.len() - 1,
      NEW.len()
    )
  );
  assert_eq!(on_disk, OLD);
}

#[test]
fn a_failure_on_a_later_chunk_of_a_large_write_leaves_the_old_content() {
  let dir = test_dir();
  let path = dir.path().join("big.json");
  fs::write(&path, OLD).unwrap();
  let big = format!("[{}0]", "1234567890,".repeat(200_000)); // ~2 MB: several chunks
  let scenario = fail::FailScenario::setup();
  fail::cfg("temp.write", "2*off->return(ENOSPC)").unwrap();
  let err = write(&path, &big).unwrap_err();
  scenario.teardown();
  assert_eq!(err.code_name(), "ENOSPC");
  assert_eq!(fs::read_to_string(&path).unwrap(), OLD);
  verify_no_leftovers(dir.path());
}

#[test]
fn a_panic_mid_write_fails_that_write_only() {
  let (err, on_disk, _dir) = inject("temp.fsync", "panic");
  assert_eq!(err.code_name(), "EIO");
  assert_eq!(on_disk, OLD);
}

#[test]
fn a_failure_to_take_the_lock_leaves_the_old_content() {
  let (err, on_disk, dir) = inject("lock.acquire", "return(EACCES)");
  assert_eq!(err.code_name(), "EACCES");
  assert_eq!(err.syscall, "lock");
  assert_eq!(on_disk, OLD);
  assert!(!dir.path().join(".state.json.lock").exists());
}

/// Inject `action` at `point` during one `backup: true` write over OLD, whose previous backup
/// holds OLDER; return the error (if any) and what the target and the backup hold afterwards.
fn inject_with_backup(faults: &[(&str, &str)]) -> (safe_write_json::Result<()>, String, String) {
  const OLDER: &str = "{\"version\":\"older\"}";
  let dir = test_dir();
  let path = dir.path().join("state.json");
  let backup = dir.path().join("state.json.bak");
  fs::write(&path, OLD).unwrap();
  fs::write(&backup, OLDER).unwrap();
  let scenario = fail::FailScenario::setup();
  for (point, action) in faults {
    fail::cfg(*point, action).unwrap();
  }
  let mut req = common::request(&path, NEW);
  req.options.backup = true;
  let result = safe_write_json::queue::write_now(req);
  let (on_disk, backed_up) = (
    fs::read_to_string(&path).unwrap(),
    fs::read_to_string(&backup).unwrap(),
  );
  verify_no_leftovers(dir.path());
  for (point, _) in faults {
    fail::remove(*point);
  }
  // With nothing injected, the next backup write succeeds and keeps what the target held.
  let mut req = common::request(&path, "\"next\"");
  req.options.backup = true;
  safe_write_json::queue::write_now(req).unwrap();
  scenario.teardown();
  assert_eq!(fs::read_to_string(&backup).unwrap(), on_disk);
  (result, on_disk, backed_up)
}

#[test]
fn a_failed_backup_step_fails_the_write_before_the_target_changes() {
  for (point, code, syscall) in [
    ("backup.link", "EIO", "link"),
    ("backup.rename", "ENOSPC", "rename"),
  ] {
    let (result, on_disk, backed_up) = inject_with_backup(&[(point, &format!("return({code})"))]);
    let err = result.expect_err(point);
    assert_eq!((err.code_name(), err.syscall), (code, syscall), "{point}");
    assert_eq!(on_disk, OLD, "{point}");
    assert_eq!(backed_up, "{\"version\":\"older\"}", "{point}");
  }
}

#[test]
fn where_hard_links_are_refused_the_backup_is_a_copy() {
  for refusal in ["EPERM", "ENOTSUP", "EXDEV", "EMLINK"] {
    let (result, on_disk, backed_up) =
      inject_with_backup(&[("backup.link", &format!("return({refusal})"))]);
    result.unwrap();
    assert_eq!(
      (on_disk.as_str(), backed_up.as_str()),
      (NEW, OLD),
      "{refusal}"
    );
  }
}

#[test]
fn a_failed_copy_fails_the_write_and_leaves_no_temp() {
  let (result, on_disk, backed_up) = inject_with_backup(&[
    ("backup.link", "return(EPERM)"),
    ("backup.copy", "return(ENOSPC)"),
  ]);
  let err = result.unwrap_err();
  assert_eq!((err.code_name(), err.syscall), ("ENOSPC", "copyfile"));
  assert_eq!(on_disk, OLD);
  assert_eq!(backed_up, "{\"version\":\"older\"}");
}

#[test]
fn a_failed_final_rename_after_the_backup_leaves_the_target_and_its_bak_as_they_were() {
  let (result, on_disk, backed_up) = inject_with_backup(&[("commit.rename", "return(EIO)")]);
  assert_eq!(result.unwrap_err().syscall, "rename");
  // Errors: "the target (and its .bak) is untouched" — the older backup is put back.
  assert_eq!(
    (on_disk.as_str(), backed_up.as_str()),
    (OLD, "{\"version\":\"older\"}")
  );
}

/// Every step of the write, with every error a disk can give there: the injected code (and
/// syscall, a negative errno, Node's message form, the target's path), complete old content
/// before the rename and complete new content after it, no temp file, and the next write
/// succeeds. `inject` checks the last three.
#[test]
fn every_step_with_every_error() {
  // (point, syscall, whether the new content is already in place when it fails)
  let steps = [
    ("lock.acquire", "lock", false),
    ("target.stat", "open", false),
    ("temp.create", "open", false),
    ("temp.write", "write", false),
    ("temp.verify", "fstat", false),
    ("temp.chmod", "chmod", false),
    ("temp.fsync", "fsync", false),
    ("commit.rename", "rename", false),
    ("commit.fsync-dir", "fsync", true),
  ];
  let codes = ["EIO", "ENOSPC", "EACCES", "EROFS", "EDQUOT"];
  for (point, syscall, after_rename) in steps {
    for code in codes {
      let (err, on_disk, dir) = inject(point, &format!("return({code})"));
      let case = format!("{point} {code}");
      assert_eq!((err.code_name(), err.syscall), (code, syscall), "{case}");
      assert!(err.errno().unwrap() < 0, "{case}");
      let path = dir.path().join("state.json");
      assert_eq!(err.path, path, "{case}");
      assert!(
        err
          .to_string()
          .ends_with(&format!(", {syscall} '{}'", path.display())),
        "{case}: {err}"
      );
      assert_eq!(on_disk, if after_rename { NEW } else { OLD }, "{case}");
    }
  }
  let cases = steps.len() * codes.len();
  common::report_torture("failpoints (cargo)", &format!("\"cases\":{cases}"));
}

#[test]
fn every_backup_step_with_every_error() {
  for (point, syscall) in [("backup.link", "link"), ("backup.rename", "rename")] {
    for code in ["EIO", "ENOSPC", "EACCES"] {
      let (result, on_disk, backed_up) = inject_with_backup(&[(point, &format!("return({code})"))]);
      let err = result.expect_err(point);
      assert_eq!((err.code_name(), err.syscall), (code, syscall), "{point}");
      assert_eq!(
        (on_disk.as_str(), backed_up.as_str()),
        (OLD, "{\"version\":\"older\"}"),
        "{point} {code}"
      );
    }
  }
  for code in ["EIO", "ENOSPC", "EACCES"] {
    let (result, on_disk, _) = inject_with_backup(&[
      ("backup.link", "return(EXDEV)"),
      ("backup.copy", &format!("return({code})")),
    ]);
    assert_eq!(result.unwrap_err().code_name(), code);
    assert_eq!(on_disk, OLD);
  }
}

#[test]
fn a_failed_mkdir_of_a_missing_parent_leaves_no_target_and_no_temp() {
  for code in ["EIO", "ENOSPC", "EACCES"] {
    let dir = test_dir();
    let path = dir.path().join("new").join("state.json");
    let scenario = fail::FailScenario::setup();
    fail::cfg("target.mkdir", &format!("return({code})")).unwrap();
    let err = write(&path, NEW).unwrap_err();
    fail::remove("target.mkdir");
    assert_eq!((err.code_name(), err.syscall), (code, "mkdir"));
    // The directory mkdir failed on, as `fs.mkdir` names it.
    assert_eq!(err.path, dir.path().join("new"));
    assert!(!dir.path().join("new").exists());
    write(&path, NEW).unwrap();
    scenario.teardown();
    assert_eq!(fs::read_to_string(&path).unwrap(), NEW);
  }
}

/// EINTR: `write` is retried (std's `write_all` loops on `Interrupted`), so an interrupted
/// chunk costs nothing. Elsewhere (open, fsync, rename) a local file system does not return
/// EINTR; where one does (NFS, FUSE), it is reported, not retried: retrying an fsync after a
/// failure can report success for data that was dropped.
#[test]
fn an_interrupted_write_is_retried_and_other_steps_report_eintr() {
  let dir = test_dir();
  let path = dir.path().join("state.json");
  fs::write(&path, OLD).unwrap();
  let scenario = fail::FailScenario::setup();
  fail::cfg("temp.write", "3*return(EINTR)").unwrap();
  write(&path, NEW).unwrap();
  fail::remove("temp.write");
  scenario.teardown();
  assert_eq!(fs::read_to_string(&path).unwrap(), NEW);
  verify_no_leftovers(dir.path());

  let (err, on_disk, _dir) = inject("temp.fsync", "return(EINTR)");
  assert_eq!((err.code_name(), on_disk.as_str()), ("EINTR", OLD));
}

/// A lock whose sidecar cannot be removed on release: the write has succeeded; the empty
/// sidecar blocks nobody, the next holder removes it, and so does cleanup.
#[test]
fn a_failed_lock_release_leaves_a_sidecar_that_blocks_nobody() {
  let dir = test_dir();
  let path = dir.path().join("state.json");
  let sidecar = dir.path().join(".state.json.lock");
  let scenario = fail::FailScenario::setup();
  fail::cfg("lock.release", "1*return(EACCES)").unwrap();
  write(&path, OLD).unwrap();
  assert!(sidecar.exists());
  let mut req = common::request(&path, NEW);
  req.options.lock_timeout = std::time::Duration::ZERO; // blocked would be ELOCKED at once
  safe_write_json::queue::write_now(req).unwrap();
  scenario.teardown();
  assert_eq!(fs::read_to_string(&path).unwrap(), NEW);
  assert!(!sidecar.exists());
}

#[test]
fn a_failed_read_reports_the_injected_error() {
  let dir = test_dir();
  let path = dir.path().join("state.json");
  fs::write(&path, OLD).unwrap();
  for (point, syscall) in [("read.open", "open"), ("read.read", "read")] {
    for code in ["EIO", "EACCES"] {
      let scenario = fail::FailScenario::setup();
      fail::cfg(point, &format!("1*return({code})")).unwrap();
      let err = safe_write_json::read::load(&path).unwrap_err();
      assert_eq!((err.code_name(), err.syscall), (code, syscall));
      assert_eq!(err.path, path);
      // The next read succeeds.
      safe_write_json::read::load(&path).unwrap();
      scenario.teardown();
    }
  }
}

#[test]
fn a_failed_cleanup_unlink_is_reported_and_the_next_cleanup_removes_it() {
  let dir = test_dir();
  let orphan = dir.path().join(".state.json.Ab3dE9xZ.tmp");
  fs::write(&orphan, "half").unwrap();
  let options = safe_write_json::CleanupOptions {
    older_than: std::time::Duration::ZERO,
  };
  let scenario = fail::FailScenario::setup();
  fail::cfg("cleanup.unlink", "1*return(EACCES)").unwrap();
  let err = safe_write_json::cleanup::cleanup(dir.path(), &options).unwrap_err();
  assert_eq!((err.code_name(), err.syscall), ("EACCES", "unlink"));
  assert_eq!(err.path, orphan);
  assert!(orphan.exists());
  assert_eq!(
    safe_write_json::cleanup::cleanup(dir.path(), &options).unwrap(),
    vec![orphan.clone()]
  );
  scenario.teardown();
  assert!(!orphan.exists());
}
