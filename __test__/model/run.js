// The model-based randomized test of the whole API (issue 10, "How to prove it"). fast-check
// makes scenarios (arbitraries.js); each is played by one to three child processes (child.js)
// on one fresh directory, with the writer's thresholds lowered through the environment. The
// children check the contract at every step; this side adds what only it can see: a hang (the
// watchdog kills the children and fails the run), a crash (exit status or signal), and, with
// several processes, the end state (one complete version, the counter equal to the increments,
// nothing left behind). Scenarios are plain data, so fast-check shrinks hangs and crashes too.
//
// Used by __test__/model.test.js (reduced, in CI) and `npm run torture` (long):
//   node __test__/model/run.js [--long]
// with MODEL_RUNS, MODEL_SEED, MODEL_PATH (replay a shrunk case), MODEL_MAX_STEPS, MODEL_TIME_LIMIT_S.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')
const fc = require('fast-check')
const { scenario } = require('./arbitraries')
const { FILES, makeLayout, header, textOf, leftovers } = require('./world')

const CHILD = path.join(__dirname, 'child.js')

// The writer's thresholds for each tuning (stringify.js `tuning`). `low` takes every internal
// path at small sizes: the walk at 16 members, pieces of 2,000 characters, the spill at 256 KiB.
const TUNING = {
  low: {
    SAFE_WRITE_JSON_WALK_MIN: '16',
    SAFE_WRITE_JSON_PIECE_CHARS: '2000',
    SAFE_WRITE_JSON_SPILL_BYTES: String(256 * 1024),
  },
  copier: { SAFE_WRITE_JSON_WALK_MIN: '16' },
  default: {},
}

function envFor(tuning) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SAFE_WRITE_JSON_')))
  return { ...env, ...TUNING[tuning] }
}

/** Seconds a scenario may take before the watchdog calls it a hang: generous, for busy machines. */
function budget(s) {
  const heavy = s.procs.flat().filter((x) => x.size === 'huge' || (x.size === 'spill' && s.tuning !== 'low')).length
  return 30 + 30 * heavy
}

/**
 * Play `s` once. Resolves { ok: true, figures } or { ok: false, failure } (a sentence for the
 * report: which process, which step, which rule).
 */
async function play(s) {
  const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-model-'))
  const root = path.join(sandbox, 'root')
  fs.mkdirSync(root)
  makeLayout(root)
  const file = path.join(sandbox, 'scenario.json')
  fs.writeFileSync(file, JSON.stringify(s))
  const env = envFor(s.tuning)
  const seconds = budget(s)
  try {
    const children = s.procs.map((_, i) =>
      spawn(process.execPath, [CHILD, file, String(i)], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }),
    )
    let hung = false
    const watchdog = setTimeout(() => {
      hung = true
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }, seconds * 1000)
    const results = await Promise.all(children.map(collect))
    clearTimeout(watchdog)
    const figures = []
    for (const [i, r] of results.entries()) {
      const last = r.stdout.trim().split('\n').pop()
      const verdict = parse(last)
      if (hung && r.signal === 'SIGKILL')
        return { ok: false, failure: `hang: process ${i} had not finished after ${seconds} s (watchdog)` }
      if (r.status === 1 && verdict && verdict.ok === false)
        return { ok: false, failure: `process ${i}, step ${verdict.step}: ${verdict.rule} ${JSON.stringify(verdict)}` }
      if (r.status !== 0 || !verdict || verdict.ok !== true) {
        return {
          ok: false,
          failure: `crash: process ${i} ended with status ${r.status}, signal ${r.signal}; stderr: ${r.stderr.slice(-2000)}`,
        }
      }
      figures.push(verdict)
    }
    const wrong = endState(s, root, sandbox, env, figures)
    if (wrong) return { ok: false, failure: wrong }
    return { ok: true, figures }
  } finally {
    fs.rmSync(sandbox, { recursive: true, force: true })
  }
}

function collect(child) {
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })))
}

function parse(line) {
  try {
    return JSON.parse(line)
  } catch {
    return null
  }
}

