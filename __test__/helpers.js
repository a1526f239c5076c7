// Shared by the jest files: real temporary directories, the "no temp file left" check, and a
// small tmpfs for ENOSPC tests (mounted for real; skipped where mounting is not permitted).
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const { execFileSync, spawnSync } = require('node:child_process')

const TEMP_NAME = /^\..+\.[A-Za-z0-9]{8}\.tmp$/

/**
 * A fresh directory. After the test file it must hold no temp file of ours (guarantee 8);
 * then it is removed with everything in it.
 */
function tmpDir(label = 'swj') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`))
  made.push(dir)
  return dir
}
const made = []
afterAll(() => {
  try {
    for (const dir of made) if (fs.existsSync(dir)) expect(leftovers(dir)).toEqual([])
  } finally {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
  }
})

/**
 * Assert that `file` holds exactly `expected` (a Buffer). Compares bytes quickly; on a mismatch
 * shows the texts (or, where the texts agree, the bytes) so the difference is visible.
 */
function expectFileBytes(file, expected) {
  const actual = fs.readFileSync(file)
  if (actual.equals(expected)) return
  const [a, e] = [actual.toString('utf8'), expected.toString('utf8')]
  if (a !== e) expect(a).toBe(e)
  expect(actual.toString('hex')).toBe(expected.toString('hex'))
}

/** The temp files this package would leave in `dir` (and its subdirectories). */
function leftovers(dir) {
  const found = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) found.push(...leftovers(full))
    else if (TEMP_NAME.test(entry.name)) found.push(full)
  }
  return found
}

/**
 * Everything under `root` — each entry's mode (type and permission bits) and, for a file, its
 * content — to prove that a failed call changed nothing.
 */
function snapshot(root) {
  const out = {}
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath ?? entry.path, entry.name)
    out[path.relative(root, full)] = [fs.lstatSync(full).mode, entry.isFile() ? fs.readFileSync(full, 'utf8') : '']
  }
  return out
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

/**
 * Node's `errno` for an error code, from the running platform's table: libuv's own numbers on
 * Windows (EPERM is -4048 there), where os.constants.errno holds the C runtime's instead.
 */
function errnoOf(code) {
  return [...util.getSystemErrorMap()].find(([, [name]]) => name === code)[0]
}

/**
 * Mount a tmpfs of `size` at a fresh directory, or return null where mounting is not permitted
 * (not Linux, not root, a container without CAP_SYS_ADMIN). Unmount with `unmount()`.
 * `inodes` limits how many files and directories it can hold (`nr_inodes`).
 */
function mountTmpfs(size, inodes) {
  if (process.platform !== 'linux' || !isRoot) return null
  const dir = tmpDir('swj-tmpfs')
  try {
    const options = `size=${size}${inodes ? `,nr_inodes=${inodes}` : ''}`
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    return null
  }
  return {
    dir,
    unmount: () => execFileSync('umount', [dir], { stdio: 'ignore' }),
  }
}

/** `test` where a tmpfs can be mounted here, else `test.skip` (so the skip shows in the summary). */
const tmpfsTest = (() => {
  const probe = mountTmpfs('64k')
  if (!probe) return test.skip
  probe.unmount()
  return test
})()

/** Fill the file system holding `dir` until not one more byte fits. */
function fillUp(dir) {
  const filler = path.join(dir, 'filler')
  const fd = fs.openSync(filler, 'w')
  const chunk = Buffer.alloc(64 * 1024, 'x')
  try {
    for (;;) fs.writeSync(fd, chunk)
  } catch (err) {
    if (err.code !== 'ENOSPC') throw err
  }
  // Now byte by byte, so that not even a tiny file fits.
  try {
    for (;;) fs.writeSync(fd, 'x')
  } catch (err) {
    if (err.code !== 'ENOSPC') throw err
  } finally {
    fs.closeSync(fd)
  }
  return filler
}

/** Use up the inodes of the file system holding `dir` (empty files); return them, to free. */
function fillInodes(dir) {
  const made = []
  for (;;) {
    const file = path.join(dir, `inode-${made.length}`)
    try {
      fs.writeFileSync(file, '')
    } catch (err) {
      if (err.code !== 'ENOSPC') throw err
      return made
    }
    made.push(file)
  }
}

/**
 * Run `node -e script ...args` in a child process (under `strace` with these flags, if given),
 * killed after `timeout` ms: a hang fails, naming the time. It must exit 0 with nothing on
 * stderr; returns its stdout, parsed as JSON.
 */
function runNodeScript(script, args, { env = {}, strace = null, timeout = 30000 } = {}) {
  const node = [process.execPath, '-e', script, ...args]
  const [command, ...rest] = strace ? ['strace', ...strace, ...node] : node
  const child = spawnSync(command, rest, { encoding: 'utf8', timeout, env: { ...process.env, ...env } })
  if (child.error?.code === 'ETIMEDOUT') throw new Error(`hung (killed after ${timeout} ms)\n${child.stderr}`)
  expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({
    status: 0,
    signal: null,
    stderr: '',
  })
  return JSON.parse(child.stdout)
}

module.exports = {
  runNodeScript,
  tmpDir,
  leftovers,
  snapshot,
  expectFileBytes,
  isRoot,
  errnoOf,
  mountTmpfs,
  tmpfsTest,
  fillUp,
  fillInodes,
}
