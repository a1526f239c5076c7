// What an options object means is decided when the call is made, by the contract's rules: a key
// whose value is `undefined` counts as absent (known or not: code forwards its own options), a
// key with a value that is not an option is refused, and `updateJson`'s `default` is the one the
// call was given, even if the object changes while the update waits for the file.
const fs = require('node:fs')
const path = require('node:path')
const { tmpDir } = require('./helpers')
const {
  safeWriteJson,
  safeWriteJsonSync,
  safeWriteFile,
  safeWriteFileSync,
  updateJson,
  safeReadJson,
  cleanupTempFiles,
} = require('..')

describe('a key whose value is undefined counts as absent, known or not', () => {
  const forwarded = { fsync: undefined, encoding: undefined, durability: undefined }
  test.each([
    ['safeWriteJson', (file) => safeWriteJson(file, { a: 1 }, forwarded), '{"a":1}'],
    ['safeWriteJsonSync', (file) => safeWriteJsonSync(file, { a: 1 }, forwarded), '{"a":1}'],
    ['safeWriteFile', (file) => safeWriteFile(file, 'text', forwarded), 'text'],
    ['safeWriteFileSync', (file) => safeWriteFileSync(file, 'text', forwarded), 'text'],
    ['updateJson', (file) => updateJson(file, () => 2, forwarded), '2'],
  ])('%s writes with the defaults', async (_name, call, bytes) => {
    const file = path.join(tmpDir('swj-given'), 'f.json')
    await call(file)
    expect(fs.readFileSync(file, 'utf8')).toBe(bytes)
  })

  test('safeReadJson and cleanupTempFiles accept them too', async () => {
    const dir = tmpDir('swj-given')
    fs.writeFileSync(path.join(dir, 'f.json'), '[1]')
    await expect(safeReadJson(path.join(dir, 'f.json'), { typo: undefined })).resolves.toEqual([1])
    await expect(cleanupTempFiles(dir, { typo: undefined })).resolves.toEqual([])
  })

  test('an unknown key with a value is still refused, and nothing is written', async () => {
    const file = path.join(tmpDir('swj-given'), 'f.json')
    await expect(safeWriteJson(file, 1, { fsync: false })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
    expect(() => safeWriteFileSync(file, 'x', { durabilty: 'none' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    )
    expect(fs.existsSync(file)).toBe(false)
  })
})

test('updateJson uses the default it was called with, not one set while it waited for the file', async () => {
  const file = path.join(tmpDir('swj-given'), 'count.json')
  let release
  const held = updateJson(file, () => new Promise((resolve) => (release = () => resolve(undefined))))
  while (!release) await new Promise((resolve) => setImmediate(resolve))
  const options = { default: 1 }
  const waiting = updateJson(file, (count) => count + 1, options)
  options.default = 100
  release()
  await held
  await expect(waiting).resolves.toBe(2)
  expect(fs.readFileSync(file, 'utf8')).toBe('2')
})

test('a bad argument whose constructor cannot be read still gets its TypeError', async () => {
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('trap')
      },
    },
  )
  await expect(safeWriteFile(path.join(tmpDir('swj-given'), 'f'), hostile)).rejects.toMatchObject({
    code: 'ERR_INVALID_ARG_TYPE',
    message: expect.stringContaining('Received an unreadable value'),
  })
})
