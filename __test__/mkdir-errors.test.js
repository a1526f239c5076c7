// A missing parent directory that cannot be made: the error names the call that failed (mkdir)
// and the directory it failed on, as `fs.mkdir` does — not the file the caller asked for.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { safeWriteJson, safeWriteJsonSync } = require('..')
const { tmpDir, leftovers } = require('./helpers')

const ROOT = path.resolve(__dirname, '..')
const unix = process.platform === 'win32' ? test.skip : test
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

let dir
beforeEach(() => {
  dir = tmpDir()
})

const caught = (fn) => {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('did not throw')
}

test('a file where a parent directory should be: ENOTDIR naming that file', async () => {
  const file = path.join(dir, 'file')
  fs.writeFileSync(file, 'x')
  const target = path.join(file, 'x', 'y.json')
  const expected = {
    code: 'ENOTDIR',
    syscall: 'mkdir',
    path: file,
    message: `ENOTDIR: not a directory, mkdir '${file}'`,
  }
  await expect(safeWriteJson(target, {})).rejects.toMatchObject(expected)
  expect(caught(() => safeWriteJsonSync(target, {}))).toMatchObject(expected)
  expect(fs.readFileSync(file, 'utf8')).toBe('x')
})

/**
 * Write `{}` to `file` as an unprivileged user where this runs as root (root may write
 * anywhere); return the error's fields, or null if it succeeded.
 */
function writeAsUser(file, sync) {
  if (!isRoot) {
    if (sync) {
      try {
        safeWriteJsonSync(file, {})
        return Promise.resolve(null)
      } catch (e) {
        return Promise.resolve(e)
      }
    }
    return safeWriteJson(file, {}).then(
      () => null,
      (e) => e,
    )
  }
  const call = sync ? 'Promise.resolve().then(() => m.safeWriteJsonSync(f, {}))' : 'm.safeWriteJson(f, {})'
  const script = `const m = require(${JSON.stringify(ROOT)}); const f = ${JSON.stringify(file)};
    ${call}.then(() => console.log('null'), (e) => console.log(JSON.stringify({ code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message })))`
  const child = spawnSync(process.execPath, ['-e', script], {
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    timeout: 60_000,
  })
  expect(child.status).toBe(0)
  return Promise.resolve(JSON.parse(child.stdout))
}

unix.each([
  ['async', false],
  ['Sync', true],
])('%s: a directory that may not be written: EACCES naming the directory mkdir failed on', async (_label, sync) => {
  const parent = path.join(dir, 'R')
  fs.mkdirSync(parent)
  fs.chmodSync(dir, 0o755)
  fs.chmodSync(parent, 0o555)
  try {
    const made = path.join(parent, 'new')
    const err = await writeAsUser(path.join(made, 'deeper', 'f.json'), sync)
    expect(err).toMatchObject({ code: 'EACCES', errno: -13, syscall: 'mkdir', path: made })
    expect(err.message).toBe(`EACCES: permission denied, mkdir '${made}'`)
    expect(fs.readdirSync(parent)).toEqual([])
    expect(leftovers(dir)).toEqual([])
  } finally {
    fs.chmodSync(parent, 0o755)
  }
})
