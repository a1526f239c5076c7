// Guarantee 6 for a write whose text is copied out of JavaScript in later turns (a big text that
// is not walked, or `incremental: true`): its promise settles in call order with the other calls
// of its file. It used to settle only once the loop feeding its text woke from `sink.next()`,
// which resolves from the libuv pool: with that pool busy (any app's fs, dns, crypto or zlib
// work), a later write of the same file settled first. Found by the model test under Wine
// (seed 907701651): async small, big, small, then a Sync write, one run; the big one settled
// after the last small one (both cases failed with order [0, 2, 1], on Linux and under Wine). The
// call now settles from its write's own promise, the feeding loop going on detached (index.js,
// feedTheRest).
//
// The pool is made busy for real, in a child process (its pool sized 1 before it starts): its
// only thread blocks opening a FIFO (Unix) or reading a named pipe (Windows) until the child
// lets it go, once the last write of the file has settled.
const { runNodeScript } = require('./helpers')

const CHILD = String.raw`
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const swj = require(process.cwd())
const [withSync] = process.argv.slice(1)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-fed-order-'))
const file = path.join(dir, 'a.json')

// Occupy the pool's one thread until the returned function is called.
function blockPool(then) {
  if (process.platform !== 'win32') {
    const fifo = path.join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    // Blocks until a writer opens it; O_RDWR opens without waiting for a reader.
    fs.open(fifo, 'r', (err, fd) => err || fs.close(fd, () => {}))
    return then(() => fs.closeSync(fs.openSync(fifo, fs.constants.O_RDWR)))
  }
  const pipe = '\\\\.\\pipe\\swj-fed-order-' + process.pid
  let client
  const server = net.createServer((socket) => (client = socket)).listen(pipe, () => {
    fs.open(pipe, 'r+', (err, fd) => {
      if (err) throw err
      // A synchronous handle: ReadFile blocks the pool thread until the server writes.
      fs.read(fd, Buffer.alloc(1), 0, 1, null, () => fs.close(fd, () => server.close()))
      then(() => client.end('x'))
    })
  })
}

// A superseded incremental write settles with the write that superseded it, while its feeding
// loop is parked on the busy pool: once the pool lets go, no more of its data is read (no getter
// runs after the call settled: the caller may be changing the data by then).
if (withSync === 'superseded') {
  blockPool((unblock) => {
    let settled = false
    let after = 0
    const big = Array.from({ length: 200000 }, (_, i) => ({ i }))
    for (let i = 1000; i < big.length; i += 1000) {
      Object.defineProperty(big[i], 'g', {
        enumerable: true,
        get() {
          if (settled) after++
          return 1
        },
      })
    }
    const first = swj.safeWriteJson(file, { c: 0 })
    const a = swj.safeWriteJson(file, big, { incremental: true }).then(() => (settled = true))
    const b = swj.safeWriteJson(file, { c: 2 })
    Promise.all([first, a, b]).then(() => {
      unblock()
      setTimeout(() => {
        const last = JSON.parse(fs.readFileSync(file, 'utf8')).c
        const left = fs.readdirSync(dir).filter((name) => name !== 'a.json' && name !== 'fifo')
        fs.rmSync(dir, { recursive: true, force: true })
        console.log(JSON.stringify({ after, last, left }))
      }, 500)
    })
  })
} else blockPool((unblock) => {
  const order = []
  // Not walked (two members), and past 64K characters: copied in later turns.
  const big = { c: 1, text: 'x'.repeat(100000) }
  const written = [
    swj.safeWriteJson(file, { c: 0 }).then(() => order.push(0)),
    swj.safeWriteJson(file, big).then(() => order.push(1)),
    swj.safeWriteJson(file, { c: 2 }).then(() => {
      order.push(2)
      unblock()
    }),
  ]
  if (withSync === 'sync') swj.safeWriteJsonSync(file, { c: 3 })
  Promise.all(written).then(() => {
    const last = JSON.parse(fs.readFileSync(file, 'utf8')).c
    fs.rmSync(dir, { recursive: true, force: true })
    console.log(JSON.stringify({ order, last }))
  })
})
`

const run = (how) => runNodeScript(CHILD, [how], { env: { UV_THREADPOOL_SIZE: '1' } })

describe('a write whose text is copied in later turns settles in call order while the libuv pool is busy', () => {
  test('async small, big, small of one file', () => {
    expect(run('async')).toEqual({ order: [0, 1, 2], last: 2 })
  })

  test('async small, big, small, then a Sync write of the file, in one run', () => {
    expect(run('sync')).toEqual({ order: [0, 1, 2], last: 3 })
  })

  test('a superseded incremental write reads no more of its data once it has settled', () => {
    expect(run('superseded')).toEqual({ after: 0, last: 2, left: [] })
  })
})
