// The package loaded by worker threads only (the main thread never requires it), each worker
// terminated: Node closes an addon that only a worker loaded when that worker's environment goes
// away, while the package's own threads (the pool, the gate watcher, spill writers) still run its
// code. The addon must stay loaded (src/sys/mod.rs, `keep_loaded`); on Windows it was unloaded
// and the process crashed (0xC0000005). Each scenario runs in a child process under a watchdog,
// in a loop of workers to widen the window, and the child's main thread then keeps allocating
// until every write has landed or been undone, so that code run after an unload would crash it.
const fs = require('node:fs')
const path = require('node:path')
const { tmpDir, leftovers, runNodeScript } = require('./helpers')

const ROOT = path.resolve(__dirname, '..')
const WATCHDOG_MS = 60000
const ROUNDS = 6
const SMALL = 3
// Far beyond the 64K characters from which an async write's text is copied out over later turns.
const BIG_CHARS = 4 << 20

// argv: the package, the directory, `terminate` ('at once' or 'when settled'), the rounds.
// Prints what the workers reported and what was found in the directory meanwhile.
const SCRIPT = `
const [pkg, dir, terminate, rounds] = process.argv.slice(1)
const { Worker } = require('node:worker_threads')
const fs = require('node:fs')
const path = require('node:path')
const WORKER = \`
  const { workerData: { pkg, dir, round, terminate, smalls, bigChars }, parentPort } = require('node:worker_threads')
  const { join } = require('node:path')
  const { safeWriteJson } = require(pkg)
  const writes = []
  for (let n = 0; n < smalls; n++) writes.push(safeWriteJson(join(dir, 'small-' + round + '-' + n + '.json'), { round, n }))
  writes.push(safeWriteJson(join(dir, 'big-' + round + '.json'), { round, text: 'x'.repeat(bigChars) }))
  if (terminate === 'at once') parentPort.postMessage('started')
  else Promise.allSettled(writes).then((all) => parentPort.postMessage(all.map((one) => one.status)))
\`
if (Object.keys(require.cache).some((key) => key.startsWith(pkg))) throw new Error('the main thread loaded the package')
const reports = []
let garbage = []
// Allocates on the main thread (what a use-after-unload would crash), between rounds too.
const churn = () => {
  garbage.push(new Array(1000).fill({ at: reports.length }))
  if (garbage.length > 200) garbage = []
}
const round = (n) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { pkg, dir, round: n, terminate, smalls: ${SMALL}, bigChars: ${BIG_CHARS} } })
    worker.once('error', reject)
    worker.once('message', (report) => {
      reports.push(report)
      worker.terminate().then(resolve, reject)
    })
  })
// Every write landed or undone: nothing in the directory but the targets.
const settledOnDisk = () => fs.readdirSync(dir).every((name) => /^(small|big)-.*\\.json$/.test(name))
;(async () => {
  for (let n = 0; n < Number(rounds); n++) {
    await round(n)
    churn()
  }
  let turns = 0
  while (!settledOnDisk() || turns < 100) {
    churn()
    turns++
    await new Promise((resolve) => setTimeout(resolve, 3))
  }
  console.log(JSON.stringify({ reports, files: fs.readdirSync(dir).sort() }))
})()
`

/** Run the scenario; then each target is absent or its whole JSON, and no temp file is left. */
function runScenario(terminate) {
  const dir = tmpDir('swj-worker-only')
  const outcome = runNodeScript(SCRIPT, [ROOT, dir, terminate, String(ROUNDS)], { timeout: WATCHDOG_MS })
  expect(outcome.reports).toHaveLength(ROUNDS)
  for (let round = 0; round < ROUNDS; round++) {
    for (let n = 0; n < SMALL; n++) expectAbsentOrWhole(path.join(dir, `small-${round}-${n}.json`), { round, n })
    expectAbsentOrWhole(path.join(dir, `big-${round}.json`), { round, text: 'x'.repeat(BIG_CHARS) })
  }
  expect(leftovers(dir)).toEqual([])
  return outcome
}

function expectAbsentOrWhole(file, data) {
  if (fs.existsSync(file)) expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(data))
}

test('workers that alone loaded the package, terminated right after starting async writes (one streamed): the process runs on and exits 0, each file absent or whole', () => {
  const { reports } = runScenario('at once')
  expect(reports).toEqual(Array(ROUNDS).fill('started'))
})

test('workers that alone loaded the package, terminated once their writes settled (the pool idle): the process runs on and exits 0, every file whole', () => {
  const { reports, files } = runScenario('when settled')
  expect(reports).toEqual(Array(ROUNDS).fill(Array(SMALL + 1).fill('fulfilled')))
  expect(files).toHaveLength(ROUNDS * (SMALL + 1))
})
