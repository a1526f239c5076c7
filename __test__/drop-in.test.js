// safeWriteFile as a drop-in for write-file-atomic and atomically: the call forms their users
// write — an encoding (as the third argument or `{ encoding }`), `chown`, `mode` as an octal
// string or `false`, `fsync`, any ArrayBufferView as data, keys forwarded as `undefined` — give
// what those packages' own real-disk tests expect, and what `fs.writeFile` writes for the same
// arguments. Every misuse of these forms gets its documented error and leaves the disk as it was.
// Both twins, each case: the Sync one as a throw, the async one as a rejection.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { safeWriteFile, safeWriteFileSync } = require('..')
const { tmpDir, snapshot, isRoot } = require('./helpers')

const ROOT = path.resolve(__dirname, '..')
const posix = process.platform !== 'win32'

// [name, write(file, data, options): a promise for both, so that each test runs both twins]
const twins = [
  ['safeWriteFile', (...args) => safeWriteFile(...args)],
  ['safeWriteFileSync', async (...args) => safeWriteFileSync(...args)],
]

const scratch = tmpDir('swj-dropin')
let count = 0
/** A new path; the file does not exist yet. */
const fresh = (name = 'f.txt') => path.join(scratch, `${++count}-${name}`)

/** What `fs.writeFileSync` puts on disk for these arguments: the reference bytes. */
function bytesOfFs(data, options) {
  const reference = fresh('fs.txt')
  fs.writeFileSync(reference, data, options)
  return fs.readFileSync(reference)
}

// Decided at load time: where a symlink cannot be made (Windows without the privilege, Wine,
// which reports success and makes nothing) the symlink case cannot be set up, and says skipped.
const withLinks = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-dropin-probe-'))
  try {
    fs.symlinkSync(dir, path.join(dir, 'link'))
    return fs.lstatSync(path.join(dir, 'link')).isSymbolicLink() ? test : test.skip
  } catch {
    return test.skip
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})()

const ownerOf = (file) => (({ uid, gid }) => ({ uid, gid }))(fs.statSync(file))
const modeOf = (file) => fs.statSync(file).mode & 0o7777

