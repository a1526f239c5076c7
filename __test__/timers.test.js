// Guarantee 12: nothing on the write path waits on a JavaScript timer, so writes settle with
// jest's fake timers on, and the event loop keeps turning while the disk works.
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson, safeWriteFile, updateJson } = require('..')
const { tmpDir } = require('./helpers')

const dir = tmpDir()

describe('with jest fake timers', () => {
  afterEach(() => jest.useRealTimers())

  test('modern fake timers (the default set)', async () => {
    jest.useFakeTimers()
    const file = path.join(dir, 'fake.json')
    await safeWriteJson(file, { faked: true })
    await safeWriteFile(path.join(dir, 'fake.txt'), 'x')
    expect(fs.readFileSync(file, 'utf8')).toBe('{"faked":true}')
  })

  test('everything faked, nextTick and queueMicrotask included', async () => {
    jest.useFakeTimers({ doNotFake: [] })
    const file = path.join(dir, 'all.json')
    const writes = Array.from({ length: 20 }, (_, i) => safeWriteJson(file, { i }))
    await Promise.all(writes)
    expect(fs.readFileSync(file, 'utf8')).toBe('{"i":19}')
  })

  test('updateJson, which takes and releases the lock', async () => {
    jest.useFakeTimers()
    const file = path.join(dir, 'count.json')
    await Promise.all(Array.from({ length: 10 }, () => updateJson(file, (c) => ({ n: (c?.n ?? 0) + 1 }))))
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ n: 10 })
  })

  test('a big value, copied out in later turns (no timer involved)', async () => {
    jest.useFakeTimers({ doNotFake: [] })
    const file = path.join(dir, 'big.json')
    const data = Array.from({ length: 20000 }, (_, i) => ({ i, text: 'later' }))
    await safeWriteJson(file, data, { indent: 1 })
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(data, null, 1))
  })

  test('errors reject too', async () => {
    jest.useFakeTimers()
    await expect(safeWriteJson(dir, {})).rejects.toMatchObject({ code: 'EISDIR' })
    await expect(safeWriteJson(42, {})).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' })
  })
})

test('the event loop keeps turning while a write is on the disk', async () => {
  const data = Array.from({ length: 20000 }, (_, i) => ({ i, text: 'lorem ipsum dolor sit amet '.repeat(4) }))
  let turns = 0
  let spinning = true
  const spin = () => {
    turns++
    if (spinning) setImmediate(spin)
  }
  const write = safeWriteJson(path.join(dir, 'big.json'), data)
  setImmediate(spin)
  await write
  spinning = false
  // The write (~2.5 MB, fsync'd file and directory) ran on a worker; the main thread was free.
  expect(turns).toBeGreaterThan(0)
})
