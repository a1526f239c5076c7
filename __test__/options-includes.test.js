// Found by review (review-c): lib/options.js walked its key lists by index so that a replaced
// Array.prototype[Symbol.iterator] changed nothing (options-iterator.test.js), but it still looked
// keys up with `known.includes(key)` and `DURABILITIES.includes(field)`, and lib/path.js checked
// for NUL with `given.includes('\0')`: user code that replaced Array.prototype.includes /
// String.prototype.includes made a typo pass silently, a bad durability reach the binding (a
// napi-rs `InvalidArg` Error, not ERR_INVALID_ARG_VALUE), and a path with a NUL byte fail as
// `UNKNOWN` instead of ERR_INVALID_ARG_VALUE (3 of 3 failed). The checks now use the methods
// captured at load (lib/intrinsics.js).
const path = require('node:path')
const { safeWriteJson } = require('..')
const { tmpDir } = require('./helpers')

const dir = tmpDir('swj-options-includes')

/** Runs `call` with `proto.includes` replaced by one that answers `answer`, then puts it back. */
async function withIncludes(proto, answer, call) {
  const original = proto.includes
  proto.includes = () => answer
  try {
    return await call()
  } finally {
    proto.includes = original
  }
}

const invalidValue = expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' })

test('an unknown key is rejected with Array.prototype.includes replaced', async () => {
  await expect(
    withIncludes(Array.prototype, true, () => safeWriteJson(path.join(dir, 'a.json'), 1, { indnet: 2 })),
  ).rejects.toEqual(invalidValue)
})

test('a bad durability is ERR_INVALID_ARG_VALUE with Array.prototype.includes replaced', async () => {
  await expect(
    withIncludes(Array.prototype, true, () => safeWriteJson(path.join(dir, 'b.json'), 1, { durability: 'ful' })),
  ).rejects.toEqual(invalidValue)
})

test('a path with a NUL byte is ERR_INVALID_ARG_VALUE with String.prototype.includes replaced', async () => {
  await expect(
    withIncludes(String.prototype, false, () => safeWriteJson(path.join(dir, 'c\0.json'), 1)),
  ).rejects.toEqual(invalidValue)
})

// The same for the other built-ins the checks decide with (review-d): Object.keys (unknown keys)
// and Number.isInteger (mode, owner ids), replaced by user code after the package loaded.
// Only while the call is made (its options are checked before it returns): jest itself uses them.
function withReplaced(owner, name, replacement, call) {
  const original = owner[name]
  owner[name] = replacement
  try {
    return call()
  } finally {
    owner[name] = original
  }
}

test('an unknown key is rejected with Object.keys replaced', async () => {
  await expect(
    withReplaced(
      Object,
      'keys',
      () => [],
      () => safeWriteJson(path.join(dir, 'd.json'), 1, { durabilty: 'none' }),
    ),
  ).rejects.toEqual(invalidValue)
})

test('a fractional mode is ERR_OUT_OF_RANGE with Number.isInteger replaced', async () => {
  await expect(
    withReplaced(
      Number,
      'isInteger',
      () => true,
      () => safeWriteJson(path.join(dir, 'e.json'), 1, { mode: 420.5 }),
    ),
  ).rejects.toEqual(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }))
})
