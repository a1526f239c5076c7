#!/usr/bin/env node
// `npm run bench`: safe-write-json against its peers and two floors, in one run (issue 3).
// See bench/README.md for what each workload measures and how to read the table.
//
//   node bench/run.js [--quick] [--only small,burst,...] [--reps N] [--huge-reps N]
//                     [--huge-timeout S] [--dir WORKDIR] [--out REPORTDIR] [--json FILE]
//
// Rules it keeps (STYLE.md convention 13): first every contender's bytes are checked against
// JSON.stringify's, then contenders are timed in interleaved rounds, rotated so that none is
// always measured right after the slowest; results are medians (and minimums) of the rounds,
// and every ratio compares numbers from this same run. Nothing here asserts a timing.
'use strict'

const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const readline = require('node:readline')
const { parseArgs } = require('node:util')
const { performance } = require('node:perf_hooks')
const { CONTENDERS, VARIANTS, INCREMENTAL, LOCK_VARIANTS, packageHasLock, packageReader } = require('./peers')
const { settings } = require('./workloads')
const report = require('./report')

const ROOT = path.join(__dirname, '..')
const WORKLOADS = ['small', 'burst', 'spread', 'medium', 'large', 'huge', 'read']

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    reps: { type: 'string' },
    'huge-reps': { type: 'string' },
    'huge-timeout': { type: 'string' },
    dir: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
  },
})

const only = opts.only ? opts.only.split(',').map((s) => s.trim()) : WORKLOADS
for (const w of only) if (!WORKLOADS.includes(w)) throw new Error(`--only: no workload ${w} (${WORKLOADS})`)

// Sizes and repetitions. --quick keeps the shape of every workload at a size that runs in
// seconds (a check that the harness works, not a measurement).
const Q = opts.quick
const reps = (full, quick) => (opts.reps ? Number(opts.reps) : Q ? quick : full)
const CONFIG = {
  small: { reps: reps(7, 3), writes: Q ? 30 : 300 },
  burst: { reps: reps(9, 3), calls: 100, floorWrites: Q ? 5 : 20 },
  spread: { reps: reps(5, 2), files: Q ? 48 : 200, inFlight: 16 },
  medium: { reps: reps(7, 2), bytes: Q ? 200e3 : 1e6, timeoutS: 60 },
  large: { reps: reps(5, 2), bytes: Q ? 2e6 : 50e6, timeoutS: 300 },
  huge: {
    reps: opts['huge-reps'] ? Number(opts['huge-reps']) : 1,
    bytes: Q ? 10e6 : 700e6,
    timeoutS: opts['huge-timeout'] ? Number(opts['huge-timeout']) : Q ? 30 : 120,
  },
  read: { reps: reps(5, 2), sizes: Q ? [200e3, 2e6] : [1e6, 50e6], timeoutS: 120 },
}

const WORK = path.resolve(opts.dir || path.join(__dirname, 'out'))
const OUT = path.resolve(opts.out || __dirname)

// ---------------------------------------------------------------------------------------------
// Small helpers

const log = (...a) => console.log(...a)
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const min = (xs) => (xs.length ? Math.min(...xs) : NaN)
const slug = (id) => id.replace(/[^A-Za-z0-9]+/g, '_')

/** Rotate `list` by `round`: each contender takes each position in turn (argon2's `interleaved`). */
const rotated = (list, round) => list.slice(round % list.length).concat(list.slice(0, round % list.length))

