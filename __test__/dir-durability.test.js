// Writing into directories that do not exist yet makes every new name durable: each new
// directory's parent is fsynced (and the file's own directory after the rename), once each —
// for a text held in memory and for a spilled one (> SAFE_WRITE_JSON_SPILL_BYTES, streamed by a
// writer thread). Seen from outside: the fsync calls the process really makes, under strace.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { tmpDir } = require('./helpers')

const ROOT = path.resolve(__dirname, '..')

// Decided at load time: without a working strace (not installed, ptrace not permitted) these
// tests cannot see the fsyncs and are reported as skipped.
const straceWorks = (() => {
  if (process.platform !== 'linux') return false
  const probe = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { timeout: 30_000 })
  return probe.status === 0
})()
const withStrace = straceWorks ? test : test.skip

/**
 * Run one `safeWriteJson(file, data)` (a top-level array of 5,000 strings: walked in pieces, so
 * a low spill threshold makes it stream) in a child node under strace; return how many times each
 * directory (by real path) was fsynced, and whether the write succeeded.
 */
function fsyncsOfOneWrite(file, spillBytes) {
  const log = path.join(tmpDir('swj-strace'), 'trace')
  // Spilled: the last member's getter, run while the text is being made, waits until the
  // spill writer thread has its temp file (so it has made the directories) — as with a text of
  // hundreds of MB, which takes far longer to make than a few directories.
  const script = `const fs = require('node:fs')
    const data = Array.from({ length: 5000 }, (_, i) => 'item ' + i)
    const dir = ${JSON.stringify(path.dirname(file))}
    if (${Boolean(spillBytes)}) data.push({ get last() {
      const end = Date.now() + 60000
      while (!(fs.existsSync(dir) && fs.readdirSync(dir).some((n) => n.endsWith('.tmp')))) {
        if (Date.now() > end) throw new Error('the spill writer made no temp file')
      }
      return true
    } })
    require(${JSON.stringify(ROOT)}).safeWriteJson(${JSON.stringify(file)}, data)
      .then(() => process.exit(0), (e) => { console.error(e); process.exit(1) })`
  const env = { ...process.env }
  if (spillBytes) env.SAFE_WRITE_JSON_SPILL_BYTES = String(spillBytes)
  else delete env.SAFE_WRITE_JSON_SPILL_BYTES
  const child = spawnSync(
    'strace',
    ['-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync', '-o', log, process.execPath, '-e', script],
    { env, encoding: 'utf8', timeout: 120_000 },
  )
  expect(child.stderr).toBe('')
  expect(child.status).toBe(0)
  const counts = new Map()
  const count = (dir) => counts.set(dir, (counts.get(dir) ?? 0) + 1)
  // A call another thread interrupts is split in two lines: `<unfinished ...>`, then `resumed`.
  const unfinished = new Map()
  for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
    // `1234 fsync(23</tmp/swj-x/R/a>) = 0`
    const whole = /^(\d+)\s+f(?:data)?sync\(\d+<(.*)>\)\s+= 0$/.exec(line)
    if (whole) count(whole[2])
    const start = /^(\d+)\s+f(?:data)?sync\(\d+<(.*)> <unfinished \.\.\.>$/.exec(line)
    if (start) unfinished.set(start[1], start[2])
    const end = /^(\d+)\s+<\.\.\. f(?:data)?sync resumed>\)\s+= 0$/.exec(line)
    if (end) count(unfinished.get(end[1]))
  }
  return counts
}

describe.each([
  ['held in memory', 0],
  ['spilled', 1024],
])('a write %s into R/a/b/c/f.json, a/b/c new', (_label, spillBytes) => {
  withStrace('fsyncs R, R/a, R/a/b and R/a/b/c, each once, before resolving', () => {
    const root = fs.realpathSync(tmpDir())
    const file = path.join(root, 'a', 'b', 'c', 'f.json')
    const counts = fsyncsOfOneWrite(file, spillBytes)
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toHaveLength(spillBytes ? 5001 : 5000)
    const dirs = [root, path.join(root, 'a'), path.join(root, 'a', 'b'), path.join(root, 'a', 'b', 'c')]
    const fsynced = Object.fromEntries(dirs.map((d) => [d, counts.get(d) ?? 0]))
    // Once each: none skipped, nothing fsynced twice needlessly.
    expect(fsynced).toEqual(Object.fromEntries(dirs.map((d) => [d, 1])))
  })
})
