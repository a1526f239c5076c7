// The package entry: the public API, in JavaScript where the work is JavaScript's — arguments
// checked (lib/), data serialized by this realm's own JSON.stringify (stringify.js) — and in
// Rust (the binding) for everything that touches the disk. This module and lib/ are loaded in
// the caller's realm (under jest, each test file's), so the errors they make and the promises
// their `async` functions return are the caller's: nothing about the caller is passed down.
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
const { targetPath } = require('./lib/path.js')
const { jsonOptions, updateOptions, fileOptions, readOptions, cleanupOptions } = require('./lib/options.js')
const { invalidArgType, invalidArgValue } = require('./lib/arguments.js')
const { regExpExec, defineProperty } = require('./lib/intrinsics.js')
const { walkInto, stringify } = require('./stringify.js')

const binding = loadBinding()
const { JsonSink } = binding

// The leases of the updateJson updaters running in this async context, innermost last. A
// call made from inside an updater names them, so that one aimed at the very file its update
// holds fails with ELOCKED instead of waiting for itself.
const updating = new AsyncLocalStorage()
const enclosing = () => updating.getStore() ?? []

exports.safeWriteJson = async function safeWriteJson(path, data, options) {
  const target = targetPath(path)
  const { write, indent, replacer, finalNewline, incremental } = jsonOptions(options)
  const submit = (sink) => (holdTick(), binding.write(target, sink, write, finalNewline, null, enclosing()))
  if (incremental) return writeIncrementally(target, data, replacer, indent, submit)
  return writeCopyingLater(target, data, replacer, indent, submit)
}

exports.safeWriteJsonSync = function safeWriteJsonSync(path, data, options) {
  const target = targetPath(path)
  const { write, indent, replacer, finalNewline, incremental } = jsonOptions(options)
  if (incremental) throw invalidArgValue('options.incremental', 'is only supported by the async functions', true)
  binding.write(target, serialize(new JsonSink(target), data, replacer, indent), write, finalNewline, null, null)
}

exports.safeWriteFile = async function safeWriteFile(path, data, options) {
  const target = targetPath(path)
  const { write, encoding, owner } = fileOptions(options)
  holdTick()
  return binding.write(target, fileData(data, encoding), write, false, owner, enclosing())
}

exports.safeWriteFileSync = function safeWriteFileSync(path, data, options) {
  const target = targetPath(path)
  const { write, encoding, owner } = fileOptions(options)
  binding.write(target, fileData(data, encoding), write, false, owner, null)
}

// The tick gate (src/gate.rs): an async write starts once the synchronous run of JavaScript it
// was made in has ended, so that the writes made after it in that run supersede it first. The
// run's first write opens it in a promise job (a microtask that fake timers cannot replace).
function holdTick() {
  if (binding.holdTick()) then.call(TICK, binding.openTick)
}
const TICK = Promise.resolve()
const { then } = Promise.prototype
// `then` looks up the species of promises through `constructor`: an own, fixed `undefined`
// means the realm's own Promise, whatever user code later puts on Promise.prototype.
defineProperty(TICK, 'constructor', { value: undefined })

// The updater is JavaScript (and may be async), so the read-modify-write is orchestrated here;
// the lease holds the file locked, in this process and across processes, from read to write.
exports.updateJson = async function updateJson(path, updater, options) {
  const target = targetPath(path)
  if (typeof updater !== 'function') throw invalidArgType('updater', 'of type function', updater)
  const { write, indent, replacer, finalNewline, incremental, default: fallback } = updateOptions(options)
  const lease = await binding.lockForUpdate(target, write, finalNewline, enclosing())
  let next
  try {
    const file = lease.file()
    const current = file === null ? fallback : parse(file)
    next = await updating.run(withLease(enclosing(), lease.id), () => updater(current))
    if (next === undefined) {
      await lease.release()
      return undefined
    }
  } catch (err) {
    await lease.release()
    throw err
  }
  // The commit releases the lease once written (so this settles in call order with the writes
  // queued behind it); when the value cannot even be serialized, release it here (a lease
  // already committed releases as a no-op).
  if (incremental) {
    try {
      await writeIncrementally(target, next, replacer, indent, (sink) => lease.commit(sink))
    } catch (err) {
      await lease.release()
      throw err
    }
    return next
  }
  let committed
  try {
    committed = lease.commit(serialize(new JsonSink(target), next, replacer, indent))
  } catch (err) {
    await lease.release()
    throw err
  }
  await committed
  return next
}

