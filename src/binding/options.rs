//! The options as they cross from JavaScript, already checked by `lib/options.js`: each field
//! documented here once (the generated `binding.d.ts` shows it), and each default taken from the
//! core's `Default`, so it is written once, in Rust.

use std::time::Duration;

use napi_derive::napi;

use crate::options::{
  self, CleanupOptions as CoreCleanupOptions, Owner as CoreOwner, WriteOptions as CoreWriteOptions,
};

/// How far a write goes to survive power loss.
#[napi(string_enum = "lowercase")]
pub enum Durability {
  /// fsync the temp file before the rename and the directory after it (F_FULLFSYNC on macOS).
  Full,
  /// fsync the file only: never torn, but the rename (or a new file) may be lost on power loss.
  Data,
  /// No fsync: still atomic against a process crash, not against power loss.
  None,
}

/// Options every writer accepts.
#[napi(object)]
pub(crate) struct WriteOptions {
  /// How far the write goes to survive power loss: `'full'`, `'data'` or `'none'` (see
  /// {@link Durability}; given as its string, so the type is the enum's values).
  /// @default 'full'
  #[napi(ts_type = "`${Durability}`")]
  pub durability: Option<Durability>,
  /// Permission bits of the written file (0 to 0o7777), applied exactly, without the umask.
  /// @default the existing file's mode, else `0o666 & ~umask`
  pub mode: Option<u32>,
  /// Hold a cross-process lock on the target for the write: an OS lock (flock / LockFileEx) on the
  /// sidecar `.<basename>.lock` beside it, which the OS releases if the holder dies.
  /// @default true
  pub lock: Option<bool>,
  /// How long to wait for that lock before failing with `ELOCKED` (`Infinity`: as long as it takes).
  /// @default 10000
  pub lock_timeout_ms: Option<f64>,
  /// Keep the previous version as `<name>.bak` beside the target (the file a symlink names),
  /// with the target's mode. It is switched in without any instant where the target is missing
  /// (a hard link of the old file, renamed over the old `.bak`; a copy where hard links are not
  /// supported). The first write of a file that did not exist makes no `.bak`.
  /// @default false
  pub backup: Option<bool>,
}

/// The owner `safeWriteFile` gives the written file (its `chown` option, checked by
/// `lib/options.js`): an id left out (`-1` there) stays the writer's.
#[napi(object)]
pub(crate) struct Owner {
  /// The user id.
  pub uid: Option<u32>,
  /// The group id.
  pub gid: Option<u32>,
}

/// Options of `cleanupTempFiles`.
#[napi(object)]
pub struct CleanupOptions {
  /// Remove only temp files last modified at least this many milliseconds ago (younger ones
  /// may belong to a write in progress). `0` removes every temp file of this package that no
  /// live writer holds (writers lock their temp files; a held one is never removed).
  /// @default 60000
  pub older_than_ms: Option<f64>,
}

impl WriteOptions {
  /// The core's options: these, the defaults where unset, `finalNewline` and `owner` (options
  /// of one kind of writer only, so they cross as their own arguments).
  pub(crate) fn into_core(self, final_newline: bool, owner: Option<Owner>) -> CoreWriteOptions {
    let (js, default) = (self, CoreWriteOptions::default());
    CoreWriteOptions {
      durability: js
        .durability
        .map_or(default.durability, |durability| match durability {
          Durability::Full => options::Durability::Full,
          Durability::Data => options::Durability::Data,
          Durability::None => options::Durability::None,
        }),
      mode: js.mode.or(default.mode),
      owner: owner
        .map(|Owner { uid, gid }| CoreOwner { uid, gid })
        .or(default.owner),
      lock: js.lock.unwrap_or(default.lock),
      lock_timeout: js
        .lock_timeout_ms
        .map_or(default.lock_timeout, milliseconds),
      backup: js.backup.unwrap_or(default.backup),
      final_newline,
    }
  }
}

impl From<CleanupOptions> for CoreCleanupOptions {
  fn from(js: CleanupOptions) -> Self {
    let default = CoreCleanupOptions::default();
    CoreCleanupOptions {
      older_than: js.older_than_ms.map_or(default.older_than, milliseconds),
    }
  }
}

/// Milliseconds (checked >= 0 by the JavaScript side) as a duration; Infinity the longest.
fn milliseconds(ms: f64) -> Duration {
  Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX)
}
