//! Atomic, durable, verified file writes for Node.js: the Rust core of `safe-write-json`.
//!
//! Everything here is plain Rust, tested with `cargo test` on real directories; `binding/` is
//! the only module that knows about Node-API.
//!
//! # How it works
//!
//! The main thread turns the JavaScript value into text with V8's own `JSON.stringify` and
//! copies it out (a memcpy): in one piece, or — a big array or object — a slice of members at a
//! time (`stringify.js`). For an async write the copy happens in later turns of the event loop,
//! the pieces reaching the worker through a channel ([`text::Streamed`]); past 96 MiB they are
//! copied during the call and stream into the temp file while the rest is made ([`spill`]).
//! Everything below runs on a worker thread:
//!
//! ```text
//! path   = follow symlinks from the target     // the link stays; the file it names is replaced
//! mkdir -p dirname(path)                        // missing parents, 0o777 & ~umask, each
//!                                               //   one's parent fsynced before going on
//! lk     = open(".<name>.lock", O_CREAT|O_NOFOLLOW); flock(lk, LOCK_EX|LOCK_NB) until lockTimeoutMs
//!                                               // unless lock: false; retried, then ELOCKED
//! old    = stat(path)                           // mode and owner to keep; EISDIR for a directory
//! fd     = open(".<name>.<random8>.tmp", O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)
//! flock(fd, LOCK_SH)                            // held until the rename: cleanup leaves it (temp.rs)
//! loop write(fd, utf8 chunk)                    // UTF-16 → UTF-8 transcoded chunk by chunk
//! fstat(fd).size == bytes written or EVERIFY    // guarantee 3
//! fchown(fd, owner); fchmod(fd, mode)           // asked (chown) or old; before the fsync, so it covers them
//! fsync(fd)                                     // 'full' and 'data' (F_FULLFSYNC on macOS)
//! link(path, ".<name>.bak.<random8>.tmp")       // backup: true, and a previous file exists
//! rename(that, "<name>.bak")                    //   (a copy where links are refused; backup.rs)
//! rename(tmp, path)                             // the atomic step
//! fsync(dirname(path))                          // 'full' only
//! unlink(".<name>.lock"); close(lk)             // releases the lock
//! ```
//!
//! Any failure before the rename unlinks the temp file; the target keeps its old content.
//! `'data'` skips the directory fsync: the content is never torn, but the rename (or a new
//! file) may be lost on power loss. `'none'` skips both fsyncs: atomic against a crash of the
//! process, not against power loss.
//!
//! Reading back (`safeReadJson`, [`read`]) runs `stat`, `open`, `fstat`, `read`, the BOM skip, the
//! UTF-8 check and the decoding on a worker; the main thread makes one string and calls
//! `JSON.parse`. Only when that throws does [`syntax`] walk the bytes to say where. Cleaning up
//! ([`cleanup`]) removes only names of the temp shape, older than a threshold, that no live
//! writer holds.
//!
//! # Limitations
//!
//! - A target that is a FIFO, socket or device is refused (EINVAL) rather than replaced.
//! - Hard links: the target becomes a new file; its other names keep the old content.
//! - Windows has no directory fsync; the rename uses MOVEFILE_WRITE_THROUGH instead.

#![deny(clippy::all)]
#![warn(missing_docs, unreachable_pub, clippy::undocumented_unsafe_blocks)]

// napi-derive registers the exported functions only outside `cfg(test)`, so a unit-test build
// sees the binding as unused.
pub mod backup;
#[cfg_attr(test, allow(dead_code))]
mod binding;
pub mod cleanup;
pub mod dir_sync;
pub mod error;
pub mod failpoint;
pub mod feed;
pub mod gate;
pub mod lock;
pub mod options;
mod poison;
mod pool;
pub mod queue;
pub mod read;
pub mod sink;
pub mod spelling;
pub mod spill;
pub mod syntax;
mod sys;
pub mod target;
pub mod temp;
pub mod text;
pub mod write;

pub use error::{Error, Result};
pub use options::{CleanupOptions, Durability, WriteOptions};
pub use queue::Request;
pub use text::Text;
pub use write::Body;
