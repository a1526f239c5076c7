// Values that exercise every rule of JSON.stringify, shared by the parity tests of the whole
// path and the walked (piece by piece) path, and an arbitrary for property tests.
const fc = require('fast-check')

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
const many = (n, f) => Array.from({ length: n }, (_, i) => f(i))

/** Named values; each is written with every indent and compared with JSON.stringify. */
const values = {
  'numbers at the edges': [
    1e21,
    1e-7,
    -0,
    0.1 + 0.2,
    5e-324,
    1.7976931348623157e308,
    123456789012345680000,
    2 ** 53 + 1,
  ],
  'non-finite numbers': [NaN, Infinity, -Infinity],
  'integer-like keys come first, ascending': {
    b: 1,
    2: 'two',
    1: 'one',
    a: 3,
    '-1': 4,
    '01': 5,
    4294967295: 6,
    4294967294: 7,
  },
  'lone and paired surrogates': ['\ud800', '\udfff', 'a\ud83d', '\ude00b', '😀', '\ud83d\ude00'],
  'control characters and escapes': '\u0000\u0001\u001f\b\f\n\r\t"\\/\u007f\u2028\u2029',
  'non-ASCII text': { text: 'Grüße — ünïcødé 😀 текст 中文 العربية' },
  'toJSON with its key': { a: { toJSON: (key) => `key:${key}` }, list: [{ toJSON: (key) => `index:${key}` }] },
  Date: { when: new Date(Date.UTC(2026, 10, 23, 14, 0, 0)) },
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
  // Big containers: walked piece by piece where the walk is on.
  'a long array of messages': many(300, (i) => ({
    ts: 1712345678901 + i,
    say: i % 3 ? 'text' : undefined,
    text: `Grüße ${i} 😀`,
    images: [],
    n: [i, [i]],
  })),
  'a long array with holes, undefined, functions and symbols': many(
    200,
    (i) => [undefined, () => i, Symbol('s'), i][i % 4],
  ).concat([, 1]), // eslint-disable-line no-sparse-arrays
  'a long array with toJSON members, Dates, Proxies and boxed values': many(
    120,
    (i) => [{ toJSON: (k) => `k${k}` }, new Date(i * 1e9), new Proxy({ i }, {}), new Number(i), { plain: i }][i % 5],
  ),
  'a long array of long arrays': many(40, (i) => many(60, (j) => (j % 7 ? j : [i, j, { deep: [j] }]))),
  'a big object with a long array inside': Object.assign(
    Object.fromEntries(many(150, (i) => [`key ${i} "quoted" é`, i % 5 ? { i } : undefined])),
    { list: many(200, (i) => ({ i, s: 'x'.repeat(i % 50) })) },
  ),
  // Incremental: the big string makes the container heavy (its containers walked in turn), but
  // not the flat ones (only primitives inside), which are batched; the nested ones are walked.
  'a big member, a run of small ones, a big one again': [
    'h'.repeat(140000),
    ...many(600, (i) => ({ i, tags: [i, { t: 'x' }] })),
    { deep: { list: many(300, (i) => ({ i, s: 'y'.repeat(200) })) } },
    'é'.repeat(140000),
    ...many(40, (i) => [i]),
  ],
  'a big object: a big member, then a run of small ones': Object.assign(
    { big: 'b'.repeat(140000) },
    Object.fromEntries(many(600, (i) => [`k${i}`, { i, o: { n: i } }])),
  ),
  'a big object with integer-like keys': Object.fromEntries(many(120, (i) => [String((i * 7919) % 1000), i])),
}

const indents = [
  undefined,
  0,
  2,
  10,
  11,
  -1,
  3.7,
  '',
  '\t',
  'abcdefghijklmn',
  '\0\0',
  'a😀😀😀😀😀',
  new Number(2),
  new String('--'),
  NaN,
  Infinity,
]

/** What JSON.stringify says the file must hold, as bytes (`null` for undefined). */
function expected(data, replacer, indent) {
  const text = JSON.stringify(data, replacer, indent)
  return Buffer.from(text === undefined ? 'null' : text, 'utf8')
}

/** Arbitrary JSON-ish values, with toJSON, Dates, boxed values, holes and odd strings. */
const { value: arbitraryValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    tie('array'),
    tie('object'),
    tie('special'),
  ),
  leaf: fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constantFrom(-0, 1e21, 5e-324, NaN, Infinity),
  ),
  array: fc.oneof(fc.array(tie('value'), { maxLength: 8 }), fc.sparseArray(tie('value'), { maxLength: 8 })),
  object: fc.dictionary(fc.oneof(fc.string(), fc.nat(50).map(String)), tie('value'), { maxKeys: 8 }),
  special: fc.oneof(
    tie('value').map((v) => ({ toJSON: (key) => [key, v] })),
    fc.integer({ min: 0, max: 2e12 }).map((ms) => new Date(ms)),
    fc.string().map((s) => new String(s)),
    fc.double().map((n) => new Number(n)),
    fc.constant(() => 1),
    fc.constant(Symbol('s')),
    // A getter: read once, in JSON.stringify's order.
    tie('value').map((v) => Object.defineProperty({ before: 1 }, 'got', { enumerable: true, get: () => v })),
    // Proxies (of objects and of arrays): the walk leaves them to JSON.stringify.
    tie('object').map((o) => new Proxy(o, {})),
    tie('array').map((a) => new Proxy(a, {})),
  ),
}))

/** A big array or object of arbitrary values, so that the walk has something to walk. */
const arbitraryBig = fc.oneof(
  fc.array(arbitraryValue, { minLength: 8, maxLength: 40 }),
  fc.dictionary(fc.string(), arbitraryValue, { minKeys: 8, maxKeys: 40 }),
  // Big arrays nested in big arrays (walked in turn), and in an object.
  fc.array(fc.array(arbitraryValue, { minLength: 8, maxLength: 16 }), { minLength: 8, maxLength: 12 }),
  fc.dictionary(fc.string(), fc.array(arbitraryValue, { minLength: 8, maxLength: 24 }), { minKeys: 1, maxKeys: 4 }),
)

const arbitraryIndent = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -2, max: 12 }),
  fc.constantFrom(NaN, Infinity, -Infinity, 2.5),
  // Any code units, lone surrogates and NULs included (cut at 10 by JSON.stringify: a cut
  // surrogate pair becomes U+FFFD in the file).
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('\0', '\0\0', '\ud800', 'a\udc00b', '\0\ud83d\ude00', '123456789\ud83d\ude00'),
  fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: 0, max: 12 })).map((v) => Object(v)), // boxed
)

/** A replacer: none, an array of keys (names and numbers), or a function. */
const arbitraryReplacer = fc.oneof(
  fc.constant(undefined),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.nat(20)), { maxLength: 6 }),
  fc.constant(function (key, value) {
    return typeof value === 'number' ? -value : Array.isArray(this) && key === '0' ? undefined : value
  }),
)

module.exports = { values, indents, expected, arbitraryValue, arbitraryBig, arbitraryIndent, arbitraryReplacer }
