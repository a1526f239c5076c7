// The package entry: the native binding, called with a last, hidden argument about the
// caller: this module's `globalThis`, so that the errors the binding makes and the
// `JSON.stringify` it calls belong to the caller's realm, and the walker that stringifies big
// values piece by piece (stringify.js). Under jest every test file is its own realm; without
// this, a circular structure would reject with a TypeError that is not `instanceof TypeError`
// in the test, and the promise would not be `instanceof Promise`. (`async` makes the promise
// this realm's.)
'use strict'

const binding = require('./binding.js')
const { walkInto } = require('./stringify.js')

const caller = { global: globalThis, walkInto }

exports.safeWriteJson = async function safeWriteJson(path, data, options) {
  return binding.safeWriteJson(path, data, options, caller)
}

exports.safeWriteJsonSync = function safeWriteJsonSync(path, data, options) {
  return binding.safeWriteJsonSync(path, data, options, caller)
}

exports.safeWriteFile = async function safeWriteFile(path, data, options) {
  return binding.safeWriteFile(path, data, options, caller)
}

exports.safeWriteFileSync = function safeWriteFileSync(path, data, options) {
  return binding.safeWriteFileSync(path, data, options, caller)
}

// The updater is JavaScript (and may be async), so the read-modify-write is orchestrated here;
// the lease holds the file locked, in this process and across processes, from read to write.
exports.updateJson = async function updateJson(path, updater, options) {
  const lease = await binding.lockForUpdate(path, updater, options, caller)
  try {
    const current = lease.exists ? lease.read(caller) : options?.default
    const next = await updater(current)
    if (next === undefined) return undefined
    await lease.commit(next, options, caller)
    return next
  } finally {
    lease.release()
  }
}

exports.safeReadJson = async function safeReadJson(path, options) {
    return binding.safeReadJson(path, options, caller)
}

exports.cleanupTempFiles = async function cleanupTempFiles(dir, options) {
    return binding.cleanupTempFiles(dir, options, caller)
}
