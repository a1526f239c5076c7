//! Where a write lands, and what the file there was.
//!
//! Before a temp file is made: follow a symlinked target to the file it names (the link stays a
//! link), create missing parent directories, and read the previous file's mode and owner so
//! the replacement keeps them.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use crate::dir_sync;
use crate::error::{Error, IoResultExt, Result};
use crate::failpoint::failpoint;
use crate::poison::lock;
use crate::sys;

/// Symlink hops followed before giving up with ELOOP (Linux's limit).
const MAX_SYMLINK_HOPS: usize = 40;

/// The file a write replaces, resolved.
#[derive(Debug)]
pub struct Target {
  /// The path the new file is renamed to: the caller's path with symlinks followed.
  pub path: PathBuf,
  /// Its directory, where the temp file goes and which is fsynced after the rename.
  pub dir: PathBuf,
  /// Its file name.
  pub name: OsString,
  /// Directories this write created, outermost first (already durable: see `create_parents`);
  /// those it made again (see [`Target::in_dir`]) after them.
  created_dirs: Mutex<Vec<PathBuf>>,
  /// The longest name its directory's file system accepts, which the side files' names (temp,
  /// lock, backup) are cut to fit: read once per write, not once per side file.
  pub name_max: usize,
}

/// How many times a write makes its directory again when it vanished before the write's first
/// file in it (see [`Target::in_dir`]).
const DIR_GONE_RETRIES: usize = 3;

impl Target {
  /// Resolve `path` (absolute) and create its missing parent directories. The paths kept are
  /// the ones to hand to the system: verbatim on Windows (see [`sys::verbatim`]).
  pub fn prepare(path: &Path) -> Result<Target> {
    let (path, found) = resolve_found(path)?;
    let (dir, name) = match (path.parent(), path.file_name()) {
      (Some(dir), Some(name)) => (dir.to_path_buf(), name.to_os_string()),
      // "/" or a path ending in "..": not a file anyone can write.
      _ => return Err(Error::os("EISDIR", "open", &path)),
    };
    // A name found in the directory proves the directory is there: the kernel just walked it.
    let created_dirs = create_parents(&dir, found)?;
    let name_max = sys::name_max(&dir);
    Ok(Target {
      path,
      dir,
      name,
      created_dirs: Mutex::new(created_dirs),
      name_max,
    })
  }

  /// Create a file of this write in its directory with `make`. A write that created the
  /// directory and then failed midway removes it when empty (see [`Target::remove_created_dirs`]),
  /// which may happen between this write's mkdir and its first file there (of this process or
  /// another): then the directory is made again and `make` retried, a few times. The
  /// directories made again are this write's: it removes them too if it fails.
  pub fn in_dir<T>(&self, mut make: impl FnMut() -> Result<T>) -> Result<T> {
    for _ in 0..DIR_GONE_RETRIES {
      match make() {
        Err(err) if err.code_name() == "ENOENT" && !self.dir.is_dir() => {
          let made = create_parents(&self.dir, false)?;
          lock(&self.created_dirs).extend(made);
        }
        made => return made,
      }
    }
    make()
  }

  /// Remove the directories this write created, innermost first, as far as they are empty
  /// (another write may have put a file in one meanwhile: that one stays). Writers that just
  /// made or found one of them cope: see [`Target::in_dir`].
  pub fn remove_created_dirs(&self) {
    for dir in lock(&self.created_dirs).iter().rev() {
      let _ = fs::remove_dir(dir);
    }
  }

  /// The directories this write created so far, outermost first (those made again last).
  pub fn created_dirs(&self) -> Vec<PathBuf> {
    lock(&self.created_dirs).clone()
  }

