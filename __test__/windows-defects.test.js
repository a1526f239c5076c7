// The Windows defects of issue 13, each as the behaviour Node's own `fs` shows on Windows. Runs in
// the Windows lane (the mingw build under Wine with the official node.exe, .ci/windows-lane);
// skipped elsewhere. Where Wine cannot show a case (POSIX renames), it says so and skips.
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const { spawn, spawnSync } = require('node:child_process')
const { safeWriteJson, safeWriteJsonSync, safeReadJson, updateJson, cleanupTempFiles } = require('..')
const { tmpDir } = require('./helpers')
const { FAILPOINTS_ADDON } = require('./torture-helpers')

const onWindows = process.platform === 'win32'
// Every Wine prefix has winecfg.exe; no Windows does.
const onWine = onWindows && fs.existsSync(path.join(process.env.SystemRoot || 'C:\\windows', 'system32', 'winecfg.exe'))
const windowsTest = onWindows ? test : test.skip
const skipped = onWindows ? '' : ' (skipped: Windows only)'

/** libuv's errno for a code on this platform: what `fs` errors carry. */
const errnoOf = (code) => [...util.getSystemErrorMap()].find(([, [name]]) => name === code)[0]

/** The error `fn` throws or rejects with. */
async function failureOf(fn) {
  try {
    await fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a failure')
}

let dir
beforeEach(() => {
  dir = tmpDir('swj-windefects')
})

// libuv 1.x's uv_translate_sys_error (src/win/error.c), entry for entry: Win32 error → code.
const LIBUV_WIN32 = [
  [998, 'EACCES'], // ERROR_NOACCESS
  [10013, 'EACCES'], // WSAEACCES
  [740, 'EACCES'], // ERROR_ELEVATION_REQUIRED
  [1920, 'EACCES'], // ERROR_CANT_ACCESS_FILE
  [1227, 'EADDRINUSE'], // ERROR_ADDRESS_ALREADY_ASSOCIATED
  [10048, 'EADDRINUSE'], // WSAEADDRINUSE
  [10049, 'EADDRNOTAVAIL'], // WSAEADDRNOTAVAIL
  [10047, 'EAFNOSUPPORT'], // WSAEAFNOSUPPORT
  [10035, 'EAGAIN'], // WSAEWOULDBLOCK
  [10037, 'EALREADY'], // WSAEALREADY
  [1004, 'EBADF'], // ERROR_INVALID_FLAGS
  [6, 'EBADF'], // ERROR_INVALID_HANDLE
  [33, 'EBUSY'], // ERROR_LOCK_VIOLATION
  [231, 'EBUSY'], // ERROR_PIPE_BUSY
  [32, 'EBUSY'], // ERROR_SHARING_VIOLATION
  [995, 'ECANCELED'], // ERROR_OPERATION_ABORTED
  [10004, 'ECANCELED'], // WSAEINTR
  [1113, 'ECHARSET'], // ERROR_NO_UNICODE_TRANSLATION
  [1236, 'ECONNABORTED'], // ERROR_CONNECTION_ABORTED
  [10053, 'ECONNABORTED'], // WSAECONNABORTED
  [1225, 'ECONNREFUSED'], // ERROR_CONNECTION_REFUSED
  [10061, 'ECONNREFUSED'], // WSAECONNREFUSED
  [64, 'ECONNRESET'], // ERROR_NETNAME_DELETED
  [10054, 'ECONNRESET'], // WSAECONNRESET
  [183, 'EEXIST'], // ERROR_ALREADY_EXISTS
  [80, 'EEXIST'], // ERROR_FILE_EXISTS
  [111, 'EFAULT'], // ERROR_BUFFER_OVERFLOW
  [10014, 'EFAULT'], // WSAEFAULT
  [1232, 'EHOSTUNREACH'], // ERROR_HOST_UNREACHABLE
  [10065, 'EHOSTUNREACH'], // WSAEHOSTUNREACH
  [122, 'EINVAL'], // ERROR_INSUFFICIENT_BUFFER
  [13, 'EINVAL'], // ERROR_INVALID_DATA
  [87, 'EINVAL'], // ERROR_INVALID_PARAMETER
  [1464, 'EINVAL'], // ERROR_SYMLINK_NOT_SUPPORTED
  [10022, 'EINVAL'], // WSAEINVAL
  [10046, 'EINVAL'], // WSAEPFNOSUPPORT
  [1102, 'EIO'], // ERROR_BEGINNING_OF_MEDIA
  [1111, 'EIO'], // ERROR_BUS_RESET
  [23, 'EIO'], // ERROR_CRC
  [1166, 'EIO'], // ERROR_DEVICE_DOOR_OPEN
  [1165, 'EIO'], // ERROR_DEVICE_REQUIRES_CLEANING
  [1393, 'EIO'], // ERROR_DISK_CORRUPT
  [1129, 'EIO'], // ERROR_EOM_OVERFLOW
  [1101, 'EIO'], // ERROR_FILEMARK_DETECTED
  [31, 'EIO'], // ERROR_GEN_FAILURE
  [1106, 'EIO'], // ERROR_INVALID_BLOCK_LENGTH
  [1117, 'EIO'], // ERROR_IO_DEVICE
  [1104, 'EIO'], // ERROR_NO_DATA_DETECTED
  [205, 'EIO'], // ERROR_NO_SIGNAL_SENT
  [110, 'EIO'], // ERROR_OPEN_FAILED
  [1103, 'EIO'], // ERROR_SETMARK_DETECTED
  [156, 'EIO'], // ERROR_SIGNAL_REFUSED
  [10056, 'EISCONN'], // WSAEISCONN
  [1921, 'ELOOP'], // ERROR_CANT_RESOLVE_FILENAME
  [4, 'EMFILE'], // ERROR_TOO_MANY_OPEN_FILES
  [10024, 'EMFILE'], // WSAEMFILE
  [10040, 'EMSGSIZE'], // WSAEMSGSIZE
  [206, 'ENAMETOOLONG'], // ERROR_FILENAME_EXCED_RANGE
  [1231, 'ENETUNREACH'], // ERROR_NETWORK_UNREACHABLE
  [10051, 'ENETUNREACH'], // WSAENETUNREACH
  [10055, 'ENOBUFS'], // WSAENOBUFS
  [161, 'ENOENT'], // ERROR_BAD_PATHNAME
  [267, 'ENOENT'], // ERROR_DIRECTORY
  [203, 'ENOENT'], // ERROR_ENVVAR_NOT_FOUND
  [2, 'ENOENT'], // ERROR_FILE_NOT_FOUND
  [123, 'ENOENT'], // ERROR_INVALID_NAME
  [15, 'ENOENT'], // ERROR_INVALID_DRIVE
  [4392, 'ENOENT'], // ERROR_INVALID_REPARSE_DATA
  [126, 'ENOENT'], // ERROR_MOD_NOT_FOUND
  [3, 'ENOENT'], // ERROR_PATH_NOT_FOUND
  [11001, 'ENOENT'], // WSAHOST_NOT_FOUND
  [11004, 'ENOENT'], // WSANO_DATA
  [8, 'ENOMEM'], // ERROR_NOT_ENOUGH_MEMORY
  [14, 'ENOMEM'], // ERROR_OUTOFMEMORY
  [82, 'ENOSPC'], // ERROR_CANNOT_MAKE
  [112, 'ENOSPC'], // ERROR_DISK_FULL
  [277, 'ENOSPC'], // ERROR_EA_TABLE_FULL
  [1100, 'ENOSPC'], // ERROR_END_OF_MEDIA
  [39, 'ENOSPC'], // ERROR_HANDLE_DISK_FULL
  [2250, 'ENOTCONN'], // ERROR_NOT_CONNECTED
  [10057, 'ENOTCONN'], // WSAENOTCONN
  [145, 'ENOTEMPTY'], // ERROR_DIR_NOT_EMPTY
  [10038, 'ENOTSOCK'], // WSAENOTSOCK
  [50, 'ENOTSUP'], // ERROR_NOT_SUPPORTED
  [109, 'EOF'], // ERROR_BROKEN_PIPE
  [5, 'EPERM'], // ERROR_ACCESS_DENIED
  [1314, 'EPERM'], // ERROR_PRIVILEGE_NOT_HELD
  [230, 'EPIPE'], // ERROR_BAD_PIPE
  [232, 'EPIPE'], // ERROR_NO_DATA
  [233, 'EPIPE'], // ERROR_PIPE_NOT_CONNECTED
  [10058, 'EPIPE'], // WSAESHUTDOWN
  [10043, 'EPROTONOSUPPORT'], // WSAEPROTONOSUPPORT
  [19, 'EROFS'], // ERROR_WRITE_PROTECT
  [121, 'ETIMEDOUT'], // ERROR_SEM_TIMEOUT
  [10060, 'ETIMEDOUT'], // WSAETIMEDOUT
  [17, 'EXDEV'], // ERROR_NOT_SAME_DEVICE
  [1, 'EISDIR'], // ERROR_INVALID_FUNCTION
  [208, 'E2BIG'], // ERROR_META_EXPANSION_TOO_LONG
  [10044, 'ESOCKTNOSUPPORT'], // WSAESOCKTNOSUPPORT
  [193, 'EFTYPE'], // ERROR_BAD_EXE_FORMAT
]

describe('1. Win32 errors are named as libuv names them', () => {
  const available = onWindows && fs.existsSync(FAILPOINTS_ADDON)
  const errnoTest = available ? test : test.skip
  errnoTest(
    `each of libuv's Win32 translations: code, errno and message${available ? '' : ' (skipped: Windows with the failpoints build only)'}`,
    () => {
      const file = path.join(dir, 'state.json')
      const unknown = [303, 1460, 4000] // ERROR_DELETE_PENDING, ERROR_TIMEOUT, and one Windows does not have
      const numbers = [...LIBUV_WIN32.map(([raw]) => raw), ...unknown]
      const script = `
      const addon = require(${JSON.stringify(FAILPOINTS_ADDON)})
      const out = {}
      for (const raw of ${JSON.stringify(numbers)}) {
        try { addon.osErrorOfOpen(raw, ${JSON.stringify(file)}) } catch (err) {
          out[raw] = { code: err.code, errno: err.errno, message: err.message }
        }
      }
      require('node:fs').writeFileSync(${JSON.stringify(path.join(dir, 'out.json'))}, JSON.stringify(out))`
      const child = spawnSync(process.execPath, ['-e', script], { timeout: 60000, stdio: 'ignore' })
      expect(child.status).toBe(0)
      const got = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'))
      const map = util.getSystemErrorMap()
      const want = (code) => {
        const errno = errnoOf(code)
        return { code, errno, message: `${code}: ${map.get(errno)[1]}, open '${file}'` }
      }
      const mismatches = []
      for (const [raw, code] of [...LIBUV_WIN32, ...unknown.map((raw) => [raw, 'UNKNOWN'])]) {
        if (!util.isDeepStrictEqual(got[raw], want(code))) mismatches.push({ raw, want: want(code), got: got[raw] })
      }
      expect(mismatches).toEqual([])
      // The case of the issue: ERROR_ACCESS_DENIED is EPERM on Windows, not EACCES.
      expect(got[5]).toEqual({ code: 'EPERM', errno: -4048, message: `EPERM: operation not permitted, open '${file}'` })
    },
  )

  // Windows refuses to open a directory as a file with ERROR_ACCESS_DENIED.
  windowsTest(`a directory at the lock sidecar's name is EPERM with libuv's errno${skipped}`, async () => {
    const file = path.join(dir, 'a.json')
    fs.mkdirSync(path.join(dir, '.a.json.lock'))
    const err = await failureOf(() => safeWriteJson(file, 1))
    expect({ code: err.code, errno: err.errno, syscall: err.syscall, path: err.path }).toEqual({
      code: 'EPERM',
      errno: errnoOf('EPERM'),
      syscall: 'open',
      path: file,
    })
    expect(fs.existsSync(file)).toBe(false)
  })
})

windowsTest(`2. safeReadJson(<directory>) is EISDIR, as fs.readFileSync says${skipped}`, async () => {
  const err = await failureOf(() => safeReadJson(dir))
  const node = await failureOf(() => fs.readFileSync(dir))
  expect([err.code, err.errno]).toEqual([node.code, node.errno])
  expect(err.code).toBe('EISDIR')
})

windowsTest(`3. cleanupTempFiles(<a file>) is ENOTDIR, as fs.readdirSync says${skipped}`, async () => {
  const file = path.join(dir, 'plain.json')
  fs.writeFileSync(file, '{}')
  const err = await failureOf(() => cleanupTempFiles(file))
  const node = await failureOf(() => fs.readdirSync(file))
  expect({ code: err.code, errno: err.errno, syscall: err.syscall, path: err.path }).toEqual({
    code: node.code,
    errno: node.errno,
    syscall: node.syscall,
    path: file,
  })
  expect(err.code).toBe('ENOTDIR')
})

describe('4. reserved DOS names are ordinary files, as with fs', () => {
  for (const name of ['aux.json', 'con.json', 'nul.json', 'com1.json', 'lpt1.json', 'prn']) {
    windowsTest(`${name}: written, backed up, updated and read back${skipped}`, async () => {
      const file = path.join(dir, name)
      await safeWriteJson(file, { v: 1 })
      safeWriteJsonSync(file, { v: 2 }, { backup: true })
      expect(await updateJson(file, (data) => ({ v: data.v + 1 }))).toEqual({ v: 3 })
      expect(await safeReadJson(file)).toEqual({ v: 3 })
      expect(fs.readFileSync(file, 'utf8')).toBe('{"v":3}')
      expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe('{"v":1}')
      expect(fs.readdirSync(dir).sort()).toEqual([name, `${name}.bak`].sort())
    })
  }

  windowsTest(`errors name the path as the caller wrote it, not its \\\\?\\ form${skipped}`, async () => {
    const file = path.join(dir, 'missing', 'aux.json')
    const err = await failureOf(() => safeReadJson(file))
    expect([err.code, err.path, err.message]).toEqual([
      'ENOENT',
      file,
      `ENOENT: no such file or directory, open '${file}'`,
    ])
  })
})

// Readers that share delete (fs and this package) hold the target open in a loop; each write
// must still replace it. Wine has no POSIX renames (ERROR_INVALID_PARAMETER), so there the
// MoveFileExW fallback runs, which no open handle lets through: only real Windows shows this.
const posixRenameTest = onWindows && !onWine ? test : test.skip
posixRenameTest(
  `5. readers in a loop cannot starve a write${onWindows && !onWine ? '' : ' (skipped: real Windows 10 1809+ only; Wine has no POSIX renames)'}`,
  async () => {
    const file = path.join(dir, 'busy.json')
    fs.writeFileSync(file, '0')
    const stop = path.join(dir, 'stop')
    const reader = `const fs = require('node:fs'); while (!fs.existsSync(${JSON.stringify(stop)})) { try { fs.readFileSync(${JSON.stringify(file)}) } catch {} }`
    const readers = [0, 1].map(() => spawn(process.execPath, ['-e', reader], { stdio: 'ignore' }))
    const watchdog = setTimeout(() => fs.writeFileSync(stop, ''), 60000)
    try {
      for (let i = 1; i <= 20; i++) await safeWriteJson(file, i)
      expect(fs.readFileSync(file, 'utf8')).toBe('20')
    } finally {
      clearTimeout(watchdog)
      fs.writeFileSync(stop, '')
      await Promise.all(
        readers.map((r) => new Promise((resolve) => (r.exitCode === null ? r.on('exit', resolve) : resolve()))),
      )
    }
  },
  90000,
)

// The review of the Windows code (after issue 13). These use the failpoints build, in a child
// process that writes what it saw to a file (under Wine node.exe's output cannot be a pipe).
const failpointsBuilt = fs.existsSync(FAILPOINTS_ADDON)
const failpointsSkipped = failpointsBuilt ? '' : ' (skipped: the failpoints build is missing)'

/** Run `body` (the source of an async function of `api`, the failpoints addon's index.js) in a
 * child process with FAILPOINTS=`failpoints`; resolve to what it returns. A hang fails (60 s). */
function inChild(failpoints, body) {
  const out = path.join(dir, `child-${Math.random().toString(36).slice(2)}.json`)
  const script = `
    const api = require(${JSON.stringify(path.join(__dirname, '..'))})
    ;(${body})(api).then(
      (value) => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ value })),
      (err) => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ err: String(err && err.stack) })))`
  const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON, FAILPOINTS: failpoints }
  const child = spawnSync(process.execPath, ['-e', script], { env, timeout: 60000, stdio: 'ignore' })
  if (child.error || child.status !== 0)
    throw new Error(`child: status ${child.status}, signal ${child.signal}, ${child.error}`)
  const { value, err } = JSON.parse(fs.readFileSync(out, 'utf8'))
  if (err) throw new Error(err)
  return value
}

