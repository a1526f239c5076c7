// Every failpoint of the pipeline, through the real addon: a child process loads the build made
// with `--features failpoints` (`npm run build:failpoints`) and fails one step once with one
// error. Afterwards the error is the injected one, in Node's form (code, errno, syscall, path,
// message); the target holds its complete old content (or, past the rename, the complete new
// one); no temp file or lock sidecar is left; and the next call succeeds.
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const { execFile } = require('node:child_process')
const { tmpDir, errnoOf } = require('./helpers')
const { FAILPOINTS_ADDON, report } = require('./torture-helpers')
const OLD = '{"version":"old"}'
const OLDER = '{"version":"older"}'
const CODES = ['EIO', 'ENOSPC', 'EACCES']

/** Run fixtures/fault.js with `failpoints` on `op`; resolve with its report. */
function runFault(op, failpoints, { file, dir, env = {} }) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(__dirname, 'fixtures', 'fault.js'), JSON.stringify({ op, file, dir })],
      {
        env: { ...process.env, ...env, NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON, FAILPOINTS: failpoints },
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${failpoints}: ${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    )
  })
}

const SPILL_ENV = { SAFE_WRITE_JSON_WALK_MIN: '2', SAFE_WRITE_JSON_SPILL_BYTES: '2000' }

// [op, point, syscall, what the target holds after the failure ('old', 'new' or 'none'), options]
const steps = [
  ...[
    ['lock.acquire', 'lock'],
    ['target.stat', 'open'],
    ['temp.create', 'open'],
    ['temp.write', 'write'],
    ['temp.verify', 'fstat'],
    ['temp.chmod', 'chmod'],
    ['temp.chown', 'chown'],
    ['temp.fsync', 'fsync'],
    ['commit.rename', 'rename'],
  ].map(([point, syscall]) => ['json', point, syscall, 'old']),
  ['json', 'commit.fsync-dir', 'fsync', 'new'],
  ['json', 'target.mkdir', 'mkdir', 'none', { sub: true }],
  ['file', 'temp.write', 'write', 'old'],
  ['sync', 'temp.write', 'write', 'old'],
  ['sync', 'commit.rename', 'rename', 'old'],
  ['backup', 'backup.link', 'link', 'old'],
  // The second link (the target's, after the older .bak's) fails: the older one's staged link is
  // only removed, never "put back" over the .bak it never left.
  ['backup', 'backup.link', 'link', 'old', { skip: 1 }],
  ['backup', 'backup.rename', 'rename', 'old'],
  ['backup', 'backup.copy', 'copyfile', 'old', { extra: 'backup.link=1*return(EXDEV)' }],
  ['spill', 'target.mkdir', 'mkdir', 'none', { sub: true, env: SPILL_ENV }],
  ['spill', 'temp.create', 'open', 'old', { env: SPILL_ENV }],
  ['spill', 'temp.write', 'write', 'old', { env: SPILL_ENV }],
  ['spill', 'temp.fsync', 'fsync', 'old', { env: SPILL_ENV }],
  ['update', 'lock.acquire', 'lock', 'old'],
  ['update', 'read.open', 'open', 'old'],
  ['update', 'read.read', 'read', 'old'],
  ['update', 'temp.write', 'write', 'old'],
  ['update', 'temp.fsync', 'fsync', 'old'],
  ['update', 'commit.rename', 'rename', 'old'],
  ['read', 'read.open', 'open', 'old'],
  ['read', 'read.read', 'read', 'old'],
]
const cases = steps.flatMap(([op, point, syscall, holds, extra = {}]) =>
  CODES.map((code) => ({ op, point, code, syscall, holds, ...extra })),
)

/** Lay out the directory of one case: the old target (and an older backup), or nothing. */
function setUp(c) {
  const dir = tmpDir('swj-fault')
  const file = c.sub ? path.join(dir, 'sub', 'state.json') : path.join(dir, 'state.json')
  if (!c.sub) fs.writeFileSync(file, OLD)
  if (c.op === 'backup') fs.writeFileSync(`${file}.bak`, OLDER)
  return { dir, file }
}

const messageOf = (code) => util.getSystemErrorMap().get(errnoOf(code))[1]

/** Run `tasks` (functions returning promises) a few at a time: children are mostly waiting. */
async function pool(tasks, width = 4) {
  const results = Array.from({ length: tasks.length })
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++
        results[i] = await tasks[i]().then(
          (value) => ({ value }),
          (error) => ({ error }),
        )
      }
    }),
  )
  return results
}

afterAll(() =>
  report('failpoints (addon)', { cases: cases.length + 4, points: new Set(cases.map((c) => c.point)).size + 3 }),
)

const reports = new Map()
beforeAll(async () => {
  if (!fs.existsSync(FAILPOINTS_ADDON)) throw new Error(`${FAILPOINTS_ADDON} is missing: run npm run build:failpoints`)
  const all = await pool(
    cases.map((c) => async () => {
      const where = setUp(c)
      const fail = `${c.skip ? `${c.skip}*off->` : ''}1*return(${c.code})`
      const spec = [c.extra, `${c.point}=${fail}`].filter(Boolean).join(';')
      return { where, report: await runFault(c.op, spec, { ...where, env: c.env }) }
    }),
  )
  all.forEach((result, i) => reports.set(cases[i], result))
}, 120000)

