// The `path` argument of every export: a string or a `file:` URL, checked as Node checks paths,
// and made absolute by `path.resolve`. The core gets both spellings: the absolute one to work
// on, the caller's own to name in its error messages.
'use strict'

const { resolve } = require('node:path')
const { fileURLToPath } = require('node:url')
const { invalidArgType, invalidArgValue, coded } = require('./arguments.js')
const { stringIncludes } = require('./intrinsics.js')

const PATH_TYPE = 'of type string or an instance of URL'

/** `{ given, absolute }` for the `path` argument `value`, or throw Node's error for it. */
function targetPath(value) {
  let given
  if (typeof value === 'string') given = value
  else if (isUrl(value)) given = urlToPath(value)
  else throw invalidArgType('path', PATH_TYPE, value)
  if (given === '') throw invalidArgValue('path', 'must be a non-empty string', value)
  if (stringIncludes(given, '\0'))
    throw invalidArgValue('path', 'must be a string, Uint8Array, or URL without null bytes', given)
  return { given, absolute: resolve(given) }
}

/** Node's test for a URL object: `href` and `protocol`, and none of `url.parse()`'s fields. */
function isUrl(value) {
  if (value === null || typeof value !== 'object') return false
  const present = (name) => value[name] !== undefined && value[name] !== null
  return present('href') && present('protocol') && !present('auth') && !present('path')
}

/**
 * `url.fileURLToPath(url)`. Its errors come from Node's own realm: they are made again here,
 * in the caller's, with the same class, code and message.
 */
function urlToPath(url) {
  // An object with `href` and `protocol` but a part that is not a string is no URL after all.
  if (typeof url.protocol !== 'string' || typeof url.hostname !== 'string' || typeof url.pathname !== 'string')
    throw invalidArgType('path', PATH_TYPE, url)
  try {
    return fileURLToPath(url)
  } catch (err) {
    const Class = { TypeError, RangeError, URIError }[err?.name] ?? Error
    throw err?.code ? coded(new Class(err.message), err.code) : new Class(err?.message)
  }
}

module.exports = { targetPath }
