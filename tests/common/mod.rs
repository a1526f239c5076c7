//! Helpers shared by the integration tests: a fresh real directory per test, and the check that
//! a test left no temp file behind.

#![allow(dead_code)]

use std::fs;
use std::path::Path;

use safe_write_json::queue::{self, Request};
use safe_write_json::temp::is_temp_name;
use safe_write_json::{Body, Text, WriteOptions};

/// A fresh directory under the target dir (a real disk file system, not necessarily tmpfs).
pub fn test_dir() -> tempfile::TempDir {
  let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
  tempfile::Builder::new()
    .prefix("swj-")
    .tempdir_in(root)
    .unwrap()
}

/// Fail if any `.<name>.<random>.tmp` file is left in `dir`.
pub fn verify_no_leftovers(dir: &Path) {
  let leftovers: Vec<_> = fs::read_dir(dir)
    .unwrap()
    .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
    .filter(|name| is_temp_name(name))
    .collect();
  assert!(
    leftovers.is_empty(),
    "temp files left behind: {leftovers:?}"
  );
}

/// A request to write `content` to `path` with default options.
pub fn request(path: &Path, content: &str) -> Request {
  Request {
    path: path.to_path_buf(),
    body: Body::Text(Text::Bytes(content.as_bytes().to_vec())),
    options: WriteOptions::default(),
  }
}

/// Write synchronously through the same queue the addon uses.
pub fn write(path: &Path, content: &str) -> safe_write_json::Result<()> {
  queue::write_now(request(path, content))
}

/// Hand figures to `npm run torture` (`__test__/torture.js`), which asks for them with
/// `TORTURE_REPORT`: one JSON line, `{"what": …, <fields>}`.
pub fn report_torture(what: &str, fields: &str) {
  if let Ok(file) = std::env::var("TORTURE_REPORT") {
    use std::io::Write;
    let mut out = fs::OpenOptions::new()
      .create(true)
      .append(true)
      .open(file)
      .unwrap();
    writeln!(out, "{{\"what\":\"{what}\",{fields}}}").unwrap();
  }
}

/// Hold the first thread named `thread_name` that reaches `point`, until the returned sender
/// sends (or drops). The receiver says when it got there.
pub fn hold_at(
  point: &str,
  thread_name: &'static str,
) -> (std::sync::mpsc::Receiver<()>, std::sync::mpsc::Sender<()>) {
  let (reached_tx, reached_rx) = std::sync::mpsc::channel();
  let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
  let once = std::sync::Mutex::new(Some((reached_tx, release_rx)));
  fail::cfg_callback(point, move || {
    if std::thread::current().name() != Some(thread_name) {
      return;
    }
    let taken = once.lock().unwrap().take();
    if let Some((reached, release)) = taken {
      reached.send(()).unwrap();
      let _ = release.recv();
    }
  })
  .unwrap();
  (reached_rx, release_tx)
}
