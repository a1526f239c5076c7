// A streamed (spilled) write that a newer call supersedes before it lands: its writer thread
// already made a temp file (and maybe the parent directories). Discarding it must neither block
// the event loop (its thread is joined off the JavaScript thread; closing a temp file of hundreds
// of MB takes tens of milliseconds) nor pull directories from under another write; and it still
// leaves nothing behind by the time the write that superseded it settles. Texts are forced to
// stream past 4 KB here.
process.env.SAFE_WRITE_JSON_WALK_MIN = '16'
process.env.SAFE_WRITE_JSON_SPILL_BYTES = '4096'
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { safeWriteJson } = require('..')
const { tmpDir, leftovers } = require('./helpers')
const { FAILPOINTS_ADDON, report } = require('./torture-helpers')

const ROUNDS = Number(process.env.SPILL_ROUNDS) || 100
const WRITERS = 8

const doc = (round, k) => Array.from({ length: 300 }, (_, i) => ({ i, round, k, text: `message ${i} — grüße 😀` }))

test(`${WRITERS} concurrent streamed writes into a new directory, ${ROUNDS} rounds: none fails with ENOENT`, async () => {
  const dir = tmpDir()
  const failures = []
  for (let round = 0; round < ROUNDS; round++) {
    const file = path.join(dir, `r${round}`, 'x', 'y', 'f.json')
    const outcomes = await Promise.allSettled(
      Array.from({ length: WRITERS }, (_, k) => safeWriteJson(file, doc(round, k))),
    )
    for (const outcome of outcomes) if (outcome.status === 'rejected') failures.push(outcome.reason.code)
    if (outcomes.every((outcome) => outcome.status === 'fulfilled')) {
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))[0].k).toBe(WRITERS - 1)
    }
  }
  report('concurrent streamed writes into a new directory', {
    rounds: ROUNDS,
    writes: ROUNDS * WRITERS,
    failed: failures.length,
  })
  expect(failures).toEqual([])
  expect(leftovers(dir)).toEqual([])
}, 60_000) // the default 5 s is too short under Wine, where file calls are slower

test.each(['streamed', 'small'])(
  'superseding a queued streamed write (by a %s one) does not wait for its writer thread; its temp file is gone when the newer write settles',
  (second) => {
    if (!fs.existsSync(FAILPOINTS_ADDON))
      throw new Error(`${FAILPOINTS_ADDON} is missing: run npm run build:failpoints`)
    const dir = tmpDir()
    const out = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', 'superseded-spill.js'), dir, second], {
      env: {
        ...process.env,
        NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON,
        // The discarded writer sleeps before removing its temp file: a call that joined it would
        // find the file gone when it returns.
        FAILPOINTS: 'spill.discard=sleep(3000)',
      },
      encoding: 'utf8',
      timeout: 60000,
    })
    expect(JSON.parse(out)).toEqual({ leftWhenCallReturned: 1, version: 2, tempsAfter: [] })
    expect(leftovers(dir)).toEqual([])
  },
  70000,
)
