// A Sync write first has every text still being fed on its thread finished (src/binding/feed.rs,
// finish_feeds), because an async write it waits for may be waiting for those pieces. A Sync
// write made by user code that one of those finishes runs (a getter) must find the rest still
// registered: if it targets a file whose async write is on the disk waiting for a fed text not
// yet finished, and that text were not finished first, the thread would wait for itself, for
// ever (guarantee 13). Found by review (reviewB); the child runs under a watchdog.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { runNodeScript } = require('./helpers')

const ROOT = path.resolve(__dirname, '..')
const WATCHDOG_MS = 20000

// Not helpers' tmpDir: the hung child is killed mid-write, and a killed writer leaves its temp
// files (cleanupTempFiles' case), which tmpDir's after-check would count against this test.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-nested-finish-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Run `script` (argv: the package, `dir`) in a child node; a hang fails. */
function runChild(script) {
  return runNodeScript(script, [ROOT, dir], { timeout: WATCHDOG_MS })
}

test(
  'a Sync write made by a getter that a Sync write runs to finish a fed text, aimed at the file of another fed write, returns',
  () => {
    const outcome = runChild(
      `const [pkg, dir] = process.argv.slice(1)
      const { safeWriteJson, safeWriteJsonSync } = require(pkg)
      const at = (name) => require('node:path').join(dir, name)
      const items = (n) => Array.from({ length: n }, (_, i) => ({ i }))
      let armed = false
      // A: fed in slices; its last member's getter, once armed, writes q synchronously.
      const a = { items: items(300000) }
      Object.defineProperty(a, 'last', {
        enumerable: true,
        get() {
          if (armed) (armed = false), safeWriteJsonSync(at('q.json'), 'from the getter')
          return 0
        },
      })
      const writes = [
        safeWriteJson(at('p.json'), a, { incremental: true }),
        // B: fed in slices too; its write is on the disk, waiting for B's pieces.
        safeWriteJson(at('q.json'), items(300000), { incremental: true }),
      ]
      setImmediate(() => {
        armed = true
        // Finishes A (whose getter writes q) and B.
        safeWriteJsonSync(at('r.json'), 1)
        Promise.allSettled(writes).then((settled) =>
          console.log(JSON.stringify(settled.map((s) => s.status))),
        )
      })`,
    )
    expect(outcome).toEqual(['fulfilled', 'fulfilled'])
  },
  WATCHDOG_MS * 2,
)
