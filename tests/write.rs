//! The write pipeline on a real directory: what ends up on disk, and what is kept.

mod common;

use std::fs;
use std::sync::mpsc;

use common::{request, test_dir, verify_no_leftovers, write};
use safe_write_json::queue;
use safe_write_json::{Body, Durability, Text, WriteOptions};

#[test]
fn create_new() {
  let dir = test_dir();
  let path = dir.path().join("new.json");
  write(&path, "{\"a\":1}").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":1}");
  verify_no_leftovers(dir.path());
}

#[test]
fn overwrite_existing() {
  let dir = test_dir();
  let path = dir.path().join("a.json");
  fs::write(&path, "old content that is longer than the new one").unwrap();
  write(&path, "[]").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "[]");
  verify_no_leftovers(dir.path());
}

#[test]
fn every_durability_writes_the_same_bytes() {
  let dir = test_dir();
  for (name, durability) in [
    ("full", Durability::Full),
    ("data", Durability::Data),
    ("none", Durability::None),
  ] {
    let path = dir.path().join(format!("{name}.json"));
    let mut req = request(&path, "\"x\"");
    req.options.durability = durability;
    queue::write_now(req).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "\"x\"");
  }
  verify_no_leftovers(dir.path());
}

#[test]
fn utf16_text_is_written_as_utf8() {
  let dir = test_dir();
  let path = dir.path().join("u.json");
  let text = "{\"t\":\"Grüße 😀 中文\"}";
  let req = queue::Request {
    path: path.clone(),
    body: Body::Text(Text::Utf16(text.encode_utf16().collect())),
    options: WriteOptions::default(),
  };
  queue::write_now(req).unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn creates_missing_parents() {
  let dir = test_dir();
  let path = dir.path().join("a/b/c/d.json");
  write(&path, "1").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "1");
}

#[test]
fn a_directory_target_is_eisdir_and_untouched() {
  let dir = test_dir();
  let err = write(dir.path(), "1").unwrap_err();
  assert_eq!(err.code_name(), "EISDIR");
  assert!(dir.path().is_dir());
}

#[test]
fn a_file_as_parent_is_enotdir() {
  let dir = test_dir();
  fs::write(dir.path().join("file"), "x").unwrap();
  let err = write(&dir.path().join("file/x.json"), "1").unwrap_err();
  assert_eq!(err.code_name(), "ENOTDIR");
  assert_eq!(fs::read_to_string(dir.path().join("file")).unwrap(), "x");
}

#[test]
fn a_name_too_long_is_enametoolong() {
  let dir = test_dir();
  let err = write(&dir.path().join("x".repeat(300)), "1").unwrap_err();
  assert_eq!(err.code_name(), "ENAMETOOLONG");
  verify_no_leftovers(dir.path());
}

#[test]
fn a_long_name_still_gets_a_temp_file_that_fits() {
  let dir = test_dir();
  let path = dir.path().join("y".repeat(250));
  write(&path, "2").unwrap();
  assert_eq!(fs::read_to_string(&path).unwrap(), "2");
  verify_no_leftovers(dir.path());
}

#[test]
fn last_of_many_queued_writes_wins() {
  let dir = test_dir();
  let path = dir.path().join("burst.json");
  let (tx, rx) = mpsc::channel();
  for i in 0..100 {
    let tx = tx.clone();
    queue::submit(
      request(&path, &i.to_string()),
      vec![],
      Box::new(move |r| tx.send((i, r)).unwrap()),
    );
  }
  let mut settled: Vec<_> = (0..100).map(|_| rx.recv().unwrap()).collect();
  assert!(settled.iter().all(|(_, r)| r.is_ok()));
  settled.sort_by_key(|(i, _)| *i);
  assert_eq!(settled.len(), 100);
  assert_eq!(fs::read_to_string(&path).unwrap(), "99");
  verify_no_leftovers(dir.path());
}

