#!/usr/bin/env node
// `npm run pack:local`: installable tarballs from a local build, in target/pack/.
//
// A plain `npm pack` of the root gives a package with no binary and no optionalDependencies
// (napi-rs adds those only at publish time), which cannot load once installed. This packs, for
// every binary built here (safe-write-json.<platform>.node beside binding.js), its npm/<platform>
// package with the binary in it, and the root package with those platform packages as
// optionalDependencies, as a published version has them. Install them with one command:
//
//   npm install /path/to/safe-write-json/target/pack/*.tgz
//
// npm then takes each platform package from its tarball, and the root package finds it there.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const OUT = path.join(ROOT, 'target', 'pack')
const pkg = require('../package.json')

// On Windows npm is npm.cmd, which Node runs only through a shell.
const npm = (args, cwd) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    shell: process.platform === 'win32',
  })

/** `npm pack` of `dir` into OUT; the tarball's path. */
const pack = (dir) => path.join(OUT, JSON.parse(npm(['pack', '--json', '--pack-destination', OUT], dir))[0].filename)

const binaryName = pkg.napi.binaryName
const platforms = fs
  .readdirSync(ROOT)
  .map((name) => name.match(new RegExp(`^${binaryName}\\.(.+)\\.node$`))?.[1])
  .filter((platform) => platform && fs.existsSync(path.join(ROOT, 'npm', platform, 'package.json')))
if (platforms.length === 0) {
  console.error(`pack:local: no ${binaryName}.<platform>.node beside binding.js: run npm run build first`)
  process.exit(1)
}

// A fresh directory, so that target/pack/*.tgz is exactly this build's set.
fs.rmSync(OUT, { recursive: true, force: true })
const stage = path.join(OUT, 'stage')
fs.mkdirSync(stage, { recursive: true })

const tarballs = []
const optionalDependencies = {}
for (const platform of platforms) {
  const dir = path.join(stage, platform)
  fs.cpSync(path.join(ROOT, 'npm', platform), dir, { recursive: true })
  const binary = `${binaryName}.${platform}.node`
  fs.copyFileSync(path.join(ROOT, binary), path.join(dir, binary))
  const platformPkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  if (platformPkg.version !== pkg.version) {
    throw new Error(`npm/${platform} is at ${platformPkg.version}, the package at ${pkg.version}: run npx napi version`)
  }
  optionalDependencies[platformPkg.name] = platformPkg.version
  tarballs.push(pack(dir))
}

// The root package: exactly the files `npm pack` would take, with the platform packages added
// as optionalDependencies (only those packed here, so that npm asks no registry for the others).
const main = path.join(stage, pkg.name)
const files = JSON.parse(npm(['pack', '--dry-run', '--json'], ROOT))[0].files.map((f) => f.path)
for (const file of files) fs.cpSync(path.join(ROOT, file), path.join(main, file))
const mainPkg = { ...pkg, optionalDependencies: { ...pkg.optionalDependencies, ...optionalDependencies } }
fs.writeFileSync(path.join(main, 'package.json'), JSON.stringify(mainPkg, null, 2) + '\n')
tarballs.unshift(pack(main))

fs.rmSync(stage, { recursive: true })
console.log(`packed ${tarballs.map((t) => path.relative(ROOT, t)).join(', ')}`)
console.log(`install them with: npm install ${path.join(OUT, '*.tgz')}`)
