// Options are checked, and an update's enclosing leases passed on, without
// Array.prototype[Symbol.iterator], which user code can replace: lib/options.js joins its key
// lists at load and walks them by index, and updateJson copies the lease ids by index. With the
// iterator replaced by one that yields nothing, a spread or a for-of sees no keys: unknown options
// and bad values went through unchecked, `mode` was ignored, and a write from a nested updater to
// the outer update's file waited for that update, which waited for it (a hang without a lock
// timeout).
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson, safeWriteFile, updateJson } = require('..')
const { tmpDir } = require('./helpers')

const dir = tmpDir('swj-options-iterator')
const original = Array.prototype[Symbol.iterator]
const posix = process.platform !== 'win32'

afterEach(() => {
  Array.prototype[Symbol.iterator] = original
})

/** Runs `call` with an Array iterator that yields nothing, then puts the real one back. */
function withEmptyIterator(call) {
  Array.prototype[Symbol.iterator] = function () {
    return original.call([])
  }
  try {
    return call()
  } finally {
    Array.prototype[Symbol.iterator] = original
  }
}

test('an unknown option is still refused', async () => {
  const file = path.join(dir, 'unknown.json')
  const call = withEmptyIterator(() => safeWriteJson(file, {}, { bogus: 1 }))
  await expect(call).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
  const fileCall = withEmptyIterator(() => safeWriteFile(file, 'x', { bogus: 1 }))
  await expect(fileCall).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
  expect(fs.existsSync(file)).toBe(false)
})

test('a bad value is still refused', async () => {
  const file = path.join(dir, 'bad.json')
  const call = withEmptyIterator(() => safeWriteJson(file, {}, { durability: 'sometimes' }))
  await expect(call).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
  expect(fs.existsSync(file)).toBe(false)
})

;(posix ? test : test.skip)('a mode is still applied (POSIX permission bits)', async () => {
  const file = path.join(dir, 'mode.txt')
  await withEmptyIterator(() => safeWriteFile(file, 'x', { mode: 0o640 }))
  expect(fs.statSync(file).mode & 0o777).toBe(0o640)
  await withEmptyIterator(() => safeWriteJson(file, 1, { mode: 0o600 }))
  expect(fs.statSync(file).mode & 0o777).toBe(0o600)
})

test('a nested updater writing the outer update file fails with ELOCKED instead of waiting for itself', async () => {
  const outer = path.join(dir, 'outer.json')
  const inner = path.join(dir, 'inner.json')
  fs.writeFileSync(outer, '{"n":1}')
  // An iterator that yields nothing for lists of lease ids (numbers) only, so that the test
  // harness keeps working across the awaits while it is in place.
  const emptyForNumbers = function () {
    const ids = this.length > 0 && Array.prototype.every.call(this, (n) => typeof n === 'number')
    return original.call(ids ? [] : this)
  }
  let seen
  const result = await updateJson(outer, async (value) => {
    Array.prototype[Symbol.iterator] = emptyForNumbers
    await updateJson(inner, async () => {
      Array.prototype[Symbol.iterator] = original
      // No lock timeout: without its enclosing leases it would wait for ever (killed by jest).
      seen = await safeWriteJson(outer, { n: 2 }, { lockTimeoutMs: Infinity }).catch((err) => err.code)
      return { done: true }
    })
    return { n: value.n + 10 }
  })
  expect(seen).toBe('ELOCKED')
  expect(result).toEqual({ n: 11 })
  expect(JSON.parse(fs.readFileSync(outer, 'utf8'))).toEqual({ n: 11 })
}, 20000)
