// The system calls of one small durable write, seen from outside under strace: the second
// `safeWriteJson` (default options: durability 'full', lock: true) of a small file that exists,
// in a directory that exists. The floor of such a write is open, write, fsync, rename, close and
// the directory's open, fsync, close; everything else must be there for a guarantee (the lock,
// the "same path" rule, the size check, the mode, cleanup's hold on the temp file). This test
// keeps the calls that were found redundant out: it asserts the whole sequence, by kind.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { tmpDir } = require('./helpers')

const ROOT = path.resolve(__dirname, '..')

// Decided at load time: without Linux and a working strace (not installed, ptrace not
// permitted) the calls cannot be seen, and the test says skipped.
const straceWorks =
  process.platform === 'linux' &&
  spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { timeout: 30_000 }).status === 0
const withStrace = straceWorks ? test : test.skip

/**
 * Run two `safeWriteJson(file, …)` in a child node under strace; return the calls the second one
 * made, in order, as [name, args] (a call another thread interrupted is joined back together).
 */
function callsOfSecondWrite(file) {
  const log = path.join(tmpDir('swj-syscalls-log'), 'trace')
  const script = `const fs = require('node:fs')
    const { safeWriteJson } = require(${JSON.stringify(ROOT)})
    const file = ${JSON.stringify(file)}
    ;(async () => {
      await safeWriteJson(file, { n: 1 })
      fs.writeSync(2, 'swj-mark-begin\\n')
      await safeWriteJson(file, { n: 2 })
      fs.writeSync(2, 'swj-mark-end\\n')
    })().catch((e) => { console.error(e); process.exit(1) })`
  // -y: a descriptor is followed by the path it is open on, `19</dir/.f.json.Ab3dE9xZ.tmp>`.
  const child = spawnSync('strace', ['-f', '-qq', '-y', '-s', '256', '-o', log, process.execPath, '-e', script], {
    encoding: 'utf8',
    timeout: 120_000,
  })
  expect(child.stderr).toBe('swj-mark-begin\nswj-mark-end\n')
  expect(child.status).toBe(0)
  const calls = []
  const unfinished = new Map()
  let inside = false
  for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
    // The marks the script writes to stderr (not its own text, which execve shows too).
    if (/^\d+\s+write\(2\b.*"swj-mark-begin/.test(line)) inside = true
    if (/^\d+\s+write\(2\b.*"swj-mark-end/.test(line)) inside = false
    const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$/.exec(line)
    if (resumed) {
      const call = unfinished.get(resumed[1])
      if (call) call[1] += resumed[3]
      continue
    }
    const call = /^(\d+)\s+(\w+)\((.*)$/.exec(line)
    if (!inside || !call) continue
    const entry = [call[2], call[3].replace(/ <unfinished \.\.\.>$/, '')]
    if (line.endsWith('<unfinished ...>')) unfinished.set(call[1], entry)
    calls.push(entry)
  }
  return calls
}

/**
 * The calls that concern the write — a path given by name (`"/…"`), or a descriptor open in
 * `dir` — each as `name what`: the file's role instead of its path, and the stat flavour
 * (`fstat` of a descriptor, `lstat` not following a symlink, `stat` following it) instead of the
 * system's name for it (statx, newfstatat, fstat, lstat).
 */
function summarize(calls, dir, file) {
  const role = (p) => {
    if (p === file) return 'target'
    if (p === dir) return 'dir'
    if (path.dirname(p) !== dir) return 'ancestor'
    const name = path.basename(p)
    if (name === `.${path.basename(file)}.lock`) return 'lock'
    if (/^\..+\.[A-Za-z0-9]{8}\.tmp$/.test(name)) return 'temp'
    return `other:${name}`
  }
  const out = []
  for (const [name, args] of calls) {
    const named = [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).filter((p) => p.startsWith('/'))
    const fd = /^(?:AT_FDCWD|-?\d+)<([^>]*)>/.exec(args) ?? /^\d+<([^>]*)>/.exec(args)
    const onFd = fd && (fd[1] === dir || fd[1].startsWith(`${dir}/`)) ? role(fd[1]) : null
    if (named.length === 0 && !onFd) continue
    const roles = named.length > 0 ? named.map(role) : [onFd]
    let kind = name
    if (/^(statx|newfstatat|fstatat64|stat|lstat|fstat|stat64|lstat64|fstat64)$/.test(name)) {
      if (name.startsWith('fstat') && !name.startsWith('fstatat')) kind = 'fstat'
      else if (args.includes('AT_EMPTY_PATH')) kind = 'fstat'
      else if (name === 'lstat' || name === 'lstat64' || args.includes('AT_SYMLINK_NOFOLLOW')) kind = 'lstat'
      else kind = 'stat'
    }
    if (name === 'openat' || name === 'open') kind = 'open'
    if (name === 'openat2' && / = -1 /.test(args)) kind = 'openat2 failed'
    if (name === 'statfs64') kind = 'statfs'
    out.push(`${kind} ${roles.join(' ')}`)
  }
  return out
}

withStrace('one small durable write makes only the system calls its guarantees need', () => {
  // A few levels down, as an editor's state is: the cost of the path must not grow with them.
  const dir = path.join(fs.realpathSync(tmpDir('swj-syscalls')), 'a', 'b', 'c')
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'f.json')
  const calls = summarize(callsOfSecondWrite(file), dir, file)
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ n: 2 })
  // The "same path" rule: the real directory, its ancestors' symlinks resolved. One openat2
  // that refuses symlinks (Linux 5.6+) shows there are none; where it cannot, realpath reads
  // each ancestor as a link. The file's own name is never read as one: a stat said it is none.
  const second = calls.indexOf('lstat target', 1)
  const identity = calls.slice(1, second)
  if (identity[0] === 'openat2 dir') {
    expect(identity).toEqual(['openat2 dir', 'close dir'])
  } else {
    const links = identity.filter((c) => c !== 'openat2 failed dir')
    expect(links.every((c) => c === 'readlink ancestor' || c === 'readlink dir')).toBe(true)
    expect(links.length).toBeLessThanOrEqual(dir.split('/').length - 1)
  }
  expect([...calls.slice(0, 1), ...calls.slice(second)]).toEqual([
    'lstat target', // the call's path resolved, symlinks of the file followed (its identity)
    'lstat target', // again when its turn comes: the link may have changed meanwhile
    'statfs dir', // the name limit for the side files, once (not once per side file)
    'open lock',
    'fstat lock', // a regular file, not a FIFO or a directory planted there
    'flock lock',
    'fstat lock', // still the file its name names, after the lock: the previous holder
    'lstat lock', //   removes the sidecar it held
    'stat target', // mode and owner to keep, read under the lock
    'open temp',
    'flock temp', // held against cleanupTempFiles,
    'fstat temp', //   and still its name's, after the hold
    'lstat temp',
    'write temp',
    'fstat temp', // the size check (EVERIFY), whose owner also decides the chown
    'fchmod temp',
    'fsync temp',
    'rename temp target',
    'close target', // the temp file, by its new name
    'open dir',
    'fsync dir',
    'close dir',
    'unlink lock',
    'close lock',
  ])
  const counts = {}
  for (const call of calls) counts[call.split(' ')[0]] = (counts[call.split(' ')[0]] ?? 0) + 1
  console.log(`one small durable write: ${calls.length} system calls ${JSON.stringify(counts)}`)
})
