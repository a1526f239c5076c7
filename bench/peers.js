// One adapter per contender: how each writes `data` as compact JSON to `file` the way its users
// call it. `load()` returns `write(file, data) => Promise`; loading happens before any timing, so
// module loading (ESM imports, the addon's dlopen) is never measured.
'use strict'

const fs = require('node:fs')
const path = require('node:path')

/** The package under test, from this checkout (run `npm run build` first). */
function pkg() {
  return require('..')
}

/**
 * "The lock+stream approach users have today" (issue 3), written by us from its description, as
 * Roo Code's JavaScript `safeWriteJson` does it: mkdir -p, a `proper-lockfile` lock on the
 * target, the value streamed through `stream-json`'s Disassembler → Stringer into a temp file,
 * the old file renamed to a backup, the temp renamed over the target, the backup removed, the
 * lock released. No fsync anywhere.
 */
function lockStreamWriter() {
  const lockfile = require('proper-lockfile')
  const { disassembler } = require('stream-json/Disassembler')
  const { stringer } = require('stream-json/Stringer')
  const random = () => `${Date.now()}_${Math.random().toString(36).slice(2)}`

  function streamToFile(file, data) {
    return new Promise((resolve, reject) => {
      const out = fs.createWriteStream(file, { encoding: 'utf8' })
      const source = disassembler()
      let failed = false
      const fail = (err) => {
        if (failed) return
        failed = true
        reject(err)
      }
      source.on('error', fail)
      const text = source.pipe(stringer())
      text.on('error', fail)
      out.on('error', fail)
      out.on('finish', () => failed || resolve())
      text.pipe(out)
      source.end(data)
    })
  }

  return async function write(target, data) {
    const file = path.resolve(target)
    await fs.promises.mkdir(path.dirname(file), { recursive: true })
    // Options as in Roo Code: no realpath (the file may not exist yet), retry for about 2.5 s.
    const release = await lockfile.lock(file, {
      stale: 31000,
      update: 10000,
      realpath: false,
      retries: { retries: 5, factor: 2, minTimeout: 100, maxTimeout: 1000 },
    })
    const dir = path.dirname(file)
    const base = path.basename(file)
    let temp = path.join(dir, `.${base}.new_${random()}.tmp`)
    let backup = null
    try {
      await streamToFile(temp, data)
      try {
        backup = path.join(dir, `.${base}.bak_${random()}.tmp`)
        await fs.promises.rename(file, backup)
      } catch (err) {
        if (err.code !== 'ENOENT') throw err
        backup = null // there was no old file
      }
      await fs.promises.rename(temp, file)
      temp = null
      if (backup) await fs.promises.unlink(backup).catch(() => {})
    } catch (err) {
      if (temp) await fs.promises.unlink(temp).catch(() => {})
      if (backup) await fs.promises.rename(backup, file).catch(() => {})
      throw err
    } finally {
      await release()
    }
  }
}

/**
 * Every contender. `fsync` says what each does for durability, since the comparison is only fair
 * knowing it. `variant` rows are extra configurations of the package, shown where they matter.
 */
const CONTENDERS = [
  {
    id: 'safe-write-json',
    fsync: 'file + dir',
    load: async () => {
      const { safeWriteJson } = pkg()
      return (file, data) => safeWriteJson(file, data) // durability 'full', the default
    },
  },
  {
    id: 'write-file-atomic',
    fsync: 'file',
    load: async () => {
      const writeFileAtomic = require('write-file-atomic')
      return (file, data) => writeFileAtomic(file, JSON.stringify(data))
    },
  },
  {
    id: 'atomically',
    fsync: 'file',
    load: async () => {
      const { writeFile } = await import('atomically')
      return (file, data) => writeFile(file, JSON.stringify(data))
    },
  },
  {
    id: 'steno',
    fsync: 'none',
    load: async () => {
      const { Writer } = await import('steno')
      // steno is used with one Writer per file, kept for the life of the program: the Writer is
      // what orders (and coalesces) writes to that file.
      const writers = new Map()
      return (file, data) => {
        let w = writers.get(file)
        if (!w) writers.set(file, (w = new Writer(file)))
        return w.write(JSON.stringify(data))
      }
    },
  },
  {
    id: 'write-json-file',
    fsync: 'file',
    // write-json-file appends '\n' unless the file it replaces exists and does not end with one:
    // the harness creates every target as '{}' first, so it writes JSON.stringify's bytes.
    // It also reads the whole old file on each write to decide that (part of its cost).
    load: async () => {
      const { writeJsonFile } = await import('write-json-file')
      return (file, data) => writeJsonFile(file, data, { indent: undefined })
    },
  },
  {
    id: 'lock+stream',
    fsync: 'none',
    load: async () => lockStreamWriter(),
  },
]

/** Extra rows of the package for the small and spread workloads (same fsyncs as the peers). */
const VARIANTS = [
  {
    id: 'safe-write-json (data)',
    fsync: 'file',
    load: async () => {
      const { safeWriteJson } = pkg()
      return (file, data) => safeWriteJson(file, data, { durability: 'data' })
    },
  },
]

/**
 * The package with `incremental: true`, a row of the task-history workloads: the value is
 * serialized in slices across turns of the event loop (what the stall column is for). Same
 * fsyncs as the default row, whose wall time and RSS it is compared with.
 */
const INCREMENTAL = {
  id: 'safe-write-json (incremental)',
  fsync: 'file + dir',
  load: async () => {
    const { safeWriteJson } = pkg()
    return (file, data) => safeWriteJson(file, data, { incremental: true })
  },
}

/**
 * Whether the package accepts `{ lock }` (being built on another branch): try it. An unknown
 * option is rejected with ERR_INVALID_ARG_VALUE, so anything else means it is accepted.
 */
async function packageHasLock(dir) {
  const file = path.join(dir, 'lock-probe.json')
  try {
    await pkg().safeWriteJson(file, {}, { lock: true })
    return true
  } catch (err) {
    if (err && err.code === 'ERR_INVALID_ARG_VALUE') return false
    throw err
  }
}

/** The small-write rows comparing `lock: true` and `lock: false`, when the option exists. */
const LOCK_VARIANTS = [true, false].map((lock) => ({
  id: `safe-write-json (lock: ${lock})`,
  fsync: 'file + dir',
  load: async () => {
    const { safeWriteJson } = pkg()
    return (file, data) => safeWriteJson(file, data, { lock })
  },
}))

/** The package's reader (being built on another branch), or null when this build has none. */
function packageReader() {
  const { safeReadJson } = pkg()
  return typeof safeReadJson === 'function' ? safeReadJson : null
}

module.exports = { CONTENDERS, VARIANTS, INCREMENTAL, LOCK_VARIANTS, packageHasLock, packageReader, pkg }