function freshDir(...parts) {
  const dir = path.join(WORK, ...parts)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/**
 * Every target starts as '{}' (no final newline): each write in a round then replaces an
 * existing file, as in real use, and write-json-file keeps to JSON.stringify's bytes (it adds
 * '\n' only to a new file or one that ends with it).
 */
const seed = (file) => fs.writeFileSync(file, '{}')

// The floor binary's path, set by buildFloor(): cargo says where it put it, which is not
// bench/floor/target/ when CARGO_TARGET_DIR (or a config's build.target-dir) points elsewhere.
let FLOOR_BIN

/** Builds the floor crate and returns the path of its executable, as cargo reports it. */
function buildFloor() {
  const out = execFileSync(
    'cargo',
    [
      'build',
      '--release',
      '--quiet',
      '--message-format=json-render-diagnostics',
      '--manifest-path',
      path.join(__dirname, 'floor', 'Cargo.toml'),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
  )
  const executables = out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((m) => m.reason === 'compiler-artifact' && m.executable && m.target.name === 'floor')
    .map((m) => m.executable)
  if (executables.length !== 1) {
    throw new Error(`cargo build of bench/floor reported ${executables.length} floor executables`)
  }
  return executables[0]
}

/** The Rust floor writing `src`'s bytes to `dst` `count` times; per-write nanoseconds. */
function floorWrites(src, dst, count) {
  const out = execFileSync(FLOOR_BIN, ['write', src, dst, String(count)], { encoding: 'utf8', maxBuffer: 1 << 24 })
  return JSON.parse(out).ns.map((ns) => ns / 1e6) // ms
}

/**
 * Run bench/child.js once. Resolves with its result, or { timeout: true } after `timeoutS`
 * (the child is killed), or { fatal } if it died.
 */
function runChild(args, timeoutS) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'child.js'), JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutS * 1000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (timedOut) return resolve({ timeout: true, timeoutS })
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
      if (!line) return resolve({ fatal: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` })
      resolve(JSON.parse(line.slice(7)))
    })
  })
}

/**
 * An inotify watcher (the floor binary's `watch` mode) on `dir`: `count()` creates a mark file
 * and resolves with what happened in the directory since the previous mark — the number of
 * files renamed onto `name` is the number of physical writes that landed.
 */
async function watchDir(dir, name) {
  const child = spawn(FLOOR_BIN, ['watch', dir, name], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = readline.createInterface({ input: child.stdout })
  const waiting = []
  lines.on('line', (line) => waiting.shift()?.(line))
  const next = () => new Promise((resolve) => waiting.push(resolve))
  const ready = await next()
  if (ready !== 'ready') throw new Error(`watcher: ${ready}`)
  let marks = 0
  return {
    async count() {
      const line = next()
      fs.writeFileSync(path.join(dir, `.bench-mark-${++marks}`), '')
      return JSON.parse(await line)
    },
    async close() {
      const line = next()
      fs.writeFileSync(path.join(dir, '.bench-mark-end'), '')
      await line
    },
  }
}

/** Load every contender's writer; checks that each writes JSON.stringify's exact bytes. */
async function loadAndCheck(contenders, label, dataForCheck, checks) {
  const dir = freshDir('check', label)
  const expected = Buffer.from(JSON.stringify(dataForCheck))
  const loaded = []
  for (const c of contenders) {
    const write = await c.load()
    const file = path.join(dir, `${slug(c.id)}.json`)
    seed(file)
    let same
    let detail = ''
    try {
      await write(file, dataForCheck)
      const got = fs.readFileSync(file)
      same = got.equals(expected)
      if (!same)
        detail =
          `${got.length} bytes vs ${expected.length}` +
          (got.equals(Buffer.concat([expected, Buffer.from('\n')])) ? ' (a trailing newline)' : '')
    } catch (err) {
      same = null // no file to compare: the failure is the finding
      detail = `${err.name}: ${err.message}`
    }
    checks.push({ workload: label, contender: c.id, same, detail })
    log(`  bytes: ${c.id} = JSON.stringify ${same ? '✓' : `✗ ${detail}`}`)
    loaded.push({ ...c, write, same })
  }
  return loaded
}

// ---------------------------------------------------------------------------------------------
// The workloads. Each returns a section for the report: a table, its goals, chart data.

/** small: 300 sequential awaited writes of a 1.1 KB settings object; ms per write. */
async function small(ctx) {
  const cfg = CONFIG.small
  const lock = await packageHasLock(freshDir('probe'))
  const list = [...CONTENDERS, ...VARIANTS, ...(lock ? LOCK_VARIANTS : [])]
  const loaded = await loadAndCheck(list, 'small', settings(0), ctx.checks)
  const dir = freshDir('small')
  const src = path.join(dir, 'floor-src.json')
  fs.writeFileSync(src, JSON.stringify(settings(0)))
  const FLOOR = { id: 'Rust floor', fsync: 'file + dir', floor: true }
  const times = new Map([...loaded, FLOOR].map((c) => [c.id, []]))
  for (const c of loaded) seed(path.join(dir, `${slug(c.id)}.json`))
  seed(path.join(dir, 'floor.json'))
  for (let round = 0; round < cfg.reps; round++) {
    for (const c of rotated([...loaded, FLOOR], round)) {
      let perWrite
      if (c.floor) {
        const ms = floorWrites(src, path.join(dir, 'floor.json'), cfg.writes)
        perWrite = ms.reduce((a, b) => a + b, 0) / ms.length
      } else {
        const file = path.join(dir, `${slug(c.id)}.json`)
        const t0 = performance.now()
        for (let i = 0; i < cfg.writes; i++) await c.write(file, settings(i))
        perWrite = (performance.now() - t0) / cfg.writes
      }
      times.get(c.id).push(perWrite)
    }
    log(`  small round ${round + 1}/${cfg.reps}`)
  }
  const floorMs = median(times.get(FLOOR.id))
  const rows = [...loaded, FLOOR].map((c) => {
    const t = times.get(c.id)
    return {
      id: c.id,
      fsync: c.fsync,
      same: c.floor ? null : c.same,
      median: median(t),
      min: min(t),
      ratio: median(t) / floorMs,
    }
  })
  const pkg = rows.find((r) => r.id === 'safe-write-json')
  const goals = [
    report.goal(
      'small',
      'ms per write ≤ 1.15× the Rust floor (same fsyncs)',
      pkg.ratio,
      pkg.ratio <= 1.15,
      `${fmt(pkg.median)} vs ${fmt(floorMs)} ms`,
    ),
  ]
  if (lock) {
    const on = rows.find((r) => r.id === 'safe-write-json (lock: true)')
    const off = rows.find((r) => r.id === 'safe-write-json (lock: false)')
    ctx.notes.push(
      `small: \`lock: true\` costs ${fmt(on.median / off.median, 2)}× \`lock: false\` per write (${fmt(on.median)} vs ${fmt(off.median)} ms).`,
    )
  } else {
    ctx.notes.push('small: this build does not accept the `lock` option, so lock: true vs false was not compared.')
  }
  return {
    id: 'small',
    title: `small — ${Buffer.byteLength(JSON.stringify(settings(0)))} B settings object, ${cfg.writes} sequential awaited writes`,
    header: ['contender', 'fsync', 'bytes = JSON.stringify', 'median ms/write', 'min', '× Rust floor'],
    rows: rows.map((r) => [r.id, r.fsync, mark(r.same), fmt(r.median), fmt(r.min), `${fmt(r.ratio, 2)}×`]),
    chart: { label: 'small: ms per write (lower is better)', bars: rows.map((r) => [r.id, r.median]) },
    goals,
  }
}

