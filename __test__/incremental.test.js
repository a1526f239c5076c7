// `incremental: true`: the value is serialized in slices across turns of the event loop, fed to
// a write queued at call time. Here every slice ends after one piece (SLICE_MICROS=0), so every
// value of more than a piece is made over several turns, whatever the machine's speed: the
// tests count turns and reads, never time. (The parity-incremental*.test.js files check the
// bytes.) A hang fails by jest's timeout.
process.env.SAFE_WRITE_JSON_SLICE_MICROS = '0'
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { safeWriteJson, safeWriteJsonSync, safeWriteFile, safeWriteFileSync, updateJson } = require('..')
const { tmpDir, leftovers, expectFileBytes } = require('./helpers')

const dir = tmpDir()
const ROOT = path.join(__dirname, '..')
const fast = { durability: 'none', incremental: true }

/** `count` messages; reading message `at` (its `text`) calls `onRead(at)`. */
function history(count, onRead = () => {}) {
  return {
    version: 1,
    messages: Array.from({ length: count }, (_, i) => ({
      i,
      role: i % 2 ? 'assistant' : 'user',
      get text() {
        onRead(i)
        return `message ${i} — grüße 😀`
      },
    })),
  }
}

/** The turns of the event loop (setImmediate callbacks) until `stop()`: counted. */
function countTurns() {
  const counted = { turns: 0, spinning: true }
  const spin = () => {
    counted.turns++
    if (counted.spinning) setImmediate(spin)
  }
  setImmediate(spin)
  counted.stop = () => (counted.spinning = false)
  return counted
}

describe('the option', () => {
  test.each([
    ['safeWriteJsonSync', () => safeWriteJsonSync(path.join(dir, 's.json'), {}, { incremental: true })],
    ['safeWriteFileSync', () => safeWriteFileSync(path.join(dir, 's.txt'), 'x', { incremental: true })],
  ])('%s rejects incremental: true with ERR_INVALID_ARG_VALUE', (_name, call) => {
    expect(call).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }))
  })

  test('safeWriteFile rejects it too; safeWriteJsonSync takes false and undefined', async () => {
    await expect(safeWriteFile(path.join(dir, 's.txt'), 'x', { incremental: true })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    })
    safeWriteJsonSync(path.join(dir, 'f.json'), [1], { incremental: false })
    safeWriteJsonSync(path.join(dir, 'u.json'), [2], { incremental: undefined })
    expect(fs.readFileSync(path.join(dir, 'f.json'), 'utf8')).toBe('[1]')
    expect(fs.readFileSync(path.join(dir, 'u.json'), 'utf8')).toBe('[2]')
  })

  test('a value that is not a boolean is ERR_INVALID_ARG_TYPE', async () => {
    await expect(safeWriteJson(path.join(dir, 't.json'), {}, { incremental: 1 })).rejects.toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
    })
  })
})

test('the event loop turns between slices: the last message is read turns after the call', async () => {
  const file = path.join(dir, 'turns.json')
  const seen = { atCall: -1, atLast: -1 }
  let counted
  const data = history(2000, (i) => {
    if (i === 1999) seen.atLast = counted.turns
  })
  counted = countTurns()
  const write = safeWriteJson(file, data, fast)
  seen.atCall = counted.turns
  await write
  counted.stop()
  expect(seen.atCall).toBe(0)
  expect(seen.atLast).toBeGreaterThan(0)
  expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(data))
})

test('without the option the whole value is read during the call', async () => {
  const file = path.join(dir, 'whole.json')
  let counted
  let atLast = -1
  const data = history(2000, (i) => {
    if (i === 1999) atLast = counted.turns
  })
  counted = countTurns()
  await safeWriteJson(file, data, { durability: 'none' })
  counted.stop()
  expect(atLast).toBe(0)
})

test('a value done within the first slice (the default budget) is the value at call time', () => {
  // In a child process: this file's slices end after one piece.
  const file = path.join(dir, 'snapshot.json')
  const script = `
    const { safeWriteJson } = require(${JSON.stringify(ROOT)})
    const data = { version: 1, messages: [{ text: 'before' }] }
    const write = safeWriteJson(${JSON.stringify(file)}, data, { incremental: true, indent: 2 })
    data.messages[0].text = 'after'
    data.messages.push({ text: 'pushed' })
    data.version = 2
    write.then(() => process.stdout.write('ok'))`
  const env = { ...process.env }
  delete env.SAFE_WRITE_JSON_SLICE_MICROS
  expect(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 20000 })).toBe('ok')
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: 1, messages: [{ text: 'before' }] })
})

