// "When data is read": getters, `toJSON` and what they change are met exactly as
// JSON.stringify meets them — each runs once, in JSON.stringify's order, and sees (and makes)
// the same changes — so the file holds JSON.stringify's bytes even when user code run for one
// member changes another. Each value below logs every getter and `toJSON` call (with the key
// `toJSON` is passed); a twin of it is given to JSON.stringify, and the write must log the same
// sequence and write the same bytes, in the default mode (Sync and async) and incremental.
// The walk reads big containers (512 members or more) piece by piece, and with `incremental:
// true` every container down to depth 2, so the values are small ones and big ones. Then random
// values whose getters change random members, before or after themselves, must give the same
// calls, bytes and errors too.
// read-order-walked.test.js runs the same with every container of 4 or more members walked,
// in pieces of ~40 characters.
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson, safeWriteJsonSync } = require('..')
const { tmpDir } = require('./helpers')

const dir = tmpDir('swj-order')

/** An object whose getter `name` logs its read and returns `make()`. */
function getter(object, name, log, make) {
  Object.defineProperty(object, name, {
    enumerable: true,
    get() {
      log.push(`get ${name}`)
      return make()
    },
  })
  return object
}

/** A value whose `toJSON` logs its call, with the key it was passed, and returns `result`. */
const logsToJSON = (log, name, result = name) => ({
  toJSON(key) {
    log.push(`toJSON ${name} ${key}`)
    return result
  },
})

/** `count` members `{ i }`, as an object's keys `k<i>` or as an array. */
const filler = (count, asArray) =>
  asArray
    ? Array.from({ length: count }, (_, i) => ({ i }))
    : Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, { i }]))

/**
 * `count` members, alternately `{ n: <toJSON> }` (its `toJSON` runs only when the member is
 * written) and a getter that changes the member before it: in JSON.stringify's order, each
 * `toJSON` runs before the next getter, and every member is written unchanged.
 */
function alternating(count, asArray, log) {
  const container = asArray ? [] : {}
  const keyOf = (i) => (asArray ? i : `m${i}`)
  for (let i = 0; i < count; i += 2) {
    container[keyOf(i)] = { n: logsToJSON(log, `n${i}`), changed: false }
    if (i + 1 < count) getter(container, keyOf(i + 1), log, () => ((container[keyOf(i)].changed = true), i + 1))
  }
  return container
}