/** burst: 100 writes to one path started at once; wall time, physical writes, last one wins. */
async function burst(ctx) {
  const cfg = CONFIG.burst
  const loaded = await loadAndCheck(CONTENDERS, 'burst', settings(0), ctx.checks)
  const root = freshDir('burst')
  const targets = new Map()
  const watchers = new Map()
  for (const c of loaded) {
    const dir = path.join(root, slug(c.id))
    fs.mkdirSync(dir)
    const file = path.join(dir, 'settings.json')
    seed(file)
    targets.set(c.id, file)
    watchers.set(c.id, await watchDir(dir, 'settings.json'))
  }
  const src = path.join(root, 'floor-src.json')
  fs.writeFileSync(src, JSON.stringify(settings(0)))
  const FLOOR = { id: 'Rust floor (one write)', floor: true }
  const stats = new Map(
    loaded.map((c) => [c.id, { wall: [], physical: [], created: [], lastWins: [], rejected: [], overflow: false }]),
  )
  const floorTimes = []
  const last = Buffer.from(JSON.stringify(settings(cfg.calls - 1)))
  for (let round = 0; round < cfg.reps; round++) {
    for (const c of rotated([...loaded, FLOOR], round)) {
      if (c.floor) {
        floorTimes.push(median(floorWrites(src, path.join(root, 'floor.json'), cfg.floorWrites)))
        continue
      }
      const s = stats.get(c.id)
      const file = targets.get(c.id)
      const data = Array.from({ length: cfg.calls }, (_, k) => settings(k))
      await watchers.get(c.id).count() // reset: count only this burst
      const t0 = performance.now()
      const settled = await Promise.allSettled(data.map((d) => c.write(file, d)))
      s.wall.push(performance.now() - t0)
      const seen = await watchers.get(c.id).count()
      s.physical.push(seen.movedTo)
      s.created.push(seen.created)
      s.overflow ||= seen.overflow
      s.rejected.push(settled.filter((r) => r.status === 'rejected').length)
      const errors = settled
        .filter((r) => r.status === 'rejected')
        .map((r) => r.reason && (r.reason.code || r.reason.message))
      if (errors.length) s.errors = [...new Set(errors)]
      s.lastWins.push(fs.readFileSync(file).equals(last))
    }
    log(`  burst round ${round + 1}/${cfg.reps}`)
  }
  for (const w of watchers.values()) await w.close()
  const floorMs = median(floorTimes)
  const rows = loaded.map((c) => {
    const s = stats.get(c.id)
    return {
      id: c.id,
      fsync: c.fsync,
      same: c.same,
      wall: median(s.wall),
      wallMin: min(s.wall),
      physical: median(s.physical),
      physicalMax: Math.max(...s.physical),
      created: median(s.created),
      lastWins: s.lastWins.filter(Boolean).length,
      reps: s.lastWins.length,
      rejected: median(s.rejected),
      errors: s.errors,
      overflow: s.overflow,
    }
  })
  ctx.burst = rows.map((r) => ({
    id: r.id,
    lastWins: r.lastWins,
    reps: r.reps,
    physical: r.physical,
    physicalMax: r.physicalMax,
  }))
  const pkg = rows.find((r) => r.id === 'safe-write-json')
  const goals = [
    report.goal(
      'burst',
      "final file = the last call's data in every repetition",
      null,
      pkg.lastWins === pkg.reps,
      `${pkg.lastWins}/${pkg.reps} repetitions`,
    ),
    report.goal(
      'burst',
      `≤ 3 physical writes per burst of ${cfg.calls}`,
      null,
      pkg.physicalMax <= 3,
      `median ${pkg.physical}, max ${pkg.physicalMax} renames onto the target`,
    ),
    report.goal(
      'burst',
      'wall ≤ 5× one durable write (Rust floor)',
      pkg.wall / floorMs,
      pkg.wall / floorMs <= 5,
      `${fmt(pkg.wall)} vs ${fmt(floorMs)} ms`,
    ),
  ]
  for (const r of rows)
    if (r.overflow) ctx.notes.push(`burst: the inotify queue overflowed for ${r.id}; its counts are a lower bound.`)
  for (const r of rows) if (r.errors) ctx.notes.push(`burst: ${r.id} rejected some calls: ${r.errors.join(', ')}.`)
  return {
    id: 'burst',
    title: `burst — ${cfg.calls} writes of the settings object to one path, started at once`,
    header: [
      'contender',
      'fsync',
      'bytes = JSON.stringify',
      'median wall ms',
      'min',
      '× one floor write',
      'physical writes (median / max)',
      'files created',
      'calls rejected',
      'last call wins',
    ],
    rows: [
      ...rows.map((r) => [
        r.id,
        r.fsync,
        mark(r.same),
        fmt(r.wall),
        fmt(r.wallMin),
        `${fmt(r.wall / floorMs, 1)}×`,
        `${r.physical} / ${r.physicalMax}`,
        String(r.created),
        String(r.rejected),
        `${r.lastWins}/${r.reps}`,
      ]),
      [FLOOR.id, 'file + dir', '—', fmt(floorMs), fmt(min(floorTimes)), '1.0×', '—', '—', '—', '—'],
    ],
    chart: {
      label: `burst: wall ms for ${cfg.calls} writes at once (lower is better)`,
      bars: rows.map((r) => [r.id, r.wall]),
    },
    goals,
  }
}

