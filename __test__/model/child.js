// Plays one process's part of a model scenario (made by arbitraries.js, run by run.js) against
// the real package, and checks the contract after every step, in every settle handler and at
// every settle point. Usage: node child.js <scenario.json> <process index>, with cwd = the root.
// Exit 0: every rule held (last stdout line: {"ok":true,...} with counted figures).
// Exit 1: a rule broke (stdout: {"ok":false,"rule":...}). Anything else is a crash; a hang is
// caught by the runner's watchdog.
//
// The model, per file (whatever the spelling):
// - every call gets a key in call order; a call made inside an updater (nested) is placed just
//   before that updateJson, which is the only order in which it could be served;
// - the file is at every instant one complete version: exactly the text one call wrote;
// - in one process, versions only move forward in call order, and after a write is
//   acknowledged (promise resolved, Sync returned) no older version is ever seen again;
// - a Sync write returns with its own data in the file;
// - async calls (writes and updateJson) settle in call order;
// - an updater receives exactly the value of the last call before it that wrote;
// - at a settle point: the file holds the last call's data, its mode is the newest explicit one
//   (else 0o666 & ~umask), `.bak` is there exactly when a backup write followed an existing
//   version and holds an older version, and there is no temp file or lock sidecar;
// - cleanupTempFiles never finds anything to remove (nobody crashed);
// - the only error allowed is ELOCKED: from a Sync write while an updateJson of the file is
//   pending in this process, and from a call nested in an updater of the same file.
// With several processes on one file, only what one process can know is checked here (complete
// versions, its own settle order and errors); run.js checks the end state and the counter.
const fs = require('node:fs')
const path = require('node:path')
const swj = require('../..')
const { FILES, spell, build, textOf, header, leftovers } = require('./world')

const [scenarioFile, procArg] = process.argv.slice(2)
const scenario = JSON.parse(fs.readFileSync(scenarioFile, 'utf8'))
const me = Number(procArg)
const steps = scenario.procs[me]
const shared = scenario.procs.length > 1
const root = process.cwd()
const env = process.env
const UMASK = 0o022
process.umask(UMASK)

let current = -1 // index of the step being played, for the report
function fail(rule, detail = {}) {
  fs.writeSync(1, `${JSON.stringify({ ok: false, proc: me, step: current, rule, ...detail })}\n`)
  process.exit(1)
}
const describe = (e) => (e instanceof Error ? `${e.code || e.name}: ${e.message}` : String(e))

const calls = [] // every call of this process, index = its `c`
const byFile = Object.fromEntries(Object.keys(FILES).map((f) => [f, []]))
const state = Object.fromEntries(
  Object.keys(FILES).map((f) => [f, { maxAck: -Infinity, lastObs: -Infinity, seen: false }]),
)
const live = new Set() // handled promises not yet settled
let seq = 0
let settles = 0
const counts = {
  calls: 0,
  sync: 0,
  async: 0,
  updates: 0,
  reads: 0,
  cleanups: 0,
  removedUnheld: 0,
  nested: 0,
  elocked: 0,
  observations: 0,
  settlePoints: 0,
}

function newCall(f, kind, outer, extra) {
  const key = outer ? outer.key - 1000 + ++outer.nestedCount : ++seq * 1000
  const call = {
    c: calls.length,
    key,
    f,
    kind,
    nested: Boolean(outer),
    status: 'pending',
    settle: null,
    nestedCount: 0,
    ...extra,
  }
  calls.push(call)
  byFile[f].push(call)
  counts.calls++
  if (outer) counts.nested++
  return call
}

/** The call of this process whose text `text` is, or null for another process's; fails on anything else. */
function identify(f, text, where) {
  const h = header(text)
  if (!h)
    fail('not one complete version of the file', { where, file: f, start: text.slice(0, 80), length: text.length })
  if (h.f !== f) fail('the file holds the data of another file', { where, file: f, header: h })
  if (h.p !== me) {
    if (!shared || text !== rebuilt(h)) fail('not one complete version of the file', { where, file: f, header: h })
    return null
  }
  const call = calls[h.c]
  if (!call || call.f !== f || call.text === undefined)
    fail('the file holds data no call of this file wrote', { where, file: f, header: h })
  if (text !== call.text) fail('not exactly the text the call wrote', { where, file: f, call: h.c })
  if (call.status === 'failed' || call.status === 'none')
    fail('data of a call that wrote nothing is in the file', { where, file: f, call: h.c })
  return call
}

// Another process's version, rebuilt from its header (cached: the same one is seen many times).
let cache = { key: null, text: null }
function rebuilt(h) {
  const key = JSON.stringify(h)
  if (cache.key !== key) cache = { key, text: textOf(h, env) }
  return cache.text
}

