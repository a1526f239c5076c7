//! The floor of `npm run bench` (see bench/README.md).
//!
//! `floor write <src> <dst> <reps>`: read `<src>` into memory, then `<reps>` times write those
//! bytes to `<dst>` the way a durable atomic writer must at the very least:
//!
//! ```text
//! fd = open(".<name>.floor.tmp", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0644)
//! write(fd, bytes); fsync(fd); close(fd)
//! rename(tmp, dst)
//! fsync(dirname(dst))
//! ```
//!
//! Each write is timed here, so process start-up and reading `<src>` are not measured. Prints
//! one JSON line: `{"ns":[…]}` (nanoseconds per write).
//!
//! `floor spread <src> <dir> <files> <threads>`: the floor of the spread workload. Write `<src>`'s
//! bytes to `<dir>/f000.json` … (`<files>` files, named as the bench names them) with `<threads>`
//! threads, each taking the next file until none is left, every file by the full protocol above
//! (its own temp file, fsync, rename, fsync of the directory: no fsync shared). Prints one JSON
//! line: `{"ns":…}`, the wall time of the whole run from the moment every thread is ready.
//!
//! `floor watch <dir> <name>` (Linux): count, through inotify, what happens to `<dir>`: files
//! renamed onto `<name>` (IN_MOVED_TO: one per physical write that landed), files created and
//! files closed after writing. Prints `ready` once the watch is in place; then, each time a file
//! named `.bench-mark-<anything>` is created, one JSON line with the counts since the previous
//! mark (inotify delivers events in order, so everything before the mark is counted); exits at
//! `.bench-mark-end`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

fn main() {
  let args: Vec<String> = std::env::args().collect();
  let result = match args.get(1).map(String::as_str) {
    Some("write") if args.len() == 5 => write(&args[2], &args[3], &args[4]),
    Some("spread") if args.len() == 6 => spread(&args[2], &args[3], &args[4], &args[5]),
    Some("watch") if args.len() == 4 => watch::run(&args[2], &args[3]),
    _ => Err(
      "usage: floor write <src> <dst> <reps> | floor spread <src> <dir> <files> <threads> | floor watch <dir> <name>"
        .into(),
    ),
  };
  if let Err(e) = result {
    eprintln!("floor: {e}");
    std::process::exit(1);
  }
}

fn write(src: &str, dst: &str, reps: &str) -> Result<(), Box<dyn std::error::Error>> {
  let bytes = fs::read(src)?;
  let reps: usize = reps.parse()?;
  let dst = Path::new(dst);
  let mut ns = Vec::with_capacity(reps);
  for _ in 0..reps {
    let start = Instant::now();
    durable_write(&bytes, dst)?;
    ns.push(start.elapsed().as_nanos());
  }
  let list: Vec<String> = ns.iter().map(u128::to_string).collect();
  println!("{{\"ns\":[{}]}}", list.join(","));
  Ok(())
}

fn spread(
  src: &str,
  dir: &str,
  files: &str,
  threads: &str,
) -> Result<(), Box<dyn std::error::Error>> {
  let bytes = fs::read(src)?;
  let files: usize = files.parse()?;
  let threads: usize = threads.parse()?;
  let dir = Path::new(dir);
  let next = AtomicUsize::new(0);
  // Every thread made and waiting before the clock starts (the main thread is the last party).
  let ready = Barrier::new(threads + 1);
  let wall = thread::scope(|scope| -> Result<u128, Box<dyn std::error::Error>> {
    let workers: Vec<_> = (0..threads)
      .map(|_| {
        scope.spawn(|| -> std::io::Result<()> {
          ready.wait();
          loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= files {
              return Ok(());
            }
            durable_write(&bytes, &dir.join(format!("f{i:03}.json")))?;
          }
        })
      })
      .collect();
    ready.wait();
    let start = Instant::now();
    for worker in workers {
      worker.join().map_err(|_| "a writer thread panicked")??;
    }
    Ok(start.elapsed().as_nanos())
  })?;
  println!("{{\"ns\":{wall}}}");
  Ok(())
}

