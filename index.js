// The package entry: the native binding, called with this module's `globalThis` as a last,
// hidden argument, so that the errors it makes and the `JSON.stringify` it calls belong to the
// caller's realm. Under jest every test file is its own realm; without this, a circular
// structure would reject with a TypeError that is not `instanceof TypeError` in the test, and
// the promise would not be `instanceof Promise`. (`async` makes the promise this realm's.)
'use strict'

const binding = require('./binding.js')

exports.safeWriteJson = async function safeWriteJson(path, data, options) {
  return binding.safeWriteJson(path, data, options, globalThis)
}

exports.safeWriteJsonSync = function safeWriteJsonSync(path, data, options) {
  return binding.safeWriteJsonSync(path, data, options, globalThis)
}

exports.safeWriteFile = async function safeWriteFile(path, data, options) {
  return binding.safeWriteFile(path, data, options, globalThis)
}

exports.safeWriteFileSync = function safeWriteFileSync(path, data, options) {
  return binding.safeWriteFileSync(path, data, options, globalThis)
}

exports.safeReadJson = async function safeReadJson(path, options) {
  return binding.safeReadJson(path, options, globalThis)
}

exports.cleanupTempFiles = async function cleanupTempFiles(dir, options) {
  return binding.cleanupTempFiles(dir, options, globalThis)
}
