// The package entry: the native binding, called with a last, hidden argument about the
// caller: this module's `globalThis`, so that the errors the binding makes and the
// `JSON.stringify` it calls belong to the caller's realm, and the walker that stringifies big
// values piece by piece (stringify.js). Under jest every test file is its own realm; without
// this, a circular structure would reject with a TypeError that is not `instanceof TypeError`
// in the test, and the promise would not be `instanceof Promise`. (`async` makes the promise
// this realm's.)
'use strict'

// The platforms a binary is published for: the `npm/` folders, one per `napi.targets` entry.
const SUPPORTED = [
  'darwin-arm64',
  'darwin-x64',
  'linux-arm64-gnu',
  'linux-arm64-musl',
  'linux-x64-gnu',
  'linux-x64-musl',
  'win32-arm64-msvc',
  'win32-x64-msvc',
]

const { AsyncLocalStorage } = require('node:async_hooks')

const binding = loadBinding()
const { walkInto, stringify } = require('./stringify.js')

const caller = { global: globalThis, walkInto, stringify }

// The leases of the updateJson updaters running in this async context, innermost last. A
// call made from inside an updater names them, so that one aimed at the very file its update
// holds fails with ELOCKED instead of waiting for itself.
const updating = new AsyncLocalStorage()
function callerHere() {
  const leases = updating.getStore()
  return leases ? { ...caller, leases } : caller
}

exports.safeWriteJson = async function safeWriteJson(path, data, options) {
  return binding.safeWriteJson(path, data, options, callerHere())
}

exports.safeWriteJsonSync = function safeWriteJsonSync(path, data, options) {
  return binding.safeWriteJsonSync(path, data, options, caller)
}

exports.safeWriteFile = async function safeWriteFile(path, data, options) {
  return binding.safeWriteFile(path, data, options, callerHere())
}

exports.safeWriteFileSync = function safeWriteFileSync(path, data, options) {
  return binding.safeWriteFileSync(path, data, options, caller)
}

// The updater is JavaScript (and may be async), so the read-modify-write is orchestrated here;
// the lease holds the file locked, in this process and across processes, from read to write.
exports.updateJson = async function updateJson(path, updater, options) {
  const lease = await binding.lockForUpdate(path, updater, options, callerHere())
  let next
  try {
    const current = lease.exists ? lease.read(caller) : options?.default
    const leases = [...(updating.getStore() ?? []), lease.id]
    next = await updating.run(leases, () => updater(current))
    if (next === undefined) {
      await lease.release()
      return undefined
    }
  } catch (err) {
    await lease.release()
    throw err
  }
  // The commit releases the lease once written (so this settles in call order with the writes
  // queued behind it); when the value cannot even be serialized, release it here.
  await lease.commit(next, options, caller).catch(async (err) => {
    await lease.release()
    throw err
  })
  return next
}

exports.safeReadJson = async function safeReadJson(path, options) {
  return binding.safeReadJson(path, options, caller)
}

exports.cleanupTempFiles = async function cleanupTempFiles(dir, options) {
  return binding.cleanupTempFiles(dir, options, caller)
}

// The generated loader's own error blames an npm bug whatever happened; this one says what was
// detected, what was looked for and what to do. The loader's error stays as `cause`.
function loadBinding() {
  try {
    return require('./binding.js')
  } catch (cause) {
    const { platform, arch } = process
    const header = platform === 'linux' && process.report?.getReport?.().header
    const libc = platform !== 'linux' ? '' : header && !header.glibcVersionRuntime ? 'musl' : 'glibc'
    const abi = libc === 'glibc' ? 'gnu' : libc || (platform === 'win32' ? 'msvc' : '')
    const name = [platform, arch, abi].filter(Boolean).join('-')
    const override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH
    const errors = []
    for (let e = cause.cause; e; e = e.cause) {
      const first = String(e.message).split('\n')[0]
      if (!first.includes('wasi')) errors.unshift(`    ${first}`) // the loader's WASI fallback: not published
    }
    const message = [
      `safe-write-json: no native binary could be loaded for ${name} (platform ${platform}, arch ${arch}${libc && `, libc ${libc}`}).`,
      override
        ? `Looked for: ${override} (NAPI_RS_NATIVE_LIBRARY_PATH)`
        : `Looked for: the package safe-write-json-${name}, or safe-write-json.${name}.node beside binding.js`,
      ...errors,
      `Binaries are published for: ${SUPPORTED.join(', ')}.`,
      'What to do:',
      advice(name, `npm install --os=${platform} --cpu=${arch}${libc && ` --libc=${libc}`}`),
      '  - Or build from source (needs Rust and cargo): in a clone of safe-write-json run npm ci && npm run build, then copy the safe-write-json.*.node it makes beside binding.js, or set NAPI_RS_NATIVE_LIBRARY_PATH to its path.',
    ].join('\n')
    throw Object.assign(new Error(message), { cause })
  }
}

// What to do when no binary loaded, by how this copy of the package was made: published (its
// platform packages are optionalDependencies), packed by `npm run pack:local` (the same, for the
// platforms built there), or a plain `npm pack` or unbuilt clone (none: there is no binary).
function advice(name, installForThisMachine) {
  const platformPackage = `safe-write-json-${name}`
  const packed = require('./package.json').optionalDependencies
  const installed = (() => {
    try {
      return Boolean(require.resolve(`${platformPackage}/package.json`))
    } catch {
      return false
    }
  })()
  if (!SUPPORTED.includes(name)) return `  - ${name} has no published binary: use one of the platforms above, or build one.`
  if (installed) {
    return `  - ${platformPackage} is installed but did not load (see above): delete node_modules and package-lock.json and run npm install again.`
  }
  if (!packed) {
    return '  - This copy of safe-write-json names no platform package, so it has no binary: it was made by a plain npm pack, or is a clone not yet built. For tarballs that install, run npm run pack:local in a clone and install all it makes in one command: npm install <clone>/target/pack/*.tgz.'
  }
  if (!packed[platformPackage]) {
    return `  - This copy of safe-write-json was packed with binaries for ${Object.keys(packed).join(', ')} only (npm run pack:local on another machine): pack it on a ${name} machine, or install a published version.`
  }
  return `  - Install with optional dependencies enabled, since ${platformPackage} is one (not with --omit=optional, --no-optional or --ignore-optional). If npm skipped it anyway (npm/cli#4828), delete node_modules and package-lock.json and run npm install again. An app or extension packaged on another machine needs the one for this machine: ${installForThisMachine}. A tarball made by npm run pack:local needs its platform tarball installed in the same command: npm install <clone>/target/pack/*.tgz.`
}