/// The least a durable atomic write of `bytes` to `dst` can do.
fn durable_write(bytes: &[u8], dst: &Path) -> std::io::Result<()> {
  let dir = dst
    .parent()
    .filter(|d| !d.as_os_str().is_empty())
    .unwrap_or(Path::new("."));
  let name = dst.file_name().unwrap_or_default().to_string_lossy();
  let tmp = dir.join(format!(".{name}.floor.tmp"));
  // create_new = O_CREAT|O_EXCL, as a safe writer must (never follow a planted file).
  let mut file = OpenOptions::new()
    .write(true)
    .create_new(true)
    .mode(0o644)
    .open(&tmp)?;
  file.write_all(bytes)?;
  file.sync_all()?; // fsync(2) on Linux, as the addon's durability 'full'
  drop(file);
  fs::rename(&tmp, dst)?;
  File::open(dir)?.sync_all() // fsync the directory: the rename itself is durable
}

#[cfg(target_os = "linux")]
mod watch {
  //! inotify through the C library std already links (no `libc` crate needed for three calls).
  use std::ffi::CString;
  use std::fs::File;
  use std::io::{Read, Write};
  use std::os::fd::FromRawFd;
  use std::os::raw::{c_char, c_int};

  extern "C" {
    fn inotify_init1(flags: c_int) -> c_int;
    fn inotify_add_watch(fd: c_int, path: *const c_char, mask: u32) -> c_int;
  }
  const IN_CLOSE_WRITE: u32 = 0x008;
  const IN_MOVED_TO: u32 = 0x080;
  const IN_CREATE: u32 = 0x100;
  const IN_Q_OVERFLOW: u32 = 0x4000;
  const IN_CLOEXEC: c_int = 0o2000000;

  pub(super) fn run(dir: &str, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: plain syscall wrappers; the fd is checked before it is wrapped in a File.
    let fd = unsafe { inotify_init1(IN_CLOEXEC) };
    if fd < 0 {
      return Err(std::io::Error::last_os_error().into());
    }
    // SAFETY: fd is a fresh inotify descriptor that nothing else owns.
    let mut events = unsafe { File::from_raw_fd(fd) };
    let cdir = CString::new(dir)?;
    // SAFETY: fd is valid, cdir is a NUL-terminated path that outlives the call.
    if unsafe { inotify_add_watch(fd, cdir.as_ptr(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) } < 0
    {
      return Err(std::io::Error::last_os_error().into());
    }
    let mut out = std::io::stdout();
    writeln!(out, "ready")?;
    out.flush()?;
    let (mut moved_to, mut created, mut closed, mut overflow) = (0u64, 0u64, 0u64, false);
    let mut buf = vec![0u8; 1 << 16];
    loop {
      let n = events.read(&mut buf)?;
      let mut at = 0;
      // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }
      while at + 16 <= n {
        let mask = u32::from_ne_bytes(buf[at + 4..at + 8].try_into()?);
        let len = u32::from_ne_bytes(buf[at + 12..at + 16].try_into()?) as usize;
        let raw = &buf[at + 16..at + 16 + len];
        let file = String::from_utf8_lossy(&raw[..raw.iter().position(|&b| b == 0).unwrap_or(len)]);
        at += 16 + len;
        if mask & IN_Q_OVERFLOW != 0 {
          overflow = true; // events were lost: the counts are a lower bound, say so
        }
        if file.starts_with(".bench-mark-") {
          if mask & IN_CREATE == 0 {
            continue;
          }
          writeln!(
            out,
            "{{\"movedTo\":{moved_to},\"created\":{created},\"closedAfterWrite\":{closed},\"overflow\":{overflow}}}"
          )?;
          out.flush()?;
          if file == ".bench-mark-end" {
            return Ok(());
          }
          (moved_to, created, closed, overflow) = (0, 0, 0, false);
          continue;
        }
        if mask & IN_MOVED_TO != 0 && file == name {
          moved_to += 1;
        }
        if mask & IN_CREATE != 0 {
          created += 1;
        }
        if mask & IN_CLOSE_WRITE != 0 {
          closed += 1;
        }
      }
    }
  }
}

#[cfg(not(target_os = "linux"))]
mod watch {
  pub(super) fn run(_dir: &str, _name: &str) -> Result<(), Box<dyn std::error::Error>> {
    Err("watch needs Linux inotify".into())
  }
}
