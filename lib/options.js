// The `options` argument of every export, checked key by key (a typo or a wrong type is an
// error, never a silently ignored setting) and handed to the core with only the keys that were
// set: the defaults are the core's, written once, in Rust (`WriteOptions::default()`).
'use strict'

const { isProxy, isNumberObject, isStringObject } = require('node:util').types
const { invalidArgType, invalidArgValue, outOfRange } = require('./arguments.js')
const { arrayIncludes, regExpExec, objectKeys, numberIsInteger } = require('./intrinsics.js')

const WRITE_KEYS = ['durability', 'mode', 'lock', 'lockTimeoutMs', 'backup']
const JSON_KEYS = ['indent', 'replacer', 'finalNewline', 'prettyPrint', 'incremental']
const READ_KEYS = ['default', 'reviver', 'recover']
const CLEANUP_KEYS = ['olderThanMs']
// What safeWriteFile takes besides WRITE_KEYS: the call forms of write-file-atomic and atomically.
const FILE_KEYS = ['encoding', 'chown', 'fsync']
// Every key each writer takes. Lists are joined here, at load, and walked by index below: user
// code may replace Array.prototype[Symbol.iterator] later (a spread or a for-of would use it).
const FILE_WRITER_KEYS = [...WRITE_KEYS, ...FILE_KEYS]
const JSON_WRITER_KEYS = [...WRITE_KEYS, ...JSON_KEYS]
const UPDATE_KEYS = [...JSON_WRITER_KEYS, 'default']
const DURABILITIES = ['full', 'data', 'none']
const MAX_MODE = 0o7777
// The largest uid or gid `fs.chown` accepts.
const MAX_ID = 2 ** 32 - 1

/**
 * The options of `safeWriteJson`: `undefined`/`null`, a number or string (the indent, as the
 * old `safeWriteJson(filePath, data, indent)`), or an options object. Returns
 * `{ write, indent, replacer, finalNewline, incremental }`.
 */
function jsonOptions(value) {
  if (value === undefined || value === null)
    return { write: {}, indent: undefined, replacer: undefined, finalNewline: false, incremental: false }
  if (isIndent(value)) return { write: {}, indent: value, replacer: undefined, finalNewline: false, incremental: false }
  if (typeof value === 'object' && !isArray(value)) return jsonFields(value, JSON_WRITER_KEYS)
  throw invalidArgType('options', 'of type number, string or object', value)
}

/**
 * The options of `updateJson`: those of `safeWriteJson` as an object, and `default` — read now,
 * with the others, not when the lock is granted: what the call was given is what it uses.
 */
