// Guarantees 1, 7 and 8 against SIGKILL: a writer killed at any instant leaves the target as one
// complete version — never a mix, never cut short, never older than a write that had resolved —
// and what it leaves behind (a temp file, a lock sidecar) blocks nobody and is removed by
// cleanupTempFiles.
//
// 1. The kill loop: child processes write versions of a ~200 KB document until they are
//    SIGKILLed at a random instant. `KILLS` kills in all (50 in `npm test`, 1,000 in
//    `npm run torture`), shared by five ways of writing.
// 2. Deterministic crash points: the failpoints build holds a writer at one step (the `hold`
//    action), the test kills it there, and checks exactly what that step may leave.
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { safeWriteJson, cleanupTempFiles } = require('..')
const { tmpDir } = require('./helpers')
const { versionBytes, versionDoc } = require('./fixtures/kill-doc.js')
const { FAILPOINTS_ADDON, report } = require('./torture-helpers')

const KILLS = Number(process.env.KILLS) || 50
const MODES = ['json', 'sync', 'update', 'backup', 'spill']
// Long enough for several 200 KB writes (each a few ms with its fsyncs), so that kills land
// before, during and between writes.
const MAX_DELAY_MS = 60
const TEMP = /^\..+\.[A-Za-z0-9]{8}\.tmp$/
const LOCK = /^\..+\.lock$/

/** Spawn `args` under node; resolve with the child once it printed `marker` (stdout or stderr). */
function spawnUntil(args, marker, env = process.env) {
  const child = spawn(process.execPath, args, { env })
  child.out = ''
  child.err = ''
  child.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  const reached = new Promise((resolve, reject) => {
    const look = () => (child.out + child.err).includes(marker) && resolve(child)
    child.stdout.on('data', (d) => ((child.out += d), look()))
    child.stderr.on('data', (d) => ((child.err += d), look()))
    child.exited.then(({ code, signal }) =>
      reject(new Error(`child ended (${code ?? signal}) before "${marker}": ${child.err}`)),
    )
  })
  return reached
}

/** Kill `child` and wait until it is gone and its output is read; refuse any other death. */
async function kill(child) {
  child.kill('SIGKILL')
  const { code, signal } = await child.exited
  if (signal !== 'SIGKILL') throw new Error(`the writer died by itself (${code}): ${child.err}`)
}

/** The version the file holds, checked to be complete and exact; throws otherwise. */
function versionIn(file) {
  const bytes = fs.readFileSync(file)
  let version
  try {
    version = JSON.parse(bytes).version
  } catch (err) {
    throw new Error(`${file} is corrupt (${bytes.length} bytes): ${err.message}`)
  }
  if (!Number.isInteger(version) || !bytes.equals(versionBytes(version))) {
    throw new Error(`${file} is not one complete version (${bytes.length} bytes, version ${version})`)
  }
  return version
}

describe('the kill loop', () => {
  // Counted as found, reported as counted (npm run torture prints them), and asserted zero.
  const totals = {
    kills: 0,
    acked: 0,
    midWrite: 0,
    staleSidecars: 0,
    removedByCleanup: 0,
    corrupt: 0,
    lost: 0,
    leftovers: 0,
    blocked: 0,
  }
  afterAll(() => report('kill loop', { modes: MODES.join(','), ...totals }))

  test.each(MODES)(
    `%s: ${Math.ceil(KILLS / MODES.length)} writers SIGKILLed at random instants`,
    async (how) => {
      const dir = tmpDir('swj-kill')
      const file = path.join(dir, 'state.json')
      // Spill: the root object and its big array walked, streamed to the temp file past 20 KB.
      const env =
        how === 'spill'
          ? { ...process.env, SAFE_WRITE_JSON_WALK_MIN: '2', SAFE_WRITE_JSON_SPILL_BYTES: '20000' }
          : process.env
      await safeWriteJson(file, versionDoc(0))
      const found = { corrupt: 0, lost: 0, leftovers: 0, blocked: 0 }
      const what = [] // what each of those was, to show on failure
      const problem = (kind, text) => {
        found[kind]++
        totals[kind]++
        what.push(text)
      }
      let current = 0
      for (let round = 0; round < Math.ceil(KILLS / MODES.length); round++) {
        const child = await spawnUntil(
          [path.join(__dirname, 'fixtures', 'kill-writer.js'), file, how, current + 1],
          'started\n',
          env,
        )
        await new Promise((resolve) => setTimeout(resolve, Math.random() * MAX_DELAY_MS))
        await kill(child)
        totals.kills++
        const acks = child.out.match(/ack \d+/g) ?? []
        totals.acked += acks.length
        const lastAck = acks.length ? Number(acks.at(-1).slice(4)) : current

        // One complete version, not older than the last acknowledged write, and at most the one
        // that was in flight.
        let version
        try {
          version = versionIn(file)
        } catch (err) {
          problem('corrupt', `round ${round}: ${err.message}`)
          break // nothing to go on from
        }
        if (version < lastAck)
          problem('lost', `round ${round}: lost acknowledged writes: file has ${version}, ${lastAck} had resolved`)
        if (version > lastAck + 1)
          problem('corrupt', `round ${round}: version ${version} was never written (last ack ${lastAck})`)
        if (how === 'backup' && fs.existsSync(`${file}.bak`)) {
          try {
            if (versionIn(`${file}.bak`) > version)
              problem('corrupt', `round ${round}: the backup is newer than the file`)
          } catch (err) {
            problem('corrupt', `round ${round}: backup: ${err.message}`)
          }
        }
        current = version

        const names = fs.readdirSync(dir)
        if (names.some((n) => TEMP.test(n))) totals.midWrite++
        if (names.some((n) => LOCK.test(n))) totals.staleSidecars++
        if (round % 2 === 1) {
          // Leave the leftovers to the next writer: a writer that will not wait is not blocked.
          try {
            await safeWriteJson(file, versionDoc(current), { lockTimeoutMs: 0, backup: how === 'backup' })
          } catch (err) {
            if (err.code !== 'ELOCKED') throw err
            problem('blocked', `round ${round}: the next writer was blocked: ${err.message}`)
          }
        } else {
          totals.removedByCleanup += (await cleanupTempFiles(dir, { olderThanMs: 0 })).length
          const left = fs.readdirSync(dir).filter((n) => n !== 'state.json' && n !== 'state.json.bak')
          for (const name of left) problem('leftovers', `round ${round}: left after cleanup: ${name}`)
        }
      }
      await cleanupTempFiles(dir, { olderThanMs: 0 })
      for (const name of fs.readdirSync(dir).filter((n) => n !== 'state.json' && n !== 'state.json.bak'))
        problem('leftovers', `at the end: ${name}`)
      expect(what).toEqual([])
      expect(found).toEqual({ corrupt: 0, lost: 0, leftovers: 0, blocked: 0 })
      expect(versionIn(file)).toBe(current)
    },
    600000,
  )
})

