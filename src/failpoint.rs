//! Fault injection for tests: `--features failpoints` compiles named points into the pipeline.
//!
//! Configure with the `FAILPOINTS` environment variable (read by [`setup`]) or
//! `fail::cfg(name, action)`: `return(ENOSPC)` makes that step fail with that code (EIO if none
//! is given), `sleep(ms)` and `pause` hold the writer there, `panic` unwinds. [`setup`] adds
//! `hold`: print `failpoint NAME reached` to stderr, then block there for good — so that a test
//! knows the writer is at that very step when it kills the process.
//! Without the feature every point compiles to nothing.
//!
//! The points, in pipeline order: `lock.acquire`, `lock.moved` (the sidecar locked is never the one
//! its path names), `target.mkdir`, `target.made` (after a mkdir, before its parent's fsync),
//! `dir.fsync` (every directory fsync), `target.stat`, `temp.create`, `temp.write` (each chunk),
//! `temp.truncate`, `temp.verify`, `temp.chmod`, `temp.chown` (when an owner is to be set), `temp.fsync`, `backup.link`, `backup.copy`,
//! `backup.rename`, `backup.renaming` (a pause point: the staged backup about to be renamed),
//! `commit.rename`, `commit.renaming` (a pause point: the writer about to rename), `commit.flush` (Windows, `'full'`: the flush after the rename
//! fails), `commit.fsync-dir`, `lock.release`; an update settled but its file not yet handed on:
//! `lease.handoff`; a discarded streamed text: `spill.discard`; a piece of a text copied in later turns,
//! counted but not yet handed to the write: `text.send`; reading:
//! `read.open`, `read.read`; cleaning: `cleanup.unlink`. Directory group commit: `dir_sync.wait` (a
//! writer about to wait). `dir.record` only switches on the log of fsynced directories
//! (`dir_sync::recorded`).

/// `failpoint!("temp.fsync", "fsync", path)` at the start of a step that returns `Result`.
macro_rules! failpoint {
  ($name:literal, $syscall:literal, $path:expr) => {
    fail::fail_point!($name, |code: Option<String>| Err(
      $crate::failpoint::injected(code, $syscall, $path)
    ))
  };
}
pub(crate) use failpoint;

/// Whether a point that changes data rather than failing (`temp.truncate`) is switched on.
pub(crate) fn enabled(name: &str) -> bool {
  #[cfg(feature = "failpoints")]
  return fail::eval(name, |_| ()).is_some();
  #[cfg(not(feature = "failpoints"))]
  {
    let _ = name;
    false
  }
}

/// The `io::Error` a `return(CODE)` point injects inside `io::Write` code (`temp.write`).
pub(crate) fn io_error(name: &str) -> Option<std::io::Error> {
  #[cfg(feature = "failpoints")]
  return fail::eval(name, |code| {
    let name = code
      .as_deref()
      .and_then(crate::sys::known_name)
      .unwrap_or("EIO");
    std::io::Error::from_raw_os_error(crate::sys::raw_of(name))
  });
  #[cfg(not(feature = "failpoints"))]
  {
    let _ = name;
    None
  }
}

/// The error a `return(CODE)` action injects.
#[cfg(feature = "failpoints")]
pub(crate) fn injected(
  code: Option<String>,
  syscall: &'static str,
  path: &std::path::Path,
) -> crate::Error {
  let name = code
    .as_deref()
    .and_then(crate::sys::known_name)
    .unwrap_or("EIO");
  crate::Error::os(name, syscall, path)
}

/// Read `FAILPOINTS` once (`name=action;name=action`), for the addon built with the feature.
pub fn setup() {
  #[cfg(feature = "failpoints")]
  {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
      if let Ok(spec) = std::env::var("FAILPOINTS") {
        for (name, action) in spec.split(';').filter_map(|p| p.split_once('=')) {
          let name = name.trim().to_owned();
          if action.trim() == "hold" {
            let _ = fail::cfg_callback(name.clone(), move || hold(&name));
          } else {
            let _ = fail::cfg(name, action.trim());
          }
        }
      }
    });
  }
}

/// The `hold` action: tell the test (on stderr, which it reads) and never go on.
#[cfg(feature = "failpoints")]
fn hold(name: &str) -> ! {
  use std::io::Write;
  let _ = writeln!(std::io::stderr(), "failpoint {name} reached");
  loop {
    std::thread::park();
  }
}
