// A consumer's jest test with modern fake timers on: the write settles without advancing them.
const { safeWriteJson, safeReadJson } = require('safe-write-json')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

test('a real write settles under jest.useFakeTimers()', async () => {
  jest.useFakeTimers()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-consumer-jest-'))
  try {
    const file = path.join(dir, 'state.json')
    await safeWriteJson(file, { fake: 'timers' })
    expect(fs.readFileSync(file, 'utf8')).toBe('{"fake":"timers"}')
    await expect(safeReadJson(file)).resolves.toEqual({ fake: 'timers' })
  } finally {
    jest.useRealTimers()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
