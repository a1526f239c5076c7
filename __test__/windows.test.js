// Windows-only behaviour (issue 10, item 21): skipped elsewhere, run by a Windows job (issue 13).
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { safeWriteJson } = require('..')
const { tmpDir } = require('./helpers')

const windowsTest = process.platform === 'win32' ? test : test.skip

// The rename clears a read-only target's attribute to replace it; when the rename then fails
// (another process holds the file open without sharing delete), the attribute is put back.
windowsTest('a read-only target whose replacement fails stays read-only', async () => {
  const dir = tmpDir('swj-win')
  const file = path.join(dir, 'ro.json')
  fs.writeFileSync(file, '{"v":"old"}')
  fs.chmodSync(file, 0o444)
  const script = `$f = [System.IO.File]::Open('${file.replace(/'/g, "''")}', 'Open', 'Read', 'None'); Write-Output 'holding'; Start-Sleep -Seconds 10; $f.Close()`
  const holder = spawn('powershell.exe', ['-NoProfile', '-Command', script])
  try {
    await new Promise((resolve, reject) => {
      holder.stdout.on('data', (d) => String(d).includes('holding') && resolve())
      holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)))
    })
    await expect(safeWriteJson(file, { v: 'new' }, { lock: false })).rejects.toMatchObject({ syscall: 'rename' })
  } finally {
    holder.kill()
  }
  await new Promise((resolve) => (holder.exitCode === null ? holder.on('exit', resolve) : resolve()))
  expect(fs.statSync(file).mode & 0o200).toBe(0)
  expect(fs.readFileSync(file, 'utf8')).toBe('{"v":"old"}')
  fs.chmodSync(file, 0o666)
}, 30000)