/** `ids`, then `id`: copied by index, not spread (user code may replace the array iterator). */
function withLease(ids, id) {
  const all = []
  for (let i = 0; i < ids.length; i++) all[i] = ids[i]
  all[ids.length] = id
  return all
}

exports.safeReadJson = async function safeReadJson(path, options) {
  const target = targetPath(path)
  const { hasDefault, default: fallback, reviver, recover } = readOptions(options)
  const first = await read(target, false, reviver)
  if (first.ok) return first.value
  const failure = first.error
  if (!first.ofFile) throw failure
  // A file that is missing or not JSON falls back to a valid backup; else its own outcome stands.
  if (recover && (failure.code === 'ENOENT' || failure.code === 'EJSONPARSE')) {
    const second = await read(target, true, reviver)
    if (second.ok) {
      warnRecovered(target, second.path, failure)
      return second.value
    }
  }
  if (hasDefault && failure.code === 'ENOENT') return fallback
  throw failure
}

exports.cleanupTempFiles = async function cleanupTempFiles(dir, options) {
  const target = targetPath(dir)
  // An array of the caller's realm.
  return Array.from(await binding.leftovers(target, cleanupOptions(options), true), (leftover) => leftover.path)
}

// For the CLI's `check`: the leftovers cleanupTempFiles would remove, found by the same code
// but not removed. Not public API, so under a symbol: no name of the ESM namespace or the d.ts.
exports[Symbol.for('safe-write-json.findLeftovers')] = async function findLeftovers(dir, options) {
  return binding.leftovers(targetPath(dir), cleanupOptions(options), false)
}

/**
 * `sink`, given the JSON text of `data`: pushed whole, or — for a big value — piece by piece by
 * stringify.js, through `into` (the sink itself, or one that holds the last pieces back). On a
 * throw (user code, a circular structure) the sink lets go of what it holds, on the disk too.
 */
function serialize(sink, data, replacer, indent, into = sink) {
  try {
    const slices = replacer === undefined ? walkInto(data, indent, into) : null
    if (slices === null) pushWhole(into, data, replacer, indent)
    // Not incremental: one run walks it all.
    else if (!slices.run()) throw new Error('safe-write-json: a walk stopped midway (a bug: please report it)')
  } catch (err) {
    sink.abandon()
    throw err
  }
  return sink
}

/**
 * An async write's text, serialized in the call. Its last pieces, if nothing of the text
 * streamed and they are worth it, are copied out of JavaScript in later turns — fed to the
 * write already queued, as the slices of an incremental text are: V8 flattens each string
 * before Node-API can read it, which costs half as much again as JSON.stringify, and done
 * later it never lengthens the call's own stall. What is written is fixed when the call
 * returns (strings are immutable).
 */
function writeCopyingLater(target, data, replacer, indent, submit) {
  const sink = new JsonSink(target)
  let held = null
  let streamed = false
  // The sink as stringify.js sees it, holding back the last pieces when worth it.
  const holding = {
    begin: (gap) => sink.begin(gap),
    due: (micros) => sink.due(micros),
    stream: (texts, meta) => {
      streamed = true
      sink.stream(texts, meta)
    },
    push: (texts, meta) => {
      if (!streamed && worthLater(texts)) held = new HeldPieces(sink, texts, meta)
      else sink.push(texts, meta)
    },
  }
  serialize(sink, data, replacer, indent, holding)
  return held === null ? submit(sink) : feedTheRest(sink, held, submit)
}

// Texts shorter than this (UTF-16 units) are copied during the call: a later turn would cost more.
const LATER_FROM_UNITS = 64 * 1024
// UTF-16 units copied per later turn: about a millisecond of work.
const UNITS_PER_TURN = 1 << 19

/** Whether `texts` hold enough to be copied in later turns. */
function worthLater(texts) {
  let units = 0
  for (let i = 0; i < texts.length && units < LATER_FROM_UNITS; i++) units += texts[i].length
  return units >= LATER_FROM_UNITS
}

/**
 * Pieces already made, fed to `sink` UNITS_PER_TURN at a time: the slices `feedTheRest` feeds
 * (as a walk's, but no user code runs in them), the last ones pushed. Each string is dropped
 * once handed over, so the flat copy V8 made of it can go as soon as it is copied.
 */
