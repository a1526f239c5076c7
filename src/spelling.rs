//! Paths named the way the caller spelled them: an error of `fs` names the path it was given,
//! not the absolute one the work used, and so do ours.

use std::path::Path;

use crate::target::normalize;

/// `failed`, a path an operation on the target `absolute` (spelled `given` by the caller) failed
/// on or found, as the caller would spell it: the target itself, `given`; an ancestor directory
/// (a file where a directory should be), that ancestor, spelled the same way; a file inside the
/// directory the caller named, that file under the caller's spelling of the directory.
pub fn as_given(failed: &Path, absolute: &Path, given: &str) -> String {
  // A file inside the directory the caller named (a leftover cleanupTempFiles found, or failed
  // to remove).
  if let Ok(rest) = failed.strip_prefix(absolute) {
    if !rest.as_os_str().is_empty() {
      return Path::new(given).join(rest).to_string_lossy().into_owned();
    }
  }
  if failed == absolute || !absolute.starts_with(failed) {
    return given.to_owned();
  }
  let levels_up = absolute.components().count() - failed.components().count();
  let given = Path::new(given);
  if let Some(ancestor) = given
    .ancestors()
    .nth(levels_up)
    .filter(|a| !a.as_os_str().is_empty())
  {
    let cwd = std::env::current_dir().unwrap_or_default();
    if normalize(&cwd.join(ancestor)) == failed {
      return ancestor.to_string_lossy().into_owned();
    }
  }
  failed.to_string_lossy().into_owned()
}