/** spread: 200 files in one directory, 16 writes in flight; writes per second. */
async function spread(ctx) {
  const cfg = CONFIG.spread
  const loaded = await loadAndCheck([...CONTENDERS, ...VARIANTS], 'spread', settings(0), ctx.checks)
  const root = freshDir('spread')
  // The parallel floor: the full protocol per file (no fsync shared) from as many threads as
  // writes in flight, in one process (bench/floor `spread`), timed from its threads' start.
  const src = path.join(root, 'floor-src.json')
  fs.writeFileSync(src, JSON.stringify(settings(0)))
  const FLOOR = { id: `Rust floor (${cfg.inFlight} threads)`, fsync: 'file + dir', same: null, floor: true }
  loaded.push(FLOOR)
  const files = new Map()
  for (const c of loaded) {
    const dir = path.join(root, slug(c.id))
    fs.mkdirSync(dir)
    const list = Array.from({ length: cfg.files }, (_, i) => path.join(dir, `f${String(i).padStart(3, '0')}.json`))
    list.forEach(seed)
    files.set(c.id, list)
  }
  const rate = new Map(loaded.map((c) => [c.id, []]))
  async function once(c) {
    const list = files.get(c.id)
    if (c.floor) {
      const args = ['spread', src, path.dirname(list[0]), String(list.length), String(cfg.inFlight)]
      return list.length / (JSON.parse(execFileSync(FLOOR_BIN, args, { encoding: 'utf8' })).ns / 1e9)
    }
    let next = 0
    const worker = async () => {
      while (next < list.length) {
        const i = next++
        await c.write(list[i], settings(i))
      }
    }
    const t0 = performance.now()
    await Promise.all(Array.from({ length: cfg.inFlight }, worker))
    return list.length / ((performance.now() - t0) / 1000)
  }
  for (const c of loaded) await once(c) // untimed: every file exists at its final size from here on
  for (let round = 0; round < cfg.reps; round++) {
    for (const c of rotated(loaded, round)) rate.get(c.id).push(await once(c))
    log(`  spread round ${round + 1}/${cfg.reps}`)
  }
  const wfa = median(rate.get('write-file-atomic'))
  const floorRate = median(rate.get(FLOOR.id))
  const rows = loaded.map((c) => ({
    id: c.id,
    fsync: c.fsync,
    same: c.same,
    median: median(rate.get(c.id)),
    max: Math.max(...rate.get(c.id)),
  }))
  const pkg = rows.find((r) => r.id === 'safe-write-json')
  return {
    id: 'spread',
    title: `spread — ${cfg.files} files in one directory, ${cfg.inFlight} writes in flight`,
    header: ['contender', 'fsync', 'bytes = JSON.stringify', 'median writes/s', 'best', '× write-file-atomic'],
    rows: rows.map((r) => [r.id, r.fsync, mark(r.same), fmt(r.median, 0), fmt(r.max, 0), `${fmt(r.median / wfa, 2)}×`]),
    chart: { label: 'spread: writes per second (higher is better)', bars: rows.map((r) => [r.id, r.median]) },
    goals: [
      report.goal(
        'spread',
        "≥ 2× write-file-atomic's writes/s (fsyncing file and directory)",
        pkg.median / wfa,
        pkg.median / wfa >= 2,
        `${fmt(pkg.median, 0)} vs ${fmt(wfa, 0)} writes/s`,
      ),
      report.goal(
        'spread',
        `≥ 1.2× the ${FLOOR.id}'s writes/s (full protocol per file)`,
        pkg.median / floorRate,
        pkg.median / floorRate >= 1.2,
        `${fmt(pkg.median, 0)} vs ${fmt(floorRate, 0)} writes/s`,
      ),
    ],
  }
}