describe('with jest fake timers', () => {
  afterEach(() => jest.useRealTimers())

  test.each([
    ['the default set', undefined],
    ['everything, nextTick and queueMicrotask included', { doNotFake: [] }],
  ])('%s: an incremental write of many slices settles', async (_label, config) => {
    jest.useFakeTimers(config)
    const file = path.join(dir, 'fake.json')
    const data = history(3000)
    await safeWriteJson(file, data, { ...fast, indent: '\t' })
    await updateJson(file, (current) => ({ ...current, version: 2 }), { incremental: true })
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify({ ...data, version: 2 }))
  })
})

describe('a serialization error midway', () => {
  const cases = [
    ['a throwing getter', () => new RangeError('getter threw')],
    ['a BigInt', () => 10n],
    ['a circular structure', (root) => root],
  ]
  test.each(cases)(
    '(%s) rejects as JSON.stringify throws, leaves the target, no temp file, no directory',
    async (_label, make) => {
      const target = path.join(dir, 'error.json')
      fs.writeFileSync(target, '"previous"')
      const fresh = path.join(dir, 'fresh', 'deeper', 'error.json')
      for (const file of [target, fresh]) {
        let readAt = -1
        let counted = { turns: 0 } // (for JSON.stringify's own run below)
        const data = history(1500)
        const bad = make(data)
        const last = data.messages[1499]
        Object.defineProperty(last, 'bad', {
          enumerable: true,
          get() {
            readAt = counted.turns
            if (bad instanceof Error) throw bad
            return bad
          },
        })
        const thrown = (() => {
          try {
            JSON.stringify(data)
          } catch (err) {
            return err
          }
        })()
        counted = countTurns()
        const err = await safeWriteJson(file, data, fast).catch((e) => e)
        counted.stop()
        expect(readAt).toBeGreaterThan(0) // midway: turns after the call
        if (thrown instanceof RangeError) expect(err).toBe(thrown) // user code's error: the same value
        expect(err.constructor).toBe(thrown.constructor)
        expect(err.message).toBe(thrown.message)
      }
      expect(fs.readFileSync(target, 'utf8')).toBe('"previous"')
      expect(fs.existsSync(path.join(dir, 'fresh'))).toBe(false)
      expect(leftovers(dir)).toEqual([])
    },
  )

  test('in updateJson: rejects with it, releases the lock, the file is unchanged', async () => {
    const file = path.join(dir, 'update-error.json')
    fs.writeFileSync(file, '{"n":1}')
    const data = history(1500)
    data.messages[1400].big = 1n
    await expect(updateJson(file, () => data, { incremental: true })).rejects.toThrow(
      'Do not know how to serialize a BigInt',
    )
    expect(fs.readFileSync(file, 'utf8')).toBe('{"n":1}')
    // The lock is free again.
    expect(await updateJson(file, (c) => ({ n: c.n + 1 }), { incremental: true })).toEqual({ n: 2 })
    expect(fs.existsSync(path.join(dir, '.update-error.json.lock'))).toBe(false)
  })
})

test('an incremental write that fails midway supersedes no queued write: their data lands, as if it had failed at once', async () => {
  // An update holds the file, so that both writes queue behind it; the incremental one would
  // supersede the one before it, and then throw midway: that one's data must not be lost with it.
  const file = path.join(dir, 'not-lost.json')
  fs.writeFileSync(file, '{"w":1}')
  let release
  const gate = new Promise((resolve) => (release = resolve))
  const update = updateJson(file, async (current) => {
    await gate
    return current
  })
  const data = history(1500)
  Object.defineProperty(data.messages[1499], 'bad', {
    enumerable: true,
    get() {
      throw new RangeError('thrown midway')
    },
  })
  const queued = safeWriteJson(file, { w: 2 }, { backup: true })
  const failing = safeWriteJson(file, data, fast)
  release()
  const outcomes = await Promise.allSettled([update, queued, failing])
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected'])
  expect(outcomes[2].reason.message).toBe('thrown midway')
  expect(fs.readFileSync(file, 'utf8')).toBe('{"w":2}')
  expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe('{"w":1}')
  expect(leftovers(dir)).toEqual([])
})