class HeldPieces {
  constructor(sink, texts, meta) {
    this.sink = sink
    this.texts = texts
    this.meta = meta
    this.budget = UNITS_PER_TURN
    this.drained = 0 // pieces handed over
    this.ready = 0 // pieces in the slices run so far
    this.running = false
    this.done = false
  }

  run() {
    const { texts } = this
    for (let units = 0; this.ready < texts.length && units < this.budget;) units += texts[this.ready++].length
    if (this.ready < texts.length) return false
    this.done = true
    const drained = this.drain()
    this.sink.push(drained[0], drained[1])
    return true
  }

  unbound() {
    this.budget = Infinity
  }

  /** The pieces of the slices run since the last drain, as `[texts, meta]`. */
  drain() {
    // Without a prototype, and filled by indexed stores: no accessor user code put on
    // Array.prototype or Object.prototype can intercept them (see stringify.js' `list`).
    const texts = Object.setPrototypeOf([], null)
    const meta = Object.setPrototypeOf([], null)
    for (let i = this.drained; i < this.ready; i++) {
      texts[texts.length] = this.texts[i]
      this.texts[i] = undefined
      for (let k = i * 4; k < i * 4 + 4; k++) meta[meta.length] = this.meta[k]
    }
    this.drained = this.ready
    return [texts, meta]
  }
}

/** The text of `data`, stringified whole, into `sink`. */
function pushWhole(sink, data, replacer, indent) {
  const json = stringify(data, replacer, indent)
  // What JSON.stringify maps to `undefined` (a function, a symbol, `undefined`) writes `null`.
  sink.push([json === undefined ? 'null' : json], WHOLE)
}

/**
 * `incremental: true`: serialize `data` for a write to `target` in slices across turns of the
 * event loop, none longer than the slice budget (but a single member's JSON.stringify), and
 * settle as the write does. The first slice runs in the call: a value done within it is pushed
 * whole, as without the option. Otherwise the pieces so far are fed to the sink and the write
 * is queued at once — `submit(sink)`, which returns its promise — while the rest is made in
 * later turns (awaiting the sink's native `next`: no JavaScript timer), fed as it is made.
 *
 * A serialization error midway abandons the text: its write fails and removes its temp file
 * and the directories made for it; once it has, this rejects with the error. A write that no
 * longer wants the text (superseded, or failed: ELOCKED…) stops the serialization; this then
 * settles as that write does. A replacer, or a value not walked unobservably (a Proxy, a
 * `toJSON`), is stringified in one slice.
 */
async function writeIncrementally(target, data, replacer, indent, submit) {
  const sink = new JsonSink(target)
  let slices = null
  try {
    slices = replacer === undefined ? walkInto(data, indent, sink, true) : null
    if (slices === null) pushWhole(sink, data, replacer, indent)
    else if (!slices.run()) return feedTheRest(sink, slices, submit)
  } catch (err) {
    sink.abandon()
    throw err
  }
  return submit(sink)
}

/** See `writeIncrementally`: the write is queued now; the text is made in later turns. */
function feedTheRest(sink, slices, submit) {
  let failure = null // what the serialization threw
  let wanted
  let over = false // its write settled: it wants no more of the text
  // A Sync write needs this thread, and may wait for this write: make the rest of the text now.
  const finish = () => {
    if (slices.done || failure || !wanted || over) return
    if (slices.running) {
      // A Sync write made by user code the walk runs (a getter): the rest cannot be made now.
      failure = interruptedBySyncWrite()
      sink.abandon()
      return
    }
    slices.unbound()
    try {
      while (!slices.run() && (wanted = feedDrained(sink, slices, finish)));
    } catch (err) {
      failure = err
      sink.abandon()
    }
  }
  wanted = feedDrained(sink, slices, finish)
  let written
  let call
  try {
    written = submit(sink)
    // The call settles as its write does (through the settle queue, in call order with the other
    // calls of its file), not when the loop below next wakes: `sink.next()` resolves from the
    // libuv pool, which may come after a later call of the file has settled. A serialization
    // error abandons the text, and the write then fails (ECANCELED): the call rejects with it.
    // The realm's own Promise for the derived promise, whatever user code puts on
    // Promise.prototype (as for TICK): nothing after submit may throw, or the write waits forever.
    defineProperty(written, 'constructor', { value: undefined })
    call = then.call(
      written,
      () => {
        over = true
        if (failure !== null) throw failure
      },
      (err) => {
        over = true
        throw failure ?? err
      },
    )
  } catch (err) {
    sink.abandon()
    throw err
  }
  ;(async () => {
    try {
      while (wanted && !slices.done && !failure) {
        await sink.next()
        // A Sync write may have finished it meanwhile; a settled call runs no more user code.
        if (slices.done || failure || over) break
        if (slices.run()) break
        wanted = feedDrained(sink, slices, finish)
      }
    } catch (err) {
      failure ??= err
    }
    if (failure !== null || !wanted || (over && !slices.done)) sink.abandon()
  })()
  return call
}

