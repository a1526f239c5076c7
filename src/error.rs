//! One error type for the whole core, shaped like the errors of Node's `fs`.
//!
//! Every failure carries a code (`EACCES`, …, or one of ours), the Node name of the syscall that
//! failed and the path it failed on, and displays in Node's form:
//! `EACCES: permission denied, open '/x/y.json'`. The binding turns it into a JavaScript `Error`
//! with the same `code`, `errno`, `syscall`, `path` and `message`.
//!
//! It is `Clone` (it holds data, not an `io::Error`) because one failed write settles every
//! queued call it superseded with the same error.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::sys;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
  /// An operating-system error, by Node's name for it (`EACCES`) and Node's `errno`.
  Os {
    /// `EACCES`, `ENOSPC`, …, or `UNKNOWN`.
    name: &'static str,
    /// Node's (libuv's) negative error number.
    errno: i32,
  },
  /// Another writer held the target's lock for longer than the caller would wait; `None`: an
  /// `updateJson` of this process holds it, which a Sync write cannot wait for.
  Locked {
    /// How long this writer waited, in milliseconds.
    waited_ms: Option<u64>,
  },
  /// A call made from inside an `updateJson` updater for the file that very update holds: it
  /// would wait for itself.
  LockedBySelf,
  /// The temp file's size on disk differs from the number of bytes serialized.
  Verify {
    /// Bytes serialized and written.
    expected: u64,
    /// Size reported by the file system.
    found: u64,
  },
  /// A file read as JSON does not parse (`EJSONPARSE`): where, and why. Boxed: the rare case
  /// should not make every `Result` of the crate larger (clippy's `result_large_err` on Windows,
  /// where a `PathBuf` is bigger).
  JsonParse(Box<JsonSyntax>),
}

/// Where and why a file is not JSON, as `EJSONPARSE` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSyntax {
  /// 0-based byte offset in the file (a BOM counts) of the first byte that cannot continue the
  /// JSON text: the same place `JSON.parse` gives up.
  pub position: u64,
  /// 1-based line: one more than the `\n` bytes before `position`.
  pub line: u64,
  /// 1-based column, in characters from the start of the line (a BOM does not count).
  pub column: u64,
  /// What is wrong there, e.g. `unexpected end of JSON input`.
  pub reason: String,
  /// A short, escaped piece of the line around `position` (empty for an empty file).
  pub excerpt: String,
}

/// A failed file operation: what failed, in which syscall, on which path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
  /// What went wrong.
  pub code: Code,
  /// Node's name for the failing call: `open`, `write`, `fsync`, `rename`, `mkdir`, …
  pub syscall: &'static str,
  /// The path the call failed on (absolute; the binding maps it back to the caller's form).
  /// Never verbatim (`\\?\C:\…`) on Windows: the constructors take that prefix off again.
  pub path: PathBuf,
  /// The failure came after the rename: the file already holds the new content, only a later
  /// step (the directory fsync that makes it durable) failed. Shown as `renamed: true`.
  pub renamed: bool,
}

/// A `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
  /// An operating-system error by its Node name, e.g. `Error::os("EISDIR", "open", path)`.
  pub fn os(name: &'static str, syscall: &'static str, path: impl Into<PathBuf>) -> Self {
    Error {
      code: Code::Os {
        name,
        errno: sys::errno_of(name),
      },
      syscall,
      path: sys::plain(path.into()),
      renamed: false,
    }
  }

  /// An `io::Error` from `syscall` on `path`.
  pub fn io(err: &io::Error, syscall: &'static str, path: impl Into<PathBuf>) -> Self {
    let (name, errno) = sys::classify(err);
    Error {
      code: Code::Os { name, errno },
      syscall,
      path: sys::plain(path.into()),
      renamed: false,
    }
  }

  /// The error code as Node spells it: `EACCES`, `ENOSPC`, `EVERIFY`, …
  pub fn code_name(&self) -> &'static str {
    match self.code {
      Code::Os { name, .. } => name,
      Code::Locked { .. } | Code::LockedBySelf => "ELOCKED",
      Code::Verify { .. } => "EVERIFY",
      Code::JsonParse(_) => "EJSONPARSE",
    }
  }

  /// Node's negative `errno` for OS errors; `None` for this package's own codes.
  pub fn errno(&self) -> Option<i32> {
    match self.code {
      Code::Os { errno, .. } => Some(errno),
      Code::Locked { .. } | Code::LockedBySelf | Code::Verify { .. } | Code::JsonParse(_) => None,
    }
  }

  /// The same error, raised after the rename had put the new content in place.
  pub fn after_rename(mut self) -> Self {
    self.renamed = true;
    self
  }

  /// The same error reported on another path (used to name the caller's path, not ours).
  pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
    self.path = sys::plain(path.into());
    self
  }
}