// Each `make(log)` builds a fresh value that logs what JSON.stringify does with it.
const shapes = {
  'getters that change the member before them, in a small object and array': (log) => ({
    p: { o: alternating(12, false, log), a: alternating(12, true, log) },
  }),
  'getters that change the member before them, in a big array': (log) => alternating(1200, true, log),
  'getters that change the member before them, in a big object': (log) => alternating(1200, false, log),
  'getters returning values with toJSON (review order.js)': (log) => {
    const o = {}
    for (const k of ['a', 'b', 'c', 'd']) getter(o, k, log, () => logsToJSON(log, k))
    return o
  },
  'a getter mutates an earlier member, nested (review mutating-getter.js)': (log) => {
    const x = { v: 1 }
    const q = getter({ a: 0, x }, 'y', log, () => ((x.v = 2), 3))
    return { p: { q } }
  },
  'a getter changes the valueOf of an earlier boxed member': (log) => {
    const x = new Number(1)
    return getter({ a: 0, x }, 'y', log, () => ((x.valueOf = () => 2), 3))
  },
  'a toJSON reassigns a later member (review reassign.js)': (log) => {
    const q = { z: 0, a: null, b: 1 }
    q.a = {
      toJSON(key) {
        log.push(`toJSON a ${key}`)
        q.b = 2
        return 1
      },
    }
    return { p: { q } }
  },
  'a nested getter reassigns a later member': (log) => {
    const q = { z: 0, a: null, b: 1 }
    q.a = getter({}, 'g', log, () => ((q.b = 2), 1))
    return { p: { q } }
  },
  'a getter deletes a later key and replaces a later array member': (log) => {
    const list = [0, 1, { keep: true }, 3]
    const o = { a: 1, b: null, c: 'gone', d: list }
    getter(o, 'b', log, () => {
      delete o.c
      list[2] = 'replaced'
      return 2
    })
    return { o }
  },
  'index getters and members with toJSON in arrays (keys as JSON.stringify passes them)': (log) => {
    const inner = [logsToJSON(log, 'x'), 5, logsToJSON(log, 'y')]
    getter(inner, 1, log, () => logsToJSON(log, 'z'))
    const outer = [1, inner, logsToJSON(log, 'w'), [logsToJSON(log, 'v')]]
    getter(outer, 0, log, () => ((inner[2] = 'changed'), 0))
    return { outer }
  },
  'a big object (600 keys) whose getter mutates an earlier member (review mutating-getter-big.js)': (log) => {
    const x = { v: 1 }
    const o = getter({ a: 0, x }, 'y', log, () => ((x.v = 2), 3))
    return Object.assign(o, filler(600, false))
  },
  'a big array whose getters and toJSON members are spread through it': (log) => {
    const array = filler(1500, true)
    for (let i = 3; i < array.length; i += 97) {
      const name = `m${i}`
      if (i % 2) array[i] = logsToJSON(log, name)
      else getter(array, i, log, () => ((array[i + 1] = `set by ${name}`), name))
    }
    return array
  },
  'a big array walked inside a big object, with getters around it': (log) => {
    const nested = filler(700, true)
    getter(nested, 650, log, () => logsToJSON(log, 'n650'))
    const o = filler(600, false)
    getter(o, 'k299', log, () => ((nested[10] = 'set by k299'), 299))
    o.k300 = nested
    getter(o, 'k301', log, () => ((nested[20] = 'too late'), logsToJSON(log, 'k301')))
    return o
  },
  'a big array walked inside a big array, with getters around it': (log) => {
    const nested = filler(700, true)
    getter(nested, 0, log, () => logsToJSON(log, 'n0'))
    const array = filler(600, true)
    getter(array, 299, log, () => ((nested[1] = 'set by 299'), logsToJSON(log, 'a299')))
    array[300] = nested
    getter(array, 301, log, () => ((nested[2] = 'too late'), 301))
    return array
  },
  'primitives read ahead up to an object whose nested getter reassigns the next member': (log) => {
    const array = Array.from({ length: 1200 }, (_, i) => i)
    const object = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, `v${i}`]))
    for (let i = 5; i < 1100; i += 101) {
      array[i] = getter({}, 'g', log, () => ((array[i + 1] = `set by ${i}`), i))
      getter(array, i + 2, log, () => ((array[i + 3] = `set by getter ${i + 2}`), i + 2))
    }
    for (let i = 5; i < 500; i += 53) {
      object[`k${i}`] = getter({}, 'g', log, () => ((object[`k${i + 1}`] = `set by ${i}`), i))
    }
    return { array, object }
  },
  'a Proxy member of a big array, its toJSON looked up through its trap': (log) => {
    const array = filler(600, true)
    const target = logsToJSON(log, 'proxied')
    array[333] = new Proxy(target, {
      get(t, key, receiver) {
        log.push(`trap ${String(key)}`)
        return Reflect.get(t, key, receiver)
      },
    })
    return array
  },
  'a BigInt.prototype.toJSON called with the real index': (log) => {
    const array = filler(600, true)
    array[555] = 5n
    getter(array, 556, log, () => 6n)
    return array
  },
}

const indents = [
  ['no indent', undefined],
  ['indent 2', 2],
]

const writers = [
  ['async', (file, value, indent) => safeWriteJson(file, value, { indent })],
  ['Sync', (file, value, indent) => safeWriteJsonSync(file, value, { indent })],
  ['incremental', (file, value, indent) => safeWriteJson(file, value, { indent, incremental: true })],
]

beforeAll(() => {
  // Logs the key, so that a BigInt member's `toJSON` shows the index it was passed.
  BigInt.prototype.toJSON = function (key) {
    return `${this}n at ${key}`
  }
})

afterAll(() => {
  delete BigInt.prototype.toJSON
})

