//! The `path` argument, as `lib/path.js` hands it over: checked, a URL already decoded.

use std::path::Path;

use napi_derive::napi;

use crate::spelling;

/// A target path as the caller gave it (for error messages) and as the core uses it.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct TargetPath {
  /// The path as given (a URL already decoded to a path).
  pub given: String,
  /// `path.resolve(given)`: absolute, `.` and `..` resolved, symlinks untouched.
  pub absolute: String,
}

impl TargetPath {
  /// The absolute path, for the core.
  pub(crate) fn absolute(&self) -> &Path {
    Path::new(&self.absolute)
  }

  /// `path` (the target, an ancestor of it, or a file inside it) as the caller spelled it.
  pub(crate) fn shown(&self, path: &Path) -> String {
    spelling::as_given(path, self.absolute(), &self.given)
  }
}
