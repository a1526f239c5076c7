// `backup: true` on every writer, on real files: the previous version is kept as `<name>.bak`
// with the target's mode, never on the first write, and the target is never missing meanwhile.
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { safeWriteJson, safeWriteJsonSync, safeWriteFile, safeWriteFileSync, safeReadJson } = require('..')
const { tmpDir, leftovers } = require('./helpers')
const { withWarnings } = require('./warnings')

let dir
beforeEach(() => {
  dir = tmpDir()
})
afterEach(() => {
  expect(leftovers(dir)).toEqual([])
})

const read = (file) => fs.readFileSync(file, 'utf8')
const modeOf = (file) => fs.statSync(file).mode & 0o7777

const writers = {
  safeWriteJson: (file, n, options) => safeWriteJson(file, { n }, options),
  safeWriteJsonSync: async (file, n, options) => safeWriteJsonSync(file, { n }, options),
  safeWriteFile: (file, n, options) => safeWriteFile(file, JSON.stringify({ n }), options),
  safeWriteFileSync: async (file, n, options) => safeWriteFileSync(file, Buffer.from(JSON.stringify({ n })), options),
}

describe.each(Object.keys(writers))('%s', (name) => {
  const write = writers[name]

  test('keeps the version before each write; the first write of a new file makes no .bak', async () => {
    const file = path.join(dir, 'state.json')
    await write(file, 1, { backup: true })
    expect(fs.existsSync(`${file}.bak`)).toBe(false)
    await write(file, 2, { backup: true })
    expect([read(file), read(`${file}.bak`)]).toEqual(['{"n":2}', '{"n":1}'])
    await write(file, 3, { backup: true })
    expect([read(file), read(`${file}.bak`)]).toEqual(['{"n":3}', '{"n":2}'])
  })

  test('backup: false (the default) neither makes nor changes a .bak', async () => {
    const file = path.join(dir, 'state.json')
    await write(file, 1)
    await write(file, 2, { backup: false })
    expect(fs.existsSync(`${file}.bak`)).toBe(false)
    await write(file, 3, { backup: true })
    await write(file, 4)
    expect(read(`${file}.bak`)).toBe('{"n":2}')
  })
})

const unix = process.platform === 'win32' ? test.skip : test

unix('the .bak has the target’s mode, a 0600 secrets file’s backup stays private', async () => {
  const file = path.join(dir, 'secrets.json')
  fs.writeFileSync(file, '{"token":"old"}', { mode: 0o600 })
  fs.chmodSync(file, 0o600)
  await safeWriteJson(file, { token: 'new' }, { backup: true })
  expect(modeOf(`${file}.bak`)).toBe(0o600)
  expect(modeOf(file)).toBe(0o600)
  expect(read(`${file}.bak`)).toBe('{"token":"old"}')
  // A later explicit mode applies to the new file; the backup keeps the mode the old one had.
  await safeWriteJson(file, { token: 'newer' }, { backup: true, mode: 0o640 })
  expect([modeOf(file), modeOf(`${file}.bak`)]).toEqual([0o640, 0o600])
})

unix('a read-only target is backed up and replaced, both staying read-only', async () => {
  const file = path.join(dir, 'ro.json')
  fs.writeFileSync(file, '"v1"')
  fs.chmodSync(file, 0o444)
  await safeWriteJson(file, 'v2', { backup: true })
  expect([read(file), read(`${file}.bak`), modeOf(file), modeOf(`${file}.bak`)]).toEqual(['"v2"', '"v1"', 0o444, 0o444])
})

test('what the .bak keeps is what safeReadJson({ recover: true }) falls back to', async () => {
  const file = path.join(dir, 'history.json')
  await safeWriteJson(file, ['a'])
  await safeWriteJson(file, ['a', 'b'], { backup: true })
  fs.writeFileSync(file, '["a","b","') // torn by something that is not this package
  const { value, codes } = await withWarnings(() => safeReadJson(file, { recover: true }))
  expect(value).toEqual(['a'])
  expect(codes).toEqual(['SAFE_WRITE_JSON_RECOVERED'])
})