/**
 * medium / large / huge: one write of a task history per fresh child process. Round 0 checks the
 * bytes (not timed); rounds 1..reps are timed.
 */
async function history(ctx, id) {
  const cfg = CONFIG[id]
  const dir = freshDir(id)
  const refFile = path.join(dir, 'expected.json')
  const ref = await runChild({ mode: 'ref', bytes: cfg.bytes, file: refFile }, 600)
  if (!ref.sha256) throw new Error(`${id}: could not make the reference: ${JSON.stringify(ref)}`)
  const mb = (ref.size / 1e6).toFixed(ref.size < 10e6 ? 1 : 0)
  log(
    `  ${id}: ${ref.size} bytes, ${ref.elements} messages, ${ref.chars} UTF-16 units (V8's string limit is ${2 ** 29 - 24})`,
  )
  const list = [
    ...CONTENDERS.map((c) => ({ id: c.id, fsync: c.fsync })),
    { id: INCREMENTAL.id, fsync: INCREMENTAL.fsync },
    { id: 'JSON.stringify', fsync: '—', stringify: true },
    { id: 'Rust floor', fsync: 'file + dir', floor: true },
  ]
  const results = new Map(list.map((c) => [c.id, []]))
  const same = new Map()
  const fileOf = (c) => path.join(dir, `${slug(c.id)}.json`)
  for (const c of list) if (!c.stringify) seed(fileOf(c))

  async function one(c) {
    if (c.floor) {
      const [ms] = floorWrites(refFile, fileOf(c), 1)
      return { wallMs: ms, sha256: ref.sha256 } // the same bytes by construction
    }
    const r = await runChild(
      {
        mode: 'write',
        contender: c.id,
        bytes: cfg.bytes,
        file: fileOf(c),
        warmupFile: path.join(dir, `warm-${slug(c.id)}.json`),
      },
      cfg.timeoutS,
    )
    if (r.fatal) r.error = { message: r.fatal }
    return r
  }
  // true: the expected bytes; false: other bytes; null: no file to compare (error, time limit).
  const sameOf = (v) => (!v ? true : v.startsWith('wrong bytes') ? false : null)
  const verdict = (c, r) =>
    r.timeout
      ? `timed out after ${r.timeoutS} s`
      : r.error
        ? r.error.message
        : r.sha256 === ref.sha256
          ? null
          : `wrong bytes (${r.size} bytes, expected ${ref.size})`

  // The huge case is run once per contender and checked in the same run (a second, untimed,
  // 700 MB pass would double a long run); the others are checked in an untimed round first.
  const checkRound = id !== 'huge'
  if (checkRound) {
    for (const c of list) {
      if (c.floor) continue
      const r = await one(c)
      const v = verdict(c, r)
      same.set(c.id, sameOf(v))
      if (!c.stringify) ctx.checks.push({ workload: id, contender: c.id, same: sameOf(v), detail: v || '' })
      log(`  bytes: ${c.id} = JSON.stringify ${v ? `✗ ${v}` : '✓'}`)
    }
  }
  for (let round = 0; round < cfg.reps; round++) {
    for (const c of rotated(list, round)) {
      const r = await one(c)
      results.get(c.id).push(r)
      if (!checkRound && !c.floor) {
        const v = verdict(c, r)
        same.set(c.id, sameOf(v))
        if (!c.stringify) ctx.checks.push({ workload: id, contender: c.id, same: sameOf(v), detail: v || '' })
        log(`  ${c.id}: ${v ? `✗ ${v}` : `✓ ${fmt(r.wallMs)} ms`}`)
      }
    }
    log(`  ${id} round ${round + 1}/${cfg.reps}`)
  }

  const rows = list.map((c) => {
    const rs = results.get(c.id)
    const ok = rs.filter((r) => !r.timeout && !r.error)
    const failure = rs.map((r) => verdict(c, r)).find((v) => v && !v.startsWith('wrong bytes'))
    const pick = (k) => ok.map((r) => r[k]).filter((x) => typeof x === 'number')
    return {
      id: c.id,
      fsync: c.fsync,
      same: c.floor ? null : same.get(c.id),
      ok: ok.length,
      runs: rs.length,
      failure,
      // How long a failing write ran before it failed (a RangeError comes after stringify's work).
      failedAfter: median(rs.filter((r) => r.error && typeof r.wallMs === 'number').map((r) => r.wallMs)),
      wall: median(pick('wallMs')),
      wallMin: min(pick('wallMs')),
      stall: median(pick('stallMs')),
      stallMin: min(pick('stallMs')),
      rss: median(pick('rssGrowthMB')),
      floor: c.floor,
    }
  })
  // Every row's numbers have been taken; free the disk (700 MB files add up). Recursive: a
  // lock+stream child killed at its time limit leaves proper-lockfile's lock directory behind.
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true })

  const get = (name) => rows.find((r) => r.id === name)
  const pkg = get('safe-write-json')
  const str = get('JSON.stringify')
  const flo = get('Rust floor')
  const goals = []
  const ran = pkg.ok > 0
  const failed = (what) => report.goal(id, what, null, false, pkg.failure || 'did not complete')
  goals.push(...incrementalGoals(id, get(INCREMENTAL.id), pkg, same))
  if (id === 'huge') {
    goals.push(
      ran
        ? report.goal(id, 'completes in ≤ 15 s', null, pkg.wall <= 15000, `${fmt(pkg.wall / 1000, 1)} s`)
        : failed('completes in ≤ 15 s'),
    )
    goals.push(
      ran
        ? report.goal(id, 'peak RSS growth ≤ 256 MB', null, pkg.rss <= 256, `${fmt(pkg.rss, 0)} MB`)
        : failed('peak RSS growth ≤ 256 MB'),
    )
    goals.push(
      ran
        ? report.goal(
            id,
            "the file parses (= JSON.stringify's bytes, element by element)",
            null,
            !!same.get(pkg.id),
            same.get(pkg.id) ? 'same bytes' : 'different bytes',
          )
        : failed('the file parses'),
    )
  } else {
    const wallGoal = id === 'medium' ? 1.3 : 1.2
    const base = str.wall + flo.wall
    const stallText = `longest event-loop stall ≤ 1.10× JSON.stringify's`
    const wallText = `wall ≤ ${wallGoal}× (JSON.stringify + Rust floor)`
    const rssText = "peak RSS growth ≤ 1.2× JSON.stringify's"
    goals.push(
      ran
        ? report.goal(
            id,
            stallText,
            pkg.stall / str.stall,
            pkg.stall / str.stall <= 1.1,
            `${fmt(pkg.stall)} vs ${fmt(str.stall)} ms`,
          )
        : failed(stallText),
    )
    goals.push(
      ran
        ? report.goal(
            id,
            wallText,
            pkg.wall / base,
            pkg.wall / base <= wallGoal,
            `${fmt(pkg.wall)} vs ${fmt(str.wall)} + ${fmt(flo.wall)} ms`,
          )
        : failed(wallText),
    )
    if (id === 'large')
      goals.push(
        ran
          ? report.goal(
              id,
              rssText,
              pkg.rss / str.rss,
              pkg.rss / str.rss <= 1.2,
              `${fmt(pkg.rss, 0)} vs ${fmt(str.rss, 0)} MB`,
            )
          : failed(rssText),
      )
    if (same.get(pkg.id) === false)
      goals.push(report.goal(id, 'same bytes as JSON.stringify', null, false, 'different bytes'))
  }
  const stall0 = str.ok ? str.stall : NaN
  return {
    id,
    title: `${id} — ${mb} MB task history (${ref.elements} messages, non-ASCII text), one write per fresh process`,
    header: [
      'contender',
      'fsync',
      'bytes = JSON.stringify',
      'median wall ms',
      'min',
      'longest stall ms (median)',
      '× stringify stall',
      'peak RSS growth MB',
      'completed',
    ],
    rows: rows.map((r) =>
      r.ok === 0
        ? [
            r.id,
            r.fsync,
            mark(r.same),
            `**failed**${Number.isFinite(r.failedAfter) ? ` after ${fmt(r.failedAfter)} ms` : ''}: ${r.failure}`,
            '',
            '',
            '',
            '',
            `0/${r.runs}`,
          ]
        : [
            r.id,
            r.fsync,
            mark(r.same),
            fmt(r.wall),
            fmt(r.wallMin),
            r.floor ? '—' : fmt(r.stall),
            r.floor ? '—' : ratio(r.stall / stall0),
            r.floor ? '—' : fmt(r.rss, 0),
            `${r.ok}/${r.runs}`,
          ],
    ),
    // Two groups (wall, stall); a row that failed is shown as text in place of its bar.
    chart: [
      {
        label: `${id}: wall ms (lower is better)`,
        bars: rows.map((r) => [r.id, r.ok ? r.wall : null, r.ok ? '' : `failed: ${r.failure}`]),
      },
      {
        label: `${id}: longest event-loop stall ms (lower is better)`,
        bars: rows.filter((r) => !r.floor).map((r) => [r.id, r.ok ? r.stall : null, r.ok ? '' : 'failed']),
      },
    ],
    goals,
  }
}

