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

// The same for a write whose text is copied out in later turns (a big text, or incremental: true):
// its call derives its promise from its write's, after the write is queued. Looked up through
// the replaced species, that threw: the queued write then waited for its text for ever, and every
// later write of the file with it (big text; temp file and lock left), or its rejection went
// unhandled and crashed the process (incremental). Found by review (review-d).
test.each([
  ['a big text', '{ c: 1, text: "x".repeat(100000) }', '{}'],
  ['incremental: true', 'Array.from({ length: 300000 }, (_, i) => ({ i }))', '{ incremental: true }'],
])('a write copied out in later turns (%s) made while the species is replaced is written', (_label, data, options) => {
  const outcome = runNodeScript(
    `const [pkg, dir] = process.argv.slice(1)
      const fs = require('node:fs')
      const { safeWriteJson } = require(pkg)
      const file = require('node:path').join(dir, 'a.json')
      const data = ${data}
      const species = { [Symbol.species]: function Hostile() { throw new Error('the species of the user') } }
      Object.defineProperty(Promise.prototype, 'constructor', { configurable: true, writable: true, value: species })
      const first = safeWriteJson(file, data, ${options})
      Object.defineProperty(Promise.prototype, 'constructor', { configurable: true, writable: true, value: Promise })
      const outcome = {}
      first.then(() => (outcome.first = 'written'), (err) => (outcome.first = err.message))
        .then(() => safeWriteJson(file, { c: 2 }))
        .then(() => {
          outcome.content = fs.readFileSync(file, 'utf8')
          outcome.left = fs.readdirSync(dir).filter((name) => name !== 'a.json')
          console.log(JSON.stringify(outcome))
        })`,
    [ROOT, tmpDir('swj-tick-species-fed')],
    { timeout: WATCHDOG_MS },
  )
  expect(outcome).toEqual({ first: 'written', content: '{"c":2}', left: [] })
})