#[test]
fn a_sync_write_lands_after_queued_ones() {
  let dir = test_dir();
  let path = dir.path().join("mixed.json");
  let (tx, rx) = mpsc::channel();
  for i in 0..20 {
    let tx = tx.clone();
    queue::submit(
      request(&path, &format!("async {i}")),
      vec![],
      Box::new(move |r| tx.send(r).unwrap()),
    );
  }
  write(&path, "sync").unwrap();
  for _ in 0..20 {
    rx.recv().unwrap().unwrap();
  }
  assert_eq!(fs::read_to_string(&path).unwrap(), "sync");
}

#[cfg(unix)]
mod unix {
  use super::*;
  use std::os::unix::fs::{symlink, PermissionsExt};

  fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
  }

  #[test]
  fn keeps_a_private_mode() {
    let dir = test_dir();
    let path = dir.path().join("secret.json");
    fs::write(&path, "{}").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    write(&path, "{\"token\":1}").unwrap();
    assert_eq!(mode(&path), 0o600);
  }

  #[test]
  fn replaces_a_read_only_file_and_keeps_it_read_only() {
    let dir = test_dir();
    let path = dir.path().join("ro.json");
    fs::write(&path, "{}").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    write(&path, "1").unwrap();
    assert_eq!(mode(&path), 0o444);
    assert_eq!(fs::read_to_string(&path).unwrap(), "1");
  }

  #[test]
  fn an_explicit_mode_is_applied_exactly() {
    let dir = test_dir();
    let path = dir.path().join("m.json");
    let mut req = request(&path, "1");
    req.options.mode = Some(0o2751);
    queue::write_now(req).unwrap();
    assert_eq!(mode(&path), 0o2751);
  }

  #[test]
  fn a_new_file_gets_the_umask_mode() {
    let dir = test_dir();
    let path = dir.path().join("new.json");
    write(&path, "1").unwrap();
    // SAFETY: reading the umask by setting it and restoring it at once.
    let umask = unsafe {
      let m = libc::umask(0o022);
      libc::umask(m);
      m as u32
    };
    assert_eq!(mode(&path), 0o666 & !umask);
  }

  #[test]
  fn a_symlink_stays_a_link_to_the_new_content() {
    let dir = test_dir();
    fs::create_dir(dir.path().join("real")).unwrap();
    fs::write(dir.path().join("real/settings.json"), "old").unwrap();
    symlink("real/settings.json", dir.path().join("link.json")).unwrap();
    write(&dir.path().join("link.json"), "new").unwrap();
    assert!(fs::symlink_metadata(dir.path().join("link.json"))
      .unwrap()
      .file_type()
      .is_symlink());
    assert_eq!(
      fs::read_to_string(dir.path().join("real/settings.json")).unwrap(),
      "new"
    );
    verify_no_leftovers(dir.path());
    verify_no_leftovers(&dir.path().join("real"));
  }

  #[test]
  fn a_dangling_symlink_creates_its_target() {
    let dir = test_dir();
    symlink("sub/target.json", dir.path().join("dangling.json")).unwrap();
    write(&dir.path().join("dangling.json"), "7").unwrap();
    assert_eq!(
      fs::read_to_string(dir.path().join("sub/target.json")).unwrap(),
      "7"
    );
  }

  #[test]
  fn a_hard_link_keeps_the_old_content() {
    let dir = test_dir();
    let path = dir.path().join("a.json");
    fs::write(&path, "old").unwrap();
    fs::hard_link(&path, dir.path().join("b.json")).unwrap();
    write(&path, "new").unwrap();
    assert_eq!(
      fs::read_to_string(dir.path().join("b.json")).unwrap(),
      "old"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "new");
  }

  #[test]
  fn writes_through_two_names_of_one_file_land_in_call_order() {
    let dir = test_dir();
    let real = dir.path().join("real.json");
    symlink("real.json", dir.path().join("alias.json")).unwrap();
    let (tx, rx) = mpsc::channel();
    for i in 0..50 {
      let tx = tx.clone();
      let path = if i % 2 == 0 {
        real.clone()
      } else {
        dir.path().join("alias.json")
      };
      queue::submit(
        request(&path, &i.to_string()),
        vec![],
        Box::new(move |r| tx.send(r).unwrap()),
      );
    }
    for _ in 0..50 {
      rx.recv().unwrap().unwrap();
    }
    assert_eq!(fs::read_to_string(&real).unwrap(), "49");
  }
}
