//! `backup: true`: the previous version stays beside the target as `<name>.bak`, switched in
//! without an instant where the target is missing or a backup is half written.
//!
//! ```text
//! link(path, ".<name>.bak.<random8>.tmp")       // the old file gets a second name (same inode)
//!   or, where links are refused (EPERM, ENOTSUP, EXDEV, EMLINK):
//!   open(tmp, O_EXCL, 0600); copy; fchmod(old mode); fchown; fsync per durability
//! rename(tmp, "<name>.bak")                     // replaces the previous backup atomically
//! rename(new temp, path)                        // the write's own atomic step
//! fsync(dirname(path))                          // 'full': makes all the renames durable
//! ```
//!
//! The target itself is never renamed away: it keeps its old content until the write's own
//! rename. A hard link shares the old file's inode, so the backup has its mode and owner and
//! costs no copy. Any failure removes the staged name (a guard) and fails the write before the
//! target changes.

use std::ffi::OsString;
use std::fs::{self, File, Metadata};
use std::path::Path;

use crate::error::{IoResultExt, Result};
use crate::failpoint::failpoint;
use crate::options::Durability;
use crate::sys;
use crate::target::Target;
use crate::temp::{self, TempFile};
use crate::write;

/// Error codes with which a file system refuses a hard link that a copy can replace. EISDIR is
/// how Windows reports ERROR_INVALID_FUNCTION (FAT volumes have no hard links).
const LINK_REFUSED: &[&str] = &["EPERM", "ENOTSUP", "EXDEV", "EMLINK", "ENOSYS", "EISDIR"];

/// Make the file now at `target` (whose metadata is `previous`) its `<name>.bak`, leaving the
/// target in place.
pub fn keep_previous(target: &Target, previous: &Metadata, durability: Durability) -> Result<()> {
  let name = backup_name(&target.name);
  let staged = match link(target, &name) {
    Ok(staged) => staged,
    Err(err) if LINK_REFUSED.contains(&err.code_name()) => {
      copy(target, &name, previous, durability)?
    }
    Err(err) => return Err(err),
  };
  rename(staged, &target.dir.join(&name), &target.path)
}

/// `<name>.bak`.
pub fn backup_name(name: &std::ffi::OsStr) -> OsString {
  let mut backup = name.to_os_string();
  backup.push(".bak");
  backup
}

/// A hard link to the target at a temp name of the backup.
fn link(target: &Target, name: &std::ffi::OsStr) -> Result<tempfile::TempPath> {
  failpoint!("backup.link", "link", &target.path);
  let staged = temp::make_in(&target.dir, name, |staged| {
    fs::hard_link(&target.path, staged)
  })
  .at("link", &target.path)?;
  Ok(staged.into_temp_path())
}

/// A copy of the target at a temp name of the backup, with its mode and owner, synced as the
/// write is.
fn copy(
  target: &Target,
  name: &std::ffi::OsStr,
  previous: &Metadata,
  durability: Durability,
) -> Result<tempfile::TempPath> {
  let staged = TempFile::create(&target.dir, name).map_err(|err| err.with_path(&target.path))?;
  // After the temp file exists, so that a test sees it removed.
  failpoint!("backup.copy", "copyfile", &target.path);
  let mut source = File::open(&target.path).at("copyfile", &target.path)?;
  std::io::copy(&mut source, &mut staged.file()).at("copyfile", &target.path)?;
  sys::set_mode(staged.file(), sys::mode_of(previous)).at("chmod", &target.path)?;
  sys::copy_owner(staged.file(), previous).at("chown", &target.path)?;
  write::sync_as(staged.file(), durability).at("fsync", &target.path)?;
  Ok(staged.into_temp_path())
}

/// Rename the staged backup over `<name>.bak`; errors name the target, whose write failed.
fn rename(staged: tempfile::TempPath, backup: &Path, target: &Path) -> Result<()> {
  failpoint!("backup.rename", "rename", target);
  sys::rename(&staged, backup).at("rename", target)?;
  // The name is the backup's now; the guard must not remove it.
  let _ = staged.keep();
  Ok(())
}