/** Read the file now (synchronously: one instant) and check it against what was acknowledged. */
function observe(f, where) {
  const st = state[f]
  let text
  try {
    text = fs.readFileSync(path.join(root, FILES[f].real), 'utf8')
  } catch (e) {
    if (e.code !== 'ENOENT') fail('the file cannot be read', { where, file: f, error: describe(e) })
    if (st.seen) fail('the file vanished after it was written', { where, file: f })
    return null
  }
  counts.observations++
  st.seen = true
  const call = identify(f, text, where)
  if (call && !shared) {
    if (call.key < st.maxAck)
      fail('an acknowledged write is lost', { where, file: f, holds: call.c, acknowledged: keyToCall(f, st.maxAck) })
    if (call.key < st.lastObs)
      fail('an older version replaced a newer one', { where, file: f, holds: call.c, before: keyToCall(f, st.lastObs) })
    st.lastObs = call.key
  }
  return call
}
const keyToCall = (f, key) => byFile[f].find((x) => x.key === key)?.c

function ack(call) {
  const st = state[call.f]
  st.maxAck = Math.max(st.maxAck, call.key)
}

/** A top-level async call settled: all earlier ones of its file must have settled already. */
function settled(call, how) {
  call.settle = ++settles
  if (call.nested) return
  const early = byFile[call.f].find((x) => !x.nested && x.async && x.key < call.key && x.settle === null)
  if (early)
    fail('promises of one file settle out of call order', {
      file: call.f,
      settled: call.c,
      how: how instanceof Error ? describe(how) : how,
      before: early.c,
    })
}

const updatePending = (f) => byFile[f].some((x) => x.kind === 'update' && x.settle === null)

function track(promise) {
  live.add(promise)
  promise.finally(() => live.delete(promise))
  return promise
}

const turns = async (n) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

function writeOptions(step, json) {
  const o = { ...step.opts }
  delete o.indent
  if (json && step.opts.indent) o.indent = 2
  return o
}

function write(step, outer) {
  const f = step.file
  const call = newCall(f, step.sync ? 'sync' : 'write', outer, { async: !step.sync, opts: step.opts })
  const h = { f, p: me, c: call.c, n: 0, s: step.size, i: step.opts.indent ? 2 : 0 }
  call.text = textOf(h, env)
  call.existed = fs.existsSync(path.join(root, FILES[f].real))
  const target = spell(root, f, step.sp)
  const json = step.api !== 'file'
  const data = json ? build(h, env) : step.sp % 2 ? Buffer.from(call.text) : call.text
  const options = writeOptions(step, json)
  if (step.sync) {
    counts.sync++
    try {
      ;(json ? swj.safeWriteJsonSync : swj.safeWriteFileSync)(target, data, options)
    } catch (e) {
      if (e.code === 'ELOCKED' && updatePending(f)) {
        counts.elocked++
        call.status = 'failed'
        return
      }
      fail('a Sync write threw', { file: f, call: call.c, error: describe(e), updatePending: updatePending(f) })
    }
    call.status = 'ok'
    const seen = observe(f, `after Sync write ${call.c}`)
    if (!shared && seen !== call)
      fail('a Sync write returned without its own data in the file', { file: f, call: call.c, holds: seen?.c })
    ack(call)
    return
  }
  counts.async++
  const promise = (json ? swj.safeWriteJson : swj.safeWriteFile)(target, data, options)
  return track(
    promise.then(
      () => {
        settled(call, 'resolved')
        call.status = 'ok'
        ack(call)
        observe(f, `write ${call.c} resolved`)
      },
      (e) => {
        settled(call, e)
        if (outer && e.code === 'ELOCKED') {
          counts.elocked++
          call.status = 'failed'
          return
        }
        fail('a write rejected', { file: f, call: call.c, error: describe(e) })
      },
    ),
  )
}

/** The last call before `call` (in call order) that wrote or is going to write its file. */
function lastWriterBefore(call) {
  let best = null
  for (const x of byFile[call.f]) {
    if (
      x.key < call.key &&
      x.kind !== 'read' &&
      x.status !== 'failed' &&
      x.status !== 'none' &&
      (!best || x.key > best.key)
    )
      best = x
  }
  return best
}