// A longer timeout: under Wine each rename waits out the reader that holds the file open.
test('the target is never missing, empty or torn while backup writes replace it', async () => {
  // A separate process reads the file as fast as it can while this one writes; it reports
  // every read that found no file or text that does not parse.
  const file = path.join(dir, 'watched.json')
  const items = Array.from({ length: 2000 }, (_, i) => `item ${i}`)
  await safeWriteJson(file, { round: 0, items })
  const reader = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('fs'); let reads = 0, bad = [];
       process.stdin.on('data', () => { console.log(JSON.stringify({ reads, bad: bad.slice(0, 5) })); process.exit(0) });
       (function loop() {
         for (let i = 0; i < 50; i++) {
           try { JSON.parse(fs.readFileSync(${JSON.stringify(file)}, 'utf8')); reads++ } catch (e) { bad.push(e.code || e.message) }
         }
         setImmediate(loop);
       })(); console.log('ready')`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  let output = ''
  reader.stdout.on('data', (chunk) => (output += chunk))
  await new Promise((resolve) => reader.stdout.once('data', resolve))
  for (let round = 1; round <= 150; round++)
    await safeWriteJson(file, { round, items }, { backup: true, durability: 'none' })
  reader.stdin.write('stop\n')
  await new Promise((resolve) => reader.on('exit', resolve))
  const report = JSON.parse(output.split('\n').filter(Boolean).pop())
  expect(report.bad).toEqual([])
  expect(report.reads).toBeGreaterThan(100)
  expect(JSON.parse(read(file)).round).toBe(150)
  expect(JSON.parse(read(`${file}.bak`)).round).toBe(149)
}, 60_000)

test('a failed write with backup leaves the target and its .bak as they were', async () => {
  const file = path.join(dir, 'a.json')
  await safeWriteJson(file, 1)
  await safeWriteJson(file, 2, { backup: true })
  const circular = {}
  circular.self = circular
  await expect(safeWriteJson(file, circular, { backup: true })).rejects.toThrow(TypeError)
  expect([read(file), read(`${file}.bak`)]).toEqual(['2', '1'])
})

// `rename` onto a name that already is the same inode does nothing and keeps the source name:
// two unlocked writers make `.bak` a link to the target, and the next staged link to the target
// used to stay behind as `.<name>.bak.XXXXXXXX.tmp`.
test('two processes writing one file with backup: true, lock: false leave no .bak.*.tmp', async () => {
  const file = path.join(dir, 'a.json')
  fs.writeFileSync(file, '{"start":true}')
  const COUNT = 300
  const run = (writer) =>
    new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [path.join(__dirname, 'fixtures', 'backup-writer.js'), file, writer, COUNT],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      )
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      child.on('exit', (status, signal) => resolve({ status, signal, stderr }))
    })
  const results = await Promise.all([run('a'), run('b')])
  expect(results).toEqual(Array(2).fill({ status: 0, signal: null, stderr: '' }))
  const staged = fs.readdirSync(dir).filter((name) => name.startsWith('.a.json.bak.'))
  expect(staged).toEqual([])
  expect(fs.readdirSync(dir).sort()).toEqual(['a.json', 'a.json.bak'])
  expect(JSON.parse(read(file)).i).toBe(COUNT - 1)
  JSON.parse(read(`${file}.bak`)) // whole
}, 60000)

// Where links are refused, the `.bak` is a copy given the old file's owner and mode. Changing
// the owner clears setuid and setgid, so the mode must come after it (run in a child with the
// failpoints build, which refuses the link with EXDEV as a cross-device mount would).
const { FAILPOINTS_ADDON } = require('./torture-helpers')
const copyCase =
  process.platform === 'win32' || process.getuid?.() !== 0 || !fs.existsSync(FAILPOINTS_ADDON) ? test.skip : test
copyCase('a .bak copied where links are refused keeps the setuid and setgid bits and the owner (root)', () => {
  const file = path.join(dir, 'suid.json')
  fs.writeFileSync(file, '"v1"')
  fs.chownSync(file, 42, 43)
  fs.chmodSync(file, 0o6755)
  const script = `require(${JSON.stringify(path.join(__dirname, '..'))}).safeWriteJsonSync(process.argv[1], 'v2', { backup: true })`
  const child = require('node:child_process').spawnSync(process.execPath, ['-e', script, file], {
    env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON, FAILPOINTS: 'backup.link=1*return(EXDEV)' },
    encoding: 'utf8',
  })
  expect(child.stderr).toBe('')
  const bak = fs.statSync(`${file}.bak`)
  expect([read(file), read(`${file}.bak`)]).toEqual(['"v2"', '"v1"'])
  expect([bak.mode & 0o7777, bak.uid, bak.gid, fs.statSync(file).nlink]).toEqual([0o6755, 42, 43, 1])
  expect(modeOf(file)).toBe(0o6755)
})
