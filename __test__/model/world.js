// The world a model scenario runs in, shared by the runner (__test__/model/run.js) and the
// child processes that play the scenario (__test__/model/child.js): the directory layout with
// its symlinks, the spellings of each file, and the self-describing values the scenario writes.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

// The files a scenario writes. Each has several spellings that the contract says are the same
// file ("Same path": URL decoding, path.resolve, symlinks of the target and of its directory).
// Relative spellings are relative to the child's cwd, which is the root (set at spawn, so no
// process.chdir in a jest worker).
const FILES = {
  // d/a.json through everything: a file symlink, a directory symlink, `..`, a URL, and
  // w/f.json where w -> x/y and x/y/f.json -> ../../d/a.json: the link text must be resolved
  // against x/y (issue 10, item 7); resolved lexically against w it names a file outside the root.
  a: {
    real: 'd/a.json',
    spellings: [
      'd/a.json',
      'ABS:d/a.json',
      'la.json',
      'ld/a.json',
      'd/../ld/a.json',
      './ld/../d/./a.json',
      'w/f.json',
      'URL:d/a.json',
    ],
  },
  b: { real: 'e/b.json', spellings: ['e/b.json', 'lb.json', 'ABS:e/b.json'] },
  // A file whose directories the first write creates (spill into new directories: items 8, 15).
  c: { real: 'n/x/c.json', spellings: ['n/x/c.json', 'ABS:n/x/c.json', 'n/./x/../x/c.json'] },
  // The counter that only `inc` steps (updateJson +1) touch, from every process.
  k: { real: 'd/k.json', spellings: ['d/k.json', 'ld/k.json', 'lk.json', 'ABS:ld/../d/k.json'] },
}

// Whether this system makes symlinks. Wine 8 answers symlink() with success and makes nothing
// (Windows without the privilege refuses): there the spellings through a link are left out, and
// the model still checks the others.
const LINKS_WORK = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swj-link-probe-'))
  try {
    fs.writeFileSync(path.join(dir, 't'), '')
    fs.symlinkSync('t', path.join(dir, 'l'))
    return fs.lstatSync(path.join(dir, 'l')).isSymbolicLink()
  } catch {
    return false
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})()
const THROUGH_A_LINK = /(^|[:/])(la\.json|lb\.json|lk\.json|ld\/|w\/)/

/** Make the layout under a fresh `root` (inside a sandbox, so a wrongly resolved `..` stays in it). */
function makeLayout(root) {
  for (const dir of ['d', 'e', 'x/y']) fs.mkdirSync(path.join(root, dir), { recursive: true })
  const links = [
    ['d/a.json', 'la.json'],
    ['d', 'ld'],
    ['x/y', 'w'],
    ['../../d/a.json', 'x/y/f.json'],
    ['e/b.json', 'lb.json'],
    ['d/k.json', 'lk.json'],
  ]
  if (LINKS_WORK) for (const [target, name] of links) fs.symlinkSync(target, path.join(root, name))
}

/** The path argument for spelling `i` (any integer; taken modulo the count) of `file`. */
function spell(root, file, i) {
  const all = FILES[file].spellings.filter((s) => LINKS_WORK || !THROUGH_A_LINK.test(s))
  const s = all[i % all.length]
  if (s.startsWith('ABS:')) return path.join(root, s.slice(4))
  if (s.startsWith('URL:')) return pathToFileURL(path.join(root, s.slice(4)))
  return s
}

// Sizes: each crosses one internal threshold of the writer. The thresholds come from the child's
// environment (stringify.js's `tuning`); the copier's in-flight limit (src/text.rs Flow::LIMIT,
// 8M UTF-16 units) is a constant, so `huge` is a real-size text, used only in the long run.
const COPIER_UNITS = 8 << 20
function sizes(env) {
  const walkMin = Number(env.SAFE_WRITE_JSON_WALK_MIN) || 512
  const spillBytes = Number(env.SAFE_WRITE_JSON_SPILL_BYTES) || 96 * 1024 * 1024
  return {
    small: { members: 3, chars: 8 },
    walk: { members: walkMin + 5, chars: 8 },
    // ~1.3x the spill threshold, which counts UTF-16 bytes (2 per unit; members of ~990 units).
    spill: { members: Math.max(walkMin, Math.ceil((spillBytes * 0.65) / 990)), chars: 1000 },
    // ~1.3x the copier's limit in UTF-16 units, and not spilled (the runner keeps the default
    // spill threshold, 96 MiB, for scenarios with `huge`).
    huge: { members: Math.max(walkMin, Math.ceil((COPIER_UNITS * 1.3) / 990)), chars: 1000 },
  }
}

/**
 * The value a call writes. Its header says who wrote it, so any process can rebuild it and so
 * check that what it reads is one complete version (guarantee 1) and not a mix or a torn file.
 * `n` is the updateJson counter. Members mix ASCII, 2-byte and 4-byte UTF-8 (UTF-16 pairs).
 */
function build(h, env) {
  const { members, chars } = sizes(env)[h.s]
  const unit = `${h.f}${h.p}.${h.c}:`
  const body = (unit + 'é😀'.padEnd(chars, 'x')).slice(0, Math.max(1, chars - 10))
  const pad = Array.from({ length: members }, (_, j) => (h.s === 'small' ? j : `${j}${body}`))
  return { f: h.f, p: h.p, c: h.c, n: h.n, s: h.s, i: h.i, pad }
}

/** The exact text of `build(h)` as the writers must put it on disk (guarantee 4). */
function textOf(h, env) {
  return JSON.stringify(build(h, env), null, h.i || undefined)
}

const HEADER = /^\{\s*"f":\s*"(\w)",\s*"p":\s*(\d+),\s*"c":\s*(\d+),\s*"n":\s*(\d+),\s*"s":\s*"(\w+)",\s*"i":\s*(\d+),/

/** The header of a file's text, or null when the text does not start like one of our values. */
function header(text) {
  const m = HEADER.exec(text.slice(0, 200))
  return m && { f: m[1], p: Number(m[2]), c: Number(m[3]), n: Number(m[4]), s: m[5], i: Number(m[6]) }
}

// The temp file and lock sidecar names of the contract ("Temp and lock files").
const TEMP_NAME = /^\..+\.[A-Za-z0-9]{8}\.tmp$/
const LOCK_NAME = /^\..+\.lock$/

/** Temp files and lock sidecars under `dir` (not following symlinks). */
function leftovers(dir) {
  const found = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) found.push(...leftovers(full))
    else if (TEMP_NAME.test(entry.name) || LOCK_NAME.test(entry.name)) found.push(full)
  }
  return found
}

module.exports = { FILES, makeLayout, spell, build, textOf, header, leftovers }
