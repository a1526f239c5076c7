// The `options` argument of every export, checked key by key (a typo or a wrong type is an
// error, never a silently ignored setting) and handed to the core with only the keys that were
// set: the defaults are the core's, written once, in Rust (`WriteOptions::default()`).
'use strict'

const { isProxy, isNumberObject, isStringObject } = require('node:util').types
const { invalidArgType, invalidArgValue, outOfRange } = require('./arguments.js')

const WRITE_KEYS = ['durability', 'mode', 'lock', 'lockTimeoutMs', 'backup']
const JSON_KEYS = ['indent', 'replacer', 'finalNewline', 'prettyPrint', 'incremental']
const READ_KEYS = ['default', 'reviver', 'recover']
const CLEANUP_KEYS = ['olderThanMs']
const DURABILITIES = ['full', 'data', 'none']
const MAX_MODE = 0o7777

/**
 * The options of `safeWriteJson`: `undefined`/`null`, a number or string (the indent, as the
 * old `safeWriteJson(filePath, data, indent)`), or an options object. Returns
 * `{ write, indent, replacer, finalNewline, incremental }`.
 */
function jsonOptions(value) {
  if (value === undefined || value === null)
    return { write: {}, indent: undefined, replacer: undefined, finalNewline: false, incremental: false }
  if (isIndent(value)) return { write: {}, indent: value, replacer: undefined, finalNewline: false, incremental: false }
  if (typeof value === 'object' && !isArray(value)) return jsonFields(value, [])
  throw invalidArgType('options', 'of type number, string or object', value)
}

/**
 * The options of `updateJson`: those of `safeWriteJson` as an object, and `default` — read now,
 * with the others, not when the lock is granted: what the call was given is what it uses.
 */
function updateOptions(value) {
  const object = optionsObject(value)
  const options = object ? jsonFields(object, ['default']) : jsonOptions(undefined)
  if (options.write.lock === false) {
    throw invalidArgValue(
      'options.lock',
      'must not be false: updateJson always holds the lock from read to write',
      false,
    )
  }
  options.default = object?.default
  return options
}

/** The options of `safeWriteFile`: `undefined`/`null` or an options object. */
function writeOptions(value) {
  const object = optionsObject(value)
  if (!object) return {}
  rejectUnknownKeys(object, WRITE_KEYS)
  return writeFields(object)
}

/** The options of `safeReadJson`: `{ hasDefault, default, reviver, recover }`. */
function readOptions(value) {
  const options = { hasDefault: false, default: undefined, reviver: undefined, recover: false }
  const object = optionsObject(value)
  if (!object) return options
  rejectUnknownKeys(object, READ_KEYS)
  forEachSet(object, READ_KEYS, (key, field) => {
    if (key === 'default') {
      options.hasDefault = true
      options.default = field
    } else if (key === 'reviver') {
      if (typeof field === 'function') options.reviver = field
      else if (field !== null) throw invalidArgType('options.reviver', 'a function or null', field)
    } else options.recover = boolean('options.recover', field)
  })
  return options
}

/** The options of `cleanupTempFiles`: `{}` or `{ olderThanMs }` (Infinity: nothing is old enough). */
function cleanupOptions(value) {
  const object = optionsObject(value)
  if (!object) return {}
  rejectUnknownKeys(object, CLEANUP_KEYS)
  const options = {}
  forEachSet(object, CLEANUP_KEYS, (key, field) => {
    options.olderThanMs = milliseconds('options.olderThanMs', field)
  })
  return options
}

/** The JSON writers' options object, with `extra` keys allowed that index.js reads itself. */
function jsonFields(object, extra) {
  rejectUnknownKeys(object, [...WRITE_KEYS, ...JSON_KEYS, ...extra])
  const options = {
    write: writeFields(object),
    indent: undefined,
    replacer: undefined,
    finalNewline: false,
    incremental: false,
  }
  let pretty = false
  forEachSet(object, JSON_KEYS, (key, field) => {
    if (key === 'indent') {
      if (!isIndent(field)) throw invalidArgType('options.indent', 'of type number or string', field)
      options.indent = field
    } else if (key === 'replacer') {
      if (typeof field === 'function' || isArray(field)) options.replacer = field
      else if (field !== null) throw invalidArgType('options.replacer', 'a function, an array or null', field)
    } else if (key === 'finalNewline') options.finalNewline = boolean('options.finalNewline', field)
    else if (key === 'incremental') options.incremental = boolean('options.incremental', field)
    else pretty = boolean('options.prettyPrint', field)
  })
  // `prettyPrint: true` is `indent: '\t'`; an explicit `indent` wins.
  if (pretty && options.indent === undefined) options.indent = '\t'
  return options
}

/** The options every writer has, as the core takes them. */
function writeFields(object) {
  const options = {}
  forEachSet(object, WRITE_KEYS, (key, field) => {
    if (key === 'durability') {
      if (typeof field !== 'string') throw invalidArgType('options.durability', 'of type string', field)
      if (!DURABILITIES.includes(field))
        throw invalidArgValue('options.durability', "must be one of: 'full', 'data', 'none'", field)
      options.durability = field
    } else if (key === 'mode') {
      if (typeof field !== 'number') throw invalidArgType('options.mode', 'of type number', field)
      if (!Number.isInteger(field) || field < 0 || field > MAX_MODE)
        throw outOfRange('options.mode', 'an integer >= 0 && <= 4095', field)
      options.mode = field
    } else if (key === 'lockTimeoutMs') {
      // Infinity is allowed: wait as long as it takes.
      options.lockTimeoutMs = milliseconds('options.lockTimeoutMs', field)
    } else options[key] = boolean(`options.${key}`, field)
  })
  return options
}

/**
 * Refuse any own enumerable key of `object` that is not `known` and has a value: one whose value
 * is `undefined` counts as absent (code that forwards its own options, `{ fsync: opts.fsync }`).
 */
function rejectUnknownKeys(object, known) {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue
    const value = object[key]
    if (value !== undefined) {
      throw invalidArgValue(`options.${key}`, `is not a supported option (supported: ${known.join(', ')})`, value)
    }
  }
}

/** `each(key, value)` for the `keys` of `object` whose value is not `undefined`; each read once. */
function forEachSet(object, keys, each) {
  for (const key of keys) {
    const field = object[key]
    if (field !== undefined) each(key, field)
  }
}

/** An options argument that must be an object: `undefined` for `undefined`/`null`, else the object. */
function optionsObject(value) {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'object' && !isArray(value)) return value
  throw invalidArgType('options', 'of type object', value)
}

/** A number of milliseconds: >= 0 (NaN is not), Infinity allowed. */
function milliseconds(name, value) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!(value >= 0)) throw outOfRange(name, '>= 0', value)
  return value
}

function boolean(name, value) {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value)
  return value
}

/** JSON.stringify's `space`: a number or a string, boxed ones too. */
const isIndent = (value) =>
  typeof value === 'number' || typeof value === 'string' || isNumberObject(value) || isStringObject(value)

/** An array, not a Proxy of one (whose `isArray` could throw, if revoked). */
const isArray = (value) => !isProxy(value) && Array.isArray(value)

module.exports = { jsonOptions, updateOptions, writeOptions, readOptions, cleanupOptions }
