// `lockTimeoutMs: Infinity` (documented: wait as long as it takes) on every kind of call that
// can wait behind an update: the deadline of such a call lies past the end of the clock, so it
// must be no deadline at all — not a panic on a pool thread that fails the call and calls to
// other files with it. Run in a child process under a watchdog: a hang fails, a crash is seen.
const fs = require('node:fs')
const path = require('node:path')
const { tmpDir, runNodeScript } = require('./helpers')

const WATCHDOG_MS = 30000

function runChild(script, dir) {
  return runNodeScript(script, [path.join(__dirname, '..', 'index.js'), dir], { timeout: WATCHDOG_MS })
}

test('lockTimeoutMs: Infinity on an update with no contention resolves', () => {
  const dir = tmpDir('swj-infinite')
  const outcome = runChild(
    `
    const [pkg, dir] = process.argv.slice(1)
    const { updateJson } = require(pkg)
    const file = require('node:path').join(dir, 'a.json')
    updateJson(file, () => 1, { lockTimeoutMs: Infinity, default: 0 }).then(
      (value) => console.log(JSON.stringify({ value })),
      (err) => console.log(JSON.stringify({ error: String(err) })),
    )`,
    dir,
  )
  expect(outcome).toEqual({ value: 1 })
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'a.json'), 'utf8'))).toBe(1)
})

test('calls with lockTimeoutMs: Infinity queued behind an update wait for it, and other files are served meanwhile', () => {
  const dir = tmpDir('swj-infinite')
  const outcome = runChild(
    `
    const [pkg, dir] = process.argv.slice(1)
    const path = require('node:path')
    const { updateJson, safeWriteJson, safeWriteFile } = require(pkg)
    const a = path.join(dir, 'a.json'), c = path.join(dir, 'c.json')
    const settled = (p) => p.then((value) => ({ ok: value ?? null }), (err) => ({ error: err.code ?? String(err) }))
    let release
    const held = new Promise((resolve) => (release = resolve))
    const holder = settled(updateJson(a, async () => { await held; return 'held' }, { default: 0 }))
    setImmediate(async () => {
      const queued = [
        settled(safeWriteJson(a, 'write', { lockTimeoutMs: Infinity })),
        settled(updateJson(a, (v) => v + '+update', { lockTimeoutMs: Infinity })),
        settled(safeWriteFile(a, '"file"', { lockTimeoutMs: Infinity })),
      ]
      const other = await settled(safeWriteJson(c, 'other', { lockTimeoutMs: Infinity }))
      // Let the queued calls reach their wait (and, before the fix, their deadline's panic).
      await new Promise((resolve) => setTimeout(resolve, 200))
      release()
      const results = { holder: await holder, queued: await Promise.all(queued), other }
      results.a = require('node:fs').readFileSync(a, 'utf8')
      console.log(JSON.stringify(results))
    })`,
    dir,
  )
  expect(outcome).toEqual({
    holder: { ok: 'held' },
    queued: [{ ok: null }, { ok: 'write+update' }, { ok: null }],
    other: { ok: null },
    a: '"file"',
  })
})
