// The tick gate (src/gate.rs): the async writes made in one synchronous run of JavaScript start
// once that run has ended, so a burst of calls to one path costs one disk write. A gate must
// never stay closed: a thread that blocks after its calls, a worker terminated before its
// microtask, copies of the package in several jest realms, fake timers. The cases that could
// hang run in child processes under a watchdog; those that need the other ways of opening a gate
// switched off use the failpoints build (`gate.unlimited`: no hold limit).
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { tmpDir, runNodeScript } = require('./helpers')
const { FAILPOINTS_ADDON } = require('./torture-helpers')

const ROOT = path.resolve(__dirname, '..')
const WATCHDOG_MS = 30000

// Decided at load time: without Linux and a working strace the renames cannot be counted.
const straceWorks =
  process.platform === 'linux' &&
  spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { timeout: 30_000 }).status === 0
const withStrace = straceWorks ? test : test.skip
const withFailpoints = fs.existsSync(FAILPOINTS_ADDON) ? test : test.skip

/** Run `script` (argv: the package, `dir`) in a child node; its stdout parsed. A hang fails. */
function runChild(script, dir, { env = {}, strace = null } = {}) {
  return runNodeScript(script, [ROOT, dir], { env, strace, timeout: WATCHDOG_MS })
}

const unlimited = { NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON, FAILPOINTS: 'gate.unlimited=return' }

withStrace('100 calls to one path made in one run of JavaScript cost one physical write, of the last data', () => {
  const dir = tmpDir('swj-gate-burst')
  const log = path.join(tmpDir('swj-gate-log'), 'trace')
  const outcome = runChild(
    `const [pkg, dir] = process.argv.slice(1)
    const { safeWriteJson } = require(pkg)
    const file = require('node:path').join(dir, 'a.json')
    const calls = []
    for (let n = 0; n < 100; n++) calls.push(safeWriteJson(file, { n }))
    Promise.all(calls).then(() => console.log(JSON.stringify(require('node:fs').readFileSync(file, 'utf8'))))`,
    dir,
    { strace: ['-f', '-qq', '-e', 'trace=rename,renameat,renameat2', '-o', log] },
  )
  expect(outcome).toBe('{"n":99}')
  const target = JSON.stringify(path.join(dir, 'a.json'))
  const renames = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => /\brename(at2?)?\(/.test(line) && line.includes(`${target}`))
  expect(renames).toHaveLength(1)
})

test('a worker that blocks its thread after an async write (its microtask cannot run) still gets the write done', () => {
  // The main thread waits, polling the file, for the worker's data; the worker waits for the
  // main thread to have seen it. Only the gate's hold limit can open the worker's gate.
  const dir = tmpDir('swj-gate-blocked')
  const outcome = runChild(blockedWorkerScript('poll'), dir)
  expect(outcome).toEqual({ seen: '{"from":"worker"}' })
})

withFailpoints(
  'an updateJson queued behind the write of a thread that blocks until the update is done proceeds (no hold limit)',
  () => {
    const dir = tmpDir('swj-gate-blocked-update')
    const outcome = runChild(blockedWorkerScript('update'), dir, { env: unlimited })
    expect(outcome).toEqual({ seen: { from: 'worker' } })
  },
)

withFailpoints("a worker terminated before its run's microtask: its write still lands (no hold limit)", () => {
  const dir = tmpDir('swj-gate-terminated')
  const outcome = runChild(
    `const [pkg, dir] = process.argv.slice(1)
      const { Worker } = require('node:worker_threads')
      const fs = require('node:fs')
      const file = require('node:path').join(dir, 'a.json')
      // The worker writes, says so, and blocks for good: its run never ends, the microtask that
      // opens its gate never runs. It is terminated there.
      const worker = new Worker(
        \`const { workerData: [pkg, file], parentPort } = require('node:worker_threads')
        require(pkg).safeWriteJson(file, { from: 'worker' })
        parentPort.postMessage('written')
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)\`,
        { eval: true, workerData: [pkg, file] },
      )
      worker.once('message', async () => {
        await worker.terminate()
        const poll = () => {
          const seen = fs.existsSync(file) && fs.readFileSync(file, 'utf8')
          if (seen) console.log(JSON.stringify({ seen }))
          else setTimeout(poll, 5)
        }
        poll()
      })`,
    dir,
    { env: unlimited },
  )
  expect(outcome).toEqual({ seen: '{"from":"worker"}' })
})