/**
 * Feed `sink` the pieces `slices` made since the last drain; whether the write still wants the
 * text. Indexed, never spread: spreading runs `Array.prototype[Symbol.iterator]`, which user
 * code may have replaced (and could then change what is written after the call returned).
 */
function feedDrained(sink, slices, finish) {
  const drained = slices.drain()
  return sink.feed(drained[0], drained[1], finish)
}

function interruptedBySyncWrite() {
  const err = new Error(
    'a Sync write was made while this value was being serialized incrementally, by code that serialization ran (a getter or toJSON); nothing was written',
  )
  err.code = 'ERR_INVALID_STATE'
  return err
}
// The four numbers of a text pushed whole: nothing to trim, no extra indent, no comma before it.
const WHOLE = Object.freeze([0, 0, 0, 0])

/**
 * The `data` of safeWriteFile as the binding takes it: a string to write as UTF-8, or the bytes
 * to write — of a string in another `encoding`, or the very bytes an ArrayBufferView (a Buffer,
 * any typed array, a DataView) views, as `fs.writeFile` writes them. Anything else, `undefined`
 * included (write-file-atomic writes an empty file for it), is refused: it is a bug upstream.
 */
function fileData(data, encoding) {
  if (typeof data === 'string') return isUtf8(encoding) ? data : Buffer.from(data, encoding)
  if (isUint8Array(data)) return data
  if (isArrayBufferView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data)
}
const { isUint8Array, isArrayBufferView } = require('node:util').types
// UTF-8 is written from the string itself, without a Buffer in between.
const isUtf8 = (encoding) => encoding === 'utf8' || regExpExec(/^utf-?8$/i, encoding) !== null

/**
 * Read the target file (or its backup) and parse it with this realm's JSON.parse: `{ ok: true,
 * value, path }`, or `{ ok: false, error, ofFile }` — `ofFile` when the file itself failed
 * (missing, unreadable, not JSON), not the reviver.
 */
async function read(target, backup, reviver) {
  let file
  try {
    file = await binding.readJson(target, backup)
  } catch (error) {
    return { ok: false, error, ofFile: true }
  }
  try {
    const text = file.text()
    try {
      return { ok: true, value: JSON.parse(text, reviver), path: file.path }
    } catch (error) {
      try {
        file.throwSyntaxError()
      } catch (syntax) {
        return { ok: false, error: syntax, ofFile: true }
      }
      throw error
    }
  } catch (error) {
    return { ok: false, error, ofFile: false }
  }
}

/** JSON.parse of the file an update read; EJSONPARSE if it is not JSON. */
function parse(file) {
  const text = file.text()
  try {
    return JSON.parse(text)
  } catch (err) {
    file.throwSyntaxError()
    throw err
  }
}

const RECOVERED = 'SAFE_WRITE_JSON_RECOVERED'

/** `process.emitWarning`: the backup's content was returned in place of the file's. */
function warnRecovered(target, backup, failure) {
  // The backup as the caller would spell it, unless a symlink put it elsewhere.
  const shown = backup === `${target.absolute}.bak` ? `${target.given}.bak` : backup
  const message = `safeReadJson: '${target.given}' could not be read; returned its backup '${shown}' instead`
  try {
    process.emitWarning(message, { code: RECOVERED, detail: failure.message })
  } catch {
    // A warning that cannot be emitted (a handler threw) must not fail a good read.
  }
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
  if (!SUPPORTED.includes(name))
    return `  - ${name} has no published binary: use one of the platforms above, or build one.`
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
