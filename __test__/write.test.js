// safeWriteJson / safeWriteFile and their Sync twins on a real file system: what ends up on
// disk, what is kept, the drop-in call forms and every option.
const fs = require('node:fs')
const path = require('node:path')
const { pathToFileURL } = require('node:url')
const { safeWriteJson, safeWriteJsonSync, safeWriteFile, safeWriteFileSync } = require('..')
const { tmpDir, leftovers } = require('./helpers')

let dir
beforeEach(() => {
  dir = tmpDir()
})
afterEach(() => {
  expect(leftovers(dir)).toEqual([])
})

const read = (file) => fs.readFileSync(file, 'utf8')
const modeOf = (file) => fs.statSync(file).mode & 0o7777

describe('drop-in call forms', () => {
  const data = { name: 'settings', list: [1, 2, { deep: true }] }

  test('(path, data) writes compact JSON', async () => {
    const file = path.join(dir, 'a.json')
    await expect(safeWriteJson(file, data)).resolves.toBeUndefined()
    expect(read(file)).toBe(JSON.stringify(data))
  })

  test('(path, data, 2) indents like JSON.stringify(data, null, 2)', async () => {
    const file = path.join(dir, 'a.json')
    await safeWriteJson(file, data, 2)
    expect(read(file)).toBe(JSON.stringify(data, null, 2))
  })

  test("(path, data, '\\t') indents with the string", async () => {
    const file = path.join(dir, 'a.json')
    await safeWriteJson(file, data, '\t')
    expect(read(file)).toBe(JSON.stringify(data, null, '\t'))
  })

  test('options may be undefined or null', async () => {
    const file = path.join(dir, 'a.json')
    await safeWriteJson(file, data, undefined)
    expect(read(file)).toBe(JSON.stringify(data))
    await safeWriteJson(file, [1], null)
    expect(read(file)).toBe('[1]')
  })

  test('a file: URL is a path', async () => {
    const file = path.join(dir, 'with space é.json')
    await safeWriteJson(pathToFileURL(file), { url: true })
    expect(read(file)).toBe('{"url":true}')
  })

  test('a relative path is resolved against the working directory', async () => {
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      await safeWriteJson('rel/./x/../y.json', 1)
    } finally {
      process.chdir(cwd)
    }
    expect(read(path.join(dir, 'rel', 'y.json'))).toBe('1')
  })
})

describe('options', () => {
  test('prettyPrint: true means a tab indent', async () => {
    const file = path.join(dir, 'p.json')
    await safeWriteJson(file, { a: [1] }, { prettyPrint: true })
    expect(read(file)).toBe(JSON.stringify({ a: [1] }, null, '\t'))
  })

  test('an explicit indent wins over prettyPrint', async () => {
    const file = path.join(dir, 'p.json')
    await safeWriteJson(file, { a: [1] }, { prettyPrint: true, indent: 1 })
    expect(read(file)).toBe(JSON.stringify({ a: [1] }, null, 1))
  })

  test('prettyPrint: false changes nothing', async () => {
    const file = path.join(dir, 'p.json')
    await safeWriteJson(file, { a: [1] }, { prettyPrint: false })
    expect(read(file)).toBe('{"a":[1]}')
  })

  test('finalNewline appends \\n', async () => {
    const file = path.join(dir, 'n.json')
    await safeWriteJson(file, { a: 1 }, { finalNewline: true, indent: 2 })
    expect(read(file)).toBe(JSON.stringify({ a: 1 }, null, 2) + '\n')
    await safeWriteJson(file, undefined, { finalNewline: true })
    expect(read(file)).toBe('null\n')
  })

  test('replacer function and array', async () => {
    const file = path.join(dir, 'r.json')
    const data = { keep: 1, drop: 2, nested: { keep: 3, drop: 4 } }
    const replacer = (key, value) => (key === 'drop' ? undefined : value)
    await safeWriteJson(file, data, { replacer })
    expect(read(file)).toBe(JSON.stringify(data, replacer))
    await safeWriteJson(file, data, { replacer: ['keep', 'nested'], indent: 3 })
    expect(read(file)).toBe(JSON.stringify(data, ['keep', 'nested'], 3))
    await safeWriteJson(file, data, { replacer: null })
    expect(read(file)).toBe(JSON.stringify(data))
  })

  test.each(['full', 'data', 'none'])("durability '%s' writes the same bytes", async (durability) => {
    const file = path.join(dir, `${durability}.json`)
    await safeWriteJson(file, { durability }, { durability })
    expect(read(file)).toBe(JSON.stringify({ durability }))
  })
})

