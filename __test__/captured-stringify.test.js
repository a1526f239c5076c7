// "The text comes from the JSON.stringify the package captured when it loaded": replacing the
// global, before or during a call, changes nothing; and user code that makes the piece-by-piece
// walk unsound mid-write (a getter installing Array.prototype.toJSON or Object.prototype.toJSON)
// never yields a wrong text: the file is exactly what JSON.stringify gives for the same sequence
// of events, or the call rejects and the target is untouched. Values here have 2,000 members,
// past the walk threshold (512), so the walk is on with the default tuning.
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson, safeWriteJsonSync, updateJson } = require('..')
const { tmpDir, leftovers } = require('./helpers')

const original = JSON.stringify
const dir = tmpDir('swj-captured')
const OLD = '{"old":true}'
const big = () => Array.from({ length: 2000 }, (_, i) => ({ i, text: `item ${i}` }))

afterEach(() => {
  // Whatever a test did to the globals is undone, even when it failed.
  JSON.stringify = original
  delete Array.prototype.toJSON
  delete Object.prototype.toJSON
})

const indents = [
  ['no indent', undefined],
  ['indent 2', 2],
]

describe.each(indents)('JSON.stringify replaced (%s)', (_label, indent) => {
  const garbage = () => 'garbage{'

  test.each([
    ['a big array (walked)', big],
    ['a big object (walked)', () => Object.fromEntries(big().map((m) => [`k${m.i}`, m]))],
    ['a small object (stringified whole)', () => ({ a: [1, 2], b: 'x' })],
  ])('before the call: %s is written with the original, async and Sync', async (_what, make) => {
    const file = path.join(dir, 'before.json')
    const value = make()
    const expected = original(value, null, indent)
    JSON.stringify = garbage
    await safeWriteJson(file, value, { indent })
    expect(fs.readFileSync(file, 'utf8')).toBe(expected)
    fs.writeFileSync(file, OLD)
    safeWriteJsonSync(file, value, { indent })
    expect(fs.readFileSync(file, 'utf8')).toBe(expected)
    fs.writeFileSync(file, OLD)
    await updateJson(file, () => value, { indent })
    expect(fs.readFileSync(file, 'utf8')).toBe(expected)
  })

  test('during the call, by a getter of a member: the original all the same', async () => {
    const file = path.join(dir, 'during.json')
    const make = (onRead) => {
      const value = big()
      Object.defineProperty(value, 700, { enumerable: true, get: () => (onRead(), { i: 700, replaced: true }) })
      return value
    }
    const expected = original(
      make(() => {}),
      null,
      indent,
    )
    await safeWriteJson(
      file,
      make(() => (JSON.stringify = garbage)),
      { indent },
    )
    expect(fs.readFileSync(file, 'utf8')).toBe(expected)
  })
})

/**
 * Write `make(install)` (a value whose getter calls `install` when read) to a file holding OLD:
 * resolved, the file must be exactly what the original JSON.stringify makes of a twin value
 * with the same getter (the same sequence of events: the prototype changes when the getter
 * runs); rejected, the file must still be OLD. Never anything else, and never invalid JSON.
 */
async function expectSameOrRejected(make, install, uninstall, write) {
  const file = path.join(dir, 'proto.json')
  fs.writeFileSync(file, OLD)
  const outcome = await Promise.resolve()
    .then(() => write(file, make(install)))
    .then(
      () => ({ ok: true }),
      (err) => ({ ok: false, err }),
    )
  uninstall()
  const text = fs.readFileSync(file, 'utf8')
  expect(() => JSON.parse(text)).not.toThrow()
  if (outcome.ok) {
    const expected = original(make(install), null, write.indent)
    uninstall()
    expect(text).toBe(expected)
  } else {
    // An error of the caller's realm (jest's), saying why.
    expect(outcome.err).toBeInstanceOf(Error)
    expect(outcome.err.code).toBe('ERR_INVALID_STATE')
    expect(outcome.err.message).toMatch(/toJSON/)
    expect(text).toBe(OLD)
  }
  expect(leftovers(dir)).toEqual([])
  return outcome
}

const writers = indents.flatMap(([label, indent]) => [
  [`async, ${label}`, Object.assign((file, value) => safeWriteJson(file, value, { indent }), { indent })],
  [`Sync, ${label}`, Object.assign((file, value) => safeWriteJsonSync(file, value, { indent }), { indent })],
])