impl fmt::Display for Error {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}: ", self.code_name())?;
    match &self.code {
      Code::Os { name, .. } => f.write_str(sys::message_of(name).unwrap_or("unknown error"))?,
      Code::Locked { waited_ms: Some(ms) } => write!(f, "file is locked by another writer (waited {ms} ms)")?,
      Code::Locked { waited_ms: None } => {
        f.write_str("file is locked by an updateJson running or queued in this process, which a Sync write cannot wait for")?
      }
      Code::LockedBySelf => f.write_str(
        "file is locked by the updateJson whose updater made this call, which would wait for itself",
      )?,
      Code::Verify { expected, found } => write!(f, "size on disk is {found} bytes but {expected} were written")?,
      // No syscall failed: say where in the file instead, and show that place.
      Code::JsonParse(syntax) => {
        write!(
          f,
          "{} at position {} (line {}, column {}) in '{}'",
          syntax.reason,
          syntax.position,
          syntax.line,
          syntax.column,
          self.path.display()
        )?;
        if !syntax.excerpt.is_empty() {
          write!(f, ": {}", syntax.excerpt)?;
        }
        return Ok(());
      }
    }
    write!(f, ", {} '{}'", self.syscall, self.path.display())
  }
}

impl std::error::Error for Error {}

/// Attaches the syscall and path to an `io::Error` at the call that produced it.
pub trait IoResultExt<T> {
  /// Turn an `io::Result` into ours, naming what was being done to which path.
  fn at(self, syscall: &'static str, path: &Path) -> Result<T>;
}

impl<T> IoResultExt<T> for io::Result<T> {
  fn at(self, syscall: &'static str, path: &Path) -> Result<T> {
    self.map_err(|err| Error::io(&err, syscall, path))
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn json_errors_name_the_place_and_show_it() {
    let err = Error {
      code: Code::JsonParse(Box::new(JsonSyntax {
        position: 7,
        line: 1,
        column: 8,
        reason: "expected double-quoted property name".into(),
        excerpt: "{\"a\":1,}".into(),
      })),
      syscall: "read",
      path: "/x/a.json".into(),
      renamed: false,
    };
    assert_eq!(err.code_name(), "EJSONPARSE");
    assert_eq!(err.errno(), None);
    assert_eq!(
      err.to_string(),
      "EJSONPARSE: expected double-quoted property name at position 7 (line 1, column 8) in '/x/a.json': {\"a\":1,}"
    );
  }

  #[test]
  fn displays_in_node_form() {
    let err = Error::os("EACCES", "open", "/x/y.json");
    assert_eq!(
      err.to_string(),
      "EACCES: permission denied, open '/x/y.json'"
    );
    assert_eq!(err.code_name(), "EACCES");
    assert!(err.errno().unwrap() < 0);
  }

  #[test]
  fn io_errors_keep_their_code() {
    let err =
      std::fs::File::open("/nonexistent/dir/file").at("open", Path::new("/nonexistent/dir/file"));
    let err = err.unwrap_err();
    assert_eq!(err.code_name(), "ENOENT");
    assert_eq!(
      err.to_string(),
      "ENOENT: no such file or directory, open '/nonexistent/dir/file'"
    );
  }

  #[test]
  fn every_os_error_has_node_s_name_and_a_message() {
    // Whatever the OS returns is named (or UNKNOWN) and has libuv's message: never a bare code.
    for raw in 1..4200 {
      let err = Error::io(&io::Error::from_raw_os_error(raw), "open", "/a");
      let message = err.to_string();
      assert!(
        !message.contains("unknown error") || err.code_name() == "UNKNOWN",
        "{raw}: {message}"
      );
      assert!(
        sys::message_of(err.code_name()).is_some(),
        "{raw}: {message}"
      );
    }
  }

  #[cfg(unix)]
  #[test]
  fn a_dead_fuse_mount_is_enotconn_not_unknown() {
    let err = Error::io(
      &io::Error::from_raw_os_error(libc::ENOTCONN),
      "open",
      "/mnt/x.json",
    );
    assert_eq!(err.code_name(), "ENOTCONN");
    assert_eq!(err.errno(), Some(-libc::ENOTCONN));
    assert_eq!(
      err.to_string(),
      "ENOTCONN: socket is not connected, open '/mnt/x.json'"
    );
    // One libuv has no name for keeps its own number, as in Node.
    let err = Error::io(&io::Error::from_raw_os_error(4000), "open", "/a");
    assert_eq!((err.code_name(), err.errno()), ("UNKNOWN", Some(-4000)));
  }

  #[test]
  fn verify_error_names_both_sizes() {
    let err = Error {
      code: Code::Verify {
        expected: 10,
        found: 9,
      },
      syscall: "fstat",
      path: "/a".into(),
      renamed: false,
    };
    assert_eq!(err.code_name(), "EVERIFY");
    assert_eq!(err.errno(), None);
    assert_eq!(
      err.to_string(),
      "EVERIFY: size on disk is 9 bytes but 10 were written, fstat '/a'"
    );
  }
}
