// The tick gate opens in a promise job made with the `then` captured at load (index.js): user
// code that replaces the species of promises later (`Promise.prototype.constructor`, as
// polyfills and instrumentation do) must change nothing — the call neither rejects with the
// user's error nor leaves its thread's gate unopened. Found by review (reviewB). In a child
// process: it changes the realm's Promise.
const path = require('node:path')
const { tmpDir, runNodeScript } = require('./helpers')

const ROOT = path.resolve(__dirname, '..')
const WATCHDOG_MS = 30000

test('an async write made while user code has replaced the species of promises is written', () => {
  const outcome = runNodeScript(
    `const [pkg, dir] = process.argv.slice(1)
      const { safeWriteJson } = require(pkg)
      const file = require('node:path').join(dir, 'a.json')
      const species = { [Symbol.species]: function Hostile() { throw new Error('the species of the user') } }
      Object.defineProperty(Promise.prototype, 'constructor', { configurable: true, writable: true, value: species })
      const written = safeWriteJson(file, { n: 1 })
      Object.defineProperty(Promise.prototype, 'constructor', { configurable: true, writable: true, value: Promise })
      written.then(
        () => console.log(JSON.stringify({ content: require('node:fs').readFileSync(file, 'utf8') })),
        (err) => console.log(JSON.stringify({ rejected: err.message })),
      )`,
    [ROOT, tmpDir('swj-tick-species')],
    { timeout: WATCHDOG_MS },
  )
  expect(outcome).toEqual({ content: '{"n":1}' })
})
