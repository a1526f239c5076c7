// A symlink's text is read from the directory that really holds the link, as the kernel reads
// it: with `A/L -> X/Y` and `X/Y/f.json -> ../g.json`, the path `A/L/f.json` names `X/g.json`
// (`..` of X/Y), not `A/g.json` (`..` of the spelling A/L). Writers, the backup they keep and
// safeReadJson's recover must all land where `fs` does.
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson, safeWriteJsonSync, safeReadJson, updateJson } = require('..')
const { tmpDir } = require('./helpers')
const { withWarnings } = require('./warnings')

const unix = process.platform === 'win32' ? test.skip : test

let dir, through, real, lexical
beforeEach(() => {
  dir = fs.realpathSync(tmpDir())
  fs.mkdirSync(path.join(dir, 'A'))
  fs.mkdirSync(path.join(dir, 'X', 'Y'), { recursive: true })
  fs.symlinkSync(path.join('..', 'X', 'Y'), path.join(dir, 'A', 'L'))
  fs.symlinkSync(path.join('..', 'g.json'), path.join(dir, 'X', 'Y', 'f.json'))
  through = path.join(dir, 'A', 'L', 'f.json')
  real = path.join(dir, 'X', 'g.json')
  lexical = path.join(dir, 'A', 'g.json')
})

const read = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))

unix('fs itself writes X/g.json through A/L/f.json (the premise)', () => {
  fs.writeFileSync(through, '{"by":"fs"}')
  expect(read(real)).toEqual({ by: 'fs' })
  expect(fs.existsSync(lexical)).toBe(false)
})

unix('safeWriteJson through a link whose text has .. updates the file the kernel names', async () => {
  await safeWriteJson(through, { v: 1 })
  expect(read(real)).toEqual({ v: 1 })
  expect(fs.existsSync(lexical)).toBe(false)
  expect(fs.lstatSync(path.join(dir, 'X', 'Y', 'f.json')).isSymbolicLink()).toBe(true)
})

unix('safeWriteJsonSync and updateJson through it land there too', async () => {
  safeWriteJsonSync(through, { v: 1 })
  expect(await updateJson(through, (n) => ({ v: n.v + 1 }))).toEqual({ v: 2 })
  expect(read(real)).toEqual({ v: 2 })
  expect(fs.existsSync(lexical)).toBe(false)
})

unix('backup: true keeps X/g.json.bak, beside the real file', async () => {
  await safeWriteJson(through, { v: 1 })
  await safeWriteJson(through, { v: 2 }, { backup: true })
  expect(read(real)).toEqual({ v: 2 })
  expect(read(`${real}.bak`)).toEqual({ v: 1 })
  expect(fs.existsSync(`${lexical}.bak`)).toBe(false)
  expect(fs.existsSync(lexical)).toBe(false)
})

unix('safeReadJson recover reads X/g.json.bak, not a decoy A/g.json.bak', async () => {
  fs.writeFileSync(real, '{"v":')
  fs.writeFileSync(`${real}.bak`, '{"from":"real backup"}')
  fs.writeFileSync(`${lexical}.bak`, '{"from":"decoy"}')
  const { value, codes } = await withWarnings(() => safeReadJson(through, { recover: true }))
  expect(value).toEqual({ from: 'real backup' })
  expect(codes).toEqual(['SAFE_WRITE_JSON_RECOVERED'])
})

unix('safeReadJson recover with no backup beside the real file keeps the file’s own error', async () => {
  fs.writeFileSync(real, '{"v":')
  fs.writeFileSync(`${lexical}.bak`, '{"from":"decoy"}')
  await expect(safeReadJson(through, { recover: true })).rejects.toMatchObject({ code: 'EJSONPARSE' })
})

// Before a `..`, the kernel looks the name up: `missing/../h.json` is ENOENT and
// `file.txt/../g.json` ENOTDIR, and nothing is created. A writer must fail as `fs` does, not
// create the file a lexical `..` would name, and safeReadJson's recover must not read a backup
// beside it.
describe.each([
  ['a missing directory', 'missing'],
  ['a regular file', 'file.txt'],
])('a link whose text has %s before ..', (_, before) => {
  let link, lexicalTarget, fsError
  beforeEach(() => {
    fs.writeFileSync(path.join(dir, 'file.txt'), 'hi')
    link = path.join(dir, 'link.json')
    // Spelt out: path.join would take `before/..` off.
    fs.symlinkSync(`${before}/../h.json`, link)
    lexicalTarget = path.join(dir, 'h.json')
    fs.writeFileSync(`${lexicalTarget}.bak`, '{"from":"decoy"}')
    fsError = (op) => {
      try {
        op()
      } catch (err) {
        return { code: err.code, syscall: err.syscall, path: err.path }
      }
      throw new Error('fs succeeded')
    }
  })

  unix('fs.writeFileSync and fs.readFileSync fail (the premise)', () => {
    expect(fsError(() => fs.writeFileSync(link, '{}')).code).toBe(before === 'missing' ? 'ENOENT' : 'ENOTDIR')
    expect(fsError(() => fs.readFileSync(link)).code).toBe(before === 'missing' ? 'ENOENT' : 'ENOTDIR')
    expect(fs.existsSync(lexicalTarget)).toBe(false)
  })

  unix('safeWriteJson fails as fs.writeFileSync does and creates nothing', async () => {
    const expected = fsError(() => fs.writeFileSync(link, '{}'))
    await expect(safeWriteJson(link, { v: 1 })).rejects.toMatchObject(expected)
    expect(fs.existsSync(lexicalTarget)).toBe(false)
    expect(fs.readdirSync(dir).sort()).toEqual(['A', 'X', 'file.txt', 'h.json.bak', 'link.json'])
  })

  unix('safeWriteJsonSync fails as fs.writeFileSync does and creates nothing', () => {
    const expected = fsError(() => fs.writeFileSync(link, '{}'))
    expect(fsError(() => safeWriteJsonSync(link, { v: 1 }))).toEqual(expected)
    expect(fs.existsSync(lexicalTarget)).toBe(false)
    expect(fs.readdirSync(dir).sort()).toEqual(['A', 'X', 'file.txt', 'h.json.bak', 'link.json'])
  })

  unix('safeReadJson, recover or not, fails as fs.readFileSync does (no decoy backup)', async () => {
    const expected = fsError(() => fs.readFileSync(link))
    await expect(safeReadJson(link)).rejects.toMatchObject(expected)
    await expect(safeReadJson(link, { recover: true })).rejects.toMatchObject({ code: expected.code })
  })
})
