// Bad arguments, reported as Node reports its own: a TypeError or RangeError with Node's `code`
// and message. This module is loaded in the caller's realm (under jest, each test file's), so
// the errors are the caller's `TypeError` and `RangeError`.
'use strict'

const { inspect } = require('node:util')

/** `The "path" argument must be of type string or an instance of URL. Received type number (1)` */
function invalidArgType(name, expected, value) {
  return coded(
    new TypeError(`The ${subject(name)} must be ${expected}. Received ${describe(value)}`),
    'ERR_INVALID_ARG_TYPE',
  )
}

/** `The argument 'path' must be a non-empty string. Received ''` */
function invalidArgValue(name, reason, value) {
  const kind = name.includes('.') ? 'property' : 'argument'
  return coded(new TypeError(`The ${kind} '${name}' ${reason}. Received ${shown(value)}`), 'ERR_INVALID_ARG_VALUE')
}

/** `The value of "options.mode" is out of range. It must be an integer >= 0 && <= 4095. Received 4096` */
function outOfRange(name, range, value) {
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown(value)}`),
    'ERR_OUT_OF_RANGE',
  )
}

/** An error with a Node-style `code`. */
function coded(err, code) {
  err.code = code
  return err
}

/** `"path" argument` / `"options.mode" property`, as Node words it. */
const subject = (name) => `"${name}" ${name.includes('.') ? 'property' : 'argument'}`

/** `util.inspect`, cut at 128 characters as Node cuts it in these messages. */
function shown(value) {
  const text = inspect(value)
  return text.length > 128 ? `${text.slice(0, 128)}...` : text
}

/** What Node's ERR_INVALID_ARG_TYPE says was received: `type number (1)`, `an instance of Array`, … */
function describe(value) {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`
    case 'number':
      return `type number (${inspect(value)})`
    case 'boolean':
      return `type boolean (${value})`
    case 'symbol':
      return `type symbol (${String(value)})`
    case 'function':
      return `function ${value.name}`
    case 'string': {
      const text = value.length > 28 ? `${value.slice(0, 25)}...` : value
      return text.includes("'") ? `type string (${JSON.stringify(text)})` : `type string ('${text}')`
    }
    default: {
      // A getter or a Proxy trap may throw: the error about the argument still gets made.
      let constructor
      try {
        constructor = value.constructor
      } catch {
        return 'an unreadable value'
      }
      return typeof constructor === 'function' ? `an instance of ${constructor.name}` : '[Object: null prototype]'
    }
  }
}

module.exports = { invalidArgType, invalidArgValue, outOfRange, coded }
