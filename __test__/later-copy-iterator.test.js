// "When data is read": what is written is the value at call time; later mutation changes
// nothing. A big default-mode async write's pieces are copied out of JavaScript in later turns
// (index.js' HeldPieces), and a text big enough to stream is handed over batch by batch
// (stringify.js): neither may pass its lists through Array.prototype[Symbol.iterator] (a spread
// or a destructuring), which user code can replace — after the call, or from a getter during
// it — and so rewrite the pieces still to be written. Found by review: all three failed before
// (the file held "tampered", not even JSON for the streamed text).
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson } = require('..')
const { tmpDir } = require('./helpers')

const dir = tmpDir('swj-later-iterator')
const original = Array.prototype[Symbol.iterator]

afterEach(() => {
  Array.prototype[Symbol.iterator] = original
})

/** After the call, an iterator that rewrites the first string of any [[string...], meta] pair. */
function tamperAfterTheCall() {
  Array.prototype[Symbol.iterator] = function () {
    if (this.length === 2 && this[0] !== null && typeof this[0] === 'object' && typeof this[0][0] === 'string') {
      this[0][0] = '"tampered"'
    }
    return original.call(this)
  }
}

test.each([
  ['a whole text (replacer)', { big: 'x'.repeat(200000) }, { replacer: (_key, value) => value }],
  ['a walked text', Array.from({ length: 20000 }, (_, i) => ({ i, s: 'abcdefghij'.repeat(20) })), undefined],
])(
  'a patched Array iterator after the call does not change what a later-turn copy writes (%s)',
  async (_label, data, options) => {
    const file = path.join(dir, 'a.json')
    const written = safeWriteJson(file, data, options)
    tamperAfterTheCall()
    await written
    Array.prototype[Symbol.iterator] = original
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(data))
  },
)

// The same iterator, patched during the call by a getter the walk runs, while a text big enough
// to stream (60M characters) is handed over batch by batch.
test('a patched Array iterator from a getter does not change a streamed text', async () => {
  const file = path.join(dir, 'streamed.json')
  const data = Array.from({ length: 3000 }, (_, i) => ({ i, s: 'z'.repeat(20000) }))
  Object.defineProperty(data[0], 'g', {
    enumerable: true,
    get() {
      tamperAfterTheCall()
      return 1
    },
  })
  await safeWriteJson(file, data)
  Array.prototype[Symbol.iterator] = original
  const text = fs.readFileSync(file, 'utf8')
  expect(text.slice(0, 40)).toBe(JSON.stringify(data).slice(0, 40))
  expect(text === JSON.stringify(data)).toBe(true)
})