function update(step, outer) {
  const f = step.op === 'inc' ? 'k' : step.file
  const call = newCall(f, 'update', outer, { async: true, opts: step.opts })
  call.existed = fs.existsSync(path.join(root, FILES[f].real))
  counts.updates++
  const kind =
    step.op === 'inc' ? step.updater.replace(/^nested.*/, 'async').replace(/^(none|throw)$/, 'sync') : step.updater
  const finish = (cur) => {
    if (kind === 'none') {
      call.status = 'none'
      return undefined
    }
    if (kind === 'throw') {
      call.status = 'none'
      call.thrown = new Error('the updater threw on purpose')
      throw call.thrown
    }
    const h = { f, p: me, c: call.c, n: (cur === undefined ? 0 : cur.n) + 1, s: step.size, i: step.opts.indent ? 2 : 0 }
    call.text = textOf(h, env)
    call.status = 'willWrite'
    return build(h, env)
  }
  const nestedStep = { file: f, sp: step.sp + 1, size: 'small', opts: { lockTimeoutMs: 2000 }, updater: 'sync' }
  const updater = (cur) => {
    if (call.ran) fail('an updater was called twice', { file: f, call: call.c })
    call.ran = true
    checkInput(call, cur)
    switch (kind) {
      case 'async':
        return Promise.resolve().then(() => finish(cur))
      case 'slow':
        return turns(3).then(() => finish(cur))
      case 'lingering': // holds the lease long enough for a queued big text's copy to pause
        return turns(300).then(() => finish(cur))
      case 'nestedWrite':
        return write({ ...nestedStep, sync: false }, call).then(() => finish(cur))
      case 'nestedSync':
        write({ ...nestedStep, sync: true }, call)
        return finish(cur)
      case 'nestedUpdate':
        return update({ ...nestedStep, op: 'update' }, call).then(() => finish(cur))
      default: // sync, none, throw
        return finish(cur)
    }
  }
  const promise = swj.updateJson(spell(root, f, step.sp), updater, writeOptions(step, true))
  return track(
    promise.then(
      (result) => {
        settled(call, 'resolved')
        if (call.status === 'none') {
          if (result !== undefined)
            fail('updateJson resolved with a value though its updater returned undefined', { file: f, call: call.c })
          return
        }
        if (call.status !== 'willWrite')
          fail('updateJson resolved without calling its updater', { file: f, call: call.c })
        if (JSON.stringify(result, null, step.opts.indent ? 2 : undefined) !== call.text)
          fail('updateJson resolved with another value than it wrote', { file: f, call: call.c })
        call.status = 'ok'
        ack(call)
        observe(f, `updateJson ${call.c} resolved`)
      },
      (e) => {
        settled(call, e)
        if (call.thrown && e === call.thrown) return
        if (outer && e.code === 'ELOCKED' && !call.ran) {
          counts.elocked++
          call.status = 'failed'
          return
        }
        fail('updateJson rejected', { file: f, call: call.c, error: describe(e), updaterRan: Boolean(call.ran) })
      },
    ),
  )
}

/** updateJson reads the value left by all calls made before it, in call order (per file). */
function checkInput(call, cur) {
  const f = call.f
  let seen = null
  if (cur !== undefined) {
    if (!cur || typeof cur !== 'object')
      fail('the updater received something that is not a version of the file', { file: f, call: call.c })
    seen = identify(f, JSON.stringify(cur, null, cur.i || undefined), `updater of ${call.c}`)
  }
  if (shared && f !== 'b' && f !== 'c') return
  const expected = lastWriterBefore(call)
  if (expected && expected.kind === 'update' && expected.status === 'pending') {
    fail('an updater ran before the updater of an earlier updateJson of the file returned', {
      file: f,
      call: call.c,
      earlier: expected.c,
    })
  }
  if (seen !== expected)
    fail('updateJson did not read the value left by the calls before it', {
      file: f,
      call: call.c,
      read: cur === undefined ? 'nothing' : seen.c,
      expected: expected?.c ?? 'nothing',
    })
}

function read(step) {
  const f = step.file
  const call = newCall(f, 'read', null, { async: false })
  counts.reads++
  const st = state[f]
  const floor = Math.max(st.maxAck, st.lastObs)
  const seenBefore = st.seen
  return track(
    swj.safeReadJson(spell(root, f, step.sp)).then(
      (value) => {
        call.settle = ++settles
        if (!value || typeof value !== 'object')
          fail('safeReadJson returned something that is not a version of the file', { file: f, call: call.c })
        const seen = identify(f, JSON.stringify(value, null, value.i || undefined), `safeReadJson ${call.c}`)
        if (seen && !shared && seen.key < floor)
          fail('safeReadJson returned a version older than one already acknowledged or seen', {
            file: f,
            call: call.c,
            got: seen.c,
            floor: keyToCall(f, floor),
          })
      },
      (e) => {
        call.settle = ++settles
        if (e.code === 'ENOENT' && !seenBefore && floor === -Infinity) return
        fail('safeReadJson rejected', { file: f, call: call.c, error: describe(e) })
      },
    ),
  )
}

