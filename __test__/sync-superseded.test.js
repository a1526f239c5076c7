// A Sync write supersedes the async writes of its file still queued (CONTRACT, "Same path"). A
// superseded streamed (spilled) text already has its temp file beside the target, made by its
// writer thread; discarding it has that writer remove the file, and the next write to land
// joins it (src/spill.rs, reap). The Sync write must discard it before it lands, so that it
// joins it: when the Sync call returns, that temp file is gone (guarantee 8). The child runs on
// the failpoints build: `commit.renaming=1*sleep(MS)` keeps a first async write on the disk (about
// to rename) while the spilled one queues behind it and the Sync call comes, and
// `spill.discard=sleep(MS)` has the discarded writer wait before it removes its temp file, so
// that a Sync call that did not join it finds the file still there, every time.
const fs = require('node:fs')
const path = require('node:path')
const { tmpDir, leftovers, runNodeScript } = require('./helpers')
const { FAILPOINTS_ADDON } = require('./torture-helpers')

const ROOT = path.resolve(__dirname, '..')
// Texts stream past this many bytes (UTF-16, as the package counts held text).
const SPILL_BYTES = 4096
const WATCHDOG_MS = 30000

const withFailpoints = fs.existsSync(FAILPOINTS_ADDON) ? test : test.skip
if (!fs.existsSync(FAILPOINTS_ADDON)) console.warn(`skipped: ${FAILPOINTS_ADDON} is missing (npm run build:failpoints)`)

withFailpoints(
  'a Sync write that supersedes a queued streamed write returns with its temp file gone; the superseded promise resolves',
  () => {
    const dir = tmpDir()
    const outcome = runNodeScript(
      `const [pkg, dir, spillBytes] = process.argv.slice(1)
      const fs = require('node:fs')
      const path = require('node:path')
      const { safeWriteJson, safeWriteJsonSync } = require(pkg)
      const file = path.join(dir, 'state.json')
      const TEMP = /^\\.state\\.json\\.[A-Za-z0-9]{8}\\.tmp$/
      const temps = () => fs.readdirSync(dir).filter((name) => TEMP.test(name))
      const turn = () => new Promise((resolve) => setImmediate(resolve))
      // At least 16 characters a member: more than spillBytes of UTF-16 text, so it streams.
      const big = (version) => Array.from({ length: Math.ceil(Number(spillBytes) / 16) }, (_, i) => ({ i, version }))
      async function main() {
        // On the disk: its temp file made, then held about to rename (the failpoint).
        const first = safeWriteJson(file, { version: 1 })
        while (temps().length === 0) await turn()
        // Queued behind it; its writer makes its own temp file at once (it streams).
        const superseded = safeWriteJson(file, big(2))
        while (temps().length < 2) await turn()
        const streamed = temps().length === 2
        // The first write has not renamed yet: the streamed one is still queued.
        const queued = !fs.existsSync(file)
        safeWriteJsonSync(file, { version: 3 })
        const tempsWhenSyncReturned = temps().length
        const settled = (await Promise.allSettled([first, superseded])).map((s) => s.status)
        const version = JSON.parse(fs.readFileSync(file, 'utf8')).version
        process.stdout.write(JSON.stringify({ streamed, queued, tempsWhenSyncReturned, settled, version, tempsAfter: temps() }))
      }
      main().catch((err) => {
        console.error(err)
        process.exitCode = 1
      })`,
      [ROOT, dir, String(SPILL_BYTES)],
      {
        env: {
          NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON,
          SAFE_WRITE_JSON_WALK_MIN: '16',
          SAFE_WRITE_JSON_SPILL_BYTES: String(SPILL_BYTES),
          FAILPOINTS: 'commit.renaming=1*sleep(3000);spill.discard=sleep(1000)',
        },
        timeout: WATCHDOG_MS,
      },
    )
    expect(outcome).toEqual({
      streamed: true,
      queued: true,
      tempsWhenSyncReturned: 0,
      settled: ['fulfilled', 'fulfilled'],
      version: 3,
      tempsAfter: [],
    })
    expect(leftovers(dir)).toEqual([])
  },
  WATCHDOG_MS * 2,
)
