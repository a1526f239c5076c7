//! What a caller can ask of a write, with the contract's defaults written once, here.

use std::fs::File;
use std::io;
use std::time::Duration;

use crate::sys;

/// How far a write goes to survive power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
  /// fsync the temp file before the rename and the directory after it (F_FULLFSYNC on macOS).
  #[default]
  Full,
  /// fsync the temp file only, as fully as `Full` does: the content is never torn, but the
  /// rename (or a new file) may be lost on power loss.
  Data,
  /// No fsync: still atomic against a process crash, not against power loss.
  None,
}

impl Durability {
  /// Parse the JavaScript spelling: `'full'`, `'data'` or `'none'`.
  pub fn parse(name: &str) -> Option<Self> {
    match name {
      "full" => Some(Durability::Full),
      "data" => Some(Durability::Data),
      "none" => Some(Durability::None),
      _ => None,
    }
  }

  /// fsync `file` as this durability asks: through the drive's cache, or not at all.
  pub(crate) fn sync(self, file: &File) -> io::Result<()> {
    match self {
      // `'data'` syncs the file as `'full'` does and skips only the directory. Not fdatasync:
      // it may leave behind the mode and owner set just before (the `mode` promise), and
      // macOS's plain fsync may let the rename reach the disk before the data (torn content).
      Durability::Full | Durability::Data => sys::sync_full(file),
      Durability::None => Ok(()),
    }
  }

  /// How much it syncs: `None` < `Data` < `Full`.
  fn strength(self) -> u8 {
    match self {
      Durability::None => 0,
      Durability::Data => 1,
      Durability::Full => 2,
    }
  }
}

/// The owner a write gives its file: each id, or `None` to leave that one as the writer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
  /// The user id.
  pub uid: Option<u32>,
  /// The group id.
  pub gid: Option<u32>,
}

/// Options every writer accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
  /// How far to sync. Default: [`Durability::Full`].
  pub durability: Durability,
  /// Permission bits of the written file, applied exactly (no umask). Default: the existing
  /// file's bits, else `0o666 & !umask`.
  pub mode: Option<u32>,
  /// Owner of the written file, where this process may give it (not permitted: the writer's).
  /// Default: the existing file's owner, where permitted, else the writer's.
  pub owner: Option<Owner>,
  /// Hold the cross-process lock on the target for the write. Default: `true`.
  pub lock: bool,
  /// How long to wait for that lock before failing with ELOCKED. Default: 10 s.
  pub lock_timeout: Duration,
  /// Keep the previous version as `<name>.bak` beside the target. Default: `false`.
  pub backup: bool,
  /// Append `\n` after the text. Default: `false`. Part of the data, not a requirement: a
  /// write that supersedes others keeps its own.
  pub final_newline: bool,
}

impl WriteOptions {
  /// Take on the requirements of an older write that these options' write supersedes, as if
  /// it had run just before (the contract's "Coalescing"): the strongest durability, the lock if
  /// either locks, a `.bak` if either keeps one, and the newest explicit mode and owner.
  pub fn absorb(&mut self, older: &WriteOptions) {
    if older.durability.strength() > self.durability.strength() {
      self.durability = older.durability;
    }
    // The older call would have waited its own `lockTimeoutMs` (for the other process's lock,
    // or behind an update in this one): wait at least that long.
    self.lock_timeout = self.lock_timeout.max(older.lock_timeout);
    self.lock |= older.lock;
    self.backup |= older.backup;
    self.mode = self.mode.or(older.mode);
    self.owner = self.owner.or(older.owner);
  }
}

/// Options of `cleanupTempFiles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupOptions {
  /// Only temp files last modified at least this long ago are removed: younger ones may belong
  /// to a write in progress. Default: 60 s.
  pub older_than: Duration,
}

impl Default for CleanupOptions {
  fn default() -> Self {
    CleanupOptions {
      older_than: Duration::from_secs(60),
    }
  }
}

impl Default for WriteOptions {
  fn default() -> Self {
    WriteOptions {
      durability: Durability::Full,
      mode: None,
      owner: None,
      lock: true,
      lock_timeout: DEFAULT_LOCK_TIMEOUT,
      backup: false,
      final_newline: false,
    }
  }
}

/// The contract's default `lockTimeoutMs`.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_millis(10_000);

/// The largest `mode` accepted: permission bits plus setuid, setgid and sticky.
pub const MAX_MODE: u32 = 0o7777;

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn defaults_are_the_contracts() {
    let options = WriteOptions::default();
    assert_eq!(options.durability, Durability::Full);
    assert_eq!(options.mode, None);
    assert_eq!(options.owner, None);
    assert!(options.lock);
    assert_eq!(options.lock_timeout, Duration::from_secs(10));
    assert!(!options.backup);
    assert_eq!(
      CleanupOptions::default().older_than,
      Duration::from_millis(60_000)
    );
  }

  #[test]
  fn a_superseding_write_owes_the_older_ones_what_they_asked() {
    let newer_default = WriteOptions {
      durability: Durability::None,
      lock: false,
      ..WriteOptions::default()
    };
    let older = WriteOptions {
      durability: Durability::Data,
      mode: Some(0o600),
      owner: Some(Owner {
        uid: Some(42),
        gid: Some(43),
      }),
      lock: true,
      lock_timeout: Duration::from_millis(5),
      backup: true,
      final_newline: true,
    };
    let mut merged = newer_default.clone();
    merged.absorb(&older);
    assert_eq!(merged.durability, Durability::Data);
    assert!(merged.lock && merged.backup);
    assert_eq!(merged.lock_timeout, Duration::from_secs(10));
    assert_eq!(merged.mode, Some(0o600));
    assert_eq!(merged.owner, older.owner);

    let newest_owner = Some(Owner {
      uid: Some(7),
      gid: None,
    });
    let mut newest_mode_wins = WriteOptions {
      mode: Some(0o644),
      owner: newest_owner,
      ..WriteOptions::default()
    };
    newest_mode_wins.absorb(&older);
    assert_eq!(newest_mode_wins.mode, Some(0o644));
    assert_eq!(newest_mode_wins.owner, newest_owner);
    // Both lock: the longer wait of the two, so the older call never times out sooner.
    assert_eq!(newest_mode_wins.lock_timeout, Duration::from_secs(10));
    let mut short = WriteOptions {
      lock_timeout: Duration::from_millis(50),
      ..WriteOptions::default()
    };
    short.absorb(&WriteOptions::default());
    assert_eq!(short.lock_timeout, Duration::from_secs(10));
    assert_eq!(newest_mode_wins.durability, Durability::Full);
  }

  #[test]
  fn durability_names() {
    assert_eq!(Durability::parse("full"), Some(Durability::Full));
    assert_eq!(Durability::parse("data"), Some(Durability::Data));
    assert_eq!(Durability::parse("none"), Some(Durability::None));
    assert_eq!(Durability::parse("Full"), None);
  }
}
