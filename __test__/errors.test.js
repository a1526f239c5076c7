// Errors are part of the API: every bad input gets the documented error, the async functions
// reject (never throw), the Sync ones throw, and nothing on disk changes.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { safeWriteJson, safeWriteJsonSync, safeWriteFile, safeWriteFileSync } = require('..')
const { tmpDir, leftovers, snapshot, isRoot, mountTmpfs, tmpfsTest, fillUp } = require('./helpers')

let dir
beforeEach(() => {
  dir = tmpDir()
})

/** Call the async and the Sync variant; both must fail the same way and change nothing. */
async function bothFail(call, syncCall) {
  const before = snapshot(dir)
  let rejected
  const promise = call()
  expect(promise).toBeInstanceOf(Promise)
  await promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (err) => {
      rejected = err
    },
  )
  let thrown
  try {
    syncCall()
  } catch (err) {
    thrown = err
  }
  expect(thrown).toBeDefined()
  expect(thrown.constructor).toBe(rejected.constructor)
  expect(thrown.message).toBe(rejected.message)
  expect(thrown.code).toBe(rejected.code)
  expect(snapshot(dir)).toEqual(before)
  return rejected
}

const json = (args) =>
  bothFail(
    () => safeWriteJson(...args),
    () => safeWriteJsonSync(...args),
  )
const file = (args) =>
  bothFail(
    () => safeWriteFile(...args),
    () => safeWriteFileSync(...args),
  )

describe('what JSON.stringify would throw', () => {
  test('a circular structure: the same TypeError and message, nothing created', async () => {
    const data = { name: 'loop', child: {} }
    data.child.parent = data
    let expected
    try {
      JSON.stringify(data)
    } catch (err) {
      expected = err
    }
    const target = path.join(dir, 'missing-parent', 'a.json')
    const err = await json([target, data])
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toBe(expected.message)
    expect(fs.existsSync(path.join(dir, 'missing-parent'))).toBe(false)
  })

  test('a BigInt: the same TypeError', async () => {
    const err = await json([path.join(dir, 'b.json'), { n: 1n }])
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toBe('Do not know how to serialize a BigInt')
  })

  test('a throwing getter, toJSON or replacer: the very value thrown', async () => {
    const boom = new Error('boom')
    const getter = {
      get x() {
        throw boom
      },
    }
    await expect(safeWriteJson(path.join(dir, 'g.json'), getter)).rejects.toBe(boom)
    expect(() => safeWriteJsonSync(path.join(dir, 'g.json'), getter)).toThrow(boom)
    const notAnError = { reason: 'plain object' }
    const toJSON = {
      toJSON() {
        throw notAnError
      },
    }
    await expect(safeWriteJson(path.join(dir, 't.json'), toJSON)).rejects.toBe(notAnError)
    const replacer = () => {
      throw boom
    }
    await expect(safeWriteJson(path.join(dir, 'r.json'), {}, { replacer })).rejects.toBe(boom)
    expect(fs.readdirSync(dir)).toEqual([])
  })

  test('nesting too deep for JSON.stringify: its RangeError, not a crash', async () => {
    let deep = []
    for (let i = 0; i < 1e6; i++) deep = [deep]
    const err = await json([path.join(dir, 'deep.json'), deep])
    expect(err).toBeInstanceOf(RangeError)
    expect(err.message).toBe('Maximum call stack size exceeded')
  })
})