describe('what is kept', () => {
  test('missing parent directories are created', async () => {
    const file = path.join(dir, 'a', 'b', 'c', 'd.json')
    await safeWriteJson(file, { deep: 1 })
    expect(read(file)).toBe('{"deep":1}')
  })

  const unix = process.platform === 'win32' ? test.skip : test

  unix('a 0600 secrets file stays 0600', async () => {
    const file = path.join(dir, 'secrets.json')
    fs.writeFileSync(file, '{}', { mode: 0o600 })
    fs.chmodSync(file, 0o600)
    await safeWriteJson(file, { token: 'x' })
    expect(modeOf(file)).toBe(0o600)
    expect(read(file)).toBe('{"token":"x"}')
  })

  unix('a read-only file is replaced and stays read-only', async () => {
    const file = path.join(dir, 'ro.json')
    fs.writeFileSync(file, '{}')
    fs.chmodSync(file, 0o444)
    await safeWriteJson(file, [1])
    expect(modeOf(file)).toBe(0o444)
    expect(read(file)).toBe('[1]')
  })

  unix('an explicit mode is applied exactly, without the umask', async () => {
    const file = path.join(dir, 'm.json')
    const old = process.umask(0o077)
    try {
      await safeWriteJson(file, 1, { mode: 0o664 })
    } finally {
      process.umask(old)
    }
    expect(modeOf(file)).toBe(0o664)
  })

  unix('a new file gets 0o666 & ~umask', async () => {
    const file = path.join(dir, 'new.json')
    const old = process.umask(0o027)
    try {
      await safeWriteJson(file, 1)
    } finally {
      process.umask(old)
    }
    expect(modeOf(file)).toBe(0o640)
  })

  unix('a symlink stays a link and its target gets the new content', async () => {
    fs.mkdirSync(path.join(dir, 'real'))
    const real = path.join(dir, 'real', 'config.json')
    fs.writeFileSync(real, '"old"')
    const link = path.join(dir, 'config.json')
    fs.symlinkSync(path.join('real', 'config.json'), link)
    await safeWriteJson(link, 'new')
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true)
    expect(read(real)).toBe('"new"')
  })

  unix('a hard-linked target becomes a new file; the other name keeps the old content', async () => {
    const a = path.join(dir, 'a.json')
    const b = path.join(dir, 'b.json')
    fs.writeFileSync(a, '"old"')
    fs.linkSync(a, b)
    await safeWriteJson(a, 'new')
    expect(read(a)).toBe('"new"')
    expect(read(b)).toBe('"old"')
  })
})

