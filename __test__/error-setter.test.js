// A failed async call settles even when user code throws while its error is being made: the
// error gets `errno`, `syscall`, `path`, … set on it, and a setter that throws on
// `Error.prototype` left that exception pending where the promise is settled (settle.rs,
// deliver), so the promise never settled — an `await` that never returned, and only a
// deprecation warning on stderr. It now rejects with what the setter threw.
const fs = require('node:fs')
const path = require('node:path')
const { runNodeScript, tmpDir } = require('./helpers')

const ROOT = path.resolve(__dirname, '..')

test.each([
  ['safeWriteJson under a regular file (ENOTDIR)', "api.safeWriteJson(path.join(dir, 'file', 'x.json'), { a: 1 })"],
  ['safeReadJson of a missing file (ENOENT)', "api.safeReadJson(path.join(dir, 'missing.json'))"],
  ['safeWriteFile under a regular file (ENOTDIR)', "api.safeWriteFile(path.join(dir, 'file', 'x.txt'), 'x')"],
])('%s: rejects with what a throwing errno setter threw', (_label, call) => {
  const dir = tmpDir('swj-error-setter')
  fs.writeFileSync(path.join(dir, 'file'), 'not a directory')
  const outcome = runNodeScript(
    `const [pkg, dir] = process.argv.slice(1)
    const path = require('node:path')
    const api = require(pkg)
    Object.defineProperty(Error.prototype, 'errno', {
      set() { throw new Error('thrown by the setter') },
      configurable: true,
    })
    let outcome = 'never settled'
    ${call}.then(
      () => (outcome = 'resolved'),
      (err) => (outcome = 'rejected: ' + err.message),
    )
    process.on('exit', () => process.stdout.write(JSON.stringify(outcome)))`,
    [ROOT, dir],
  )
  expect(outcome).toBe('rejected: thrown by the setter')
  expect(fs.readdirSync(dir)).toEqual(['file'])
})