describe('bad arguments', () => {
  const target = () => path.join(dir, 'x.json')

  test.each([
    ['a number', 42, 'Received type number (42)'],
    ['undefined', undefined, 'Received undefined'],
    ['null', null, 'Received null'],
    ['an object', {}, 'Received an instance of Object'],
    ['a Buffer', Buffer.from('/tmp/x'), 'Received an instance of Buffer'],
    ['a function', function named() {}, 'Received function named'],
  ])('path is %s: ERR_INVALID_ARG_TYPE', async (_label, badPath, received) => {
    const err = await json([badPath, {}])
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(err.message).toBe(`The "path" argument must be of type string or an instance of URL. ${received}`)
    await file([badPath, 'x'])
  })

  test('an empty path: ERR_INVALID_ARG_VALUE', async () => {
    const err = await json(['', {}])
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toBe("The argument 'path' must be a non-empty string. Received ''")
  })

  test('a path with a NUL byte: ERR_INVALID_ARG_VALUE', async () => {
    const err = await json([path.join(dir, 'a\0b.json'), {}])
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toMatch(
      /^The argument 'path' must be a string, Uint8Array, or URL without null bytes\. Received '.*a\\x00b\.json'$/,
    )
  })

  test('a URL that is not file: is ERR_INVALID_URL_SCHEME', async () => {
    const err = await json([new URL('https://example.com/x.json'), {}])
    expect(err.code).toBe('ERR_INVALID_URL_SCHEME')
    expect(err.message).toBe('The URL must be of scheme file')
  })

  test('a file: URL with an encoded slash is ERR_INVALID_FILE_URL_PATH', async () => {
    const err = await json([new URL('file:///tmp/a%2Fb.json'), {}])
    expect(err.code).toBe('ERR_INVALID_FILE_URL_PATH')
  })

  test.each([
    ['a boolean', true, 'Received type boolean (true)'],
    ['an array', [], 'Received an instance of Array'],
    ['a function', () => {}, 'Received function '],
    ['a bigint', 2n, 'Received type bigint (2n)'],
  ])('options is %s: ERR_INVALID_ARG_TYPE', async (_label, options, received) => {
    const err = await json([target(), {}, options])
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(err.message).toBe(`The "options" argument must be of type number, string or object. ${received}`)
  })

  test('safeWriteFile takes no indent as its third argument (a string there is an encoding)', async () => {
    const err = await file([target(), 'x', 2])
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(err.message).toBe('The "options" argument must be of type string or object. Received type number (2)')
  })

  test.each([
    ['a typo', { indnet: 2 }, "The property 'options.indnet' is not a supported option"],
    [
      'an unknown durability',
      { durability: 'fast' },
      "The property 'options.durability' must be one of: 'full', 'data', 'none'. Received 'fast'",
    ],
  ])('%s: ERR_INVALID_ARG_VALUE', async (_label, options, message) => {
    const err = await json([target(), {}, options])
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message.startsWith(message)).toBe(true)
  })

  test('an unknown option of safeWriteFile, even a JSON one', async () => {
    const err = await file([target(), 'x', { indent: 2 }])
    expect(err.code).toBe('ERR_INVALID_ARG_VALUE')
    expect(err.message).toBe(
      "The property 'options.indent' is not a supported option (supported: durability, mode, lock, lockTimeoutMs, backup, encoding, chown, fsync). Received 2",
    )
  })

  test.each([
    ['indent', { indent: true }, 'of type number or string', 'type boolean (true)'],
    ['indent', { indent: {} }, 'of type number or string', 'an instance of Object'],
    ['replacer', { replacer: 'key' }, 'a function, an array or null', "type string ('key')"],
    ['finalNewline', { finalNewline: 1 }, 'of type boolean', 'type number (1)'],
    ['prettyPrint', { prettyPrint: 'yes' }, 'of type boolean', "type string ('yes')"],
    ['durability', { durability: 1 }, 'of type string', 'type number (1)'],
    ['backup', { backup: 'yes' }, 'of type boolean', "type string ('yes')"],
    ['mode', { mode: '644' }, 'of type number', "type string ('644')"],
  ])('options.%s of the wrong type: ERR_INVALID_ARG_TYPE', async (name, options, expected, received) => {
    const err = await json([target(), {}, options])
    expect(err).toBeInstanceOf(TypeError)
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(err.message).toBe(`The "options.${name}" property must be ${expected}. Received ${received}`)
  })

  test.each([[0o10000], [-1], [1.5], [NaN], [Infinity]])('mode %s: ERR_OUT_OF_RANGE', async (mode) => {
    const err = await json([target(), {}, { mode }])
    expect(err).toBeInstanceOf(RangeError)
    expect(err.code).toBe('ERR_OUT_OF_RANGE')
    expect(err.message).toBe(
      `The value of "options.mode" is out of range. It must be an integer >= 0 && <= 4095. Received ${mode}`,
    )
  })

  test('safeWriteFile data must be a string or an ArrayBufferView, as fs.writeFile says', async () => {
    for (const [data, received] of [
      [{ a: 1 }, 'an instance of Object'],
      [42, 'type number (42)'],
      [new ArrayBuffer(2), 'an instance of ArrayBuffer'],
    ]) {
      const err = await file([target(), data])
      expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
      expect(err.message).toBe(
        `The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${received}`,
      )
    }
  })

  test('undefined-valued options count as absent; boxed indents are indents', async () => {
    await safeWriteJson(target(), [1], { indent: undefined, replacer: undefined, mode: undefined })
    expect(fs.readFileSync(target(), 'utf8')).toBe('[1]')
    await safeWriteJson(target(), [1], new Number(1))
    expect(fs.readFileSync(target(), 'utf8')).toBe('[\n 1\n]')
    await safeWriteJson(target(), [1], { indent: new String('..') })
    expect(fs.readFileSync(target(), 'utf8')).toBe('[\n..1\n]')
  })
})

