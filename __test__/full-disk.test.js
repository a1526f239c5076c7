// A full disk at every stage of a write, on a real tmpfs mounted by the test (skipped where
// mounting is not permitted; always unmounted): out of blocks (the temp file's data, a streamed
// text, the backup copy) or out of inodes (the lock sidecar, the temp file, a missing parent
// directory). Each time: ENOSPC in Node's form, the old file whole, nothing of ours left, and
// once space is freed the same write succeeds.
process.env.SAFE_WRITE_JSON_WALK_MIN = '16' // big arrays below are walked ...
process.env.SAFE_WRITE_JSON_SPILL_BYTES = '4096' // ... and streamed to the temp file past 4 KB
const fs = require('node:fs')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { safeWriteJson, safeWriteJsonSync, updateJson, safeReadJson } = require('..')
const { leftovers, mountTmpfs, tmpfsTest, fillUp, fillInodes } = require('./helpers')
const { FAILPOINTS_ADDON, report } = require('./torture-helpers')

const OLD = JSON.stringify({ version: 'old', items: Array.from({ length: 200 }, (_, i) => `item ${i}`) })
const bigArray = (n) => Array.from({ length: n }, (_, i) => ({ i, text: `new item ${i} — grüße 😀` }))

let tmpfs
let target
beforeEach(() => {
  tmpfs = mountTmpfs('1m', 64)
  if (tmpfs) {
    target = path.join(tmpfs.dir, 'state.json')
    fs.writeFileSync(target, OLD)
  }
})
afterEach(() => tmpfs?.unmount())

// Counted as found (a target not whole, a file of ours left behind), reported as counted, and
// asserted zero at each stage.
const found = { stages: 0, corrupt: 0, leftovers: 0 }
afterAll(() => report('full disk', found))

/** Count what is wrong after a stage: the target not holding `whole`, files of ours left. */
function countProblems(whole, names = fs.readdirSync(tmpfs.dir)) {
  const held = fs.readFileSync(target, 'utf8')
  if (held !== whole) found.corrupt++
  const left = [...leftovers(tmpfs.dir), ...names.filter((n) => n.endsWith('.lock'))]
  found.leftovers += left.length
  return { whole: held === whole, left }
}

/** Run `write` on the full file system: ENOSPC from `syscall`, and nothing changed. */
async function expectEnospc(write, syscall, file = target) {
  const err = await Promise.resolve()
    .then(write)
    .then(
      () => null,
      (e) => e,
    )
  expect(err).toMatchObject({ code: 'ENOSPC', errno: -28, syscall, path: file })
  expect(err.message).toBe(`ENOSPC: no space left on device, ${syscall} '${file}'`)
  found.stages++
  expect(countProblems(OLD)).toEqual({ whole: true, left: [] })
}

/** Once space is freed, the write succeeds, and reads back. */
async function expectWritableAfter(free, write, expected) {
  free()
  await write()
  expect(await safeReadJson(target)).toEqual(expected)
  expect(countProblems(fs.readFileSync(target, 'utf8')).left).toEqual([])
}

const data = { version: 'new', items: ['a', 'b'] }

tmpfsTest('out of blocks: the temp file data (async and Sync)', async () => {
  const filler = fillUp(tmpfs.dir)
  await expectEnospc(() => safeWriteJson(target, { ...data, pad: 'x'.repeat(8192) }), 'write')
  await expectEnospc(() => safeWriteJsonSync(target, { ...data, pad: 'x'.repeat(8192) }), 'write')
  // Reading needs no space.
  expect(await safeReadJson(target)).toEqual(JSON.parse(OLD))
  await expectWritableAfter(
    () => fs.unlinkSync(filler),
    () => safeWriteJson(target, data),
    data,
  )
})

tmpfsTest('out of blocks: updateJson, after its updater ran', async () => {
  const filler = fillUp(tmpfs.dir)
  let calls = 0
  const update = () => updateJson(target, (current) => (calls++, { ...current, pad: 'x'.repeat(8192) }))
  await expectEnospc(update, 'write')
  expect(calls).toBe(1)
  await expectWritableAfter(() => fs.unlinkSync(filler), update, { ...JSON.parse(OLD), pad: 'x'.repeat(8192) })
})

tmpfsTest('out of blocks: a text streamed to the temp file while it is made', async () => {
  const filler = fillUp(tmpfs.dir)
  fs.truncateSync(filler, fs.statSync(filler).size - 32 * 1024) // room for the first pieces only
  await expectEnospc(() => safeWriteJson(target, bigArray(20000)), 'write')
  await expectWritableAfter(
    () => fs.unlinkSync(filler),
    () => safeWriteJson(target, bigArray(2000)),
    bigArray(2000),
  )
})

tmpfsTest('out of inodes: the lock sidecar', async () => {
  const inodes = fillInodes(tmpfs.dir)
  await expectEnospc(() => safeWriteJson(target, data), 'open')
  await expectWritableAfter(
    () => inodes.forEach((f) => fs.unlinkSync(f)),
    () => safeWriteJson(target, data),
    data,
  )
})

tmpfsTest('out of inodes: the temp file (lock: false)', async () => {
  const inodes = fillInodes(tmpfs.dir)
  await expectEnospc(() => safeWriteJson(target, data, { lock: false }), 'open')
  await expectWritableAfter(
    () => inodes.forEach((f) => fs.unlinkSync(f)),
    () => safeWriteJson(target, data, { lock: false }),
    data,
  )
})

tmpfsTest('out of inodes: a missing parent directory', async () => {
  const inodes = fillInodes(tmpfs.dir)
  const deep = path.join(tmpfs.dir, 'a', 'b', 'state.json')
  await expectEnospc(() => safeWriteJson(deep, data), 'mkdir', path.join(tmpfs.dir, 'a'))
  expect(fs.existsSync(path.join(tmpfs.dir, 'a'))).toBe(false)
  inodes.forEach((f) => fs.unlinkSync(f))
  await safeWriteJson(deep, data)
  expect(await safeReadJson(deep)).toEqual(data)
})

tmpfsTest('out of blocks: the backup copy (where hard links are refused)', async () => {
  // The failpoints build refuses the hard link (EXDEV), so the backup is a copy; the copy meets
  // the real full disk. The old file is big and the new one small: the new temp fits, the copy
  // does not.
  const big = JSON.stringify({ version: 'old', pad: 'x'.repeat(300 * 1024) })
  fs.writeFileSync(target, big)
  const filler = fillUp(tmpfs.dir)
  fs.truncateSync(filler, fs.statSync(filler).size - 64 * 1024)
  const report = await new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(__dirname, 'fixtures', 'fault.js'), JSON.stringify({ op: 'backup', file: target, dir: tmpfs.dir })],
      {
        env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON, FAILPOINTS: 'backup.link=return(EXDEV)' },
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    ),
  )
  expect(report.first).toMatchObject({ ok: false, code: 'ENOSPC', syscall: 'copyfile', path: target })
  // What the child saw right after the failure: only the filler and the whole old target.
  found.stages++
  if (report.first.after['state.json'] !== big) found.corrupt++
  const extra = Object.keys(report.first.after).filter((n) => n !== 'filler' && n !== 'state.json')
  found.leftovers += extra.length
  expect({ whole: report.first.after['state.json'] === big, extra }).toEqual({ whole: true, extra: [] })
  fs.unlinkSync(filler)
  await safeWriteJson(target, data, { backup: true })
  expect(fs.readFileSync(`${target}.bak`, 'utf8')).toBe(big)
  expect(await safeReadJson(target)).toEqual(data)
  expect(countProblems(JSON.stringify(data)).left).toEqual([])
})
