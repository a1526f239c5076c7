#!/usr/bin/env node
// `npm run torture`: the long form of the fault-injection suite (after `npm test` built both
// addons). Each step is the CI test with bigger numbers; the figures the tests record (through
// TORTURE_REPORT) are printed as a table, then one summary line whose counts are summed from
// those figures. Exit code 1 if any step failed (its figures are then not to be trusted, and
// are marked so) or any count of harm is not zero.
//
//   KILLS=1000 PROPERTY_RUNS=20000 POWER_LOSS_ROUNDS=200 by default; override any of them.
'use strict'

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const root = path.join(__dirname, '..')
const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-torture-'))
const report = path.join(reportDir, 'report.jsonl')
const env = {
  ...process.env,
  TORTURE_REPORT: report,
  KILLS: process.env.KILLS || '1000',
  PROPERTY_RUNS: process.env.PROPERTY_RUNS || '20000',
  POWER_LOSS_ROUNDS: process.env.POWER_LOSS_ROUNDS || '200',
}
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js')

const steps = [
  ['cargo: every failpoint x error', 'cargo', ['test', '--quiet', '--features', 'failpoints', '--test', 'failpoints']],
  ['cargo: power cuts (ext4 shutdown)', 'cargo', ['test', '--quiet', '--test', 'power_loss', '--', '--nocapture']],
  ['jest: failpoints through the addon', process.execPath, [jest, '--ci', '__test__/failpoints.test.js']],
  ['jest: kill loop and crash points', process.execPath, [jest, '--ci', '__test__/crash.test.js']],
  ['jest: full disk', process.execPath, [jest, '--ci', '__test__/full-disk.test.js']],
  ['jest: bad input', process.execPath, [jest, '--ci', '__test__/bad-input.test.js']],
  ['jest: property tests, three paths', process.execPath, [jest, '--ci', '__test__/parity']],
]
// The model test of issue 10, long: real sizes (copier pause, 96 MiB spill), more runs (MODEL_RUNS).
steps.push(['model: random interleavings of the API', process.execPath, ['__test__/model/run.js', '--long']])

const started = Date.now()
const outcomes = []
for (const [name, cmd, args] of steps) {
  const t0 = Date.now()
  console.log(`\n=== ${name}`)
  const run = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' })
  outcomes.push({ name, ok: run.status === 0, seconds: Math.round((Date.now() - t0) / 1000) })
}

const figures = fs.existsSync(report)
  ? fs
      .readFileSync(report, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
  : []
fs.rmSync(reportDir, { recursive: true, force: true })
const failed = outcomes.filter((o) => !o.ok)
console.log('\n=== torture figures' + (failed.length ? ' (NOT TRUSTWORTHY: a step failed)' : ''))
for (const { what, ...rest } of figures) {
  console.log(
    `${what.padEnd(28)} ${Object.entries(rest)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
}
console.log('\n=== steps')
for (const o of outcomes) console.log(`${o.ok ? 'ok  ' : 'FAIL'} ${o.name.padEnd(40)} ${o.seconds} s`)
const kills = figures
  .filter((f) => f.what === 'kill loop' || f.what === 'crash points')
  .reduce((n, f) => n + f.kills, 0)
const cuts = figures.filter((f) => f.what === 'power loss (full)').reduce((n, f) => n + f.cuts, 0)
const runs = figures.filter((f) => f.what.startsWith('property')).reduce((n, f) => n + f.runs, 0)
const minutes = ((Date.now() - started) / 60000).toFixed(1)
// The verdict is summed from what the steps counted (the `durability: 'none'` power-loss control
// may lose writes by design, so it is left out); a figure no step reported is "not measured".
const sum = (...keys) => {
  const rows = figures.filter((f) => !f.what.includes('control') && keys.some((k) => k in f))
  return rows.length ? rows.reduce((n, f) => n + keys.reduce((m, k) => m + (f[k] ?? 0), 0), 0) : null
}
const counts = [
  ['corrupt', sum('corrupt', 'torn')],
  ['lost acknowledged writes', sum('lost')],
  ['leftovers after cleanup', sum('leftovers')],
  ['blocked writers', sum('blocked')],
  ['bytes different from JSON.stringify', sum('mismatches')],
]
const bad = counts.filter(([, n]) => n > 0)
const verdict = counts.map(([what, n]) => `${what} ${n ?? 'not measured'}`).join(', ')
console.log(
  `\ntorture: ${outcomes.length - failed.length} passed, ${failed.length} failed` +
    ` — ${kills} SIGKILLs, ${cuts} power cuts, ${runs} property runs; ${verdict} (${minutes} min)`,
)
process.exitCode = failed.length || bad.length ? 1 : 0