describe('order', () => {
  test('100 concurrent writes to one path end with the last call', async () => {
    const file = path.join(dir, 'burst.json')
    const settled = []
    const writes = Array.from({ length: 100 }, (_, i) =>
      safeWriteJson(file, { i, padding: 'x'.repeat(i * 10) }).then(() => settled.push(i)),
    )
    await Promise.all(writes)
    expect(JSON.parse(read(file)).i).toBe(99)
    // Promises settle in call order.
    expect(settled).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  test('the data is read during the call: later mutation changes nothing', async () => {
    const file = path.join(dir, 'snap.json')
    const data = { n: 1, list: [1] }
    const pending = safeWriteJson(file, data)
    data.n = 2
    data.list.push(2)
    await pending
    expect(read(file)).toBe('{"n":1,"list":[1]}')
  })

  test('a Sync write after queued async writes leaves its own data', async () => {
    const file = path.join(dir, 'mixed.json')
    const pending = Array.from({ length: 10 }, (_, i) => safeWriteJson(file, { async: i }))
    safeWriteJsonSync(file, { sync: true })
    expect(read(file)).toBe('{"sync":true}')
    await Promise.all(pending)
    expect(read(file)).toBe('{"sync":true}')
  })

  test('a big value is fixed at the call, though copied out in later turns', async () => {
    const file = path.join(dir, 'big.json')
    const data = Array.from({ length: 20000 }, (_, i) => ({ i, text: `message ${i} — grüße 😀` }))
    const expected = JSON.stringify(data)
    const pending = safeWriteJson(file, data)
    data[0].text = 'changed'
    data.push({ late: true })
    await pending
    expect(read(file)).toBe(expected)
  })

  test('a Sync write right after an async write of a big value does not wait forever', async () => {
    // The async write's text is still being copied out in later turns when the Sync write
    // blocks this thread: the Sync write finishes that copy itself.
    const file = path.join(dir, 'big-then-sync.json')
    const big = Array.from({ length: 20000 }, (_, i) => ({ i, text: 'x'.repeat(20) }))
    const pending = Promise.all([safeWriteJson(file, big), safeWriteJson(path.join(dir, 'other.json'), big)])
    safeWriteJsonSync(file, { sync: true })
    expect(read(file)).toBe('{"sync":true}')
    await pending
    expect(read(file)).toBe('{"sync":true}')
    expect(read(path.join(dir, 'other.json'))).toBe(JSON.stringify(big))
  })

  test('a process that exits without awaiting still writes a big value completely', () => {
    const file = path.join(dir, 'exit.json')
    const script = `const big = Array.from({ length: 30000 }, (_, i) => ({ i }));
      require(${JSON.stringify(path.resolve(__dirname, '..'))}).safeWriteJson(${JSON.stringify(file)}, big)`
    const child = require('node:child_process').spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    expect(child.status).toBe(0)
    expect(JSON.parse(read(file))).toHaveLength(30000)
  })

  test('writes to many files in parallel all land', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => safeWriteJson(path.join(dir, `f${i}.json`), { i })))
    for (let i = 0; i < 50; i++) expect(read(path.join(dir, `f${i}.json`))).toBe(`{"i":${i}}`)
  })
})

describe('Sync twins', () => {
  const data = { a: [1, 'é', { b: null }], c: 'x'.repeat(1000) }

  test('safeWriteJsonSync leaves the same bytes as safeWriteJson', async () => {
    const a = path.join(dir, 'async.json')
    const s = path.join(dir, 'sync.json')
    await safeWriteJson(a, data, { indent: 2, finalNewline: true })
    expect(safeWriteJsonSync(s, data, { indent: 2, finalNewline: true })).toBeUndefined()
    expect(fs.readFileSync(s)).toEqual(fs.readFileSync(a))
  })

  test('safeWriteFileSync leaves the same bytes as safeWriteFile', async () => {
    const a = path.join(dir, 'async.txt')
    const s = path.join(dir, 'sync.txt')
    await safeWriteFile(a, 'héllo\n')
    safeWriteFileSync(s, 'héllo\n')
    expect(fs.readFileSync(s)).toEqual(fs.readFileSync(a))
  })
})

describe('safeWriteFile', () => {
  test('a string is written as UTF-8, a lone surrogate as U+FFFD like Buffer.from', async () => {
    const file = path.join(dir, 't.txt')
    const text = 'a\ud800b 😀 \udc00'
    await safeWriteFile(file, text)
    expect(fs.readFileSync(file)).toEqual(Buffer.from(text, 'utf8'))
  })

  test('a Uint8Array or Buffer is written as is, copied during the call', async () => {
    const file = path.join(dir, 'b.bin')
    const bytes = new Uint8Array([0, 1, 2, 255, 254])
    const pending = safeWriteFile(file, bytes)
    bytes[0] = 99
    await pending
    expect([...fs.readFileSync(file)]).toEqual([0, 1, 2, 255, 254])
    await safeWriteFile(file, Buffer.from('buf'))
    expect(read(file)).toBe('buf')
    await safeWriteFile(file, new Uint8Array(0))
    expect(read(file)).toBe('')
  })

  test('a view of part of a buffer writes only that part', async () => {
    const file = path.join(dir, 'v.bin')
    const backing = Buffer.from('0123456789')
    await safeWriteFile(file, backing.subarray(2, 5))
    expect(read(file)).toBe('234')
  })
})
