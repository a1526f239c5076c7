// The package as users get it: `npm pack` of the root and of this platform's npm/<platform>
// package, both installed from their tarballs into fresh projects, then required, imported and
// bundled there, each in a child Node process. SWJ_TEST_NODE runs those children on another
// Node binary (e.g. Node 18, the oldest `engines` allows).
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync, spawnSync } = require('node:child_process')
const esbuild = require('esbuild')
const { tmpDir } = require('./helpers')

const root = path.resolve(__dirname, '..')
const pkg = require('../package.json')
const NODE = process.env.SWJ_TEST_NODE || process.execPath

// This machine's platform package, named as napi-rs names it (and as index.js reports it).
const header = process.platform === 'linux' && process.report.getReport().header
const abi =
  process.platform === 'linux'
    ? header.glibcVersionRuntime
      ? 'gnu'
      : 'musl'
    : process.platform === 'win32'
      ? 'msvc'
      : ''
const host = [process.platform, process.arch, abi].filter(Boolean).join('-')
const addon = `safe-write-json.${host}.node`
const platforms = fs.readdirSync(path.join(root, 'npm')).sort()

// On Windows npm is npm.cmd, which Node runs only through a shell.
const npm = (args, cwd) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: process.platform === 'win32',
  })
const packedFiles = (dir) =>
  JSON.parse(npm(['pack', '--dry-run', '--json'], dir))[0]
    .files.map((f) => f.path)
    .sort()
// Skipped where npm cannot run (the Windows lane's node.exe comes without npm).
const hasNpm = (() => {
  try {
    npm(['--version'], root)
    return true
  } catch {
    return false
  }
})()
const npmTest = hasNpm ? test : test.skip
const pack = (dir, dest) =>
  path.join(dest, JSON.parse(npm(['pack', '--json', '--pack-destination', dest], dir))[0].filename)

/** Run `node <args>` in `cwd`; returns status, stdout and stderr. */
function node(args, cwd, env = {}) {
  const { status, stdout, stderr } = spawnSync(NODE, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } })
  return { status, stdout, stderr }
}

/** A fresh project with the given tarballs installed, the way `npm install` installs them. */
function project(work, name, tarballs) {
  const dir = path.join(work, name)
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  npm(['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', ...tarballs], dir)
  return dir
}

describe('what npm pack puts in the packages', () => {
  npmTest('the root package: the loader, the wrapper and their types, never a .node', () => {
    expect(fs.existsSync(path.join(root, addon))).toBe(true) // built, yet not packed
    expect(packedFiles(root)).toEqual(
      [
        'LICENSE',
        'README.md',
        'binding.d.ts',
        'binding.js',
        'cli.js',
        'index.d.ts',
        'index.js',
        'lib/arguments.js',
        'lib/intrinsics.js',
        'lib/options.js',
        'lib/path.js',
        'package.json',
        'stringify.js',
      ].sort(),
    )
  })

  test('one npm/<platform> package per napi target, each declaring its os, cpu and libc', () => {
    const cpu = { x64: 'x64', arm64: 'arm64' }
    expect(platforms).toHaveLength(pkg.napi.targets.length)
    for (const platform of platforms) {
      const [os, arch, abi] = platform.split('-')
      const manifest = require(`../npm/${platform}/package.json`)
      expect(manifest).toMatchObject({
        name: `safe-write-json-${platform}`,
        version: pkg.version,
        main: `safe-write-json.${platform}.node`,
        files: [`safe-write-json.${platform}.node`],
        os: [os],
        cpu: [cpu[arch]],
        engines: pkg.engines,
      })
      expect(manifest.libc).toEqual({ gnu: ['glibc'], musl: ['musl'] }[abi])
    }
  })

  npmTest(`this machine's platform package (${host}): its binary, nothing else`, () => {
    const dir = path.join(tmpDir('swj-platform'), host)
    fs.cpSync(path.join(root, 'npm', host), dir, { recursive: true })
    fs.copyFileSync(path.join(root, addon), path.join(dir, addon)) // what `napi artifacts` does
    expect(packedFiles(dir)).toEqual(['README.md', addon, 'package.json'].sort())
  })
})