/**
 * The goals of `incremental: true` on a task history: its longest stall ≤ 20 ms, its wall time
 * ≤ 1.3× the default mode's, its peak RSS growth no higher than the default mode's.
 */
function incrementalGoals(id, inc, pkg, same) {
  const texts = [
    'incremental: longest event-loop stall ≤ 20 ms',
    "incremental: wall ≤ 1.3× the default mode's",
    "incremental: peak RSS growth ≤ the default mode's",
  ]
  if (!inc || inc.ok === 0)
    return texts.map((what) => report.goal(id, what, null, false, inc?.failure || 'did not complete'))
  const goals = [report.goal(id, texts[0], null, inc.stall <= 20, `${fmt(inc.stall)} ms`)]
  if (pkg.ok > 0) {
    goals.push(
      report.goal(
        id,
        texts[1],
        inc.wall / pkg.wall,
        inc.wall / pkg.wall <= 1.3,
        `${fmt(inc.wall)} vs ${fmt(pkg.wall)} ms`,
      ),
      // In whole MB, as shown: below that, peak RSS moves with page-level noise (0.13 vs 0.01 MB
      // at 1 MB is no finding).
      rssGoal(id, texts[2], Math.round(inc.rss), Math.round(pkg.rss)),
    )
  }
  if (same.get(inc.id) === false)
    goals.push(report.goal(id, 'incremental: same bytes as JSON.stringify', null, false, 'different bytes'))
  return goals
}