// A write that fails midway removes the directories it made, when empty. Another write that
// has just found such a directory (here one started by a getter of the walk, held by the
// failpoints build between its mkdir and its lock sidecar's open) must not fail for it: it
// makes the directory again. (Before: ENOENT from that open; found by review.)
const { FAILPOINTS_ADDON } = require('./torture-helpers')
const withFailpoints = fs.existsSync(FAILPOINTS_ADDON) ? test : test.skip
withFailpoints('a directory removed by a write that failed midway is made again by the write that had found it', () => {
  const d = path.join(tmpDir('swj-rmdir-race'), 'd')
  const script = `
    const fs = require('node:fs')
    const path = require('node:path')
    const { safeWriteJson } = require(${JSON.stringify(ROOT)})
    const d = ${JSON.stringify(d)}
    const data = Array.from({ length: 3000 }, (_, i) => ({ i }))
    let other
    Object.defineProperty(data, 1000, { enumerable: true, get() {
      other = safeWriteJson(path.join(d, 'b.json'), { b: 1 }).then(() => 'resolved', (e) => e.code + ' ' + e.message)
      return 1000
    } })
    Object.defineProperty(data, 2999, { enumerable: true, get() { throw new Error('thrown midway') } })
    ;(async () => {
      const failed = await safeWriteJson(path.join(d, 'a.json'), data, { incremental: true, lock: false }).catch((e) => e.message)
      const out = { failed, other: await other, left: fs.existsSync(d) ? fs.readdirSync(d) : null }
      console.log(JSON.stringify(out))
    })()`
  const env = {
    ...process.env,
    NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON,
    FAILPOINTS: 'lock.acquire=1*sleep(1500)',
    SAFE_WRITE_JSON_SLICE_MICROS: '0',
  }
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 60000 }))
  expect(out).toEqual({ failed: 'thrown midway', other: 'resolved', left: ['b.json'] })
  expect(JSON.parse(fs.readFileSync(path.join(d, 'b.json'), 'utf8'))).toEqual({ b: 1 })
})

test('incremental writes whose texts are complete coalesce like any other: queued behind an update, the last one carries all', async () => {
  const file = path.join(dir, 'coalesced.json')
  let release
  const gate = new Promise((resolve) => (release = resolve))
  const held = updateJson(file, async () => {
    await gate
    return { n: -1 }
  })
  const seen = []
  let lastRead = 0
  const writes = Array.from({ length: 5 }, (_, n) => {
    const data = Array.from({ length: 2000 }, (_, i) => ({ n, i }))
    Object.defineProperty(data, 1999, { enumerable: true, get: () => (lastRead++, { n, i: 1999 }) })
    return safeWriteJson(file, data, fast).then(() => seen.push([n, JSON.parse(fs.readFileSync(file, 'utf8'))[0].n]))
  })
  // Every text is made (its last member read, then a few turns for its last piece) while the
  // update still holds the file. (A hang fails by jest's timeout.)
  while (lastRead < 5) await new Promise((resolve) => setImmediate(resolve))
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  release()
  await held
  await Promise.all(writes)
  expect(seen).toEqual([0, 1, 2, 3, 4].map((n) => [n, 4]))
})

test('a cycle through big nested arrays rejects with the TypeError of JSON.stringify (not a stack overflow)', async () => {
  const inner = Array.from({ length: 600 }, (_, i) => i)
  inner.push(inner)
  const data = [...Array.from({ length: 600 }, (_, i) => i), inner]
  const thrown = (() => {
    try {
      JSON.stringify(data)
    } catch (err) {
      return err
    }
  })()
  for (const options of [{}, { incremental: true }]) {
    const err = await safeWriteJson(path.join(dir, 'cycle.json'), data, options).catch((e) => e)
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toBe(thrown.message)
  }
})

/** A child process holding `file`'s lock (through updateJson) until killed. */
async function holdLock(file) {
  const { spawn } = require('node:child_process')
  const holder = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'holder.js'), file])
  await new Promise((resolve, reject) => {
    holder.stdout.on('data', (d) => String(d).includes('holding') && resolve())
    holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)))
  })
  return async () => {
    holder.kill('SIGKILL')
    await new Promise((resolve) => holder.on('exit', resolve))
  }
}

