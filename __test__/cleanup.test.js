// cleanupTempFiles on real directories: it removes exactly this package's orphan temp files
// older than the threshold — including one left by a writer really killed mid-write — and
// never another program's file.
const fs = require('node:fs')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')
const { cleanupTempFiles, safeReadJson } = require('..')
const { tmpDir, leftovers } = require('./helpers')

let dir
beforeEach(() => {
  dir = tmpDir()
})

/** Create `name` in `dir`, last modified `ageMs` ago. */
function aged(name, ageMs, content = 'x') {
  const file = path.join(dir, name)
  fs.writeFileSync(file, content)
  const when = new Date(Date.now() - ageMs)
  fs.utimesSync(file, when, when)
  return file
}

const HOUR = 3600 * 1000

test('removes exactly our temp files older than 60 s by default, and returns their paths', async () => {
  const orphans = [
    aged('.settings.json.Ab3dE9xZ.tmp', HOUR),
    aged('.tasks.json.00000000.tmp', 61000),
    aged('.a.json.bak.zZ9yY8xX.tmp', HOUR),
  ]
  const others = [
    aged('.foo.tmp', HOUR), // no random part
    aged('x.12345678.tmp', HOUR), // no leading dot
    aged('.a.json.abc.tmp', HOUR), // random part too short
    aged('.a.json.abcdefghi.tmp', HOUR), // too long
    aged('.a.json.abc_efgh.tmp', HOUR), // not letters or digits
    aged('.a.json.Ab3dE9xZ.tmp.part', HOUR),
    aged('.a.json.Ab3dE9xZ.TMP', HOUR),
    aged('settings.json', HOUR),
    aged('settings.json.bak', HOUR),
    aged('.young.json.Young123.tmp', 5000), // a write may be filling it right now
  ]
  fs.mkdirSync(path.join(dir, '.dir.json.Abcdefgh.tmp'))
  fs.mkdirSync(path.join(dir, 'sub'))
  fs.writeFileSync(path.join(dir, 'sub', '.deep.json.Abcdefgh.tmp'), 'x')
  fs.utimesSync(path.join(dir, 'sub', '.deep.json.Abcdefgh.tmp'), new Date(0), new Date(0))

  const removed = await cleanupTempFiles(dir)
  expect(removed).toBeInstanceOf(Array)
  expect(removed).toEqual([...orphans].sort())
  for (const file of orphans) expect(fs.existsSync(file)).toBe(false)
  for (const file of others) expect(fs.existsSync(file)).toBe(true)
  expect(fs.existsSync(path.join(dir, '.dir.json.Abcdefgh.tmp'))).toBe(true)
  expect(fs.existsSync(path.join(dir, 'sub', '.deep.json.Abcdefgh.tmp'))).toBe(true) // not recursive
  expect(await cleanupTempFiles(dir)).toEqual([])
  // Not ours to leave behind: the shared no-leftovers check runs after the file.
  fs.rmSync(path.join(dir, 'sub'), { recursive: true })
  fs.rmSync(path.join(dir, '.dir.json.Abcdefgh.tmp'), { recursive: true })
  fs.unlinkSync(path.join(dir, '.young.json.Young123.tmp'))
})

test('olderThanMs sets the threshold; 0 takes every temp file of ours', async () => {
  const tenSeconds = aged('.a.json.Aaaaaaaa.tmp', 10000)
  const fresh = aged('.b.json.Bbbbbbbb.tmp', 0)
  expect(await cleanupTempFiles(dir, { olderThanMs: 20000 })).toEqual([])
  expect(await cleanupTempFiles(dir, { olderThanMs: 5000 })).toEqual([tenSeconds])
  expect(await cleanupTempFiles(dir, { olderThanMs: Infinity })).toEqual([])
  expect(await cleanupTempFiles(dir, { olderThanMs: 0 })).toEqual([fresh])
  expect(fs.readdirSync(dir)).toEqual([])
})