/** The goal `incMB ≤ pkgMB`, whole MB each. */
function rssGoal(id, what, incMB, pkgMB) {
  return report.goal(id, what, pkgMB > 0 ? incMB / pkgMB : null, incMB <= pkgMB, `${incMB} vs ${pkgMB} MB`)
}

/** read: safeReadJson vs JSON.parse(readFile), only when the package has safeReadJson. */
async function read(ctx) {
  if (!packageReader()) {
    ctx.notes.push('read: this build has no `safeReadJson`; the read workload was skipped.')
    return null
  }
  const cfg = CONFIG.read
  const dir = freshDir('read')
  const rows = []
  for (const bytes of cfg.sizes) {
    const file = path.join(dir, `history-${bytes}.json`)
    const ref = await runChild({ mode: 'ref', bytes, file }, 600)
    const warmupFile = path.join(dir, 'warm.json')
    fs.writeFileSync(warmupFile, '[{"warm":1}]')
    const list = ['safeReadJson', 'JSON.parse']
    const res = new Map(list.map((c) => [c, []]))
    for (let round = 0; round < cfg.reps; round++) {
      for (const c of rotated(list, round))
        res.get(c).push(await runChild({ mode: 'read', contender: c, file, warmupFile }, cfg.timeoutS))
    }
    const base = median(
      res
        .get('JSON.parse')
        .filter((r) => !r.error && !r.timeout)
        .map((r) => r.wallMs),
    )
    const baseStall = median(
      res
        .get('JSON.parse')
        .filter((r) => !r.error && !r.timeout)
        .map((r) => r.stallMs),
    )
    for (const c of list) {
      const ok = res.get(c).filter((r) => !r.error && !r.timeout && !r.fatal)
      const same = ok.length > 0 && ok.every((r) => r.sha256 === ref.sha256)
      const wall = median(ok.map((r) => r.wallMs))
      const stall = median(ok.map((r) => r.stallMs))
      const label = c === 'safeReadJson' ? 'safeReadJson(p)' : "JSON.parse(await readFile(p, 'utf8'))"
      const failure = res.get(c).find((r) => r.error || r.timeout || r.fatal)
      rows.push({
        size: `${(bytes / 1e6).toFixed(1)} MB`,
        label,
        same,
        wall,
        stall,
        rss: median(ok.map((r) => r.rssGrowthMB)),
        ratio: wall / base,
        stallRatio: stall / baseStall,
        ok: ok.length,
        runs: res.get(c).length,
        failure,
      })
    }
    log(`  read ${bytes} bytes done`)
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    id: 'read',
    title: 'read — safeReadJson vs JSON.parse(readFile), one read per fresh process',
    header: [
      'size',
      'reader',
      'value = the file',
      'median wall ms',
      '× JSON.parse',
      'longest stall ms',
      '× JSON.parse stall',
      'peak RSS growth MB',
      'completed',
    ],
    rows: rows.map((r) => [
      r.size,
      r.label,
      mark(r.same),
      fmt(r.wall),
      `${fmt(r.ratio, 2)}×`,
      fmt(r.stall),
      `${fmt(r.stallRatio, 2)}×`,
      fmt(r.rss, 0),
      `${r.ok}/${r.runs}`,
    ]),
    chart: {
      label: 'read: wall ms (lower is better)',
      bars: rows.map((r) => [`${r.size} ${r.label.split('(')[0]}`, r.wall]),
    },
    goals: [],
  }
}