function updateOptions(value) {
  const object = optionsObject(value)
  const options = object ? jsonFields(object, UPDATE_KEYS) : jsonOptions(undefined)
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

/**
 * The options of `safeWriteFile`: `undefined`/`null`, an encoding (as `fs.writeFile` and
 * write-file-atomic take it), or an options object with the call forms of write-file-atomic and
 * atomically besides our own. Returns `{ write, encoding, owner }`: the core's write options, the
 * Buffer encoding of string data, and the `chown` owner (`null`: the default).
 */
function fileOptions(value) {
  if (typeof value === 'string') return { write: {}, encoding: encodingOf('encoding', value), owner: null }
  if (value === undefined || value === null) return { write: {}, encoding: 'utf8', owner: null }
  if (typeof value !== 'object' || isArray(value)) throw invalidArgType('options', 'of type string or object', value)
  rejectUnknownKeys(value, FILE_WRITER_KEYS)
  // Each field read once, here; the checks below look at this copy.
  const given = {}
  forEachSet(value, FILE_WRITER_KEYS, (key, field) => {
    given[key] = field
  })
  const { encoding, chown, fsync } = given
  // `false` and `null` are the default, as write-file-atomic and `fs` take them.
  if (given.mode === false || given.mode === null) delete given.mode
  else if (typeof given.mode === 'string') given.mode = octalMode(given.mode)
  else if (given.mode !== undefined && typeof given.mode !== 'number')
    throw invalidArgType('options.mode', 'a number, an octal string or false', given.mode)
  const write = writeFields(given)
  if (fsync !== undefined) durabilityOfFsync(write, boolean('options.fsync', fsync))
  return {
    write,
    encoding: encoding === undefined ? 'utf8' : encodingOf('options.encoding', encoding),
    owner: chown === undefined || chown === null ? null : ownerOf(chown),
  }
}

/**
 * A Buffer encoding, as `fs.writeFile` checks it: `null` and `''` are UTF-8; anything
 * `Buffer.isEncoding` does not know is ERR_INVALID_ARG_VALUE, whatever its type.
 */
function encodingOf(name, value) {
  if (value === null || value === '') return 'utf8'
  if (typeof value === 'string' && Buffer.isEncoding(value)) return value
  throw invalidArgValue(name, 'is invalid encoding', value)
}

/** `mode` as an octal string, as `fs` parses it ('0644', '644'), in our range. */
function octalMode(text) {
  if (regExpExec(/^[0-7]+$/, text) === null)
    throw invalidArgValue('options.mode', 'must be a 32-bit unsigned integer or an octal string', text)
  const mode = parseInt(text, 8)
  if (mode > MAX_MODE) throw outOfRange('options.mode', 'an integer >= 0 && <= 4095', mode)
  return mode
}

/**
 * `fsync` (write-file-atomic's flag) as durability: `false` is `'none'`, `true` the default, or
 * any `durability` that fsyncs the file. Given with a `durability` it contradicts, it is an error:
 * neither can be dropped silently.
 */
function durabilityOfFsync(write, fsync) {
  if (write.durability === undefined) {
    if (!fsync) write.durability = 'none'
    return
  }
  if (fsync === (write.durability !== 'none')) return
  throw invalidArgValue(
    'options.fsync',
    `contradicts options.durability '${write.durability}' (fsync: false means durability: 'none')`,
    fsync,
  )
}

/**
 * `chown`: `false` (the default: the existing file's owner, where permitted), or `{ uid, gid }`,
 * integers as `fs.chown` takes them (-1: leave that id as the writer's).
 */
function ownerOf(chown) {
  if (chown === false) return null
  if (typeof chown !== 'object' || chown === null || isArray(chown))
    throw invalidArgType('options.chown', 'an object with uid and gid, or false', chown)
  const { uid, gid } = chown
  return { uid: ownerId('options.chown.uid', uid), gid: ownerId('options.chown.gid', gid) }
}

/** A uid or gid as `fs.chown` checks it; -1 (leave it) crosses as `undefined`. */
function ownerId(name, value) {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!numberIsInteger(value)) throw outOfRange(name, 'an integer', value)
  if (value < -1 || value > MAX_ID) throw outOfRange(name, `>= -1 && <= ${MAX_ID}`, value)
  return value === -1 ? undefined : value
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

/** The JSON writers' options object, `known` its keys (with any that index.js reads itself). */
function jsonFields(object, known) {
  rejectUnknownKeys(object, known)
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
      if (!arrayIncludes(DURABILITIES, field))
        throw invalidArgValue('options.durability', "must be one of: 'full', 'data', 'none'", field)
      options.durability = field
    } else if (key === 'mode') {
      if (typeof field !== 'number') throw invalidArgType('options.mode', 'of type number', field)
      if (!numberIsInteger(field) || field < 0 || field > MAX_MODE)
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
  const keys = objectKeys(object)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (arrayIncludes(known, key)) continue
    const value = object[key]
    if (value !== undefined) {
      throw invalidArgValue(`options.${key}`, `is not a supported option (supported: ${known.join(', ')})`, value)
    }
  }
}

/** `each(key, value)` for the `keys` of `object` whose value is not `undefined`; each read once. */
function forEachSet(object, keys, each) {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
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

module.exports = { jsonOptions, updateOptions, fileOptions, readOptions, cleanupOptions }