test('a write superseded while its text is being made stops reading it and settles with the newer one', async () => {
  // The first write waits for a lock another process holds, so the incremental one queues
  // behind it, and the third supersedes it. Its text (more than the 8M characters a write may
  // have to catch up with) cannot all be made meanwhile: it waits for a write that never
  // comes, until superseded; then it stops.
  const file = path.join(dir, 'superseded.json')
  fs.writeFileSync(file, '"held"')
  const release = await holdLock(file)
  const count = 150000
  let reads = 0
  const data = history(count, () => reads++) // made first: that takes a while
  try {
    const first = safeWriteJson(file, { first: true }, { lockTimeoutMs: 300 })
    const superseded = safeWriteJson(file, data, { ...fast, lockTimeoutMs: 300 })
    const newer = safeWriteJson(file, { newest: true }, { durability: 'none', lockTimeoutMs: 300 })
    const outcomes = await Promise.allSettled([first, superseded, newer])
    // The newer write timed out on the lock too: the superseded call settles with its error.
    expect(outcomes.map((o) => o.reason?.code)).toEqual(['ELOCKED', 'ELOCKED', 'ELOCKED'])
    expect(outcomes[1].reason.message).toBe(outcomes[2].reason.message)
  } finally {
    await release()
  }
  expect(reads).toBeGreaterThan(0)
  expect(reads).toBeLessThan(count)
  expect(fs.readFileSync(file, 'utf8')).toBe('"held"')
  await safeWriteJson(file, { newest: true }, fast)
  expect(fs.readFileSync(file, 'utf8')).toBe('{"newest":true}')
  expect(leftovers(dir)).toEqual([])
}, 30000)

test('an incremental call inside an updater, for the file that update holds, fails with ELOCKED and stops reading', async () => {
  const file = path.join(dir, 'self.json')
  let reads = 0
  let inner
  await updateJson(file, async () => {
    inner = await safeWriteJson(
      file,
      history(3000, () => reads++),
      fast,
    ).catch((e) => e)
    return { outer: true }
  })
  expect(inner.code).toBe('ELOCKED')
  expect(reads).toBeLessThan(3000)
  expect(fs.readFileSync(file, 'utf8')).toBe('{"outer":true}')
})

test('a write that times out on a lock held by another process fails with ELOCKED, nothing left', async () => {
  const file = path.join(dir, 'held.json')
  fs.writeFileSync(file, '"held"')
  const release = await holdLock(file)
  try {
    const err = await safeWriteJson(file, history(3000), { ...fast, lockTimeoutMs: 100 }).catch((e) => e)
    expect(err.code).toBe('ELOCKED')
  } finally {
    await release()
  }
  expect(fs.readFileSync(file, 'utf8')).toBe('"held"')
  expect(leftovers(dir)).toEqual([])
}, 20000)

test.each([
  ['safeWriteJsonSync', (file) => safeWriteJsonSync(file, { sync: true })],
  ['safeWriteFileSync', (file) => safeWriteFileSync(file, '{"sync":true}')],
])('%s while an incremental write of the file is being made finishes it first, no hang', async (_name, syncWrite) => {
  const file = path.join(dir, 'sync.json')
  let reads = 0
  const data = history(3000, () => reads++)
  const pending = safeWriteJson(file, data, fast)
  expect(reads).toBeLessThan(3000) // still being made
  syncWrite(file)
  expect(reads).toBe(3000) // the Sync write had it finished
  expect(fs.readFileSync(file, 'utf8')).toBe('{"sync":true}')
  await pending
  expect(fs.readFileSync(file, 'utf8')).toBe('{"sync":true}')
})

describe('mutation while the promise is pending: valid JSON, every member read once, whole', () => {
  const original = (i) => ({ i, tag: 'old', list: [i, i + 1] })
  const replaced = (i) => ({ i, tag: 'new' })

  test.each([undefined, 2])('indent %s', async (indent) => {
    const file = path.join(dir, `mutated-${indent}.json`)
    const data = { version: 1, meta: { a: 1, b: 2 }, messages: Array.from({ length: 3000 }, (_, i) => original(i)) }
    const write = safeWriteJson(file, data, { ...fast, indent })
    // Between turns: replace, delete, push, shrink, and change the containers around.
    const mutations = [
      () => (data.messages[2500] = replaced(2500)),
      () => delete data.messages[2600].tag,
      () => data.messages[2700].list.push('pushed'),
      () => data.messages.push(original(3000)),
      () => (data.messages.length = 2900),
      () => delete data.meta.b,
      () => (data.version = 2),
      () => (data.messages[2800] = replaced(2800)),
    ]
    for (const mutate of mutations) {
      await new Promise((resolve) => setImmediate(resolve))
      mutate()
    }
    await write
    const written = JSON.parse(fs.readFileSync(file, 'utf8'))
    expect(Object.keys(written)).toEqual(['version', 'meta', 'messages'])
    // The length is read once, as the walk of the array begins (which turn that is depends on
    // the pieces before it); members past a shrink are null.
    expect([2900, 3000, 3001]).toContain(written.messages.length)
    expect([1, 2]).toContain(written.version)
    written.messages.forEach((m, i) => {
      const candidates = [
        original(i),
        replaced(i),
        { i, list: [i, i + 1] },
        { ...original(i), list: [i, i + 1, 'pushed'] },
        null,
      ]
      expect(candidates).toContainEqual(m)
    })
  })
})

