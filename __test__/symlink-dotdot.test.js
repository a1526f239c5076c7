// A symlink's text is read from the directory that really holds the link, as the kernel reads
// it: with `A/L -> X/Y` and `X/Y/f.json -> ../g.json`, the path `A/L/f.json` names `X/g.json`
// (`..` of X/Y), not `A/g.json` (`..` of the spelling A/L). Writers, the backup they keep and
// safeReadJson's recover must all land where `fs` does.
const fs = require('node:fs')
const path = require('node:path')
const { safeWriteJson, safeWriteJsonSync, safeReadJson, updateJson } = require('..')
const { tmpDir } = require('./helpers')

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
  expect(await safeReadJson(through, { recover: true })).toEqual({ from: 'real backup' })
})

unix('safeReadJson recover with no backup beside the real file keeps the file’s own error', async () => {
  fs.writeFileSync(real, '{"v":')
  fs.writeFileSync(`${lexical}.bak`, '{"from":"decoy"}')
  await expect(safeReadJson(through, { recover: true })).rejects.toMatchObject({ code: 'EJSONPARSE' })
})