const label = (c) => `${c.op}: ${c.point} fails with ${c.code}${c.skip ? ` (call ${c.skip + 1})` : ''}`
test.each(cases.map((c) => [label(c), c]))('%s', (_label, c) => {
  const { value, error } = reports.get(c)
  if (error) throw error
  const { where, report } = value
  const { first, second } = report
  // The injected error, in Node's form, naming the path that failed (a mkdir: the directory).
  const failed = c.point === 'target.mkdir' ? path.dirname(where.file) : where.file
  expect(first).toMatchObject({
    ok: false,
    kind: 'Error',
    code: c.code,
    errno: errnoOf(c.code),
    syscall: c.syscall,
    path: failed,
  })
  expect(first.message).toBe(`${c.code}: ${messageOf(c.code)}, ${c.syscall} '${failed}'`)
  // A failure after the rename says so: the new content is in place, its durability is not.
  expect(first.renamed).toBe(c.holds === 'new')
  // What is on disk: complete old or complete new content, and nothing else of ours.
  const expected = { none: {}, old: { 'state.json': OLD }, new: null }[c.holds]
  if (expected) {
    if (c.op === 'backup') expected['state.json.bak'] = OLDER
    expect(first.after).toEqual(expected)
  } else {
    expect(Object.keys(first.after)).toEqual(['state.json'])
    expect(JSON.parse(first.after['state.json']).version).toBe('first')
  }
  // The next call succeeds.
  expect(second.ok).toBe(true)
  if (c.op === 'read') {
    expect(second.value).toEqual(JSON.parse(OLD))
  } else {
    const name = c.sub ? 'sub' : 'state.json'
    const content = c.sub ? fs.readFileSync(where.file, 'utf8') : second.after[name]
    expect(JSON.parse(content).version).toBe('second')
    expect(Object.keys(second.after).filter((n) => n.startsWith('.'))).toEqual([])
  }
  if (c.op === 'update') {
    // An update that failed before the file was read never called the updater.
    const read = !['lock.acquire', 'read.open', 'read.read'].includes(c.point)
    expect(report.updaterCalls).toBe(read ? 2 : 1)
  }
  if (c.op === 'backup') {
    // The backup of the successful write is the old content, complete.
    expect(second.after['state.json.bak']).toBe(OLD)
  }
})

describe('points that do not fail the call', () => {
  // Windows has no interrupted system calls (no EINTR to retry).
  const posix = process.platform === 'win32' ? test.skip : test
  posix('an interrupted write (EINTR) is retried: the write succeeds', async () => {
    const where = setUp({ op: 'json' })
    const { first } = await runFault('json', 'temp.write=3*return(EINTR)', where)
    expect(first.ok).toBe(true)
    expect(JSON.parse(first.after['state.json']).version).toBe('first')
    expect(Object.keys(first.after)).toEqual(['state.json'])
  })

  test('a lock sidecar that cannot be removed on release stays, empty, and blocks nobody', async () => {
    const where = setUp({ op: 'json' })
    const { first, second } = await runFault('json', 'lock.release=1*return(EACCES)', where)
    expect(first.ok).toBe(true)
    expect(first.after).toEqual({ '.state.json.lock': '', 'state.json': expect.stringContaining('"first"') })
    expect(second.ok).toBe(true)
    expect(Object.keys(second.after)).toEqual(['state.json'])
  })

  test('cleanupTempFiles: a failed unlink rejects with its error; the next call removes the orphan', async () => {
    const where = setUp({ op: 'clean' })
    const orphan = path.join(where.dir, '.state.json.Ab3dE9xZ.tmp')
    fs.writeFileSync(orphan, '{"half')
    const { first, second } = await runFault('clean', 'cleanup.unlink=1*return(EIO)', where)
    expect(first).toMatchObject({ ok: false, code: 'EIO', errno: errnoOf('EIO'), syscall: 'unlink', path: orphan })
    expect(first.message).toBe(`EIO: ${messageOf('EIO')}, unlink '${orphan}'`)
    expect(Object.keys(first.after)).toEqual(['.state.json.Ab3dE9xZ.tmp', 'state.json'])
    expect(second).toMatchObject({ ok: true, value: [orphan] })
    expect(Object.keys(second.after)).toEqual(['state.json'])
  })

  test('a short file on disk is caught by the size check: EVERIFY, the old content stays', async () => {
    const where = setUp({ op: 'json' })
    const { first, second } = await runFault('json', 'temp.truncate=1*return', where)
    expect(first).toMatchObject({ ok: false, code: 'EVERIFY', syscall: 'fstat', path: where.file })
    expect(first.message).toMatch(/^EVERIFY: size on disk is (\d+) bytes but \d+ were written, fstat '/)
    expect(first.after).toEqual({ 'state.json': OLD })
    expect(second.ok).toBe(true)
  })
})