describe('a writer killed at each step of the pipeline', () => {
  const OLD = '{"version":"old"}'
  // [point, op, what the target holds after the kill, leftovers (kinds) cleanup must remove]
  const points = [
    ['target.mkdir', 'json', 'none', []],
    ['lock.acquire', 'json', 'old', []],
    ['target.stat', 'json', 'old', ['lock']],
    ['temp.create', 'json', 'old', ['lock']],
    ['temp.write', 'json', 'old', ['lock', 'temp']],
    ['temp.verify', 'json', 'old', ['lock', 'temp']],
    ['temp.chmod', 'json', 'old', ['lock', 'temp']],
    ['temp.fsync', 'json', 'old', ['lock', 'temp']],
    ['backup.link', 'backup', 'old', ['lock', 'temp']],
    ['backup.rename', 'backup', 'old', ['lock', 'temp', 'temp']],
    ['commit.rename', 'json', 'old', ['lock', 'temp']],
    ['commit.fsync-dir', 'json', 'new', ['lock']],
    ['lock.release', 'json', 'new', ['lock']],
    ['read.open', 'update', 'old', ['lock']],
    // The streaming writer is held while the call may or may not have returned and the write
    // taken the lock (the rest of the text can fit in the writer's queue): either is right.
    ['temp.write', 'spill', 'old', [['temp'], ['lock', 'temp']]],
  ]
  // Counted as found, reported as counted, and asserted zero in each test.
  const totals = { points: points.length, kills: 0, corrupt: 0, leftovers: 0, blocked: 0 }
  afterAll(() => report('crash points', totals))

  test.each(points)('held at %s (%s), then SIGKILLed', async (point, op, holds, expected) => {
    const dir = tmpDir('swj-hold')
    const file = point === 'target.mkdir' ? path.join(dir, 'sub', 'state.json') : path.join(dir, 'state.json')
    if (point !== 'target.mkdir') fs.writeFileSync(file, OLD)
    const env = {
      ...process.env,
      NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON,
      FAILPOINTS: `${point}=hold`,
      ...(op === 'spill' && { SAFE_WRITE_JSON_WALK_MIN: '2', SAFE_WRITE_JSON_SPILL_BYTES: '2000' }),
    }
    const child = await spawnUntil(
      [path.join(__dirname, 'fixtures', 'fault.js'), JSON.stringify({ op, file, dir })],
      `failpoint ${point} reached`,
      env,
    )
    await kill(child)
    totals.kills++
    const found = { corrupt: 0, leftovers: 0, blocked: 0 }
    const what = []
    const problem = (kind, text) => {
      found[kind]++
      totals[kind]++
      what.push(text)
    }

    const held = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null
    const right =
      holds === 'none' ? held === null : holds === 'old' ? held === OLD : held !== null && safeVersion(held) === 'first'
    if (!right) problem('corrupt', `the target holds ${JSON.stringify(held)}, not the ${holds} content`)

    const parent = fs.existsSync(path.dirname(file)) ? path.dirname(file) : dir
    const removed = (await cleanupTempFiles(parent, { olderThanMs: 0 })).map((p) =>
      TEMP.test(path.basename(p)) ? 'temp' : 'lock',
    )
    const acceptable = Array.isArray(expected[0]) ? expected : [expected]
    expect(acceptable.map((one) => [...one].sort())).toContainEqual(removed.sort())
    // The next writer does not wait for the dead one.
    try {
      await safeWriteJson(file, { version: 'next' }, { lockTimeoutMs: 0 })
    } catch (err) {
      if (err.code !== 'ELOCKED') throw err
      problem('blocked', `the next writer was blocked: ${err.message}`)
    }
    for (const name of fs.readdirSync(path.dirname(file)).filter((n) => n.startsWith('.')))
      problem('leftovers', `left behind: ${name}`)
    expect(what).toEqual([])
    expect(found).toEqual({ corrupt: 0, leftovers: 0, blocked: 0 })
    expect(fs.readFileSync(file, 'utf8')).toBe('{"version":"next"}')
  })
})

/** The `version` of a JSON text, or undefined if it does not parse. */
function safeVersion(text) {
  try {
    return JSON.parse(text).version
  } catch {
    return undefined
  }
}