describe('file-system failures, like fs', () => {
  test('a directory as the target: EISDIR', async () => {
    const err = await json([dir, { a: 1 }])
    expect(err.code).toBe('EISDIR')
    expect(err.syscall).toBe('open')
    expect(err.path).toBe(dir)
    expect(err.errno).toBe(process.platform === 'win32' ? -4068 : -21)
    expect(err.message).toBe(`EISDIR: illegal operation on a directory, open '${dir}'`)
  })

  test('a file where a directory should be: ENOTDIR naming that file', async () => {
    const blocker = path.join(dir, 'blocker')
    fs.writeFileSync(blocker, 'I am a file')
    const err = await json([path.join(blocker, 'sub', 'x.json'), {}])
    expect(err.code).toBe('ENOTDIR')
    expect(err.path).toBe(blocker)
    expect(err.message).toMatch(/^ENOTDIR: not a directory, \w+ '/)
    expect(fs.readFileSync(blocker, 'utf8')).toBe('I am a file')
  })

  test('a relative path is reported as the caller wrote it', async () => {
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      fs.mkdirSync('sub')
      const err = await safeWriteJson('sub', {}).catch((e) => e)
      expect(err.path).toBe('sub')
      expect(err.message).toBe("EISDIR: illegal operation on a directory, open 'sub'")
    } finally {
      process.chdir(cwd)
    }
  })

  test('a name longer than the file system allows: ENAMETOOLONG', async () => {
    const long = path.join(dir, 'x'.repeat(300) + '.json')
    const err = await json([long, {}])
    expect(err.code).toBe('ENAMETOOLONG')
    expect(err.path).toBe(long)
  })

  // POSIX only: on Windows, permission bits on a directory do not stop writes into it
  // (windows.test.js covers access denied there).
  const posix = process.platform === 'win32' ? test.skip : test
  posix('a directory this user may not write: EACCES', async () => {
    const locked = path.join(dir, 'locked')
    fs.mkdirSync(locked)
    fs.writeFileSync(path.join(locked, 'a.json'), '"old"')
    fs.chmodSync(locked, 0o555)
    try {
      if (isRoot) {
        // Root may write anywhere: run the write as an unprivileged user instead.
        const script = `require(${JSON.stringify(path.resolve(__dirname, '..'))}).safeWriteJson(${JSON.stringify(path.join(locked, 'a.json'))}, {new: true}).then(() => console.log('{}'), (e) => console.log(JSON.stringify({code: e.code, syscall: e.syscall, path: e.path, message: e.message})))`
        fs.chmodSync(dir, 0o755)
        const child = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' })
        const err = JSON.parse(child.stdout)
        expect(err.code).toBe('EACCES')
        expect(err.path).toBe(path.join(locked, 'a.json'))
        expect(err.message).toMatch(/^EACCES: permission denied, open '/)
      } else {
        const err = await json([path.join(locked, 'a.json'), { new: true }])
        expect(err.code).toBe('EACCES')
      }
      expect(fs.readFileSync(path.join(locked, 'a.json'), 'utf8')).toBe('"old"')
      expect(leftovers(locked)).toEqual([])
    } finally {
      fs.chmodSync(locked, 0o755)
    }
  })
})

describe('a full disk (a real tmpfs)', () => {
  let tmpfs
  beforeAll(() => {
    tmpfs = mountTmpfs('1m')
  })
  // Where no tmpfs can be mounted the tests below are skipped (and the summary says so).
  afterAll(() => tmpfs?.unmount())

  tmpfsTest('ENOSPC leaves the old file whole and no temp file; after freeing space the write succeeds', async () => {
    const target = path.join(tmpfs.dir, 'state.json')
    const old = { version: 1, items: Array.from({ length: 100 }, (_, i) => `item ${i}`) }
    await safeWriteJson(target, old)
    const filler = fillUp(tmpfs.dir)
    const big = { version: 2, items: Array.from({ length: 5000 }, (_, i) => `item ${i}`) }
    const err = await safeWriteJson(target, big).catch((e) => e)
    expect(err.code).toBe('ENOSPC')
    expect(err.syscall).toBe('write')
    expect(err.path).toBe(target)
    expect(err.message).toBe(`ENOSPC: no space left on device, write '${target}'`)
    expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual(old)
    expect(leftovers(tmpfs.dir)).toEqual([])
    expect(() => safeWriteJsonSync(target, big)).toThrow(expect.objectContaining({ code: 'ENOSPC' }))
    expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual(old)
    fs.unlinkSync(filler)
    await safeWriteJson(target, big)
    expect(JSON.parse(fs.readFileSync(target, 'utf8'))).toEqual(big)
    expect(leftovers(tmpfs.dir)).toEqual([])
  })

  tmpfsTest('a read-only file system: EROFS, nothing changed', async () => {
    const target = path.join(tmpfs.dir, 'ro.json')
    fs.writeFileSync(target, '"before"')
    spawnSync('mount', ['-o', 'remount,ro', tmpfs.dir])
    try {
      const err = await safeWriteJson(target, 'after').catch((e) => e)
      expect(err.code).toBe('EROFS')
      expect(fs.readFileSync(target, 'utf8')).toBe('"before"')
    } finally {
      spawnSync('mount', ['-o', 'remount,rw', tmpfs.dir])
    }
  })
})

// Every error number of the operating system, turned into the error callers see by the very
// converter the writers use (an export of the failpoints build, `osErrorOfOpen`, run in a child
// process), against what Node itself says for that number: libuv's code and message, `errno`
// negated, the call and the path. ENOTCONN from a dead FUSE mount is one of them.
describe('every errno, named as Node names it', () => {
  const { FAILPOINTS_ADDON } = require('./torture-helpers')
  const os = require('node:os')
  const util = require('node:util')
  const available = process.platform !== 'win32' && fs.existsSync(FAILPOINTS_ADDON)
  const errnoTest = available ? test : test.skip
  // Names libuv (Node 20) does not have, which the binding still names: a full disk quota or a
  // stale NFS handle says more than UNKNOWN. Everything else follows Node exactly.
  const EXTRAS = { EDQUOT: 'disk quota exceeded', ESTALE: 'stale file handle' }

  errnoTest(
    `the code, errno and message of each of os.constants.errno${available ? '' : ' (skipped: no failpoints build, or Windows)'}`,
    () => {
      const numbers = [...new Set(Object.values(os.constants.errno)), 4000] // and one no OS has
      const file = path.join(dir, 'state.json')
      const script = `
      const addon = require(${JSON.stringify(FAILPOINTS_ADDON)})
      const out = {}
      for (const raw of ${JSON.stringify(numbers)}) {
        try { addon.osErrorOfOpen(raw, ${JSON.stringify(file)}) } catch (err) {
          out[raw] = { code: err.code, errno: err.errno, syscall: err.syscall, path: err.path, message: err.message }
        }
      }
      process.stdout.write(JSON.stringify(out))`
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 })
      expect(child.status).toBe(0)
      const got = JSON.parse(child.stdout)
      const mismatches = []
      for (const raw of numbers) {
        const known = util.getSystemErrorMap().get(-raw)
        const osName = Object.keys(os.constants.errno).find((name) => os.constants.errno[name] === raw)
        const [code, text] = known ?? (EXTRAS[osName] ? [osName, EXTRAS[osName]] : ['UNKNOWN', 'unknown error'])
        const want = { code, errno: -raw, syscall: 'open', path: file, message: `${code}: ${text}, open '${file}'` }
        if (!util.isDeepStrictEqual(got[raw], want)) mismatches.push({ raw, osName, want, got: got[raw] })
      }
      expect(mismatches).toEqual([])
      // The case of the issue, spelled out.
      expect(got[os.constants.errno.ENOTCONN].message).toBe(`ENOTCONN: socket is not connected, open '${file}'`)
    },
  )
})
