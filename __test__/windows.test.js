// Windows behaviour (issue 10, item 21; issue 13): the cases are skipped elsewhere and run in
// the Windows lane (.ci/windows-lane: the Windows build under Wine), and on Windows.
const fs = require('node:fs')
const path = require('node:path')
const { spawn, spawnSync } = require('node:child_process')
const { safeWriteJson, safeWriteJsonSync, safeReadJson } = require('..')
const { tmpDir, errnoOf } = require('./helpers')

const windows = process.platform === 'win32'
const windowsTest = windows ? test : test.skip

// A process that holds a file open. PowerShell opens it sharing nothing (real Windows); where
// powershell.exe is only a stub (Wine), a Node child holding it open is enough, because Wine's
// MoveFileExW cannot replace a file that any process holds open.
const powershellWorks =
  windows &&
  spawnSync('powershell.exe', ['-NoProfile', '-Command', 'Write-Output ok'], { encoding: 'utf8' }).stdout?.includes(
    'ok',
  )
async function holdOpen(file) {
  const quoted = file.replace(/'/g, "''")
  const holder = powershellWorks
    ? spawn('powershell.exe', [
        '-NoProfile',
        '-Command',
        `$f = [System.IO.File]::Open('${quoted}', 'Open', 'Read', 'None'); Write-Output 'holding'; Start-Sleep -Seconds 10; $f.Close()`,
      ])
    : spawn(process.execPath, [
        '-e',
        `require('fs').openSync(${JSON.stringify(file)}, 'r'); console.log('holding'); setTimeout(() => {}, 10000)`,
      ])
  await new Promise((resolve, reject) => {
    holder.stdout.on('data', (d) => String(d).includes('holding') && resolve())
    holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)))
  })
  return async () => {
    holder.kill()
    await new Promise((resolve) =>
      holder.exitCode === null && holder.signalCode === null ? holder.on('exit', resolve) : resolve(),
    )
  }
}

// The rename clears a read-only target's attribute to replace it; when the rename then fails
// (another process holds the file open), the attribute is put back.
windowsTest(
  'a read-only target whose replacement fails stays read-only',
  async () => {
    const dir = tmpDir('swj-win')
    const file = path.join(dir, 'ro.json')
    fs.writeFileSync(file, '{"v":"old"}')
    fs.chmodSync(file, 0o444)
    const release = await holdOpen(file)
    try {
      await expect(safeWriteJson(file, { v: 'new' }, { lock: false })).rejects.toMatchObject({ syscall: 'rename' })
    } finally {
      await release()
    }
    expect(fs.statSync(file).mode & 0o200).toBe(0)
    expect(fs.readFileSync(file, 'utf8')).toBe('{"v":"old"}')
    fs.chmodSync(file, 0o666)
  },
  30000,
)

// Issue 13, defect 1: Win32's ERROR_ACCESS_DENIED is EPERM in libuv and so in Node's fs, not
// EACCES. A rename that another process's open handle refuses is one: the error is the one
// fs.renameSync gives for the same rename, code and errno.
windowsTest(
  'a rename refused by another process has the code and errno fs gives it',
  async () => {
    const dir = tmpDir('swj-win')
    const file = path.join(dir, 'held.json')
    const other = path.join(dir, 'other.json')
    fs.writeFileSync(file, '"old"')
    fs.writeFileSync(other, '"other"')
    const release = await holdOpen(file)
    let ours
    let theirs
    try {
      ours = await safeWriteJson(file, 'new', { lock: false }).catch((e) => e)
      try {
        fs.renameSync(other, file)
      } catch (err) {
        theirs = err
      }
    } finally {
      await release()
    }
    expect(theirs).toBeDefined() // the case is reached: fs cannot replace the held file either
    expect(ours).toMatchObject({ code: theirs.code, errno: theirs.errno, syscall: 'rename', path: file })
    expect(ours.errno).toBe(errnoOf(ours.code))
    expect(fs.readFileSync(file, 'utf8')).toBe('"old"')
  },
  30000,
)

// Issue 13, defect 4: names Windows reserves for devices are ordinary files for Node's fs (it
// opens `\\?\` paths), and so for us. Elsewhere they are ordinary names anyway.
test.each(['aux.json', 'con.json', 'nul.json', 'com1.json'])(
  '%s is written and read as a file, as fs does',
  async (name) => {
    const dir = tmpDir('swj-win')
    const file = path.join(dir, name)
    await safeWriteJson(file, { name })
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify({ name }))
    safeWriteJsonSync(file, { name, sync: true })
    expect(await safeReadJson(file)).toEqual({ name, sync: true })
    expect(fs.readdirSync(dir)).toEqual([name])
  },
)