// How a VS Code extension (or an Electron app) packaged on one machine gets the binary of
// another platform: npm's --os/--cpu/--libc choose among the optional platform packages by their
// os/cpu/libc fields. Stand-in .node files; this checks the manifests and npm, not the binaries.
npmTest(
  'npm install --os --cpu --libc picks the platform package a .vsix for that platform needs',
  () => {
    const work = tmpDir('swj-cross')
    const optionalDependencies = {}
    for (const platform of platforms) {
      const dir = path.join(work, platform)
      fs.cpSync(path.join(root, 'npm', platform), dir, { recursive: true })
      fs.writeFileSync(path.join(dir, `safe-write-json.${platform}.node`), 'stand-in')
      optionalDependencies[`safe-write-json-${platform}`] = `file:${pack(dir, work)}`
    }
    const consumer = path.join(work, 'extension')
    fs.mkdirSync(consumer)
    fs.writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({ name: 'extension', private: true, optionalDependencies }),
    )
    // `vsce package --target` name → the npm flags of docs/vscode-electron.md's table → the package installed.
    const vsceTargets = {
      'win32-x64': ['--os=win32', '--cpu=x64', 'win32-x64-msvc'],
      'win32-arm64': ['--os=win32', '--cpu=arm64', 'win32-arm64-msvc'],
      'linux-x64': ['--os=linux', '--cpu=x64', '--libc=glibc', 'linux-x64-gnu'],
      'linux-arm64': ['--os=linux', '--cpu=arm64', '--libc=glibc', 'linux-arm64-gnu'],
      'alpine-x64': ['--os=linux', '--cpu=x64', '--libc=musl', 'linux-x64-musl'],
      'alpine-arm64': ['--os=linux', '--cpu=arm64', '--libc=musl', 'linux-arm64-musl'],
      'darwin-x64': ['--os=darwin', '--cpu=x64', 'darwin-x64'],
      'darwin-arm64': ['--os=darwin', '--cpu=arm64', 'darwin-arm64'],
    }
    expect(
      Object.values(vsceTargets)
        .map((flags) => flags.at(-1))
        .sort(),
    ).toEqual(platforms)
    for (const [target, flags] of Object.entries(vsceTargets)) {
      fs.rmSync(path.join(consumer, 'node_modules'), { recursive: true, force: true })
      npm(['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', ...flags.slice(0, -1)], consumer)
      const installed = fs
        .readdirSync(path.join(consumer, 'node_modules'))
        .filter((n) => n.startsWith('safe-write-json'))
      expect({ target, installed }).toEqual({ target, installed: [`safe-write-json-${flags.at(-1)}`] })
    }
  },
  120_000,
)