  /// The previous file's metadata, or `None` if there is none yet. A directory is EISDIR; any
  /// other non-regular file (a FIFO, a device) is refused with EINVAL rather than replaced.
  pub fn existing(&self) -> Result<Option<Metadata>> {
    failpoint!("target.stat", "open", &self.path);
    match fs::metadata(&self.path) {
      Ok(meta) if meta.is_file() => Ok(Some(meta)),
      Ok(meta) if meta.is_dir() => Err(Error::os("EISDIR", "open", &self.path)),
      Ok(_) => Err(Error::os("EINVAL", "open", &self.path)),
      Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
      Err(err) => Err(Error::io(&err, "open", &self.path)),
    }
  }
}

/// The real file `path` names: symlinks of the file and of its existing directories followed.
/// Two calls with the same identity target the same file (the contract's "Same path"), and
/// are ordered with each other. Creates nothing.
pub fn identity(path: &Path) -> Result<PathBuf> {
  let real = resolve(path)?;
  // `resolve` has just found that the file's own name is no symlink (or names nothing): only its
  // directories can hold one, so canonicalizing starts there, sparing a readlink of the file —
  // where canonicalizing does nothing else to a name.
  let (mut existing, mut missing) = match (real.parent(), real.file_name()) {
    (Some(dir), Some(name)) if sys::CANONICAL_RESOLVES_ONLY_LINKS => {
      (dir, vec![name.to_os_string()])
    }
    _ => (real.as_path(), Vec::new()),
  };
  loop {
    if let Ok(canonical) = canonicalize(existing) {
      return Ok(
        missing
          .iter()
          .rev()
          .fold(canonical, |path, name| path.join(name)),
      );
    }
    match (existing.parent(), existing.file_name()) {
      (Some(parent), Some(name)) => {
        missing.push(name.to_os_string());
        existing = parent;
      }
      _ => return Ok(real),
    }
  }
}

/// `fs::canonicalize(path)`, which reads every name of the path as a symlink, save where one call
/// shows that no name is one: then a path spelled as the kernel would spell it (absolute, no `.`,
/// `..` or doubled `/`, as `path.resolve` makes it) is its own canonical form.
fn canonicalize(path: &Path) -> io::Result<PathBuf> {
  let spelled_canonically = path.is_absolute()
    && path
      .components()
      .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
    && path.components().collect::<PathBuf>().as_os_str() == path.as_os_str();
  if spelled_canonically && sys::CANONICAL_RESOLVES_ONLY_LINKS && sys::has_no_symlinks(path) {
    return Ok(path.to_path_buf());
  }
  fs::canonicalize(path)
}

/// The path of the file `path` finally names, symlinks followed as a write would follow them
/// (the file need not exist), in the form to hand to the system. Creates nothing.
pub fn resolve(path: &Path) -> Result<PathBuf> {
  Ok(resolve_found(path)?.0)
}

/// [`resolve`], and whether something exists at the path it returns.
fn resolve_found(path: &Path) -> Result<(PathBuf, bool)> {
  // Verbatim before (so that a reserved DOS name is looked up as a file) and after (a link's
  // text may be a plain absolute path).
  let (real, found) = follow_symlinks(&sys::verbatim(path))?;
  Ok((sys::verbatim(&real), found))
}

/// Follow `path` while it is a symlink, to the path of the file it finally names, as a write
/// follows it (the file need not exist: a dangling link's target is created), and say whether
/// something (not a symlink) is there. Creates nothing.
fn follow_symlinks(path: &Path) -> Result<(PathBuf, bool)> {
  let mut current = path.to_path_buf();
  for _ in 0..MAX_SYMLINK_HOPS {
    match fs::symlink_metadata(&current) {
      Ok(meta) if meta.file_type().is_symlink() => {
        let link = fs::read_link(&current).at("readlink", &current)?;
        // The kernel reads a link's text from the directory that really holds the link, not
        // from the spelling that reached it: `A/L/f -> ../g` with `A/L -> X/Y` names `X/g`.
        let holder = current.parent().unwrap_or(Path::new("/"));
        let holder = fs::canonicalize(holder).unwrap_or_else(|_| holder.to_path_buf());
        current = join_real(&holder, &link, path)?;
      }
      Ok(_) => return Ok((current, true)),
      // Not there, or a file where a directory should be: no link to follow. Making the
      // parents says which directory is missing or cannot be made (`mkdir`, naming it).
      Err(err)
        if matches!(
          err.kind(),
          io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
        ) =>
      {
        return Ok((current, false))
      }
      Err(err) => return Err(blame(Error::io(&err, "open", &current), &current)),
    }
  }
  Err(Error::os("ELOOP", "open", path))
}

