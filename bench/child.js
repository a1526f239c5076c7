// One measurement in a fresh process (the medium, large, huge and read workloads): build the task
// history, warm the contender up, then time ONE write (or read) while measuring the event loop's
// longest stall and the peak RSS growth. Prints one line `RESULT <json>`; run.js spawns it with
// `--expose-gc` and kills it at its time limit.
//
//   node --expose-gc bench/child.js '<json>'   where json = { mode, contender, bytes, file, ... }
//   mode 'ref':   write the expected bytes to `file` (element by element, so any size works)
//   mode 'write': `contender` (an id of peers.js, or 'JSON.stringify') writes the history to `file`
//   mode 'read':  `contender` ('safeReadJson' or 'JSON.parse') reads `file`
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const { monitorEventLoopDelay, performance } = require('node:perf_hooks')
const { setTimeout: sleep } = require('node:timers/promises')
const { CONTENDERS, VARIANTS, INCREMENTAL, packageReader } = require('./peers')
const { history, historyPieces } = require('./workloads')

const args = JSON.parse(process.argv[2])

const maxRssMB = () => process.resourceUsage().maxRSS / 1024 // maxRSS is in KiB

function sha256File(file) {
  const hash = crypto.createHash('sha256')
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.allocUnsafe(4 << 20)
  let n
  let size = 0
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
    hash.update(buf.subarray(0, n))
    size += n
  }
  fs.closeSync(fd)
  return { sha256: hash.digest('hex'), size }
}

/** The expected bytes of the history, written to a file and hashed, without one big string. */
function ref() {
  const { data, bytes } = history(args.bytes)
  const hash = crypto.createHash('sha256')
  const fd = fs.openSync(args.file, 'w')
  let size = 0
  let chars = 0
  for (const piece of historyPieces(data)) {
    const buf = Buffer.from(piece, 'utf8')
    hash.update(buf)
    fs.writeSync(fd, buf)
    size += buf.length
    chars += piece.length
  }
  fs.closeSync(fd)
  if (size !== bytes) throw new Error(`history(${args.bytes}) promised ${bytes} bytes, made ${size}`)
  // chars: the length JSON.stringify's string would have; beyond 2**29 - 24 V8 cannot make it.
  return { sha256: hash.digest('hex'), size, chars, elements: data.length }
}

/** Time `op` once: wall time, the event loop's longest stall while it ran, peak RSS growth. */
async function measure(op) {
  global.gc()
  const baselineMB = maxRssMB() // the peak so far: building the data and loading the contender
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  await sleep(30) // let the monitor's timer run before the operation starts
  // reset() also forgets the time of the last tick, so the first interval after it is never
  // recorded: tick once more before the operation, or a stall right after reset() goes unseen.
  loop.reset()
  await sleep(10)
  let error = null
  let value
  const t0 = performance.now()
  try {
    value = await op()
  } catch (err) {
    error = err
  }
  const wallMs = performance.now() - t0
  // A stall is recorded when the monitor's timer finally fires after it, so give it that chance.
  await sleep(30)
  loop.disable()
  const rssGrowthMB = maxRssMB() - baselineMB
  return {
    wallMs,
    stallMs: loop.max / 1e6,
    rssGrowthMB,
    baselineMB,
    value,
    error: error && { message: `${error.name || 'Error'}: ${error.message}`, code: error.code },
  }
}

async function write() {
  const { data } = history(args.bytes)
  // Warm up on the same kind of data (up to 2000 messages of it), so that the code path the
  // timed write takes — a contender's JavaScript, lazily loaded modules, thread pools — is
  // compiled and started, as it is in a program that saves more than once.
  const sample = data.slice(0, 2000)
  let op
  if (args.contender === 'JSON.stringify') {
    for (let i = 0; i < 3; i++) JSON.stringify(sample)
    op = async () => JSON.stringify(data)
  } else {
    const contender = [...CONTENDERS, ...VARIANTS, INCREMENTAL].find((c) => c.id === args.contender)
    if (!contender) throw new Error(`no contender ${args.contender}`)
    const writeJson = await contender.load()
    for (let i = 0; i < 3; i++) await writeJson(args.warmupFile, sample)
    op = () => writeJson(args.file, data)
  }
  const m = await measure(op)
  // Checked after the timing: the bytes the contender produced.
  let check = null
  if (!m.error) {
    if (typeof m.value === 'string') {
      check = { sha256: crypto.createHash('sha256').update(m.value).digest('hex'), size: Buffer.byteLength(m.value) }
    } else {
      check = sha256File(args.file)
    }
  }
  delete m.value
  return { ...m, ...check }
}

async function read() {
  let op
  if (args.contender === 'safeReadJson') {
    const safeReadJson = packageReader()
    if (!safeReadJson) throw new Error('this build has no safeReadJson')
    await safeReadJson(args.warmupFile)
    op = () => safeReadJson(args.file)
  } else {
    JSON.parse(await fs.promises.readFile(args.warmupFile, 'utf8'))
    op = async () => JSON.parse(await fs.promises.readFile(args.file, 'utf8'))
  }
  const m = await measure(op)
  let check = null
  if (!m.error) {
    // What was read, serialized again, must be the file's bytes (the files are compact JSON).
    const text = JSON.stringify(m.value)
    check = { sha256: crypto.createHash('sha256').update(text).digest('hex'), size: Buffer.byteLength(text) }
  }
  delete m.value
  return { ...m, ...check }
}

const modes = { ref: async () => ref(), write, read }
modes[args.mode]().then(
  (result) => {
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
    // Peers may leave timers (proper-lockfile's) or handles behind; the measurement is done.
    process.exit(0)
  },
  (err) => {
    process.stdout.write(`RESULT ${JSON.stringify({ fatal: String((err && err.stack) || err) })}\n`)
    process.exit(1)
  },
)
