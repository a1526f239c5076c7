// Guarantee 13 for the copier, which copies an async write's text out of JavaScript in later
// turns (fed from index.js, each turn an async work's completion): whatever happens to the JavaScript thread while a copy is
// paused (its write waits behind another job, with 8M UTF-16 units in flight), the process
// survives and the write either lands or fails, leaving no temp file. Each case runs in a child
// process (fixtures/paused-copy.js) so that an abort is seen as a signal, and a hang as a timeout.
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { tmpDir, leftovers } = require('./helpers')

const FIXTURE = path.join(__dirname, 'fixtures', 'paused-copy.js')
const TIMEOUT_MS = 90000

/** Run the fixture in `mode` on a fresh directory: its exit, output and the directory. */
function run(mode, timeout = TIMEOUT_MS) {
  const dir = tmpDir('swj-copier')
  const child = spawnSync(process.execPath, [FIXTURE, mode, dir], { encoding: 'utf8', timeout })
  return { dir, status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr }
}

test(
  'a Sync write elsewhere while a big async write is paused behind a lease: no abort, the async write lands',
  () => {
    const { dir, status, signal, stdout, stderr } = run('sync')
    expect({ status, signal, stderr }).toEqual({ status: 0, signal: null, stderr: '' })
    expect(stdout).toBe('ok\n')
    expect(leftovers(dir)).toEqual([])
  },
  TIMEOUT_MS + 10000,
)

test(
  'a worker thread terminated while its big write is paused: the process survives, no temp file is left',
  () => {
    const { dir, status, signal, stdout, stderr } = run('worker')
    expect({ status, signal, stderr }).toEqual({ status: 0, signal: null, stderr: '' })
    expect(stdout).toBe('ok\n')
    expect(leftovers(dir)).toEqual([])
  },
  TIMEOUT_MS + 10000,
)

// A paused copy whose write is let go unread (superseded, or given up with ELOCKED, as when
// another window's update holds the file) must end too: else its pending turn keeps the
// event loop alive (the process never exits) and its strings stay pinned. 30 s: the fixture
// itself takes a few.
describe.each([
  ['superseded by a newer write', 'supersede'],
  ['given up with ELOCKED after its lockTimeoutMs', 'elocked'],
])('a big write paused behind a lease and then %s', (_name, mode) => {
  test('settles, and the process exits by itself', () => {
    const { dir, status, signal, stdout, stderr } = run(mode, 30000)
    expect({ status, signal, stderr }).toEqual({ status: 0, signal: null, stderr: '' })
    expect(stdout).toBe('ok\n')
    expect(leftovers(dir)).toEqual([])
  }, 40000)
})