describe.each(twins)('%s', (_name, write) => {
  describe('encoding of string data', () => {
    const text = 'Grüße, ☃ and 😀 — 0x7f: \x7f'
    const encodings = [
      'utf8',
      'utf-8',
      'UTF8',
      'utf16le',
      'utf-16le',
      'ucs2',
      'latin1',
      'binary',
      'ascii',
      'base64',
      'base64url',
      'hex',
    ]
    test.each(encodings)(
      '%s, as the third argument and as { encoding }: the bytes fs.writeFile writes',
      async (encoding) => {
        // Base64 and hex decode the string: give them text of their own alphabet.
        const data = { base64: 'R3LDvMOfZQ==', base64url: 'R3LDvMOfZQ', hex: 'c3a9e29883' }[encoding] ?? text
        const expected = bytesOfFs(data, encoding)
        for (const options of [encoding, { encoding }]) {
          const file = fresh()
          await write(file, data, options)
          expect(fs.readFileSync(file).equals(expected)).toBe(true)
        }
      },
    )

    test("utf16le writes two bytes per character (the peers' own case)", async () => {
      const file = fresh()
      await write(file, 'foo', 'utf16le')
      expect(fs.readFileSync(file, 'latin1')).toBe('f\0o\0o\0')
    })

    test('null and an absent encoding are UTF-8', async () => {
      for (const options of [{ encoding: null }, undefined, null, {}]) {
        const file = fresh()
        await write(file, 'é', options)
        expect(fs.readFileSync(file)).toEqual(Buffer.from([0xc3, 0xa9]))
      }
    })

    test('bytes are written as they are, whatever the encoding', async () => {
      const file = fresh()
      await write(file, Buffer.from([0xff, 0x00, 0x41]), 'hex')
      expect(fs.readFileSync(file)).toEqual(Buffer.from([0xff, 0x00, 0x41]))
    })
  })

  describe('any ArrayBufferView as data: the bytes it views', () => {
    const backing = Uint8Array.from({ length: 32 }, (_, i) => i * 7).buffer
    test.each([
      ['a Buffer', Buffer.from('42')],
      ['a Uint8Array', new Uint8Array([0x34, 0x32])],
      ['a Buffer slice of a larger buffer', Buffer.from(backing).subarray(5, 9)],
      ['a Uint16Array at an offset', new Uint16Array(backing, 4, 3)],
      ['an Int32Array', new Int32Array([-1, 2 ** 30, 7])],
      ['a Float64Array', new Float64Array([Math.PI, -0, Infinity])],
      ['a BigUint64Array', new BigUint64Array([2n ** 63n + 5n])],
      ['a DataView at an offset', new DataView(backing, 3, 10)],
      ['an empty DataView', new DataView(backing, 32, 0)],
    ])('%s: the same bytes as fs.writeFile', async (_label, data) => {
      const file = fresh()
      await write(file, data)
      const expected = bytesOfFs(data)
      expect(expected.length).toBe(data.byteLength)
      expect(fs.readFileSync(file).equals(expected)).toBe(true)
    })

    test('the view is copied during the call: changing it afterwards changes nothing', async () => {
      const file = fresh()
      const data = new Uint16Array([0x3231, 0x3433])
      const written = write(file, new DataView(data.buffer, 1, 2))
      data.fill(0)
      await written
      expect(fs.readFileSync(file, 'latin1')).toBe('23')
    })
  })

  describe('mode as an octal string, or false', () => {
    test.each([
      ['0741', 0o741],
      ['741', 0o741],
      ['0600', 0o600],
      ['4755', 0o4755],
    ])('%s is applied exactly', async (mode, bits) => {
      const file = fresh()
      await write(file, 'x', { mode })
      if (posix) expect(modeOf(file)).toBe(bits)
    })

    const onPosix = posix ? test : test.skip
    // write-file-atomic takes `mode == null` as the default, and `fs.writeFile` takes `null`.
    onPosix.each([false, null])(
      '%s is the default: an existing file keeps its mode, a new one gets 0o666 & ~umask',
      async (mode) => {
        const file = fresh()
        fs.writeFileSync(file, 'old', { mode: 0o640 })
        fs.chmodSync(file, 0o640)
        await write(file, 'new', { mode })
        expect(modeOf(file)).toBe(0o640)
        const created = fresh()
        await write(created, 'new', { mode })
        expect(modeOf(created)).toBe(0o666 & ~process.umask())
      },
    )

    onPosix("a mode once given stays through later default writes (the peers' own case)", async () => {
      const file = fresh()
      await write(file, '42', { mode: '741' })
      await write(file, '43')
      expect(modeOf(file)).toBe(0o741)
      expect(fs.readFileSync(file, 'utf8')).toBe('43')
    })
  })

  describe('chown', () => {
    const asRoot = posix && isRoot ? test : test.skip
    asRoot('{ uid, gid } sets the owner, with or without a mode (root here)', async () => {
      const file = fresh()
      await write(file, '42', { chown: { uid: 42, gid: 43 } })
      expect(ownerOf(file)).toEqual({ uid: 42, gid: 43 })
      const both = fresh()
      await write(both, '42', { mode: 0o741, chown: { uid: 42, gid: 43 } })
      expect(ownerOf(both)).toEqual({ uid: 42, gid: 43 })
      expect(modeOf(both)).toBe(0o741)
    })

    asRoot('the owner once given stays through writes that name none, or chown: false or null', async () => {
      const file = fresh()
      await write(file, '42', { chown: { uid: 42, gid: 43 } })
      await write(file, '43', { mode: '0741' })
      await write(file, '44')
      await write(file, '45', { chown: false })
      await write(file, '46', { chown: null }) // write-file-atomic's `chown == null`: the default
      expect(ownerOf(file)).toEqual({ uid: 42, gid: 43 })
      expect(fs.readFileSync(file, 'utf8')).toBe('46')
    })

    // Changing a file's owner clears its setuid and setgid bits (Linux, even for root): the
    // owner must be set before the mode, or those bits were lost.
    asRoot('setuid and setgid bits survive an owner given or kept', async () => {
      const given = fresh()
      await write(given, '1', { mode: 0o6755, chown: { uid: 42, gid: 43 } })
      expect([modeOf(given), ownerOf(given)]).toEqual([0o6755, { uid: 42, gid: 43 }])
      const kept = fresh()
      fs.writeFileSync(kept, '0')
      fs.chownSync(kept, 42, 43)
      fs.chmodSync(kept, 0o6755)
      await write(kept, '1')
      expect([modeOf(kept), ownerOf(kept)]).toEqual([0o6755, { uid: 42, gid: 43 }])
    })

    asRoot("an id of -1 is left the writer's, not the previous file's", async () => {
      const file = fresh()
      await write(file, '1', { chown: { uid: 42, gid: 43 } })
      await write(file, '2', { chown: { uid: -1, gid: 44 } })
      expect(ownerOf(file)).toEqual({ uid: process.getuid(), gid: 44 })
    })

    // A user who may not give files away (EPERM) still gets the file written, as its own: the
    // contract's "where permitted", and what write-file-atomic does for non-root users.
    asRoot("where not permitted (an unprivileged user), the write succeeds and the file is the writer's", () => {
      const dir = tmpDir('swj-dropin-user')
      fs.chmodSync(dir, 0o777)
      const file = path.join(dir, 'f.txt')
      const script = `const { safeWriteFileSync, safeWriteFile } = require(${JSON.stringify(ROOT)})
        const options = { chown: { uid: 0, gid: 0 } }
        safeWriteFileSync(${JSON.stringify(file)}, 'sync', options)
        safeWriteFile(${JSON.stringify(file + '2')}, 'async', options).then(() => {}, (e) => { console.error(e); process.exit(1) })`
      const child = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' })
      expect(child.stderr).toBe('')
      expect(child.status).toBe(0)
      expect(fs.readFileSync(file, 'utf8')).toBe('sync')
      expect(ownerOf(file)).toEqual({ uid: 65534, gid: 65534 })
      expect(fs.readFileSync(file + '2', 'utf8')).toBe('async')
      expect(ownerOf(file + '2')).toEqual({ uid: 65534, gid: 65534 })
    })
  })

  describe('fsync', () => {
    test.each([
      [{ fsync: false }],
      [{ fsync: true }],
      [{ fsync: true, durability: 'data' }],
      [{ fsync: true, durability: 'full' }],
      [{ fsync: false, durability: 'none' }],
    ])('%j writes', async (options) => {
      const file = fresh()
      await write(file, 'x', options)
      expect(fs.readFileSync(file, 'utf8')).toBe('x')
    })
  })

  test('keys forwarded as undefined count as absent: the defaults, the old mode and owner kept', async () => {
    const file = fresh()
    fs.writeFileSync(file, 'old')
    fs.chmodSync(file, 0o604)
    if (posix && isRoot) fs.chownSync(file, 42, 43)
    const forwarded = { encoding: undefined, chown: undefined, mode: undefined, fsync: undefined }
    await write(file, 'new', forwarded)
    expect(fs.readFileSync(file, 'utf8')).toBe('new')
    if (posix) expect(modeOf(file)).toBe(0o604)
    if (posix && isRoot) expect(ownerOf(file)).toEqual({ uid: 42, gid: 43 })
  })

  withLinks("writes through a symlink without replacing it (the peers' own case)", async () => {
    const file = fresh()
    const link = `${file}.link`
    fs.writeFileSync(file, '42')
    fs.symlinkSync(file, link)
    await write(link, '43', 'utf8')
    expect(fs.readFileSync(file, 'utf8')).toBe('43')
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true)
  })
})

