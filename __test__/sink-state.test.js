// The JSON sink of the binding (not a package export, but reachable through binding.js) writes
// only a complete text, once: used any other way it is an ERR_INVALID_STATE error and the target
// keeps its content — never an empty or partial file.
const fs = require('node:fs')
const path = require('node:path')
const { tmpDir, leftovers } = require('./helpers')
const binding = require('../binding.js')

const OLD = '{"old":1}'

function setUp(name) {
  const dir = tmpDir('swj-sink')
  const file = path.join(dir, name)
  fs.writeFileSync(file, OLD)
  const target = { given: file, absolute: file }
  const sink = new binding.JsonSink(target)
  // The binding's Sync JSON write (no owner, no enclosing leases: on this thread).
  const writeSync = () => binding.write(target, sink, {}, false, null, null)
  return { dir, file, sink, writeSync }
}

const invalidState = expect.objectContaining({ code: 'ERR_INVALID_STATE' })

test('a sink with nothing pushed writes nothing', () => {
  const { dir, file, writeSync } = setUp('a.json')
  expect(() => writeSync()).toThrow(invalidState)
  expect(fs.readFileSync(file, 'utf8')).toBe(OLD)
  expect(leftovers(dir)).toEqual([])
})

test('a sink is written once: the second write is refused', () => {
  const { dir, file, sink, writeSync } = setUp('b.json')
  sink.push(['[1,2,3]'], [0, 0, 0, 0])
  writeSync()
  expect(fs.readFileSync(file, 'utf8')).toBe('[1,2,3]')
  expect(() => writeSync()).toThrow(invalidState)
  expect(fs.readFileSync(file, 'utf8')).toBe('[1,2,3]')
  expect(leftovers(dir)).toEqual([])
})

test('an abandoned sink takes nothing more, and is never written', () => {
  const { dir, file, sink, writeSync } = setUp('c.json')
  sink.begin('')
  sink.stream(['[', '1'], [0, 0, 0, 0, 0, 0, 0, 0])
  sink.abandon()
  sink.abandon()
  expect(() => sink.push([',2]'], [0, 0, 0, 0])).toThrow(invalidState)
  expect(() => writeSync()).toThrow(invalidState)
  expect(fs.readFileSync(file, 'utf8')).toBe(OLD)
  expect(leftovers(dir)).toEqual([])
})

test('a push of no pieces is no text: nothing is written', () => {
  const { dir, file, sink, writeSync } = setUp('d.json')
  sink.push([], [])
  expect(() => writeSync()).toThrow(invalidState)
  expect(fs.readFileSync(file, 'utf8')).toBe(OLD)
  expect(leftovers(dir)).toEqual([])
})

// The sink carries its target (a big text may already be streaming into a temp file beside it):
// given another target with it, the write still goes to the sink's own, never across directories.
test('a sink is written to its own target, whatever target comes with it', () => {
  const { dir, file, sink } = setUp('e.json')
  const elsewhere = path.join(tmpDir('swj-sink-elsewhere'), 'other.json')
  sink.push(['"mine"'], [0, 0, 0, 0])
  binding.write({ given: elsewhere, absolute: elsewhere }, sink, {}, false, null, null)
  expect(fs.readFileSync(file, 'utf8')).toBe('"mine"')
  expect(fs.existsSync(elsewhere)).toBe(false)
  expect(leftovers(dir)).toEqual([])
})
