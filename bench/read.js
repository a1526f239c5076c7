#!/usr/bin/env node
// safeReadJson against the floor it must stay within 1.1× of:
// `JSON.parse(await fs.promises.readFile(p, 'utf8'))`, on a 1 MB and a 50 MB task history
// (ASCII, as most are) and a 1 MB one with non-ASCII text. Both must give equal values first;
// then the two are interleaved, alternating which goes first, and the medians are compared.
// A full GC runs before each timed read: the previous read leaves hundreds of MB of garbage,
// and without it whichever read happens to trigger the collection pays for the other's.
//
//   node bench/read.js [rounds1MB=40] [rounds50MB=7]
//
// Short by design (the machine is shared): it asserts nothing about time, it reports.
'use strict'

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const assert = require('node:assert')
const v8 = require('node:v8')
const vm = require('node:vm')
const { safeReadJson } = require('..')

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')

/** A chat history of about `bytes` bytes: objects with ids, roles, timestamps and text. */
function history(bytes, text) {
  const messages = []
  let size = 2
  for (let i = 0; size < bytes; i++) {
    const message = {
      ts: 1712345678901 + i,
      role: i % 2 ? 'assistant' : 'user',
      id: `m${i}`,
      text: `${text} ${i}`,
      tokens: { in: i * 3, out: i * 7 },
    }
    size += JSON.stringify(message).length + 1
    messages.push(message)
  }
  return messages
}

const floor = async (file) => JSON.parse(await fs.promises.readFile(file, 'utf8'))
const ours = (file) => safeReadJson(file)

async function time(fn, file) {
  gc()
  const start = process.hrtime.bigint()
  await fn(file)
  return Number(process.hrtime.bigint() - start) / 1e6
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function compare(label, file, rounds) {
  assert.deepStrictEqual(await ours(file), await floor(file), 'safeReadJson and JSON.parse disagree')
  const times = { floor: [], ours: [] }
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so that neither always runs on a warmer cache or a fresher heap.
    const order = round % 2 ? ['ours', 'floor'] : ['floor', 'ours']
    for (const name of order) times[name].push(await time(name === 'ours' ? ours : floor, file))
  }
  const [f, o] = [median(times.floor), median(times.ours)]
  const size = `${(fs.statSync(file).size / 1e6).toFixed(1)} MB`
  console.log(
    `| ${label.padEnd(26)} | ${size.padStart(8)} | ${f.toFixed(2).padStart(9)} | ${o.toFixed(2).padStart(9)} | ${(o / f).toFixed(2).padStart(5)}× |`,
  )
}

async function main() {
  const [rounds1 = 40, rounds50 = 7] = process.argv.slice(2).map(Number)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-bench-read-'))
  try {
    const files = {
      small: [history(1e6, 'Please refactor the settings loader so that it never loses data'), rounds1],
      unicode: [history(1e6, 'Überarbeite den Lader — 设置不能丢失 😀'), rounds1],
      large: [history(50e6, 'Please refactor the settings loader so that it never loses data'), rounds50],
    }
    console.log(`Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0].model.trim()}; medians in ms`)
    console.log('| file                       |     size | floor ms  |  ours ms  | ratio  |')
    console.log('|----------------------------|---------:|----------:|----------:|-------:|')
    for (const [name, [data, rounds]] of Object.entries(files)) {
      const file = path.join(dir, `${name}.json`)
      fs.writeFileSync(file, JSON.stringify(data))
      const label = { small: 'task history, ASCII', unicode: 'task history, non-ASCII', large: 'task history, ASCII' }[
        name
      ]
      await compare(label, file, rounds)
      fs.unlinkSync(file)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