// Seen from outside, under strace: the fsync calls one write really makes. `fsync: false` makes
// none; `fsync: true` fsyncs the file and its directory, as the default does.
const straceWorks =
  process.platform === 'linux' &&
  spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { timeout: 30_000 }).status === 0
describe('fsync as the system sees it', () => {
  const withStrace = straceWorks ? test : test.skip
  /** How many fsync/fdatasync calls the writes of `script` made on files under `dir`. */
  function fsyncsUnder(dir, script) {
    const log = path.join(tmpDir('swj-dropin-strace'), 'trace')
    const child = spawnSync(
      'strace',
      ['-f', '-qq', '-y', '-e', 'trace=fsync,fdatasync', '-o', log, process.execPath, '-e', script],
      { encoding: 'utf8', timeout: 120_000 },
    )
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    // `1234 fsync(23</tmp/swj-x/.f.txt.Ab3dE9xZ.tmp>) = 0`, or split in two lines by another thread.
    return fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => /f(data)?sync\(\d+</.test(line) && (line.includes(`<${dir}>`) || line.includes(`<${dir}/`)))
      .length
  }
  const writes = (dir, options) => `const { safeWriteFileSync, safeWriteFile } = require(${JSON.stringify(ROOT)})
    safeWriteFileSync(${JSON.stringify(path.join(dir, 'sync.txt'))}, 'x', ${JSON.stringify(options)})
    safeWriteFile(${JSON.stringify(path.join(dir, 'async.txt'))}, 'y', ${JSON.stringify(options)})
      .then(() => {}, (e) => { console.error(e); process.exit(1) })`

  withStrace('fsync: false makes no fsync at all', () => {
    const dir = fs.realpathSync(tmpDir('swj-dropin-nofsync'))
    expect(fsyncsUnder(dir, writes(dir, { fsync: false }))).toBe(0)
  })

  withStrace('fsync: true fsyncs each file and the directory, as no option does', () => {
    const dir = fs.realpathSync(tmpDir('swj-dropin-fsync'))
    const asked = fsyncsUnder(dir, writes(dir, { fsync: true }))
    const other = fs.realpathSync(tmpDir('swj-dropin-default'))
    const byDefault = fsyncsUnder(other, writes(other, {}))
    // Two files, each fsynced, and the directory at least once (its fsyncs may be shared).
    expect(asked).toBeGreaterThanOrEqual(3)
    expect(asked).toBe(byDefault)
  })
})

