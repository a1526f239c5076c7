#!/usr/bin/env node
// The package as a fresh consumer project gets it, by the documented path (docs/platforms.md, "Install from
// a local build"): `npm run pack:local`, then one `npm install <clone>/target/pack/*.tgz` in a new
// project under a temp dir. There it checks, each in a child process: TypeScript strict (CJS and
// ESM), a plain CJS require and an ESM import doing a real write, jest with fake timers doing a
// real write, an esbuild bundle (the .node copied beside it) run from another directory, and the
// loader's message when the platform tarball was left out. Ends with one line:
// `consumer: N passed, N failed` (exit 1 if any failed).
//
// The consumer's dev dependencies are pinned to the versions in our package-lock.json and
// installed with --prefer-offline, so the run costs little once npm's cache holds them.
'use strict'

const { execFileSync, execSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..', '..')
const PACKED = path.join(ROOT, 'target', 'pack')
const lock = require('../../package-lock.json')
const pkg = require('../../package.json')
const win = process.platform === 'win32'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-consumer-'))
const project = path.join(work, 'project')
const data = path.join(work, 'data')

/** Runs a command, output captured; throws with its output when it fails. */
function run(file, args, cwd, env = {}) {
  try {
    return execFileSync(file, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      shell: win, // npm and npx are .cmd files on Windows
    })
  } catch (err) {
    throw new Error(`${file} ${args.join(' ')} exited ${err.status}\n${err.stdout}${err.stderr}`)
  }
}
const node = (args, cwd = project) => run(process.execPath, args, cwd)
const bin = (name) => path.join(project, 'node_modules', '.bin', win ? `${name}.cmd` : name)
const pinned = (name) => lock.packages[`node_modules/${name}`].version

function expectOk(out) {
  if (out !== 'ok\n') throw new Error(`printed ${JSON.stringify(out)}, expected "ok"`)
}

const checks = [
  [
    'npm run pack:local, then one npm install of target/pack/*.tgz',
    () => {
      run('npm', ['run', 'pack:local'], ROOT)
      fs.cpSync(path.join(__dirname, 'project'), project, { recursive: true })
      const devDependencies = Object.fromEntries(
        ['typescript', 'jest', 'esbuild', '@types/node'].map((name) => [name, pinned(name)]),
      )
      const manifest = {
        name: 'consumer',
        version: '1.0.0',
        private: true,
        devDependencies,
        jest: { testEnvironment: 'node' },
        allowScripts: pkg.allowScripts, // the same decisions as ours: nothing here needs them
      }
      fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(manifest, null, 2) + '\n')
      // The documented command, through a shell so that the glob is the shell's, as a user types it.
      execSync(`npm install --prefer-offline --no-audit --no-fund ${PACKED}/*.tgz`, {
        cwd: project,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const deps = require(path.join(project, 'package.json')).dependencies
      if (!deps[pkg.name]) throw new Error(`${pkg.name} is not among the dependencies: ${JSON.stringify(deps)}`)
    },
  ],
  ['TypeScript strict: import { safeWriteJson } in a .cts and a .mts', () => run(bin('tsc'), ['-p', '.'], project)],
  ['plain CommonJS: require and a real write', () => expectOk(node(['write.cjs', data]))],
  ['plain ESM: import and a real write', () => expectOk(node(['write.mjs', data]))],
  [
    'jest with fake timers: a real write',
    () => run(bin('jest'), ['--ci', '--watchman=false', 'fake-timers.test.js'], project),
  ],
  [
    'esbuild bundle (platform node, the .node copied beside it) runs from another directory',
    () => {
      const outdir = path.join(work, 'bundle')
      const args = ['write.cjs', '--bundle', '--platform=node', `--outdir=${outdir}`, '--loader:.node=copy']
      run(bin('esbuild'), [...args, '--log-level=error'], project)
      const copied = fs.readdirSync(outdir).filter((f) => f.endsWith('.node'))
      if (copied.length !== 1) throw new Error(`the bundle has ${copied.length} .node files beside it`)
      // Outside the project: no node_modules to fall back on, the bundle holds all it needs.
      expectOk(node([path.join(outdir, 'write.js'), path.join(data, 'bundle')], work))
    },
  ],
  [
    'without its platform tarball, the loader says to install both tarballs together',
    () => {
      const platformDir = fs.readdirSync(path.join(project, 'node_modules')).find((n) => n.startsWith(`${pkg.name}-`))
      const aside = path.join(work, 'aside')
      fs.renameSync(path.join(project, 'node_modules', platformDir), aside)
      try {
        const out = node(['-e', "try { require('safe-write-json') } catch (e) { console.log(e.message) }"])
        const expected = 'A tarball made by npm run pack:local needs its platform tarball installed in the same command'
        if (!out.includes(expected)) throw new Error(`the message does not say "${expected}":\n${out}`)
      } finally {
        fs.renameSync(aside, path.join(project, 'node_modules', platformDir))
      }
    },
  ],
]

let passed = 0
let failed = 0
let blocked = null // once the install fails, the checks after it cannot run: they count as failed
for (const [name, check] of checks) {
  if (blocked) {
    console.log(`FAIL ${name}: not run (${blocked})`)
    failed++
    continue
  }
  try {
    check()
    console.log(`ok   ${name}`)
    passed++
  } catch (err) {
    console.log(`FAIL ${name}\n${String(err.message).replace(/^/gm, '     ')}`)
    failed++
    if (passed === 0) blocked = 'no installed consumer project'
  }
}
fs.rmSync(work, { recursive: true, force: true })
console.log(`consumer: ${passed} passed, ${failed} failed`)
process.exitCode = failed ? 1 : 0
