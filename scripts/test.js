#!/usr/bin/env node
// `npm test` (after `pretest` has built the addon): every test step in turn, with its own output
// as it runs, then one line for the whole run, `total: N passed, N failed, N skipped`, summed over
// cargo's and jest's own counts (cargo with --no-fail-fast, so that every test binary reports).
// The type test (tsc -p __test__) counts as one test. A step that fails without a count of its
// own (it did not compile, jest did not start) counts as one failed test, so that the total never
// reads "0 failed" after a failure. Later steps run all the same.
'use strict'

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const win = process.platform === 'win32'
const total = { passed: 0, failed: 0, skipped: 0 }

/** Runs a step with its output shown as it comes; resolves to its exit status and its stdout. */
function step(title, command, args) {
  console.log(`\n=== ${title}`)
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ['inherit', 'pipe', 'inherit'],
      shell: win, // npx is a .cmd file on Windows
    })
    let stdout = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      stdout += chunk // cargo's `test result:` lines are read from it
      process.stdout.write(chunk)
    })
    child.on('error', (err) => {
      console.error(err)
      resolve({ status: 1, stdout })
    })
    child.on('close', (status) => resolve({ status, stdout }))
  })
}

/** Adds a step's counts; a failed step with no failure counted adds one. */
function add(status, counts) {
  const failedWithoutCount = status !== 0 && counts.failed === 0
  total.passed += counts.passed
  total.failed += counts.failed + (failedWithoutCount ? 1 : 0)
  total.skipped += counts.skipped
}

/** Sums cargo's `test result: ok. 12 passed; 0 failed; 1 ignored; …` lines (one per test binary). */
function cargoCounts(stdout) {
  const counts = { passed: 0, failed: 0, skipped: 0 }
  for (const m of stdout.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored;/gm)) {
    counts.passed += Number(m[1])
    counts.failed += Number(m[2])
    counts.skipped += Number(m[3])
  }
  return counts
}

async function main() {
  for (const features of [[], ['--features', 'failpoints']]) {
    const title = ['cargo test', ...features].join(' ')
    const { status, stdout } = await step(title, 'cargo', ['test', '--quiet', '--no-fail-fast', ...features])
    add(status, cargoCounts(stdout))
  }

  const types = await step('type test: tsc -p __test__', 'npx', ['tsc', '-p', '__test__'])
  add(types.status, { passed: types.status === 0 ? 1 : 0, failed: 0, skipped: 0 })

  // jest's own numbers, from its JSON results (its summary reporter prints the jest-only line).
  const results = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'swj-test-')), 'jest.json')
  const jest = await step('jest', 'npx', ['jest', '--json', `--outputFile=${results}`])
  let jestCounts = { passed: 0, failed: 0, skipped: 0 }
  try {
    const r = JSON.parse(fs.readFileSync(results, 'utf8'))
    // A suite that fails to load has no tests in it: it counts as one failure.
    const brokenSuites = r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length
    jestCounts = {
      passed: r.numPassedTests,
      failed: r.numFailedTests + brokenSuites,
      skipped: r.numPendingTests + r.numTodoTests,
    }
  } catch (err) {
    console.error(`jest left no results in ${results}: ${err.message}`)
  }
  fs.rmSync(path.dirname(results), { recursive: true, force: true })
  add(jest.status, jestCounts)

  console.log(`\ntotal: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
  process.exitCode = total.failed === 0 ? 0 : 1
}

main()