/// `text` (a symlink's) read from the real directory `base` as the kernel reads it: each
/// directory on the way is resolved before a `..` after it steps up. The last name is left as
/// it is (the caller follows it if it is a link). Names that do not exist are kept as written,
/// except before a `..`: there the kernel looks the name up, so one that is missing is ENOENT
/// and one that is not a directory ENOTDIR (the link names nothing a write may create): reported
/// as `open` of `reported_as`, the path that reached the link, as `fs` reports it.
fn join_real(base: &Path, text: &Path, reported_as: &Path) -> Result<PathBuf> {
  let mut out = if text.is_absolute() {
    PathBuf::new()
  } else {
    base.to_path_buf()
  };
  let mut components = text.components().peekable();
  while let Some(component) = components.next() {
    match component {
      Component::CurDir => {}
      // `out` is a real path here (or does not exist): stepping up is taking its last name off,
      // once the kernel's lookup of `out` would have found a directory.
      Component::ParentDir => {
        match fs::metadata(&out) {
          Ok(meta) if meta.is_dir() => {}
          Ok(_) => return Err(Error::os("ENOTDIR", "open", reported_as)),
          Err(err) => return Err(Error::io(&err, "open", reported_as)),
        }
        out.pop();
      }
      Component::Normal(name) => {
        out.push(name);
        if components.peek().is_some() {
          if let Ok(real) = fs::canonicalize(&out) {
            out = real;
          }
        }
      }
      root => out.push(root),
    }
  }
  Ok(out)
}

/// Create the missing directories of `dir`, outermost first; return the ones created. `exists`:
/// the caller has just seen a name in `dir`, so it is a directory and nothing is missing.
///
/// Each new directory's name is made durable (its parent fsynced) before the next one is made,
/// at every durability: a directory is made once, and a writer that finds it must be able to
/// rely on it. So whoever returns from here — the writer that made a directory, one whose mkdir
/// lost the race to it, or one that found it still being made — has a chain of directories that
/// survives power loss, and the write itself needs to fsync only the file's own directory.
fn create_parents(dir: &Path, exists: bool) -> Result<Vec<PathBuf>> {
  let mut missing = Vec::new();
  let mut probe = dir;
  let found = loop {
    if exists {
      break Some(dir);
    }
    match fs::metadata(probe) {
      Ok(meta) if meta.is_dir() => break Some(probe),
      Ok(_) => return Err(Error::os("ENOTDIR", "mkdir", probe)),
      Err(err) if err.kind() == io::ErrorKind::NotFound => missing.push(probe.to_path_buf()),
      Err(err) => return Err(blame(Error::io(&err, "mkdir", probe), probe)),
    }
    match probe.parent() {
      Some(parent) => probe = parent,
      None => break None,
    }
  };
  // Directories another writer of this process has made but not yet made durable.
  for made in found.into_iter().flat_map(Path::ancestors) {
    if Making::in_progress(made) {
      sync_parent(made)?;
    }
  }
  missing.reverse();
  let mut created = Vec::new();
  for dir in missing {
    let making = Making::start(&dir);
    failpoint!("target.mkdir", "mkdir", &dir);
    match fs::create_dir(&dir) {
      Ok(()) => {}
      // Another writer made it first: fine, as long as it is a directory. Its name may not be
      // durable yet (that writer may not have fsynced the parent), so the fsync below is ours.
      // It is not ours to remove, though: it is left out of what this write created.
      Err(err) if err.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {
        sync_parent(&dir)?;
        continue;
      }
      Err(err) => return Err(blame(Error::io(&err, "mkdir", &dir), &dir)),
    }
    // Failpoint `target.made`: a test holds the writer here, its directory made, not yet durable.
    fail::fail_point!("target.made");
    sync_parent(&dir)?;
    drop(making);
    created.push(dir);
  }
  Ok(created)
}