// Each misuse of the call forms: its error (class, code, message) and no change on disk.
const { type, value, range } = require('./expected-errors')
const boom = new Error('getter boom')
const throwing = (key) =>
  Object.defineProperty({}, key, {
    enumerable: true,
    get() {
      throw boom
    },
  })
const OCTAL = 'must be a 32-bit unsigned integer or an octal string'
const CHOWN = 'an object with uid and gid, or false'
const CONTRADICTS = (durability) =>
  `contradicts options.durability '${durability}' (fsync: false means durability: 'none')`
const DATA = 'of type string or an instance of Buffer, TypedArray, or DataView'

// [what is wrong, data, options, expected]
const misuses = [
  // write-file-atomic and atomically write an empty file for these: a bug upstream, refused here.
  ['data undefined', undefined, 'utf8', type('data', DATA, 'undefined')],
  ['data null', null, {}, type('data', DATA, 'null')],
  ['data an ArrayBuffer (not a view)', new ArrayBuffer(2), undefined, type('data', DATA, 'an instance of ArrayBuffer')],
  ['an unknown encoding', 'x', 'utf9', value('encoding', 'is invalid encoding', "'utf9'")],
  ["encoding 'buffer'", 'x', { encoding: 'buffer' }, value('options.encoding', 'is invalid encoding', "'buffer'")],
  ['encoding a number', 'x', { encoding: 8 }, value('options.encoding', 'is invalid encoding', '8')],
  ['an unknown encoding with bytes', Buffer.from('x'), { encoding: 'utf9' }, value('options.encoding', 'is invalid encoding', "'utf9'")],
  ['the third argument a number', 'x', 2, type('options', 'of type string or object', 'type number (2)')],
  ['mode a non-octal string', 'x', { mode: '0o644' }, value('options.mode', OCTAL, "'0o644'")],
  ['mode an empty string', 'x', { mode: '' }, value('options.mode', OCTAL, "''")],
  ['mode a decimal-looking string', 'x', { mode: '0998' }, value('options.mode', OCTAL, "'0998'")],
  ["mode '10000'", 'x', { mode: '10000' }, range('options.mode', 'an integer >= 0 && <= 4095', '4096')],
  ['mode true', 'x', { mode: true }, type('options.mode', 'a number, an octal string or false', 'type boolean (true)')],
  ['fsync 0', 'x', { fsync: 0 }, type('options.fsync', 'of type boolean', 'type number (0)')],
  ["fsync false with durability 'full'", 'x', { fsync: false, durability: 'full' }, value('options.fsync', CONTRADICTS('full'), 'false')],
  ["fsync false with durability 'data'", 'x', { fsync: false, durability: 'data' }, value('options.fsync', CONTRADICTS('data'), 'false')],
  ["fsync true with durability 'none'", 'x', { fsync: true, durability: 'none' }, value('options.fsync', CONTRADICTS('none'), 'true')],
  ['chown true', 'x', { chown: true }, type('options.chown', CHOWN, 'type boolean (true)')],
  ['chown an array', 'x', { chown: [0, 0] }, type('options.chown', CHOWN, 'an instance of Array')],
  ['chown without gid', 'x', { chown: { uid: 1 } }, type('options.chown.gid', 'of type number', 'undefined')],
  ['chown uid a string', 'x', { chown: { uid: '1', gid: 1 } }, type('options.chown.uid', 'of type number', "type string ('1')")],
  ['chown uid 1.5', 'x', { chown: { uid: 1.5, gid: 1 } }, range('options.chown.uid', 'an integer', '1.5')],
  ['chown gid -2', 'x', { chown: { uid: 1, gid: -2 } }, range('options.chown.gid', '>= -1 && <= 4294967295', '-2')],
  ['chown uid 2 ** 32', 'x', { chown: { uid: 2 ** 32, gid: 1 } }, range('options.chown.uid', '>= -1 && <= 4294967295', '4294967296')],
  ['a typo of a peer option', 'x', { fsycn: false }, { kind: TypeError, code: 'ERR_INVALID_ARG_VALUE', message: /^The property 'options\.fsycn' is not a supported option/ }],
  ['a peer option this package has not', 'x', { tmpfileCreated: () => {} }, { kind: TypeError, code: 'ERR_INVALID_ARG_VALUE', message: /^The property 'options\.tmpfileCreated' is not a supported option/ }],
  ['a throwing chown getter', 'x', throwing('chown'), { same: boom }],
  ['a throwing uid getter', 'x', { chown: throwing('uid') }, { same: boom }],
] // prettier-ignore

