// The argument errors Node's own functions throw, as the tests expect them (class, code,
// message): `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`. A name with a
// dot is an option (`options.mode`: a "property"), else an argument.
'use strict'

const noun = (name) => (name.includes('.') ? 'property' : 'argument')

const type = (name, expected, received) => ({
  kind: TypeError,
  code: 'ERR_INVALID_ARG_TYPE',
  message: `The "${name}" ${noun(name)} must be ${expected}. Received ${received}`,
})

const value = (name, reason, received) => ({
  kind: TypeError,
  code: 'ERR_INVALID_ARG_VALUE',
  message: `The ${noun(name)} '${name}' ${reason}. Received ${received}`,
})

const range = (name, limit, received) => ({
  kind: RangeError,
  code: 'ERR_OUT_OF_RANGE',
  message: `The value of "${name}" is out of range. It must be ${limit}. Received ${received}`,
})

module.exports = { type, value, range }
