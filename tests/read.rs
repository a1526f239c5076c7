//! Reading files back (the part of `safeReadJson` that runs on the worker) on a real directory:
//! what counts as missing, what is a JSON error and where, and where the backup is looked for.

mod common;

use std::fs;

use common::test_dir;
use safe_write_json::error::Code;
use safe_write_json::read::{self, Units};

fn latin1(path: &std::path::Path) -> Vec<u8> {
  match read::load(path).unwrap().units() {
    Units::Latin1(bytes) => bytes.to_vec(),
    Units::Utf16(units) => panic!("expected Latin-1, got {} UTF-16 units", units.len()),
  }
}

#[test]
fn a_file_is_read_and_its_bom_skipped() {
  let dir = test_dir();
  let path = dir.path().join("a.json");
  fs::write(&path, b"\xEF\xBB\xBF{\"a\":1}").unwrap();
  assert_eq!(latin1(&path), b"{\"a\":1}");
}

#[test]
fn a_missing_file_or_directory_is_enoent_naming_the_file() {
  let dir = test_dir();
  for path in [dir.path().join("no.json"), dir.path().join("no/dir/a.json")] {
    let err = read::load(&path).unwrap_err();
    assert!(read::is_missing(&err));
    assert!(read::is_recoverable(&err));
    assert_eq!(err.syscall, "open");
    assert_eq!(err.path, path);
  }
}

#[test]
fn a_file_on_the_path_is_enotdir_naming_it_and_not_missing() {
  let dir = test_dir();
  fs::write(dir.path().join("file"), "x").unwrap();
  let err = read::load(&dir.path().join("file/a.json")).unwrap_err();
  assert_eq!(err.code_name(), "ENOTDIR");
  assert_eq!(err.path, dir.path().join("file"));
  assert!(!read::is_recoverable(&err));
}

#[test]
fn a_directory_is_eisdir_on_read_as_fs_read_file_says() {
  let dir = test_dir();
  let err = read::load(dir.path()).unwrap_err();
  assert_eq!((err.code_name(), err.syscall), ("EISDIR", "read"));
  assert!(!read::is_recoverable(&err));
}

#[test]
fn invalid_utf8_is_ejsonparse_and_recoverable() {
  let dir = test_dir();
  let path = dir.path().join("bad.json");
  fs::write(&path, b"[\"ok\",\n \"\xC3\x28\"]").unwrap();
  let err = read::load(&path).unwrap_err();
  let Code::JsonParse(syntax) = &err.code else {
    panic!("{err}")
  };
  assert_eq!((syntax.position, syntax.line, syntax.column), (9, 2, 3));
  assert!(read::is_recoverable(&err));
  assert_eq!(err.path, path);
}

#[test]
fn an_empty_or_nul_filled_file_decodes_but_is_not_json() {
  let dir = test_dir();
  for (name, content) in [("empty.json", vec![]), ("nul.json", vec![0u8; 4096])] {
    let path = dir.path().join(name);
    fs::write(&path, &content).unwrap();
    let text = read::load(&path).unwrap();
    let err = text.syntax_error(&path).expect(name);
    assert_eq!(err.code_name(), "EJSONPARSE");
    let Code::JsonParse(syntax) = &err.code else {
      unreachable!()
    };
    assert_eq!((syntax.position, syntax.line, syntax.column), (0, 1, 1));
  }
}

#[cfg(unix)]
#[test]
fn the_backup_of_a_symlink_is_beside_the_file_it_names() {
  let dir = test_dir();
  fs::create_dir(dir.path().join("real")).unwrap();
  std::os::unix::fs::symlink("real/a.json", dir.path().join("link.json")).unwrap();
  assert_eq!(
    read::backup_path(&dir.path().join("link.json")).unwrap(),
    dir.path().join("real/a.json.bak")
  );
  assert_eq!(
    read::backup_path(&dir.path().join("plain.json")).unwrap(),
    dir.path().join("plain.json.bak")
  );
}