describe('installed from the tarballs', () => {
  let work, full, bare
  beforeAll(() => {
    work = tmpDir('swj-install')
    const platformDir = path.join(work, host)
    fs.cpSync(path.join(root, 'npm', host), platformDir, { recursive: true })
    fs.copyFileSync(path.join(root, addon), path.join(platformDir, addon))
    const tarballs = [pack(root, work), pack(platformDir, work)]
    full = project(work, 'full', tarballs) // what `npm install safe-write-json` gives
    bare = project(work, 'bare', tarballs.slice(0, 1)) // as if optional dependencies were omitted
  }, 180_000)

  npmTest('CommonJS: require() loads the binary from the platform package', () => {
    const script = `
      const { safeWriteJson } = require('safe-write-json')
      const file = require('node:path').join(process.cwd(), 'cjs.json')
      safeWriteJson(file, { via: 'require' }, 2).then(() => console.log(JSON.stringify({
        entry: require.resolve('safe-write-json'),
        binary: require.resolve('safe-write-json-${host}'),
        text: require('node:fs').readFileSync(file, 'utf8'),
      })))`
    const run = node(['-e', script], full)
    expect(run).toMatchObject({ status: 0, stderr: '' })
    expect(JSON.parse(run.stdout)).toEqual({
      entry: path.join(full, 'node_modules', 'safe-write-json', 'index.js'),
      binary: path.join(full, 'node_modules', `safe-write-json-${host}`, addon),
      text: JSON.stringify({ via: 'require' }, null, 2),
    })
  })

  npmTest('ESM: named imports work, and every CommonJS export is one', () => {
    fs.writeFileSync(
      path.join(full, 'esm.mjs'),
      `import { safeWriteJson, safeWriteJsonSync, safeWriteFile, safeWriteFileSync } from 'safe-write-json'
      import * as namespace from 'safe-write-json'
      import { createRequire } from 'node:module'
      import { readFileSync } from 'node:fs'
      const cjs = createRequire(import.meta.url)('safe-write-json')
      await safeWriteJson('esm.json', { via: 'import' }, '\\t')
      safeWriteJsonSync('sync.json', [safeWriteFile, safeWriteFileSync].map((f) => typeof f))
      console.log(JSON.stringify({
        named: Object.keys(namespace).filter((k) => k !== 'default').sort(),
        cjs: Object.keys(cjs).sort(),
        sameObject: namespace.default === cjs,
        text: readFileSync('esm.json', 'utf8'),
        sync: readFileSync('sync.json', 'utf8'),
      }))`,
    )
    const run = node(['esm.mjs'], full)
    expect(run).toMatchObject({ status: 0, stderr: '' })
    const out = JSON.parse(run.stdout)
    expect(out.cjs).toEqual(
      expect.arrayContaining(['safeWriteJson', 'safeWriteJsonSync', 'safeWriteFile', 'safeWriteFileSync']),
    )
    expect(out).toEqual({
      named: out.cjs,
      cjs: out.cjs,
      sameObject: true,
      text: JSON.stringify({ via: 'import' }, null, '\t'),
      sync: '["function","function"]',
    })
  })

  npmTest('without the platform package, the error says what was detected, looked for, and what to do', () => {
    const script = `try { require('safe-write-json') } catch (e) {
      console.log(JSON.stringify({ message: e.message, cause: e.cause.message })) }`
    const run = node(['-e', script], bare)
    expect(run).toMatchObject({ status: 0, stderr: '' })
    const { message, cause } = JSON.parse(run.stdout)
    const lines = message.split('\n')
    const [os, arch] = host.split('-')
    const libc = { gnu: ', libc glibc', musl: ', libc musl' }[abi] ?? ''
    expect(lines[0]).toBe(
      `safe-write-json: no native binary could be loaded for ${host} (platform ${os}, arch ${arch}${libc}).`,
    )
    expect(lines[1]).toBe(`Looked for: the package safe-write-json-${host}, or ${addon} beside binding.js`)
    expect(lines).toContain(`    Cannot find module './${addon}'`)
    expect(lines).toContain(`    Cannot find module 'safe-write-json-${host}'`)
    expect(lines).toContain(`Binaries are published for: ${platforms.join(', ')}.`)
    // `bare` has a plain `npm pack` tarball: no optionalDependencies, so advice about them is wrong.
    expect(message).toContain('This copy of safe-write-json names no platform package, so it has no binary')
    expect(message).toContain('run npm run pack:local in a clone and install all it makes in one command')
    expect(message).not.toContain('Install with optional dependencies enabled')
    expect(message).toContain('npm ci && npm run build')
    expect(message).not.toMatch(/wasi/) // the loader's WASI fallback is not something we publish
    expect(cause).toMatch(/^Cannot find native binding\./) // the generated loader's error is kept
  })

  npmTest('NAPI_RS_NATIVE_LIBRARY_PATH at a missing file: the error names that file', () => {
    const missing = path.join(work, 'nowhere', addon)
    const run = node(['-e', "require('safe-write-json')"], full, { NAPI_RS_NATIVE_LIBRARY_PATH: missing })
    expect(run.status).toBe(1)
    expect(run.stderr).toContain(
      `Looked for: ${missing} (NAPI_RS_NATIVE_LIBRARY_PATH)\n    Cannot find module '${missing}'`,
    )
  })

  npmTest('built from source: a .node beside binding.js, or named by NAPI_RS_NATIVE_LIBRARY_PATH, loads', () => {
    const script = "require('safe-write-json').safeWriteJsonSync('built.json', 1); console.log('ok')"
    expect(node(['-e', script], bare, { NAPI_RS_NATIVE_LIBRARY_PATH: path.join(root, addon) }).stdout).toBe('ok\n')
    const beside = path.join(bare, 'node_modules', 'safe-write-json', addon)
    fs.copyFileSync(path.join(root, addon), beside)
    try {
      expect(node(['-e', script], bare)).toEqual({ status: 0, stdout: 'ok\n', stderr: '' })
    } finally {
      fs.rmSync(beside)
    }
  })

  describe('bundled into a VS Code extension with esbuild', () => {
    const options = (outfile) => ({
      entryPoints: [path.join(__dirname, 'fixtures', 'extension.ts')],
      nodePaths: [path.join(full, 'node_modules')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      outfile,
      logLevel: 'silent',
    })

    npmTest('with the package external, the bundle requires it at run time and works', async () => {
      const outfile = path.join(full, 'dist', 'extension.js')
      await esbuild.build({ ...options(outfile), external: ['vscode', 'safe-write-json'] })
      const bundle = fs.readFileSync(outfile, 'utf8')
      expect(bundle).toContain('require("safe-write-json")')
      expect(bundle).not.toContain('NAPI_RS_NATIVE_LIBRARY_PATH') // the loader stayed in node_modules

      const storage = path.join(work, 'globalStorage')
      const script = `require('./dist/extension.js')
        .activate({ globalStorageUri: { fsPath: ${JSON.stringify(storage)} } })
        .then((file) => console.log(file))`
      const run = node(['-e', script], full)
      expect(run).toMatchObject({ status: 0, stderr: '' })
      expect(run.stdout).toBe(path.join(storage, 'state.json') + '\n')
      expect(fs.readFileSync(path.join(storage, 'state.json'), 'utf8')).toBe(
        '{\n  "activated": true,\n  "tasks": []\n}\n',
      )
    })

    npmTest('without `external`, esbuild stops at the .node file', async () => {
      const failure = esbuild.build({ ...options(path.join(full, 'dist', 'inlined.js')), external: ['vscode'] })
      await expect(failure).rejects.toThrow(`No loader is configured for ".node" files`)
    })
  })
})