/// Make `dir`'s name durable: fsync its parent (shared with other writers there).
fn sync_parent(dir: &Path) -> Result<()> {
  match dir.parent() {
    Some(parent) => dir_sync::sync_dir_shared(parent, parent),
    None => Ok(()),
  }
}

/// The directories this process is making, from just before their mkdir until their parent's
/// fsync has ended: a writer that finds one of them existing cannot yet rely on its name.
static MAKING: LazyLock<Mutex<HashMap<PathBuf, usize>>> = LazyLock::new(Default::default);

/// One entry of [`MAKING`], removed when dropped (on every return, errors included).
struct Making<'a>(&'a Path);

impl<'a> Making<'a> {
  fn start(dir: &'a Path) -> Making<'a> {
    *lock(&MAKING).entry(dir.to_path_buf()).or_default() += 1;
    Making(dir)
  }

  fn in_progress(dir: &Path) -> bool {
    lock(&MAKING).contains_key(dir)
  }
}

impl Drop for Making<'_> {
  fn drop(&mut self) {
    let mut making = lock(&MAKING);
    if let Some(count) = making.get_mut(self.0) {
      *count -= 1;
      if *count == 0 {
        making.remove(self.0);
      }
    }
  }
}

/// ENOTDIR and ENOENT caused by an ancestor name that ancestor, as the contract says; every
/// other error names the target.
pub(crate) fn blame(err: Error, target: &Path) -> Error {
  if !matches!(err.code_name(), "ENOTDIR" | "ENOENT") {
    return err.with_path(target);
  }
  for ancestor in target.ancestors().skip(1) {
    match fs::metadata(ancestor) {
      Ok(meta) if meta.is_dir() => break,
      Ok(_) => return Error::os("ENOTDIR", err.syscall, ancestor),
      Err(_) => continue,
    }
  }
  err.with_path(target)
}

