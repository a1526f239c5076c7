// Guarantee 7: writers of one file in different processes exclude each other through an OS
// lock on a sidecar file, which the kernel releases when a holder dies; updateJson holds it from
// read to write, so no update is lost. Real child processes, real SIGKILL.
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { safeWriteJson, safeWriteJsonSync, updateJson, cleanupTempFiles } = require('..')
const { tmpDir, leftovers } = require('./helpers')

const fixture = (name) => path.join(__dirname, 'fixtures', name)
let dir
beforeEach(() => {
  dir = tmpDir()
})
afterEach(() => {
  expect(leftovers(dir)).toEqual([])
  expect(fs.readdirSync(dir).filter((name) => name.endsWith('.lock'))).toEqual([])
})

/** Run a fixture to completion; resolve with its stdout, reject with its stderr. */
function run(name, ...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture(name), ...args.map(String)])
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${name} exited ${code}: ${err}`))))
  })
}

/** Start a fixture and resolve once it printed `line`, with the child. */
function startUntil(name, line, ...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture(name), ...args.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes(line)) resolve(child)
    })
    child.on('exit', (code) => reject(new Error(`${name} exited ${code} before "${line}"`)))
  })
}

/** Readers of `file` in a loop, in their own processes; `stop()` resolves with what they saw. */
function readers(file, count) {
  const children = Array.from({ length: count }, () => spawn(process.execPath, [fixture('reader.js'), file]))
  return {
    stop: () =>
      Promise.all(
        children.map(
          (child) =>
            new Promise((resolve) => {
              let out = ''
              child.stdout.on('data', (d) => (out += d))
              child.on('exit', () => resolve(JSON.parse(out)))
              child.stdin.end()
            }),
        ),
      ),
  }
}

const read = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))

test('4 processes x 50 serial updateJson increments end at exactly 200, and readers only ever see whole JSON', async () => {
  const file = path.join(dir, 'counter.json')
  await safeWriteJson(file, { n: 0 })
  const watching = readers(file, 2)
  // Every incrementer and reader ends before any failure is reported: none is left writing into
  // the directory that the checks after the test inspect and remove.
  const runs = await Promise.allSettled(Array.from({ length: 4 }, () => run('incrementer.js', file, 50, 'serial')))
  const seen = await watching.stop()
  for (const r of runs) if (r.status === 'rejected') throw r.reason
  expect(read(file).n).toBe(200)
  for (const { reads, bad } of seen) {
    expect(bad).toEqual([])
    expect(reads).toBeGreaterThan(0)
  }
}, 60000)

test('processes and in-process concurrency mixed: 3 x 40 concurrent + 40 here end at exactly 160', async () => {
  const file = path.join(dir, 'mixed.json')
  const here = Promise.all(Array.from({ length: 40 }, () => updateJson(file, (c) => ({ n: (c?.n ?? 0) + 1 }))))
  await Promise.all([here, ...Array.from({ length: 3 }, () => run('incrementer.js', file, 40, 'concurrent'))])
  expect(read(file).n).toBe(160)
}, 60000)

test('a holder killed with SIGKILL blocks nobody: the next writer gets the lock within 1 s', async () => {
  const file = path.join(dir, 'held.json')
  await safeWriteJson(file, { owner: 'nobody' })
  const holder = await startUntil('holder.js', 'holding', file)
  // While it holds the lock, a short wait ends in ELOCKED and changes nothing.
  const err = await safeWriteJson(file, { owner: 'me' }, { lockTimeoutMs: 200 }).catch((e) => e)
  expect(err.code).toBe('ELOCKED')
  expect(err.path).toBe(file)
  const quoted = file.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&') // a Windows path's backslashes are not escapes
  expect(err.message).toMatch(
    new RegExp(`^ELOCKED: file is locked by another writer \\(waited \\d+ ms\\), lock '${quoted}'$`),
  )
  expect(Number(err.message.match(/waited (\d+) ms/)[1])).toBeGreaterThanOrEqual(200)
  expect(read(file)).toEqual({ owner: 'nobody' })
  expect(fs.existsSync(path.join(dir, '.held.json.lock'))).toBe(true)

  // cleanupTempFiles leaves a held sidecar alone.
  expect(await cleanupTempFiles(dir, { olderThanMs: 0 })).toEqual([])
  holder.kill('SIGKILL')
  await new Promise((resolve) => holder.on('exit', resolve))
  // The kernel released the lock with the process; 1 s of patience is plenty.
  await safeWriteJson(file, { owner: 'me' }, { lockTimeoutMs: 1000 })
  expect(read(file)).toEqual({ owner: 'me' })
}, 30000)

test("a killed holder's sidecar blocks nobody and cleanupTempFiles removes it", async () => {
  const file = path.join(dir, 'left.json')
  const holder = await startUntil('holder.js', 'holding', file)
  holder.kill('SIGKILL')
  await new Promise((resolve) => holder.on('exit', resolve))
  const sidecar = path.join(dir, '.left.json.lock')
  expect(fs.statSync(sidecar).size).toBe(0)
  expect(await cleanupTempFiles(dir, { olderThanMs: 0 })).toEqual([sidecar])
  expect(fs.existsSync(sidecar)).toBe(false)
  await safeWriteJson(file, { after: 'cleanup' }, { lockTimeoutMs: 0 })
}, 30000)

test('lock: false writes without the lock, even while another process holds it', async () => {
  const file = path.join(dir, 'unlocked.json')
  await safeWriteJson(file, 1)
  const holder = await startUntil('holder.js', 'holding', file)
  try {
    await safeWriteJson(file, 2, { lock: false })
    expect(read(file)).toBe(2)
  } finally {
    holder.kill('SIGKILL')
    await new Promise((resolve) => holder.on('exit', resolve))
  }
  // The dead holder's sidecar is removed by the next locking writer.
  await safeWriteJson(file, 3)
}, 30000)

describe('updateJson', () => {
  test('resolves with the value written; the updater gets the parsed content', async () => {
    const file = path.join(dir, 'u.json')
    await safeWriteJson(file, { list: [1] })
    const written = await updateJson(file, (current) => ({ list: [...current.list, 2] }), { indent: 2 })
    expect(written).toEqual({ list: [1, 2] })
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify({ list: [1, 2] }, null, 2))
  })

  test('a missing file gives undefined, or the default', async () => {
    const seen = []
    await updateJson(path.join(dir, 'a.json'), (c) => seen.push(c) && 1)
    await updateJson(path.join(dir, 'b.json'), (c) => seen.push(c) && 2, { default: { fresh: true } })
    expect(seen).toEqual([undefined, { fresh: true }])
  })

  test('an updater returning undefined writes nothing', async () => {
    const file = path.join(dir, 'same.json')
    await safeWriteJson(file, { keep: true })
    const before = fs.statSync(file).ino
    await expect(updateJson(file, () => undefined)).resolves.toBeUndefined()
    expect(fs.statSync(file).ino).toBe(before)
    await expect(updateJson(path.join(dir, 'never.json'), () => undefined)).resolves.toBeUndefined()
    expect(fs.existsSync(path.join(dir, 'never.json'))).toBe(false)
  })

  test('an updater that throws or rejects writes nothing; its error propagates; the lock is free again', async () => {
    const file = path.join(dir, 'err.json')
    await safeWriteJson(file, { v: 1 })
    const boom = new Error('boom')
    await expect(
      updateJson(file, () => {
        throw boom
      }),
    ).rejects.toBe(boom)
    await expect(
      updateJson(file, async () => {
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(read(file)).toEqual({ v: 1 })
    await updateJson(file, (c) => ({ v: c.v + 1 }), { lockTimeoutMs: 0 })
    expect(read(file)).toEqual({ v: 2 })
  })

  test('a file that does not parse is EJSONPARSE and the updater is not called', async () => {
    const file = path.join(dir, 'torn.json')
    fs.writeFileSync(file, '{"a": [1, 2')
    const updater = jest.fn(() => ({}))
    const err = await updateJson(file, updater).catch((e) => e)
    expect(err.code).toBe('EJSONPARSE')
    expect(err.path).toBe(file)
    expect(updater).not.toHaveBeenCalled()
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a": [1, 2')
  })

  test('bad arguments', async () => {
    const file = path.join(dir, 'x.json')
    await expect(updateJson(file, 'not a function')).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "updater" argument must be of type function. Received type string (\'not a function\')',
    })
    await expect(updateJson(file, (x) => x, { lock: false })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' })
    await expect(updateJson(file, (x) => x, 2)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' })
    await expect(updateJson(file, (x) => x, { lockTimeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' })
    await expect(updateJson(42, (x) => x)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' })
    expect(fs.readdirSync(dir)).toEqual([])
  })

  test('a Sync write to a file with an update in progress here fails at once with ELOCKED', async () => {
    const file = path.join(dir, 'busy.json')
    await safeWriteJson(file, { n: 0 })
    let release
    const gate = new Promise((resolve) => (release = resolve))
    const update = updateJson(file, async (c) => {
      await gate
      return { n: c.n + 1 }
    })
    // Let the update take the lock and call the updater.
    while (!fs.existsSync(path.join(dir, '.busy.json.lock'))) await new Promise((r) => setImmediate(r))
    let err
    try {
      safeWriteJsonSync(file, { sync: true })
    } catch (e) {
      err = e
    }
    expect(err.code).toBe('ELOCKED')
    expect(err.message).toBe(
      `ELOCKED: file is locked by an updateJson running or queued in this process, which a Sync write cannot wait for, lock '${file}'`,
    )
    release()
    await expect(update).resolves.toEqual({ n: 1 })
    // An async write meanwhile simply queues behind the update.
    await safeWriteJson(file, { after: true })
    expect(read(file)).toEqual({ after: true })
  })

  test('writes queued behind an update land after it, in order', async () => {
    const file = path.join(dir, 'order.json')
    const update = updateJson(file, async () => {
      await new Promise((r) => setTimeout(r, 20))
      return { from: 'update' }
    })
    const later = safeWriteJson(file, { from: 'write' })
    await Promise.all([update, later])
    expect(read(file)).toEqual({ from: 'write' })
  })
})

describe('lock options', () => {
  test.each([
    [
      { lock: 'yes' },
      'ERR_INVALID_ARG_TYPE',
      'The "options.lock" property must be of type boolean. Received type string (\'yes\')',
    ],
    [
      { lockTimeoutMs: '5' },
      'ERR_INVALID_ARG_TYPE',
      'The "options.lockTimeoutMs" property must be of type number. Received type string (\'5\')',
    ],
    [
      { lockTimeoutMs: -1 },
      'ERR_OUT_OF_RANGE',
      'The value of "options.lockTimeoutMs" is out of range. It must be >= 0. Received -1',
    ],
    [
      { lockTimeoutMs: NaN },
      'ERR_OUT_OF_RANGE',
      'The value of "options.lockTimeoutMs" is out of range. It must be >= 0. Received NaN',
    ],
  ])('%j', async (options, code, message) => {
    const err = await safeWriteJson(path.join(dir, 'o.json'), {}, options).catch((e) => e)
    expect(err.code).toBe(code)
    expect(err.message).toBe(message)
    expect(fs.readdirSync(dir)).toEqual([])
  })
})

// Whoever can write the target's directory could plant a symlink at the sidecar's name; a
// writer (perhaps privileged) must not create or truncate the file it points to. The sidecar is
// opened with O_NOFOLLOW: the write fails with ELOOP and nothing outside changes.
const onUnix = process.platform === 'win32' ? test.skip : test
onUnix(
  'a symlink planted as the lock sidecar fails the write with ELOOP and its target is neither created nor touched',
  async () => {
    const outside = tmpDir('swj-outside')
    const precious = path.join(outside, 'precious.json')
    fs.writeFileSync(precious, '{"keep":true}')
    const before = fs.statSync(precious)
    const absent = path.join(outside, 'created-by-nobody')
    const file = path.join(dir, 'a.json')
    const other = path.join(dir, 'b.json')
    fs.writeFileSync(file, '"old"')
    fs.symlinkSync(precious, path.join(dir, '.a.json.lock'))
    fs.symlinkSync(absent, path.join(dir, '.b.json.lock'))
    const failures = []
    for (const attempt of [
      () => safeWriteJson(file, 'new'),
      async () => safeWriteJsonSync(file, 'new'),
      () => updateJson(file, () => 'new'),
      () => safeWriteJson(other, 'new'),
    ]) {
      failures.push(
        await attempt().then(
          () => 'resolved',
          (err) => [err.code, err.syscall],
        ),
      )
    }
    expect(failures).toEqual(Array(4).fill(['ELOOP', 'open']))
    expect(fs.readFileSync(precious, 'utf8')).toBe('{"keep":true}')
    expect(fs.statSync(precious).mtimeMs).toBe(before.mtimeMs)
    expect(fs.existsSync(absent)).toBe(false)
    expect(fs.readFileSync(file, 'utf8')).toBe('"old"')
    expect(fs.existsSync(other)).toBe(false)
    // cleanupTempFiles leaves a symlink of that name alone: it is not ours.
    expect(await cleanupTempFiles(dir, { olderThanMs: 0 })).toEqual([])
    fs.unlinkSync(path.join(dir, '.a.json.lock'))
    fs.unlinkSync(path.join(dir, '.b.json.lock'))
    // Without the planted links, writes go on as usual.
    await safeWriteJson(file, 'new')
    expect(fs.readFileSync(file, 'utf8')).toBe('"new"')
  },
)
