// Guarantee 4: the file holds exactly Buffer.from(JSON.stringify(data, replacer, indent)), for
// a corpus of values that exercise every rule of JSON.stringify, and for arbitrary values.
// parity-walked.test.js runs the same with the piece-by-piece path forced on; the
// parity-incremental*.test.js files with `incremental: true` (PARITY_INCREMENTAL).
const fs = require('node:fs')
const path = require('node:path')
const fc = require('fast-check')
const { safeWriteJson, safeWriteJsonSync } = require('..')
const { tmpDir, expectFileBytes } = require('./helpers')
const { report } = require('./torture-helpers')
const {
  values,
  indents,
  expected,
  arbitraryValue,
  arbitraryBig,
  arbitraryIndent,
  arbitraryReplacer,
} = require('./corpus')

const dir = tmpDir()
const runs = Number(process.env.PROPERTY_RUNS) || 1000
// The async writes' options take `incremental: true` too, when set.
const incremental = process.env.PARITY_INCREMENTAL === '1' ? true : undefined

describe.each(Object.entries(values))('%s', (_label, data) => {
  test.each(indents.map((i) => [i === undefined ? 'no indent' : JSON.stringify(String(i)), i]))(
    'indent %s',
    async (_name, indent) => {
      const file = path.join(dir, 'v.json')
      await safeWriteJson(file, data, { indent, durability: 'none', incremental })
      expectFileBytes(file, expected(data, undefined, indent))
    },
  )
})

test(
  `property: arbitrary values, indents and replacers (${runs} runs)`,
  async () => {
    const file = path.join(dir, 'p.json')
    // Counted as run and as found (fast-check stops at the first mismatch, after shrinking it).
    const counted = { runs: 0, mismatches: 0 }
    const how = incremental
      ? `incremental${process.env.SAFE_WRITE_JSON_WALK_MIN ? ', walked small' : ''}`
      : Number(process.env.SAFE_WRITE_JSON_SPILL_BYTES) < 1e9
        ? 'spilled'
        : process.env.SAFE_WRITE_JSON_WALK_MIN
          ? 'walked'
          : 'whole'
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(arbitraryValue, arbitraryBig),
          arbitraryIndent,
          arbitraryReplacer,
          async (data, indent, replacer) => {
            counted.runs++
            await safeWriteJson(file, data, { indent, replacer, durability: 'none', incremental })
            const want = expected(data, replacer, indent)
            if (!fs.readFileSync(file).equals(want)) counted.mismatches++
            expectFileBytes(file, want)
          },
        ),
        { numRuns: runs },
      )
    } finally {
      report(`property (${how})`, counted)
    }
    expect(counted.mismatches).toBe(0)
  },
  runs * 1000,
)

describe('top-level values JSON.stringify maps to undefined write null', () => {
  test.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
    ['toJSON returning undefined', { toJSON: () => undefined }],
  ])('%s', async (_label, data) => {
    const file = path.join(dir, 'u.json')
    await safeWriteJson(file, data, { incremental })
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
    await safeWriteJson(file, data, { replacer, indent: 2, incremental })
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
    await safeWriteJson(file, data, { replacer, indent: '  ', incremental })
    expectFileBytes(file, expected(data, replacer, '  '))
  })

  test('a replacer that replaces the root', async () => {
    const file = path.join(dir, 'root.json')
    const replacer = (key, value) => (key === '' ? { replaced: true } : value)
    await safeWriteJson(file, data, { replacer, incremental })
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
    await safeWriteJson(path.join(dir, 'once.json'), data, { replacer, incremental })
    expect(calls).toEqual(['replacer:', 'getter', 'replacer:first', 'toJSON:second', 'replacer:second'])
  })

  test('in a long array: each getter and toJSON once, toJSON with its own index', async () => {
    const calls = []
    const data = Array.from({ length: 1000 }, (_, i) =>
      i % 10 === 3
        ? { toJSON: (key) => (calls.push(`toJSON:${key}`), key) }
        : {
            get v() {
              calls.push(`get:${i}`)
              return i
            },
          },
    )
    await safeWriteJson(path.join(dir, 'long.json'), data, { durability: 'none', incremental })
    const once = data.map((_, i) => (i % 10 === 3 ? `toJSON:${i}` : `get:${i}`))
    expect(calls).toEqual(once)
    expectFileBytes(path.join(dir, 'long.json'), expected(data.map((_, i) => (i % 10 === 3 ? String(i) : { v: i }))))
  })
})

// Big arrays nested deeper than the walk descends (each level one big array holding the next),
// as deep as JSON.stringify goes here with room to spare: half the deepest of the depths tried
// that it handles (Windows' stack takes fewer levels than Linux's). Every writer must give its
// bytes (before: a RangeError, stack overflow, from about 1,200 levels on Linux; found by review).
const nested = (depth) => {
  let value = []
  for (let level = 0; level < depth; level++) {
    const array = Array.from({ length: 512 }, () => 0)
    array[0] = value
    value = array
  }
  return value
}
const handled = [8000, 4000, 2000, 1000, 500, 250].find((depth) => {
  try {
    return JSON.stringify(nested(depth)) !== undefined
  } catch {
    return false
  }
})
test.each([
  ['safeWriteJsonSync', (file, value) => safeWriteJsonSync(file, value, { durability: 'none' })],
  ['safeWriteJson', (file, value) => safeWriteJson(file, value, { durability: 'none' })],
  ['safeWriteJson incremental', (file, value) => safeWriteJson(file, value, { durability: 'none', incremental: true })],
])(
  `%s: big arrays nested ${handled / 2} deep (JSON.stringify handles ${handled}) are JSON.stringify bytes`,
  async (_, write) => {
    const value = nested(handled / 2)
    const file = path.join(dir, 'deep.json')
    await write(file, value)
    expectFileBytes(file, Buffer.from(JSON.stringify(value)))
  },
)