describe('misuse: the documented error, and the disk as it was', () => {
  const dir = tmpDir('swj-dropin-bad')
  const file = path.join(dir, 'state.txt')
  fs.writeFileSync(file, 'old')
  const rows = misuses.flatMap(([label, data, options, expected]) => [
    ['safeWriteFile', label, () => safeWriteFile(file, data, options), expected],
    ['safeWriteFileSync', label, () => safeWriteFileSync(file, data, options), expected],
  ])
  test.each(rows)('%s: %s', async (name, _label, call, expected) => {
    const before = snapshot(dir)
    let err
    if (name.endsWith('Sync')) {
      try {
        call()
      } catch (thrown) {
        err = thrown
      }
      expect(err).toBeDefined()
    } else {
      // Never a synchronous throw: a rejected promise.
      const promise = call()
      expect(promise).toBeInstanceOf(Promise)
      err = await promise.then(
        () => {
          throw new Error('resolved')
        },
        (rejected) => rejected,
      )
    }
    if (expected.same) {
      expect(err).toBe(expected.same)
    } else {
      expect(err).toBeInstanceOf(expected.kind)
      expect(err.code).toBe(expected.code)
      if (expected.message instanceof RegExp) expect(err.message).toMatch(expected.message)
      else expect(err.message).toBe(expected.message)
    }
    expect(snapshot(dir)).toEqual(before)
  })
})
