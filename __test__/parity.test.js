// Guarantee 4: the file holds exactly Buffer.from(JSON.stringify(data, replacer, indent)), for
// a corpus of values that exercise every rule of JSON.stringify.
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson, safeWriteJsonSync } = require('..')
const { tmpDir, expectFileBytes } = require('./helpers')

const dir = tmpDir()

/** What JSON.stringify says the file must hold, as bytes. */
function expected(data, replacer, indent) {
  const text = JSON.stringify(data, replacer, indent)
  return Buffer.from(text === undefined ? 'null' : text, 'utf8')
}

const sparse = [1, , 3] // eslint-disable-line no-sparse-arrays
class Point {
  constructor() {
    this.x = 1
    this.y = 2
  }
  get sum() {
    return this.x + this.y
  }
}
const nullProto = Object.assign(Object.create(null), { b: 1, a: 2 })

const values = {
  'numbers at the edges': [1e21, 1e-7, -0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, 123456789012345680000, 2 ** 53 + 1],
  'non-finite numbers': [NaN, Infinity, -Infinity],
  'integer-like keys come first, ascending': { b: 1, 2: 'two', 1: 'one', a: 3, '-1': 4, '01': 5, 4294967295: 6, 4294967294: 7 },
  'lone and paired surrogates': ['\ud800', '\udfff', 'a\ud83d', '\ude00b', '😀', '\ud83d\ude00'],
  'control characters and escapes': '\u0000\u0001\u001f\b\f\n\r\t"\\/\u007f\u2028\u2029',
  'non-ASCII text': { text: 'Grüße — ünïcødé 😀 текст 中文 العربية' },
  'toJSON with its key': { a: { toJSON: (key) => `key:${key}` }, list: [{ toJSON: (key) => `index:${key}` }] },
  'Date': { when: new Date(Date.UTC(2026, 10, 23, 14, 0, 0)) },
  'toJSON returning undefined': { gone: { toJSON: () => undefined }, kept: 1 },
  'undefined, functions and symbols': { u: undefined, f() {}, s: Symbol('s'), list: [undefined, () => 1, Symbol('t')] },
  'boxed primitives': [new Number(3), new String('s'), new Boolean(false), Object('x')],
  'sparse arrays': sparse,
  'empty containers': { o: {}, a: [], nested: [[], {}, [[]]] },
  'Map, Set and typed arrays': { map: new Map([[1, 2]]), set: new Set([1]), bytes: new Uint8Array([1, 2]) },
  'class instances and getters': new Point(),
  'null prototype': nullProto,
  'a Proxy': new Proxy({ a: 1 }, {}),
  'a long string': 'x'.repeat(100000) + 'é'.repeat(100000),
  'deep nesting': JSON.parse('['.repeat(500) + ']'.repeat(500)),
  'null and booleans': [null, true, false],
}

const indents = [undefined, 0, 2, 10, 11, -1, 3.7, '', '\t', 'abcdefghijklmn', '\0\0', 'a😀😀😀😀😀', new Number(2), new String('--'), NaN, Infinity]

describe.each(Object.entries(values))('%s', (_label, data) => {
  test.each(indents.map((i) => [i === undefined ? 'no indent' : JSON.stringify(String(i)), i]))(
    'indent %s',
    async (_name, indent) => {
      const file = path.join(dir, 'v.json')
      await safeWriteJson(file, data, { indent })
      expectFileBytes(file, expected(data, undefined, indent))
    },
  )
})

describe('top-level values JSON.stringify maps to undefined write null', () => {
  test.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
    ['toJSON returning undefined', { toJSON: () => undefined }],
  ])('%s', async (_label, data) => {
    const file = path.join(dir, 'u.json')
    await safeWriteJson(file, data)
    expect(fs.readFileSync(file, 'utf8')).toBe('null')
    safeWriteJsonSync(file, data, { finalNewline: true })
    expect(fs.readFileSync(file, 'utf8')).toBe('null\n')
  })
})

describe('replacers', () => {
  const data = { a: 1, b: { a: 2, c: [1, { a: 3, d: 4 }] }, 1: 'one', e: 'e' }

  test('a replacer function sees the holder as this, and each key', async () => {
    const seen = []
    const replacer = function (key, value) {
      seen.push([key, Array.isArray(this) ? 'array' : typeof this])
      return typeof value === 'number' ? value * 10 : value
    }
    const file = path.join(dir, 'r.json')
    await safeWriteJson(file, data, { replacer, indent: 2 })
    const ours = seen.splice(0)
    expectFileBytes(file, expected(data, replacer, 2))
    expect(ours).toEqual(seen)
  })

  test.each([
    ['names', ['a', 'b']],
    ['numbers and names', [1, 'c', 'e']],
    ['boxed and duplicate names', [new String('a'), 'a', new Number(1), 'b']],
    ['an empty list', []],
  ])('a replacer array of %s', async (_label, replacer) => {
    const file = path.join(dir, 'ra.json')
    await safeWriteJson(file, data, { replacer, indent: '  ' })
    expectFileBytes(file, expected(data, replacer, '  '))
  })

  test('a replacer that replaces the root', async () => {
    const file = path.join(dir, 'root.json')
    const replacer = (key, value) => (key === '' ? { replaced: true } : value)
    await safeWriteJson(file, data, { replacer })
    expect(fs.readFileSync(file, 'utf8')).toBe('{"replaced":true}')
  })
})

describe('user code runs exactly once per call, in order', () => {
  test('getters, toJSON and the replacer', async () => {
    const calls = []
    const data = {
      get first() {
        calls.push('getter')
        return 1
      },
      second: {
        toJSON(key) {
          calls.push(`toJSON:${key}`)
          return 2
        },
      },
    }
    const replacer = (key, value) => {
      calls.push(`replacer:${key}`)
      return value
    }
    await safeWriteJson(path.join(dir, 'once.json'), data, { replacer })
    expect(calls).toEqual(['replacer:', 'getter', 'replacer:first', 'toJSON:second', 'replacer:second'])
  })
})
