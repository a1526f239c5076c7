// The package entry: the native binding, called with this module's `globalThis` as a last,
// hidden argument, so that the errors it makes and the `JSON.stringify` it calls belong to the
// caller's realm. Under jest every test file is its own realm; without this, a circular
// structure would reject with a TypeError that is not `instanceof TypeError` in the test, and
// the promise would not be `instanceof Promise`. (`async` makes the promise this realm's.)
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

const binding = loadBinding()

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
      SUPPORTED.includes(name)
        ? `  - Install with optional dependencies enabled, since safe-write-json-${name} is one (not with --omit=optional, --no-optional or --ignore-optional). If npm skipped it anyway (npm/cli#4828), delete node_modules and package-lock.json and run npm install again. An app or extension packaged on another machine needs the one for this machine: npm install --os=${platform} --cpu=${arch}${libc && ` --libc=${libc}`}.`
        : `  - ${name} has no published binary: use one of the platforms above, or build one.`,
      '  - Or build from source (needs Rust and cargo): in a clone of safe-write-json run npm ci && npm run build, then copy the safe-write-json.*.node it makes beside binding.js, or set NAPI_RS_NATIVE_LIBRARY_PATH to its path.',
    ].join('\n')
    throw Object.assign(new Error(message), { cause })
  }
}
