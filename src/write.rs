//! The write pipeline: one function, its steps in the order the crate docs give.

use std::fs::Metadata;
use std::io::Write;
use std::path::Path;

use crate::backup;
use crate::dir_sync;
use crate::error::{Code, Error, IoResultExt, Result};
use crate::failpoint::{self, failpoint};
use crate::options::{Durability, Owner, WriteOptions};
use crate::spill::{self, Spilled};
use crate::sys;
use crate::target::Target;
use crate::temp::TempFile;
use crate::text::Text;

/// What a write puts in the file.
#[derive(Debug)]
pub enum Body {
  /// Text, encoded as UTF-8 into a new temp file.
  Text(Text),
  /// A text too big to hold, in the temp file beside the target that its streaming writer
  /// fills (see [`crate::spill`]).
  Filled(Box<Spilled>),
}

impl Body {
  /// Whether its text is complete (see [`Text::is_complete`]); a filled temp file's is.
  pub fn is_complete(&self) -> bool {
    match self {
      Body::Text(text) => text.is_complete(),
      Body::Filled(_) => true,
    }
  }
}

/// Replace the file at `target` (already resolved, parents created) with `body`, atomically.
///
/// On any error the temp file is removed and the target holds its previous content.
pub fn write_text(target: &Target, body: Body, options: &WriteOptions) -> Result<()> {
  let previous = target.existing()?;
  let (temp, mut written) = match body {
    Body::Filled(spilled) => {
      let filled = spilled.into_filled()?;
      (filled.temp, filled.written)
    }
    Body::Text(text) => {
      // The streamed texts this write superseded must be gone by the time it settles.
      spill::reap();
      let temp = TempFile::for_target(target)?;
      let written = fill(&temp, &text, &target.path).map_err(|err| match text.was_abandoned() {
        // Serialization failed midway (an incremental write): say so, as `land` expects.
        true => Error::os("ECANCELED", "write", &target.path),
        false => err,
      })?;
      (temp, written)
    }
  };
  if options.final_newline {
    temp.writer().write_all(b"\n").at("write", &target.path)?;
    written += 1;
  }
  truncate_for_test(&temp, written, &target.path)?;
  let filled = verify(&temp, written, &target.path)?;

  let mode = options
    .mode
    .or_else(|| previous.as_ref().map(sys::mode_of))
    .unwrap_or_else(sys::default_mode);
  // Owner and mode before the fsync, so that the fsync makes them durable with the data; the
  // owner first, because changing it clears the setuid and setgid bits the mode may set.
  set_owner(
    &temp,
    &filled,
    options.owner,
    previous.as_ref(),
    &target.path,
  )?;
  failpoint!("temp.chmod", "chmod", &target.path);
  sys::set_mode(temp.file(), mode).at("chmod", &target.path)?;
  let older_backup = (|| {
    sync_file(&temp, options.durability, &target.path)?;
    Ok(match (options.backup, &previous) {
      // Before the rename: the old file gets its second name while it is still the target.
      (true, Some(previous)) => Some(backup::keep_previous(target, previous, options.durability)?),
      _ => None,
    })
  })()
  // Windows refuses to delete a read-only file: the temp file, now with the target's mode,
  // must stay removable when a failure drops it.
  .inspect_err(|_| sys::make_removable(temp.path()))?;
  // A failed rename drops `older_backup`, which puts it back as the `.bak`; not once the rename
  // is done (a flush after it failed): the `.bak` then holds the content just replaced.
  let committed = temp.commit(&target.path, options.durability);
  if matches!(&committed, Err(err) if !err.renamed) {
    return committed;
  }
  if let Some(older_backup) = older_backup {
    older_backup.discard();
  }
  committed?;
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

/// Guarantee 3: the size on disk is the number of bytes serialized. Returns the temp file's
/// metadata, which says whose it is too (see [`set_owner`]).
fn verify(temp: &TempFile, expected: u64, target: &Path) -> Result<Metadata> {
  failpoint!("temp.verify", "fstat", target);
  let filled = temp.file().metadata().at("fstat", target)?;
  let found = filled.len();
  if found != expected {
    return Err(Error {
      code: Code::Verify { expected, found },
      syscall: "fstat",
      path: target.to_path_buf(),
      renamed: false,
    });
  }
  Ok(filled)
}

/// The owner asked for, else the previous file's, where this process may give the file away.
/// `filled` is the temp file's metadata, read by [`verify`] just before: nothing but this write
/// changes its owner (its name is private, its mode 0600), so it need not be read again.
fn set_owner(
  temp: &TempFile,
  filled: &Metadata,
  owner: Option<Owner>,
  previous: Option<&Metadata>,
  target: &Path,
) -> Result<()> {
  if owner.is_none() && previous.is_none() {
    return Ok(());
  }
  failpoint!("temp.chown", "chown", target);
  match (owner, previous) {
    (Some(owner), _) => sys::set_owner(temp.file(), filled, owner.uid, owner.gid),
    (None, Some(previous)) => sys::copy_owner(temp.file(), filled, previous),
    (None, None) => Ok(()),
  }
  .at("chown", target)
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

#[cfg(test)]
mod tests {
  use super::*;
  use crate::spill::Spill;
  use crate::text::Piece;

  fn with_newline() -> WriteOptions {
    WriteOptions {
      final_newline: true,
      durability: Durability::None,
      ..WriteOptions::default()
    }
  }

  #[test]
  fn final_newline_ends_a_text_once() {
    let root = tempfile::tempdir().unwrap();
    let target = Target::prepare(&root.path().join("t.json")).unwrap();
    let body = Body::Text(Text::Utf16("[1]".encode_utf16().collect()));
    write_text(&target, body, &with_newline()).unwrap();
    assert_eq!(std::fs::read(&target.path).unwrap(), b"[1]\n");
  }

  #[cfg(unix)]
  #[test]
  fn an_explicit_owner_is_the_files_and_outlives_the_previous_owner() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
      eprintln!("skipped: only root may give a file to another owner");
      return;
    }
    use std::os::unix::fs::MetadataExt;
    let root = tempfile::tempdir().unwrap();
    let target = Target::prepare(&root.path().join("o.txt")).unwrap();
    let owned = |uid, gid| WriteOptions {
      owner: Some(Owner { uid, gid }),
      durability: Durability::None,
      ..WriteOptions::default()
    };
    let text = || Body::Text(Text::Bytes(b"x".to_vec()));
    write_text(&target, text(), &owned(Some(42), Some(43))).unwrap();
    let meta = std::fs::metadata(&target.path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (42, 43));
    // One id only: the other is the writer's, not the previous file's.
    write_text(&target, text(), &owned(None, Some(44))).unwrap();
    let meta = std::fs::metadata(&target.path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (0, 44));
    // No owner asked: the previous one is kept.
    write_text(&target, text(), &with_newline()).unwrap();
    let meta = std::fs::metadata(&target.path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (0, 44));
  }

  #[test]
  fn final_newline_ends_a_filled_temp_file_once() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("f.json");
    let mut spill = Spill::start(path.clone(), Vec::new());
    spill
      .send(Piece::new("[2]".encode_utf16().collect(), 0))
      .unwrap();
    let body = Body::Filled(Box::new(spill.finish().unwrap()));
    write_text(&Target::prepare(&path).unwrap(), body, &with_newline()).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"[2]\n");
  }
}
