// Keeps the benchmark harness (bench/, `npm run bench`) from rotting: runs its smallest mode in a
// child process and checks that it completes, that the byte check ran for every contender, and
// that the burst case ended with the last call's data. Timings are never asserted here: they
// belong to the report, not to a test.
const { execFile, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { promisify } = require('node:util')

const ROOT = path.join(__dirname, '..')
let dir
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-bench-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

// The harness builds its floor binary (bench/floor) with cargo: skipped where there is none
// (the Windows lane runs a Windows node.exe on a machine whose Rust toolchain is Linux's).
const hasCargo = spawnSync('cargo', ['--version']).status === 0
const benchTest = hasCargo ? test : test.skip

benchTest(
  `node bench/run.js --quick --only burst runs, checks bytes, and the last call wins, with CARGO_TARGET_DIR set${hasCargo ? '' : ' (skipped: no cargo)'}`,
  async () => {
    const json = path.join(dir, 'results.json')
    const args = ['bench/run.js', '--quick', '--only', 'burst', '--reps', '1']
    // Its own work and report directories, so a test run never touches bench/results.md.
    args.push('--dir', path.join(dir, 'work'), '--out', path.join(dir, 'report'), '--json', json)
    // A cargo target directory of its own, as many Rust developers set globally: the floor
    // binary is then not under bench/floor/target/, and the harness must find it where cargo put it.
    const targetDir = path.join(dir, 'cargo-target')
    const env = { ...process.env, CARGO_TARGET_DIR: targetDir }
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, env, timeout: 120_000 })

    const floorName = process.platform === 'win32' ? 'floor.exe' : 'floor'
    expect(stdout).toContain(`floor binary: ${path.join(targetDir, 'release', floorName)}\n`)
    expect(stdout).toContain('bytes: safe-write-json = JSON.stringify ✓')
    const results = JSON.parse(fs.readFileSync(json, 'utf8'))
    const checked = results.checks.filter((c) => c.workload === 'burst').map((c) => c.contender)
    expect(checked).toEqual([
      'safe-write-json',
      'write-file-atomic',
      'atomically',
      'steno',
      'write-json-file',
      'lock+stream',
    ])
    expect(results.checks.find((c) => c.contender === 'safe-write-json')).toMatchObject({ same: true })

    const ours = results.burst.find((r) => r.id === 'safe-write-json')
    expect(ours.reps).toBe(1)
    expect(ours.lastWins).toBe(ours.reps) // the file holds the data of the 100th call
    expect(ours.physical).toBeGreaterThanOrEqual(1) // the inotify count saw the write land

    const md = fs.readFileSync(path.join(dir, 'report', 'results.md'), 'utf8')
    expect(md).toContain('## burst')
    expect(md).toContain(`Node ${process.version}`)
    expect(fs.readFileSync(path.join(dir, 'report', 'results.svg'), 'utf8')).toMatch(/^<svg [^>]*>/)
  },
  120_000,
)