function cleanup() {
  counts.cleanups++
  const dirs = ['d', 'e', 'n/x'].map((d) => path.join(root, d)).filter((d) => fs.existsSync(d))
  return Promise.all(
    dirs.map((dir) =>
      track(
        swj.cleanupTempFiles(dir, { olderThanMs: 0 }).then(
          (removed) => {
            // Nobody crashed, so every temp file or lock sidecar belongs to a live writer. Cleanup
            // may still take one in the instant between its creation and its writer's lock (no
            // OS makes the two one step); the writer then finds its name gone and starts over. So
            // a removal is counted, and harm is what fails: a write that fails or loses its data
            // breaks the other rules.
            counts.removedUnheld += removed.length
          },
          (e) => fail('cleanupTempFiles rejected', { dir: path.relative(root, dir), error: describe(e) }),
        ),
      ),
    ),
  )
}

async function settleAll() {
  while (live.size) await Promise.allSettled(live)
}

/** All promises of this process settled: the end state of each file. */
function atRest() {
  counts.settlePoints++
  if (shared) return
  for (const f of Object.keys(FILES)) {
    const mine = byFile[f].filter((x) => x.kind !== 'read')
    if (!mine.length) continue
    const unsettled = mine.find((x) => x.async && x.settle === null)
    if (unsettled) fail('a promise never settled', { file: f, call: unsettled.c })
    const wrote = mine.filter((x) => x.status === 'ok').sort((x, y) => x.key - y.key)
    const seen = observe(f, 'at rest')
    const last = wrote[wrote.length - 1]
    if (last && seen !== last)
      fail('the file does not end with the data of the last call', { file: f, holds: seen?.c, last: last.c })
    if (!last) continue
    const real = path.join(root, FILES[f].real)
    const explicit = wrote.filter((x) => x.opts.mode !== undefined)
    const mode = explicit.length ? explicit[explicit.length - 1].opts.mode : 0o666 & ~UMASK
    const actual = fs.statSync(real).mode & 0o7777
    // Windows keeps no permission bits but read-only: 0o666, or 0o444 without the owner's write bit.
    const shown = process.platform !== 'win32' ? mode : mode & 0o200 ? 0o666 : 0o444
    if (actual !== shown)
      fail('the file does not have the mode asked for', { file: f, mode: mode.toString(8), actual: actual.toString(8) })
    const backups = wrote.filter((x) => x.opts.backup)
    const bak = `${real}.bak`
    if (!backups.length) {
      if (fs.existsSync(bak)) fail('a .bak appeared though no call asked for one', { file: f })
    } else if (!fs.existsSync(bak)) {
      if (backups.some((x) => x.existed))
        fail('no .bak though a backup write replaced an existing version', { file: f })
    } else {
      const kept = identify(f, fs.readFileSync(bak, 'utf8'), '.bak')
      const lastBackup = backups[backups.length - 1]
      if (kept && kept.key >= lastBackup.key)
        fail('.bak does not hold an earlier version', { file: f, bak: kept.c, lastBackup: lastBackup.c })
    }
  }
  const left = leftovers(root)
  if (left.length) fail('temp files or lock sidecars left behind', { left: left.map((p) => path.relative(root, p)) })
}

async function play(step) {
  switch (step.op) {
    case 'write':
      write(step)
      return
    case 'update':
    case 'inc':
      update(step)
      return
    case 'read':
      read(step)
      return
    case 'cleanup':
      cleanup()
      return
    case 'turn':
      await turns(step.n)
      return
    case 'awaitOne': {
      const all = [...live]
      if (all.length) await all[step.pick % all.length].catch(() => {})
      return
    }
    case 'settle':
      await settleAll()
      atRest()
      return
    default:
      throw new Error(`unknown step ${step.op}`)
  }
}

process.on('unhandledRejection', (e) => fail('unhandled rejection', { error: describe(e) }))

;(async () => {
  for (current = 0; current < steps.length; current++) {
    for (const f of Object.keys(FILES)) if (byFile[f].length) observe(f, 'before the step')
    await play(steps[current])
  }
  await settleAll()
  atRest()
  const incs = byFile.k.filter((x) => x.kind === 'update' && x.status === 'ok').length
  fs.writeSync(1, `${JSON.stringify({ ok: true, proc: me, incs, ...counts })}\n`)
})().catch((e) => fail('the scenario itself threw', { error: e.stack }))
