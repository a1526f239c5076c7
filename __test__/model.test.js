// Issue 10, "How to prove it": the model-based randomized test of the whole API, reduced for CI.
// Random sequences and interleavings of async and Sync writes, updateJson (nested ones too),
// safeReadJson and cleanupTempFiles, with mixed options and every spelling of one file, at sizes
// past the walk and spill thresholds (lowered through the environment), in one process and in
// two or three, each run in child processes under a watchdog. The rules checked are listed in
// __test__/model/child.js; `npm run torture` runs the long version (real sizes, more runs).
// On failure the seed, a replay command and the shrunk counterexample are printed.
const { check, play } = require('./model/run')
const known = require('./model/known')
const { report } = require('./torture-helpers')

const runs = Number(process.env.MODEL_RUNS) || 40
// Past this, fast-check stops (shrinking included) and reports what it has: hangs cost a
// watchdog period each, and CI must not stall on them.
const timeLimitMs = 150_000

test(
  `model: random interleavings of the whole API keep the contract (${runs} runs)`,
  async () => {
    const lines = []
    const seed = process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined
    const { details, figures } = await check({
      numRuns: runs,
      seed,
      replayPath: process.env.MODEL_PATH,
      timeLimitMs,
      log: (s) => lines.push(s),
    })
    report('property (model)', { runs: figures.runs, calls: figures.calls, failed: details.failed ? 1 : 0 })
    if (details.failed) throw new Error(lines.join('\n'))
    // Counted, not assumed: the runs did call the API, across processes and nesting.
    expect(figures.runs).toBeGreaterThan(0)
    expect(figures.calls).toBeGreaterThan(figures.runs)
    console.log(
      `model: ${figures.runs} scenarios, ${figures.processes} processes, ${figures.calls} calls (${figures.sync} Sync, ${figures.async} async writes, ${figures.updates} updateJson, ${figures.nested} nested, ${figures.reads} reads, ${figures.cleanups} cleanups, ${figures.removedUnheld} files taken by cleanup before their writer locked them), ${figures.elocked} ELOCKED, ${figures.observations} observations of the file: every rule held`,
    )
  },
  timeLimitMs + 60_000,
)

// What the model found on 66a42bb, replayed as found (shrunk): each fails there, and must pass.
describe('counterexamples the model found (issue 10)', () => {
  test.each(known)(
    '%s',
    async (_name, times, scenario) => {
      for (let i = 0; i < times; i++) {
        const r = await play(scenario)
        if (!r.ok) throw new Error(`play ${i + 1} of ${times}: ${r.failure}\nscenario: ${JSON.stringify(scenario)}`)
      }
    },
    120_000,
  )
})
