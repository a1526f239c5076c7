#!/usr/bin/env node
// The main thread's total CPU per write — the call itself plus the later turns that copy big
// strings out of JavaScript — against JSON.stringify's, read from this thread's own line in
// /proc (Linux only; 10 ms ticks, hence many repetitions). Writes with durability 'none' so
// that nothing but the main thread's share is compared.
//
//   node --single-threaded-gc bench/main-thread-cpu.js [bytes=1e6] [reps=200]
//
// --single-threaded-gc keeps garbage collection on this thread, where it is counted.
'use strict'

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { safeWriteJson } = require('..')
const { history } = require('./workloads.js')

const bytes = Number(process.argv[2] || 1e6)
const reps = Number(process.argv[3] || 200)
const data = history(bytes)
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'swj-cpu-')), 'history.json')
const options = { durability: 'none', lock: false }

/** CPU time of the main thread so far, in ms (utime + stime, 100 ticks per second). */
function mainThreadMs() {
  const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function main() {
  for (let i = 0; i < 3; i++) {
    JSON.stringify(data)
    await safeWriteJson(file, data, options)
  }
  let start = mainThreadMs()
  for (let r = 0; r < reps; r++) {
    JSON.stringify(data)
    await new Promise(setImmediate)
  }
  const stringify = (mainThreadMs() - start) / reps
  start = mainThreadMs()
  for (let r = 0; r < reps; r++) await safeWriteJson(file, data, options)
  const write = (mainThreadMs() - start) / reps
  fs.rmSync(path.dirname(file), { recursive: true, force: true })
  const mb = (Buffer.byteLength(JSON.stringify(data)) / 1e6).toFixed(1)
  console.log(
    `${mb} MB history, ${reps} reps: JSON.stringify ${stringify.toFixed(2)} ms, ` +
      `safeWriteJson ${write.toFixed(2)} ms of main-thread CPU per write (${(write / stringify).toFixed(2)}×)`,
  )
}

main()