const fmt = (x, digits) => report.fmt(x, digits)
const ratio = (x) => (Number.isFinite(x) ? `${fmt(x, 2)}×` : '—')
const mark = (same) => (same === null || same === undefined ? '—' : same ? '✓' : '✗')

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now()
  try {
    require('..')
  } catch (err) {
    throw new Error(`the addon does not load (run \`npm run build\` first): ${err.message}`)
  }
  log('building the Rust floor (bench/floor)…')
  FLOOR_BIN = buildFloor()
  log(`floor binary: ${FLOOR_BIN}`)
  fs.mkdirSync(WORK, { recursive: true })
  const ctx = { checks: [], notes: [], sections: [] }
  const run = {
    small,
    burst,
    spread,
    medium: (c) => history(c, 'medium'),
    large: (c) => history(c, 'large'),
    huge: (c) => history(c, 'huge'),
    read,
  }
  for (const id of WORKLOADS) {
    if (!only.includes(id)) continue
    log(`\n== ${id}`)
    const t0 = Date.now()
    const section = await run[id](ctx)
    if (section) {
      section.seconds = (Date.now() - t0) / 1000
      ctx.sections.push(section)
      for (const g of section.goals) log(`  goal: ${g.what}: ${g.met ? 'met' : 'NOT met'} (${g.detail})`)
    }
  }
  const command = `node bench/run.js${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`
  const machine = {
    cpu: os.cpus()[0].model,
    cores: os.cpus().length,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command,
    commit: gitCommit(),
    seconds: (Date.now() - started) / 1000,
    quick: Q,
  }
  fs.mkdirSync(OUT, { recursive: true })
  fs.writeFileSync(path.join(OUT, 'results.md'), report.markdown(machine, ctx))
  fs.writeFileSync(path.join(OUT, 'results.svg'), report.svg(machine, ctx))
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ machine, ...ctx }, null, 2))
  log(
    `\nwrote ${path.relative(process.cwd(), path.join(OUT, 'results.md'))} and results.svg in ${machine.seconds.toFixed(0)} s`,
  )
  if (ctx.checks.some((c) => c.same === false))
    log('note: some contenders did not write the same bytes; see the byte check in results.md')
}

function gitCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'index.js', 'binding.js'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    return dirty ? `${sha} + uncommitted changes in src/` : sha
  } catch {
    return 'unknown'
  }
}

main().then(
  () => process.exit(0), // peers' timers (proper-lockfile's) must not keep the run alive
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