test('updateJson with incremental: the bytes of JSON.stringify, the value returned', async () => {
  const file = path.join(dir, 'update.json')
  const data = history(2000)
  const result = await updateJson(file, () => data, { incremental: true, indent: 1, finalNewline: true })
  expect(result).toBe(data)
  expectFileBytes(file, Buffer.from(`${JSON.stringify(data, null, 1)}\n`))
})

test('once written, the value is let go (nothing native keeps it alive)', () => {
  // In a child process with --expose-gc: a WeakRef to the value, empty after a collection.
  const file = path.join(dir, 'collected.json')
  const script = `
    const { safeWriteJson } = require(${JSON.stringify(ROOT)})
    let data = { messages: Array.from({ length: 3000 }, (_, i) => ({ i, text: 'x'.repeat(50) })) }
    const ref = new WeakRef(data)
    safeWriteJson(${JSON.stringify(file)}, data, { incremental: true, durability: 'none' }).then(async () => {
      data = null
      for (let i = 0; i < 5 && ref.deref(); i++) {
        await new Promise((resolve) => setImmediate(resolve))
        global.gc()
      }
      process.stdout.write(ref.deref() ? 'kept' : 'collected')
    })`
  const env = { ...process.env, SAFE_WRITE_JSON_SLICE_MICROS: '0' }
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], { env, encoding: 'utf8', timeout: 20000 })
  expect(out).toBe('collected')
})

test('a text bigger than a write may have to catch up with (8M characters) is written whole', async () => {
  const file = path.join(dir, 'paced.json')
  const data = Array.from({ length: 120000 }, (_, i) => ({ i, text: `message ${i} ${'x'.repeat(60)}` }))
  await safeWriteJson(file, data, { ...fast, indent: 1 })
  expectFileBytes(file, Buffer.from(JSON.stringify(data, null, 1)))
}, 30000)

test('inside a big array, small objects holding big arrays are walked too once one turned out big', async () => {
  // 600 tasks of 2 keys; tasks 0 and 5 hold 200 long strings (140K characters): one piece each,
  // unless walked. Task 0 shows that tasks can be big: task 5 is walked, over several turns.
  const file = path.join(dir, 'tasks.json')
  const seen = {}
  let counted
  const big = (t) => (t === 0 || t === 5 ? 200 : 0)
  const tasks = Array.from({ length: 600 }, (_, t) => ({
    id: t,
    lines: Array.from({ length: big(t) }, (_, i) =>
      t === 5 && (i === 0 || i === 199)
        ? {
            get line() {
              seen[i] = counted.turns
              return 'y'.repeat(700)
            },
          }
        : 'x'.repeat(700),
    ),
  }))
  counted = countTurns()
  await safeWriteJson(file, tasks, fast)
  counted.stop()
  expect(seen[199]).toBeGreaterThan(seen[0]) // task 5 was made over several turns
  expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(tasks))
}, 30000)

test('a Sync write of the file made by a getter the walk runs: it is served, the incremental call fails cleanly', async () => {
  const file = path.join(dir, 'reentrant.json')
  const data = history(3000, (i) => {
    if (i === 2500) safeWriteJsonSync(file, { sync: true })
  })
  const err = await safeWriteJson(file, data, fast).catch((e) => e)
  expect(err.code).toBe('ERR_INVALID_STATE')
  expect(err.message).toMatch(/a Sync write was made while this value was being serialized incrementally/)
  expect(fs.readFileSync(file, 'utf8')).toBe('{"sync":true}')
  expect(leftovers(dir)).toEqual([])
})
