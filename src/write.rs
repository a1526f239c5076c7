//! The write pipeline: one function, its steps in the order the crate docs give.

use std::path::Path;

use crate::backup;
use crate::dir_sync;
use crate::error::{Code, Error, IoResultExt, Result};
use crate::failpoint::{self, failpoint};
use crate::options::{Durability, WriteOptions};
use crate::sys;
use crate::target::Target;
use crate::temp::TempFile;
use crate::text::Text;

/// Replace the file at `target` (already resolved, parents created) with `text`, atomically.
///
/// On any error the temp file is removed and the target holds its previous content.
pub fn write_text(target: &Target, text: Text, options: &WriteOptions) -> Result<()> {
  let previous = target.existing()?;
  let (temp, written) = match text {
    Text::Spilled(spilled) => {
      let filled = spilled.into_filled()?;
      (filled.temp, filled.written)
    }
    text => {
      // Errors name the target, as `fs.writeFile`'s `open` would, not the directory.
      let temp =
        TempFile::create(&target.dir, &target.name).map_err(|err| err.with_path(&target.path))?;
      let written = fill(&temp, &text, &target.path)?;
      (temp, written)
    }
  };
  truncate_for_test(&temp, written, &target.path)?;
  verify(&temp, written, &target.path)?;

  let mode = options
    .mode
    .or_else(|| previous.as_ref().map(sys::mode_of))
    .unwrap_or_else(sys::default_mode);
  failpoint!("temp.chmod", "chmod", &target.path);
  // Mode (and owner) before the fsync, so that the fsync makes them durable with the data.
  sys::set_mode(temp.file(), mode).at("chmod", &target.path)?;
  if let Some(previous) = &previous {
    sys::copy_owner(temp.file(), previous).at("chown", &target.path)?;
  }

  sync_file(&temp, options.durability, &target.path)?;
  let older_backup = match (options.backup, &previous) {
    // Before the rename: the old file gets its second name while it is still the target.
    (true, Some(previous)) => Some(backup::keep_previous(target, previous, options.durability)?),
    _ => None,
  };
  // A failed rename drops `older_backup`, which puts it back as the `.bak`.
  temp.commit(&target.path)?;
  if let Some(older_backup) = older_backup {
    older_backup.discard();
  }
  // Past the rename the file holds the new content: a failure now must say so.
  sync_target_dir(target, options.durability).map_err(Error::after_rename)
}

/// Write every byte of `text` into the temp file; return how many that was.
fn fill(temp: &TempFile, text: &Text, target: &Path) -> Result<u64> {
  text.write_utf8(&mut temp.writer()).at("write", target)
}

/// Failpoint `temp.truncate`: a real short file on disk, for the size check to catch.
fn truncate_for_test(temp: &TempFile, written: u64, target: &Path) -> Result<()> {
  if failpoint::enabled("temp.truncate") {
    temp
      .file()
      .set_len(written.saturating_sub(1))
      .at("write", target)?;
  }
  Ok(())
}

/// Guarantee 3: the size on disk is the number of bytes serialized.
fn verify(temp: &TempFile, expected: u64, target: &Path) -> Result<()> {
  failpoint!("temp.verify", "fstat", target);
  let found = temp.file().metadata().at("fstat", target)?.len();
  if found != expected {
    return Err(Error {
      code: Code::Verify { expected, found },
      syscall: "fstat",
      path: target.to_path_buf(),
      renamed: false,
    });
  }
  Ok(())
}

fn sync_file(temp: &TempFile, durability: Durability, target: &Path) -> Result<()> {
  failpoint!("temp.fsync", "fsync", target);
  durability.sync(temp.file()).at("fsync", target)
}

/// After the rename: fsync the target's directory. New parent directories were made durable as
/// they were made (`Target::prepare`), so the whole path to the file survives power loss.
fn sync_target_dir(target: &Target, durability: Durability) -> Result<()> {
  if durability != Durability::Full {
    return Ok(());
  }
  failpoint!("commit.fsync-dir", "fsync", &target.path);
  dir_sync::sync_dir_shared(&target.dir, &target.path)
}