// jest's modern fake timers replace queueMicrotask (checked with jest 29: a queued microtask
// does not run): the gate is opened by a promise job instead, which they cannot touch.
test('copies of the package in two jest realms, with fake timers on, share a run: all settle, the last call wins', async () => {
  jest.useFakeTimers()
  try {
    const dir = tmpDir('swj-gate-realms')
    const file = path.join(dir, 'a.json')
    const copies = [0, 1].map(() => {
      let api
      jest.isolateModules(() => {
        api = require('..')
      })
      return api
    })
    expect(copies[0]).not.toBe(copies[1])
    const calls = []
    for (let n = 0; n < 20; n++) calls.push(copies[n % 2].safeWriteJson(file, { n }))
    await Promise.all(calls)
    expect(fs.readFileSync(file, 'utf8')).toBe('{"n":19}')
  } finally {
    jest.useRealTimers()
  }
})

withFailpoints(
  'two copies of the package on one thread, with every timer and queueMicrotask faked (never run): a burst settles (no hold limit)',
  () => {
    const dir = tmpDir('swj-gate-faked')
    const outcome = runChild(
      `const [pkg, dir] = process.argv.slice(1)
      const fs = require('node:fs')
      // As jest's modern fake timers leave them until advanced: queued, never run.
      for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']) globalThis[name] = () => {}
      // A fresh copy of the package's JavaScript over the one addon, as jest.isolateModules makes.
      const load = () => {
        for (const key of Object.keys(require.cache)) if (key.startsWith(pkg) && !key.endsWith('.node')) delete require.cache[key]
        return require(pkg)
      }
      const copies = [load(), load()]
      if (copies[0] === copies[1]) throw new Error('one copy')
      const file = require('node:path').join(dir, 'a.json')
      const calls = []
      for (let n = 0; n < 20; n++) calls.push(copies[n % 2].safeWriteJson(file, { n }))
      Promise.all(calls).then(() => console.log(JSON.stringify({ content: fs.readFileSync(file, 'utf8') })))`,
      dir,
      { env: unlimited },
    )
    expect(outcome).toEqual({ content: '{"n":19}' })
  },
)

/**
 * A child script: a worker makes an async write of `{ from: 'worker' }` and blocks its thread
 * (Atomics.wait) until the main thread has seen it — by polling the file (`poll`), or by an
 * updateJson of that file (`update`) — and lets it go.
 */
function blockedWorkerScript(how) {
  return `const [pkg, dir] = process.argv.slice(1)
    const { Worker } = require('node:worker_threads')
    const fs = require('node:fs')
    const { updateJson } = require(pkg)
    const file = require('node:path').join(dir, 'a.json')
    const flag = new Int32Array(new SharedArrayBuffer(4))
    const worker = new Worker(
      \`const { workerData: [pkg, file, flag], parentPort } = require('node:worker_threads')
      require(pkg).safeWriteJson(file, { from: 'worker' })
      parentPort.postMessage('written')
      Atomics.wait(flag, 0, 0)\`,
      { eval: true, workerData: [pkg, file, flag] },
    )
    const done = (seen) => {
      Atomics.store(flag, 0, 1)
      Atomics.notify(flag, 0)
      worker.once('exit', () => console.log(JSON.stringify({ seen })))
    }
    worker.once('message', () => {
      if (${JSON.stringify(how)} === 'update') {
        let seen
        updateJson(file, (current) => ((seen = current), undefined)).then(() => done(seen))
        return
      }
      const poll = () => {
        const seen = fs.existsSync(file) && fs.readFileSync(file, 'utf8')
        if (seen) done(seen)
        else setTimeout(poll, 5)
      }
      poll()
    })`
}