/// Lexically resolve `.` and `..` (as `path.resolve` does), without touching the disk.
pub fn normalize(path: &Path) -> PathBuf {
  let mut out = PathBuf::new();
  for component in path.components() {
    match component {
      Component::CurDir => {}
      Component::ParentDir => {
        out.pop();
      }
      other => out.push(other),
    }
  }
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn normalize_matches_path_resolve() {
    assert_eq!(normalize(Path::new("/a/./b/../c")), Path::new("/a/c"));
    assert_eq!(normalize(Path::new("/../a")), Path::new("/a"));
  }

  #[test]
  fn creates_missing_parents() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::prepare(&dir.path().join("x/y/z.json")).unwrap();
    assert!(dir.path().join("x/y").is_dir());
    // In the form handed to the system (verbatim on Windows).
    assert_eq!(
      target.created_dirs(),
      vec![
        sys::verbatim(&dir.path().join("x")),
        sys::verbatim(&dir.path().join("x/y"))
      ]
    );
    assert_eq!(target.name, "z.json");
  }

  #[test]
  fn a_directory_made_again_is_removed_by_the_write_that_made_it() {
    // Another write made the directory, this one found it; that write failed and removed it
    // before this one's first file there: this one makes it again, and if it fails too, the
    // directory must not stay behind, empty.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("new")).unwrap();
    let target = Target::prepare(&dir.path().join("new/z.json")).unwrap();
    assert!(target.created_dirs().is_empty());
    fs::remove_dir(dir.path().join("new")).unwrap();
    let file = target.dir.join("temp");
    target
      .in_dir(|| fs::File::create(&file).map_err(|err| Error::io(&err, "open", &file)))
      .unwrap();
    assert_eq!(target.created_dirs(), vec![target.dir.clone()]);
    fs::remove_file(&file).unwrap();
    target.remove_created_dirs();
    assert!(!dir.path().join("new").exists());
  }

  #[test]
  fn a_file_in_the_way_is_enotdir_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("file"), "x").unwrap();
    let err = Target::prepare(&dir.path().join("file/sub/z.json")).unwrap_err();
    assert_eq!(err.code_name(), "ENOTDIR");
    assert_eq!(err.path, dir.path().join("file"));
  }

  #[cfg(unix)]
  #[test]
  fn symlinks_are_followed_to_the_final_file() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("real.json", dir.path().join("link.json")).unwrap();
    std::os::unix::fs::symlink("link.json", dir.path().join("link2.json")).unwrap();
    let target = Target::prepare(&dir.path().join("link2.json")).unwrap();
    assert_eq!(target.path, dir.path().join("real.json"));
  }

  #[cfg(unix)]
  #[test]
  fn a_links_dotdot_steps_up_from_the_real_directory_that_holds_it() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    fs::create_dir_all(root.join("A")).unwrap();
    fs::create_dir_all(root.join("X/Y/Z/W")).unwrap();
    symlink("../X/Y", root.join("A/L")).unwrap();
    symlink("../g.json", root.join("X/Y/f.json")).unwrap();
    // A directory in the middle of a link's text is resolved before the `..` after it.
    symlink("Z/W", root.join("X/Y/z")).unwrap();
    symlink("z/../../h.json", root.join("X/Y/k.json")).unwrap();
    let target = Target::prepare(&root.join("A/L/f.json")).unwrap();
    assert_eq!(target.path, root.join("X/g.json"));
    assert_eq!(
      resolve(&root.join("A/L/k.json")).unwrap(),
      root.join("X/Y/h.json")
    );
    assert!(!root.join("A/g.json").exists());
  }

  #[cfg(unix)]
  #[test]
  fn a_links_dotdot_after_a_missing_name_or_a_file_fails_as_the_kernel_does() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    fs::write(root.join("file.txt"), "hi").unwrap();
    symlink("missing/../h.json", root.join("a.json")).unwrap();
    symlink("file.txt/../g.json", root.join("b.json")).unwrap();
    for (link, code) in [("a.json", "ENOENT"), ("b.json", "ENOTDIR")] {
      let err = Target::prepare(&root.join(link)).unwrap_err();
      assert_eq!((err.code_name(), err.syscall), (code, "open"));
      assert_eq!(err.path, root.join(link));
      assert_eq!(resolve(&root.join(link)).unwrap_err().code_name(), code);
    }
    assert!(!root.join("h.json").exists() && !root.join("g.json").exists());
  }

  #[cfg(unix)]
  #[test]
  fn identity_resolves_a_symlinked_directory_and_keeps_a_real_path_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = fs::canonicalize(dir.path()).unwrap();
    fs::create_dir(root.join("real")).unwrap();
    std::os::unix::fs::symlink("real", root.join("link")).unwrap();
    let real = root.join("real/f.json");
    assert_eq!(identity(&root.join("link/f.json")).unwrap(), real);
    assert_eq!(identity(&real).unwrap(), real);
    // A missing directory under a link: the link is resolved all the same.
    assert_eq!(
      identity(&root.join("link/new/f.json")).unwrap(),
      root.join("real/new/f.json")
    );
    assert!(!sys::has_no_symlinks(&root.join("link")));
    assert!(!sys::has_no_symlinks(&root.join("missing")));
    if cfg!(target_os = "linux") && sys::has_no_symlinks(&root) {
      assert!(sys::has_no_symlinks(&root.join("real")));
    }
  }

  #[cfg(unix)]
  #[test]
  fn symlink_loops_are_eloop() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
    assert_eq!(
      Target::prepare(&dir.path().join("a"))
        .unwrap_err()
        .code_name(),
      "ELOOP"
    );
  }

  #[test]
  fn directories_are_eisdir() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::prepare(dir.path()).unwrap();
    assert_eq!(target.existing().unwrap_err().code_name(), "EISDIR");
  }
}