const unix = process.platform === 'win32' ? test.skip : test
unix('a symlink with our name is another program’s: neither it nor its target is touched', async () => {
  const precious = aged('precious.json', HOUR, '{"keep":true}')
  fs.symlinkSync('precious.json', path.join(dir, '.x.json.Linkname.tmp'))
  expect(await cleanupTempFiles(dir, { olderThanMs: 0 })).toEqual([])
  expect(await safeReadJson(precious)).toEqual({ keep: true })
  fs.unlinkSync(path.join(dir, '.x.json.Linkname.tmp'))
})

test('the orphan of a writer killed mid-write is found and removed; the target is whole', async () => {
  const target = path.join(dir, 'history.json')
  fs.writeFileSync(target, '{"version":"before the crash"}')
  // A child process writes ~32 MB again and again; it is SIGKILLed once its temp file exists.
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const { safeWriteJsonSync } = require(${JSON.stringify(path.resolve(__dirname, '..'))});
       const big = { text: 'x'.repeat(32 * 1024 * 1024) };
       for (;;) safeWriteJsonSync(${JSON.stringify(target)}, big, { durability: 'none' })`,
    ],
    { stdio: 'ignore' },
  )
  let orphan = []
  while (orphan.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 2))
    orphan = leftovers(dir)
  }
  child.kill('SIGKILL')
  await new Promise((resolve) => child.on('exit', resolve))
  orphan = leftovers(dir) // what the killed writer really left (it may have renamed one meanwhile)
  expect(orphan).toHaveLength(1)
  const content = fs.readFileSync(target, 'utf8')
  expect(content === '{"version":"before the crash"}' || content.length > 32 * 1024 * 1024).toBe(true)
  expect(await cleanupTempFiles(dir)).toEqual([]) // too young for the default threshold
  // It held the lock while writing: its sidecar is left too, now held by nobody.
  const sidecar = path.join(dir, '.history.json.lock')
  expect(await cleanupTempFiles(dir, { olderThanMs: 0 })).toEqual([...orphan, sidecar].sort())
  expect(leftovers(dir)).toEqual([])
  expect(fs.existsSync(sidecar)).toBe(false)
}, 30000)

// A streamed (spilled) write makes its temp file at call time; queued behind an updateJson lease
// it may wait longer than any threshold. Its writer holds the temp file's lock for its whole
// life, so cleanup (even with olderThanMs: 0) leaves it, and the write still lands. Run in a
// child process with a low spill threshold, under a timeout.
test('a live writer’s temp file survives cleanupTempFiles(dir, { olderThanMs: 0 }) and the write still succeeds', () => {
  const target = path.join(dir, 'history.json')
  fs.writeFileSync(target, '[]')
  const script = `
    const fs = require('node:fs')
    const { safeWriteJson, updateJson, cleanupTempFiles } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
    const [dir, file] = [${JSON.stringify(dir)}, ${JSON.stringify(target)}]
    const temps = () => fs.readdirSync(dir).filter((n) => /^\\..+\\.[A-Za-z0-9]{8}\\.tmp$/.test(n))
    const big = Array.from({ length: 20000 }, (_, i) => ({ i, text: 'x'.repeat(40) }))
    ;(async () => {
      const out = {}
      let entered, release
      const inUpdater = new Promise((r) => (entered = r))
      const gate = new Promise((r) => (release = r))
      const update = updateJson(file, async (current) => {
        entered()
        await gate
        return current
      })
      await inUpdater
      const write = safeWriteJson(file, big) // spilled: its temp file is made now; it waits for the lease
      write.catch(() => {})
      for (let i = 0; i < 4000 && temps().length === 0; i++) await new Promise((r) => setTimeout(r, 5))
      out.live = temps()
      out.removed = (await cleanupTempFiles(dir, { olderThanMs: 0 })).map((p) => p.slice(dir.length + 1))
      out.after = temps()
      release()
      await update
      out.write = await write.then(() => 'resolved', (err) => err.message)
      out.items = JSON.parse(fs.readFileSync(file, 'utf8')).length
      console.log(JSON.stringify(out))
    })()`
  const env = { ...process.env, SAFE_WRITE_JSON_WALK_MIN: '2', SAFE_WRITE_JSON_SPILL_BYTES: '2000' }
  const child = spawnSync(process.execPath, ['-e', script], { env, timeout: 60000, encoding: 'utf8' })
  expect({ signal: child.signal, status: child.status, stderr: child.stderr }).toEqual({
    signal: null,
    status: 0,
    stderr: '',
  })
  const out = JSON.parse(child.stdout)
  expect(out.live).toHaveLength(1) // the case is reached: the spilled write's temp file exists
  expect(out).toEqual({ live: out.live, removed: [], after: out.live, write: 'resolved', items: 20000 })
  expect(leftovers(dir)).toEqual([])
}, 90000)

// The last instant of a write: its temp file complete, about to be renamed. Windows once closed
// the file (letting go of its hold) before the rename, so a cleanup could take it then and the
// rename failed with ENOENT (found by the model test under Wine). The failpoints build pauses
// the writer there (`commit.renaming`) while cleanups run, once for each kind of writer.
const { FAILPOINTS_ADDON } = require('./torture-helpers')
const withFailpoints = fs.existsSync(FAILPOINTS_ADDON) ? test : test.skip

/**
 * Run `call` (on `file`) in a child with the failpoints build and `failpoints` set, while this
 * process runs cleanupTempFiles(dir, { olderThanMs: 0 }) over and over until the child ends.
 * Returns how it ended, what the cleanups removed, and how many of them ran while a file named
 * as `watched` matches was there (so that a test knows its case was reached).
 */
async function writeWhileCleaning(file, call, failpoints, watched) {
  const script = `const { safeWriteJsonSync, safeWriteJson } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
    const file = process.argv[1]
    ${call}`
  const child = spawn(process.execPath, ['-e', script, file], {
    env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON, FAILPOINTS: failpoints },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise((resolve) => child.on('close', (status) => resolve(status)))
  let done = false
  exited.then(() => (done = true))
  let seen = 0
  const removed = []
  // A watchdog: the child ends by itself within seconds; 30 s means it hung.
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 30000)
  while (!done) {
    if (fs.readdirSync(dir).some((name) => watched.test(name))) seen++
    removed.push(...(await cleanupTempFiles(dir, { olderThanMs: 0 })))
    await new Promise((r) => setTimeout(r, 10))
  }
  clearTimeout(watchdog)
  return { status: await exited, stdout, stderr, seen, removed }
}

/**
 * What a `writeWhileCleaning` run must show: the write succeeded with `{ v: 2 }`, cleanups ran
 * while the watched file was there (the case was reached), took nothing, and left nothing.
 */
function expectWrittenWhileCleaning(run, file) {
  expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
    status: 0,
    stdout: 'written\n',
    stderr: '',
  })
  expect(run.seen).toBeGreaterThan(0)
  expect(run.removed).toEqual([])
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ v: 2 })
  expect(leftovers(dir)).toEqual([])
}

withFailpoints.each([
  ['safeWriteJsonSync', "safeWriteJsonSync(file, { v: 2 }, { backup: true }); console.log('written')"],
  ['safeWriteJson', "safeWriteJson(file, { v: 2 }).then(() => console.log('written'))"],
])(
  '%s: a writer about to rename keeps its temp file from cleanupTempFiles(dir, { olderThanMs: 0 })',
  async (_, call) => {
    const file = path.join(dir, 'state.json')
    fs.writeFileSync(file, '{"v":1}')
    // Watched: the temp file.
    const run = await writeWhileCleaning(file, call, 'commit.renaming=sleep(1500)', /\.tmp$/)
    expectWrittenWhileCleaning(run, file)
  },
  60000,
)

// `backup: true` stages the old file as a hard link at a temp name (`.state.json.bak.<random>.tmp`),
// then renames it to `<name>.bak`. Windows once closed the staged link before that rename
// (MoveFileExW cannot replace an open file), so a cleanup could take it then and the write failed
// with ENOENT. A hard link has the old file's age, so even the default threshold can take it. The
// writer pauses there (`backup.renaming`). No `.bak` yet: an older one, set aside meanwhile, is
// let go for good where Windows falls back to MoveFileExW (Wine too; see docs/platforms.md).
withFailpoints.each([
  ['safeWriteJsonSync', "safeWriteJsonSync(file, { v: 2 }, { backup: true }); console.log('written')"],
  ['safeWriteJson', "safeWriteJson(file, { v: 2 }, { backup: true }).then(() => console.log('written'))"],
])(
  '%s: a writer about to rename its staged backup keeps it from cleanupTempFiles(dir, { olderThanMs: 0 })',
  async (_, call) => {
    const file = path.join(dir, 'state.json')
    fs.writeFileSync(file, '{"v":1}')
    // Watched: the staged link.
    const run = await writeWhileCleaning(file, call, 'backup.renaming=sleep(1500)', /^\.state\.json\.bak\..+\.tmp$/)
    expectWrittenWhileCleaning(run, file)
    expect(JSON.parse(fs.readFileSync(`${file}.bak`, 'utf8'))).toEqual({ v: 1 })
  },
  60000,
)

test('paths are the directory as given joined with the name', async () => {
  aged('.a.json.Aaaaaaaa.tmp', HOUR)
  const cwd = process.cwd()
  process.chdir(path.dirname(dir))
  try {
    expect(await cleanupTempFiles(path.basename(dir))).toEqual([path.join(path.basename(dir), '.a.json.Aaaaaaaa.tmp')])
  } finally {
    process.chdir(cwd)
  }
})

describe('errors', () => {
  const failure = (promise) =>
    promise.then(
      () => Promise.reject(new Error('expected a rejection')),
      (err) => err,
    )

  test('a missing directory is ENOENT from scandir, like fs.readdir', async () => {
    const missing = path.join(dir, 'nope')
    const expected = await failure(fs.promises.readdir(missing))
    const err = await failure(cleanupTempFiles(missing))
    expect([err.code, err.errno, err.syscall, err.path, err.message]).toEqual([
      'ENOENT',
      expected.errno,
      'scandir',
      missing,
      expected.message,
    ])
  })

  test('a file is ENOTDIR', async () => {
    const file = aged('file.json', 0)
    expect((await failure(cleanupTempFiles(file))).code).toBe('ENOTDIR')
  })

  test.each([
    [
      [42],
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "path" argument must be of type string or an instance of URL. Received type number (42)',
    ],
    [
      ['.', 'x'],
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options" argument must be of type object. Received type string (\'x\')',
    ],
    [
      ['.', { olderThan: 1 }],
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      "The property 'options.olderThan' is not a supported option (supported: olderThanMs). Received 1",
    ],
    [
      ['.', { olderThanMs: '1' }],
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options.olderThanMs" property must be of type number. Received type string (\'1\')',
    ],
    [
      ['.', { olderThanMs: -1 }],
      RangeError,
      'ERR_OUT_OF_RANGE',
      'The value of "options.olderThanMs" is out of range. It must be >= 0. Received -1',
    ],
    [
      ['.', { olderThanMs: NaN }],
      RangeError,
      'ERR_OUT_OF_RANGE',
      'The value of "options.olderThanMs" is out of range. It must be >= 0. Received NaN',
    ],
  ])('%j rejects', async (args, type, code, message) => {
    const promise = cleanupTempFiles(...args)
    expect(promise).toBeInstanceOf(Promise)
    const err = await failure(promise)
    expect(err).toBeInstanceOf(type)
    expect([err.code, err.message]).toEqual([code, message])
  })
})
