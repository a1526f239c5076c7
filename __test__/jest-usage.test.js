// docs/jest.md, "Testing your code with jest", checked: the pattern it recommends (a real
// temporary directory per test, fake timers allowed), and why: an fs mock never reaches the
// addon, which makes its own system calls.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { safeWriteJson } = require('..')

// The code under test, as a user would have it.
const saveSettings = (dir, settings) => safeWriteJson(path.join(dir, 'settings.json'), settings, 2)

describe('the recommended pattern', () => {
  let dir
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-test-'))
  })
  afterEach(() => {
    jest.useRealTimers()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('saves the settings (with fake timers on)', async () => {
    jest.useFakeTimers()
    await saveSettings(dir, { theme: 'dark' })
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'))).toEqual({ theme: 'dark' })
  })
})

test("jest.mock('fs') does not intercept the addon: the write lands on the real disk", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-mocked-'))
  try {
    let mockedFs, api
    jest.isolateModules(() => {
      jest.doMock('fs') // jest's automatic mock, as jest.mock('fs') at the top of a test file
      mockedFs = require('fs')
      api = require('..')
    })
    const file = path.join(dir, 'settings.json')
    await api.safeWriteJson(file, { theme: 'dark' })
    expect(jest.isMockFunction(mockedFs.readFileSync)).toBe(true)
    expect(mockedFs.existsSync(file)).toBeUndefined() // the mock knows nothing of the file...
    expect(fs.readFileSync(file, 'utf8')).toBe('{"theme":"dark"}') // ...the real disk has it
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