/** After every process ended: what none of them could check alone. */
function endState(s, root, sandbox, env, figures) {
  const stray = fs.readdirSync(sandbox).filter((n) => n !== 'root' && n !== 'scenario.json')
  if (stray.length) return `a write landed outside the root (a symlink resolved wrongly): ${stray.join(', ')}`
  const left = leftovers(root)
  if (left.length)
    return `temp files or lock sidecars left behind after every process ended: ${left.map((p) => path.relative(root, p)).join(', ')}`
  for (const f of Object.keys(FILES)) {
    const real = path.join(root, FILES[f].real)
    if (!fs.existsSync(real)) continue
    const text = fs.readFileSync(real, 'utf8')
    const h = header(text)
    if (!h || h.f !== f || text !== textOf(h, env)) return `${FILES[f].real} is not one complete version at the end`
    if (f === 'k') {
      const incs = figures.reduce((n, x) => n + x.incs, 0)
      if (h.n !== incs)
        return `the counter ${FILES.k.real} is ${h.n} after ${incs} acknowledged increments from ${s.procs.length} process(es)`
    }
  }
  return null
}

/**
 * Run the property. Returns fast-check's details plus counted figures; prints the seed, the
 * replay command and the shrunk counterexample on failure.
 */
async function check({ numRuns, long = false, maxSteps, seed, replayPath, timeLimitMs, log = console.log }) {
  const figures = {
    runs: 0,
    processes: 0,
    calls: 0,
    sync: 0,
    async: 0,
    updates: 0,
    nested: 0,
    reads: 0,
    cleanups: 0,
    removedUnheld: 0,
    elocked: 0,
    observations: 0,
  }
  const failures = []
  const property = fc.asyncProperty(scenario({ long, maxSteps }), async (s) => {
    const r = await play(s)
    figures.runs++
    if (!r.ok) {
      failures.push(r.failure)
      throw new Error(r.failure)
    }
    figures.processes += r.figures.length
    for (const x of r.figures) for (const k of Object.keys(figures)) if (k in x) figures[k] += x[k]
  })
  const details = await fc.check(property, {
    numRuns,
    seed,
    path: replayPath,
    endOnFailure: false,
    interruptAfterTimeLimit: timeLimitMs,
    markInterruptAsFailure: false,
  })
  if (details.failed) {
    const [counterexample] = details.counterexample
    log(
      [
        `model test FAILED after ${details.numRuns} runs (${details.numShrinks} shrinks${details.interrupted ? ', shrinking cut short by the time limit' : ''})`,
        `seed ${details.seed}, path ${details.counterexamplePath}`,
        `replay: MODEL_SEED=${details.seed} MODEL_PATH=${details.counterexamplePath}${long ? ' MODEL_LONG=1' : ''}${maxSteps ? ` MODEL_MAX_STEPS=${maxSteps}` : ''} node __test__/model/run.js`,
        `failure: ${details.errorInstance?.message ?? details.error}`,
        `counterexample: ${JSON.stringify(counterexample)}`,
      ].join('\n'),
    )
  }
  return { details, figures, failures }
}

module.exports = { check, play }

if (require.main === module) {
  const long = process.argv.includes('--long') || process.env.MODEL_LONG === '1'
  const numRuns = Number(process.env.MODEL_RUNS) || (long ? 200 : 40)
  const maxSteps = Number(process.env.MODEL_MAX_STEPS) || (long ? 48 : undefined)
  const seed = process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined
  const timeLimitMs = Number(process.env.MODEL_TIME_LIMIT_S) * 1000 || undefined
  check({ numRuns, long, maxSteps, seed, replayPath: process.env.MODEL_PATH, timeLimitMs }).then(
    ({ details, figures }) => {
      console.log(
        `model: ${figures.runs} scenarios played, ${details.failed ? 'FAILED' : 'all rules held'}: ${JSON.stringify(figures)}`,
      )
      if (process.env.TORTURE_REPORT)
        require('../torture-helpers').report(`property (model${long ? ', long' : ''})`, {
          runs: figures.runs,
          calls: figures.calls,
          failed: details.failed ? 1 : 0,
        })
      process.exitCode = details.failed ? 1 : 0
    },
  )
}