/** A write's outcome as the child reports it: the error's fields, or 'ok'. */
const outcome = `async (write) => {
  try { await write(); return 'ok' } catch (err) { return { code: err.code, syscall: err.syscall, renamed: err.renamed } }
}`

describe('review: a flush that fails after the final rename', () => {
  const flushTest = onWindows && failpointsBuilt ? test : test.skip
  const why = onWindows ? failpointsSkipped : skipped
  // Under Wine the MoveFileExW fallback runs (its write-through flush failing after the move);
  // on Windows 10 1809+ the POSIX rename and its FlushFileBuffers.
  flushTest(`says renamed: true, and keeps the .bak of the content it replaced and the new file's mode${why}`, () => {
    const file = path.join(dir, 'a.json')
    fs.writeFileSync(`${file}.bak`, '"oldest"')
    fs.writeFileSync(file, '"previous"')
    fs.chmodSync(file, 0o444) // read-only: the fallback clears the flag to replace it
    const got = inChild(
      'commit.flush=return(EIO)',
      `async (api) => (${outcome})(() =>
      api.safeWriteJson(${JSON.stringify(file)}, 'new', { backup: true, mode: 0o666 }))`,
    )
    expect(got).toEqual({ code: 'EIO', syscall: 'fsync', renamed: true })
    expect(fs.readFileSync(file, 'utf8')).toBe('"new"')
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe('"previous"')
    expect(fs.statSync(file).mode & 0o200).toBe(0o200) // the new file's mode, not the old flag
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  flushTest(`is never attempted for durability 'data' or 'none'${why}`, () => {
    const file = path.join(dir, 'b.json')
    fs.writeFileSync(file, '0')
    const got = inChild(
      'commit.flush=return(EIO)',
      `async (api) => [
      await (${outcome})(() => api.safeWriteJson(${JSON.stringify(file)}, 1, { durability: 'data' })),
      await (${outcome})(() => api.safeWriteJson(${JSON.stringify(file)}, 2, { durability: 'none' })),
      await (${outcome})(() => api.safeWriteJson(${JSON.stringify(file)}, 3, { durability: 'full' })),
    ]`,
    )
    expect(got).toEqual(['ok', 'ok', { code: 'EIO', syscall: 'fsync', renamed: true }])
    expect(fs.readFileSync(file, 'utf8')).toBe('3')
  })
})

// Not Windows-only: any file system whose file IDs differ on each open (the review's case) looks
// to the lock like a sidecar replaced after every lock; failpoint `lock.moved` makes every one so.
const movedTest = failpointsBuilt ? test : test.skip
movedTest(
  `review: a sidecar that never matches its name ends in ELOCKED after lockTimeoutMs, not in a loop${failpointsSkipped}`,
  () => {
    const file = path.join(dir, 'c.json')
    const got = inChild(
      'lock.moved=return',
      `async (api) => (${outcome})(() =>
    api.safeWriteJson(${JSON.stringify(file)}, 1, { lockTimeoutMs: 200 }))`,
    )
    expect(got).toEqual({ code: 'ELOCKED', syscall: 'lock' }) // renamed: undefined
    expect(fs.existsSync(file)).toBe(false)
  },
)

// A directory whose name ends in a dot exists only through \\?\ paths (Win32 strips the dot).
windowsTest(
  `review: cleanupTempFiles removes an orphan in a directory named with a trailing dot${skipped}`,
  async () => {
    const odd = path.join(dir, 'odd.')
    fs.mkdirSync(odd)
    const orphan = path.join(odd, '.a.json.Ab3dE9xZ.tmp')
    fs.writeFileSync(orphan, '{')
    const hourAgo = new Date(Date.now() - 3600000)
    fs.utimesSync(orphan, hourAgo, hourAgo)
    expect(await cleanupTempFiles(odd)).toEqual([orphan])
    expect(fs.readdirSync(odd)).toEqual([])
  },
)