describe.each(writers)('a getter installs a prototype toJSON mid-write (%s)', (_label, write) => {
  // A member of a big array whose getter installs the method when the walk reads it; the
  // members around it are objects and arrays, which JSON.stringify then gives to the method.
  const arrayWithGetter = (install) => {
    const value = Array.from({ length: 2000 }, (_, i) => (i % 2 ? { i } : [i, `${i}`]))
    Object.defineProperty(value, 700, { enumerable: true, get: () => (install(), { i: 700 }) })
    return value
  }
  const objectWithGetter = (install) => {
    const value = {}
    for (let i = 0; i < 2000; i++) value[`k${i}`] = i % 2 ? { i } : [i, `${i}`]
    Object.defineProperty(value, 'k700', { enumerable: true, get: () => (install(), { i: 700 }) })
    return value
  }
  const installArray = () => {
    Array.prototype.toJSON = function (key) {
      return `v${key}`
    }
  }
  const installObject = () => {
    Object.prototype.toJSON = function (key) {
      return `o${key}`
    }
  }
  const uninstallAll = () => {
    delete Array.prototype.toJSON
    delete Object.prototype.toJSON
  }

  test('Array.prototype.toJSON, read in a big array', async () => {
    await expectSameOrRejected(arrayWithGetter, installArray, uninstallAll, write)
  })

  test('Object.prototype.toJSON, read in a big array', async () => {
    await expectSameOrRejected(arrayWithGetter, installObject, uninstallAll, write)
  })

  test('Array.prototype.toJSON, read in a big object', async () => {
    await expectSameOrRejected(objectWithGetter, installArray, uninstallAll, write)
  })

  test('Object.prototype.toJSON, read in a big object', async () => {
    await expectSameOrRejected(objectWithGetter, installObject, uninstallAll, write)
  })

  test('Array.prototype.toJSON, from a getter deep inside a member of a big array', async () => {
    const deep = (install) => {
      const value = Array.from({ length: 2000 }, (_, i) => (i % 2 ? { i } : [i, `${i}`]))
      value[700] = {
        get inner() {
          install()
          return 1
        },
      }
      return value
    }
    await expectSameOrRejected(deep, installArray, uninstallAll, write)
  })
})

test('a toJSON on Array.prototype before the call: a big object is stringified as JSON.stringify does', async () => {
  const file = path.join(dir, 'installed.json')
  const value = {}
  for (let i = 0; i < 2000; i++) value[`k${i}`] = i % 2 ? i : [i]
  Array.prototype.toJSON = function (key) {
    return `v${key}`
  }
  const expected = original(value, null, 2)
  await safeWriteJson(file, value, { indent: 2 })
  expect(fs.readFileSync(file, 'utf8')).toBe(expected)
})

test("a boxed indent whose valueOf installs a toJSON: JSON.stringify's text, or a rejection", async () => {
  const make = (install) => {
    const value = Array.from({ length: 2000 }, (_, i) => [i])
    const indent = new Number(2)
    indent.valueOf = () => (install(), 2)
    return { value, indent }
  }
  const install = () => {
    Array.prototype.toJSON = function (key) {
      return `v${key}`
    }
  }
  const file = path.join(dir, 'boxed.json')
  fs.writeFileSync(file, OLD)
  const { value, indent } = make(install)
  const outcome = await safeWriteJson(file, value, { indent }).then(
    () => null,
    (err) => err,
  )
  delete Array.prototype.toJSON
  const twin = make(install)
  const expected = original(twin.value, null, twin.indent)
  delete Array.prototype.toJSON
  expect(fs.readFileSync(file, 'utf8')).toBe(outcome ? OLD : expected)
  if (outcome) expect(outcome.code).toBe('ERR_INVALID_STATE')
})

// An index accessor on Array.prototype or Object.prototype (a setter that stores nothing)
// would catch indexed stores into arrays the walk makes: members and pieces went missing and an
// EMPTY file was written, and resolved. JSON.stringify of the value is unaffected (the value's
// own members are own properties), so the file must be exactly its text.
describe.each(writers)('an index accessor on a prototype during the walk (%s)', (_label, write) => {
  const accessors = [
    ['Array.prototype', Array.prototype, '0'],
    ['Array.prototype', Array.prototype, '1'],
    ['Object.prototype', Object.prototype, '0'],
  ]
  const values = [
    ['a big array of objects', () => Array.from({ length: 2000 }, (_, i) => ({ i }))],
    ['a big array of numbers', () => Array.from({ length: 2000 }, (_, i) => i)],
    [
      'a big object holding a big array',
      () =>
        Object.fromEntries(
          Array.from({ length: 2000 }, (_, i) => [`k${i}`, i === 7 ? Array.from({ length: 2000 }, (_, j) => [j]) : i]),
        ),
    ],
  ]
  describe.each(accessors)('on %s[%s]', (_where, proto, index) => {
    test.each(values)(
      '%s is written as JSON.stringify writes it; the old content is replaced whole',
      async (_what, make) => {
        const file = path.join(dir, 'accessor.json')
        fs.writeFileSync(file, OLD)
        Object.defineProperty(proto, index, {
          set() {},
          get() {
            return undefined
          },
          configurable: true,
        })
        let outcome
        try {
          const expected = original(make(), null, write.indent)
          outcome = await Promise.resolve()
            .then(() => write(file, make()))
            .then(
              () => ({ ok: true, expected }),
              (err) => ({ ok: false, err }),
            )
        } finally {
          delete proto[index]
        }
        expect(outcome).toEqual({ ok: true, expected: expect.any(String) })
        // Compared whole, reported short: the text is 10 KB or more.
        const text = fs.readFileSync(file, 'utf8')
        expect({ length: text.length, same: text === outcome.expected }).toEqual({
          length: outcome.expected.length,
          same: true,
        })
        expect(leftovers(dir)).toEqual([])
      },
    )
  })
})