describe.each(Object.entries(shapes))('%s', (_shape, make) => {
  test.each(writers.flatMap(([how, write]) => indents.map(([label, indent]) => [how, label, write, indent])))(
    '%s, %s: the same calls in the same order, and the same bytes, as JSON.stringify',
    async (_how, _label, write, indent) => {
      const expectedLog = []
      const expected = JSON.stringify(make(expectedLog), null, indent)
      const log = []
      const file = path.join(dir, 'order.json')
      await write(file, make(log), indent)
      expect(log).toEqual(expectedLog)
      expect(fs.readFileSync(file, 'utf8')).toBe(expected)
    },
  )
})

/**
 * A random value (from `seed`) that logs what JSON.stringify does with it: nested arrays and
 * objects of up to 8 members, leaves of every kind (numbers, strings, undefined, null, boxed
 * numbers, objects with `toJSON`), and getters on random members that each change three random
 * places of the value (a new primitive, a deleted key, a mutated member, a new object) — before
 * or after themselves, in or out of their own container.
 */
function randomValue(seed, log) {
  let state = seed
  const pick = (n) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff
    return Math.floor((state / 0x7fffffff) * n)
  }
  const containers = []
  const leaf = () =>
    [
      () => pick(100),
      () => `s${pick(9)}`,
      () => undefined,
      () => null,
      () => new Number(pick(5)),
      () => logsToJSON(log, `j${pick(9)}`, pick(2) ? 't' : { inner: 1 }),
    ][pick(6)]()
  const node = (depth) => {
    if (depth > 3 || pick(3) === 0) return leaf()
    const container = pick(2) ? [] : {}
    containers.push(container)
    const count = pick(9)
    for (let i = 0; i < count; i++) container[Array.isArray(container) ? i : `k${i}`] = node(depth + 1)
    return container
  }
  const root = pick(2) ? [] : {}
  containers.push(root)
  const count = 6 + pick(6)
  for (let i = 0; i < count; i++) root[Array.isArray(root) ? i : `k${i}`] = node(1)
  const getters = 1 + pick(8)
  for (let g = 0; g < getters; g++) {
    const container = containers[pick(containers.length)]
    const keys = Object.keys(container)
    if (keys.length === 0) continue
    const key = keys[pick(keys.length)]
    const value = container[key]
    const changes = Array.from({ length: 3 }, () => [containers[pick(containers.length)], pick(9), pick(4)])
    getter(container, key, log, () => {
      for (const [target, index, how] of changes) {
        const at = Array.isArray(target) ? index : `k${index}`
        if (how === 0) target[at] = `set by ${g}`
        else if (how === 1) delete target[at]
        else if (how === 2) {
          // Its value if a data member (reading a getter here could recurse without end).
          const member = Object.getOwnPropertyDescriptor(target, at)?.value
          if (member !== null && typeof member === 'object') member.changed = g
        } else target[at] = { fresh: g }
      }
      return value
    })
  }
  return root
}

describe.each(writers)('random values whose getters change other members (%s)', (how, write) => {
  const seeds = 200
  // 400 awaited writes: ~4.5 s under Wine (the Windows lane) even for the Sync twin, against
  // jest's default 5 s; a hang still fails, at this limit.
  test(`${seeds} seeds, indented or not: the same calls, bytes and errors as JSON.stringify`, async () => {
    const file = path.join(dir, 'random.json')
    let mismatches = 0
    for (let seed = 1; seed <= seeds; seed++) {
      for (const [, indent] of indents) {
        const expectedLog = []
        const log = []
        const outcome = (run) => {
          try {
            return { text: run() }
          } catch (err) {
            return { err: `${err.name}: ${err.message}` }
          }
        }
        const want = outcome(() => JSON.stringify(randomValue(seed, expectedLog), null, indent) ?? 'null')
        let got
        try {
          await write(file, randomValue(seed, log), indent)
          got = { text: fs.readFileSync(file, 'utf8') }
        } catch (err) {
          got = { err: `${err.name}: ${err.message}` }
        }
        if (JSON.stringify(got) !== JSON.stringify(want) || log.join('\n') !== expectedLog.join('\n')) mismatches++
      }
    }
    console.log(`read order, random values (${how}): ${seeds * indents.length} writes, ${mismatches} mismatches`)
    expect(mismatches).toBe(0)
  }, 30000)
})
