// Texts too big to hold are streamed into the temp file while they are made (forced here past
// 4 KB). A failure on either side — serialization or the disk — still leaves nothing behind.
process.env.SAFE_WRITE_JSON_WALK_MIN = '16'
process.env.SAFE_WRITE_JSON_SPILL_BYTES = '4096'
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson, safeWriteJsonSync } = require('..')
const { tmpDir, leftovers, tmpfsTest, mountTmpfs, fillUp, expectFileBytes } = require('./helpers')

let dir
beforeEach(() => {
  dir = tmpDir()
})
afterEach(() => expect(leftovers(dir)).toEqual([]))

const big = (n, extra = {}) => Array.from({ length: n }, (_, i) => ({ i, text: `message ${i} — grüße 😀`, ...extra }))

test('a streamed text is the same bytes as JSON.stringify, async and Sync', async () => {
  const data = big(2000)
  const file = path.join(dir, 'a', 'b', 'big.json')
  await safeWriteJson(file, data, { indent: 2 })
  expectFileBytes(file, Buffer.from(JSON.stringify(data, null, 2)))
  safeWriteJsonSync(file, data, { finalNewline: true })
  expectFileBytes(file, Buffer.from(JSON.stringify(data) + '\n'))
})

test('a serialization error after streaming began leaves nothing: no temp file, no new directory', async () => {
  const data = big(2000)
  const boom = new Error('boom at 1500')
  data[1500] = {
    toJSON() {
      throw boom
    },
  }
  const file = path.join(dir, 'new', 'dirs', 'x.json')
  await expect(safeWriteJson(file, data)).rejects.toBe(boom)
  expect(() => safeWriteJsonSync(file, data)).toThrow(boom)
  // The writer thread removed what it made before the call settled: at once, no waiting (a
  // second call could otherwise find the first one's directories and keep them as its own).
  expect(fs.readdirSync(dir)).toEqual([])
})

test('an existing target is untouched when serialization fails mid-stream', async () => {
  const file = path.join(dir, 'keep.json')
  fs.writeFileSync(file, '"old"')
  const data = big(3000)
  data[2999] = { n: 1n }
  await expect(safeWriteJson(file, data)).rejects.toThrow('Do not know how to serialize a BigInt')
  expect(leftovers(dir)).toEqual([])
  expect(fs.readFileSync(file, 'utf8')).toBe('"old"')
})

test('a burst of streamed writes to one path ends with the last; the others leave no temp file', async () => {
  const file = path.join(dir, 'burst.json')
  await Promise.all(Array.from({ length: 10 }, (_, k) => safeWriteJson(file, big(500, { k }))))
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))[0].k).toBe(9)
  expect(leftovers(dir)).toEqual([])
})

describe('a full disk while streaming', () => {
  let tmpfs
  beforeAll(() => {
    tmpfs = mountTmpfs('512k')
  })
  afterAll(() => tmpfs?.unmount())

  tmpfsTest('ENOSPC from the writer rejects the call; the old file is whole; no temp file', async () => {
    const file = path.join(tmpfs.dir, 'state.json')
    await safeWriteJson(file, { version: 1 })
    const filler = fillUp(tmpfs.dir)
    fs.truncateSync(filler, fs.statSync(filler).size - 64 * 1024)
    const err = await safeWriteJson(file, big(20000)).catch((e) => e)
    expect(err.code).toBe('ENOSPC')
    expect(err.path).toBe(file)
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: 1 })
    expect(leftovers(tmpfs.dir)).toEqual([])
    fs.unlinkSync(filler)
  })
})
