#!/usr/bin/env node
// The structure the imports draw: every module of src/ and the modules it uses. Fails (exit 1)
// on a circle among the core's modules (src/*.rs, src/sys/), or on an import from the core into
// src/binding/ (the binding may use the core, never the reverse). Prints the graph either way.
//
// A module is a file (src/sys/ counts as one: its files are one facade chosen per platform).
// Its imports are its `crate::x` paths (in `use` lines and inline, `crate::{a, b}` groups
// included) and, in src/binding/, its `super::x` paths. Comments, strings and `#[cfg(test)]`
// items are left out: a unit test may use what the module itself must not.
'use strict'

const fs = require('node:fs')
const path = require('node:path')

// The crate's src/ (another one may be given, to try the check on a made-up tree).
const SRC = path.resolve(process.argv[2] || path.join(__dirname, '..', 'src'))
const BINDING = 'binding'

/** The module a file under src/ is: `write`, `sys`, `binding`, `binding/read`; null for lib.rs. */
function moduleOf(relative) {
  const parts = relative.replace(/\.rs$/, '').split(path.sep)
  if (parts.length === 1) return parts[0] === 'lib' ? null : parts[0]
  if (parts[0] === BINDING) return parts[1] === 'mod' ? BINDING : `${BINDING}/${parts[1]}`
  return parts[0] // a core directory module (src/sys/): one node
}

function rustFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return rustFiles(full)
    return entry.name.endsWith('.rs') ? [full] : []
  })
}

/** The code of a Rust file without comments, string and char literals (each becomes a space). */
function codeOnly(text) {
  let out = ''
  let i = 0
  while (i < text.length) {
    const rest = text.slice(i, i + 3)
    if (rest.startsWith('//')) {
      while (i < text.length && text[i] !== '\n') i++
    } else if (rest.startsWith('/*')) {
      let depth = 0
      do {
        if (text.startsWith('/*', i)) {
          depth++
          i += 2
        } else if (text.startsWith('*/', i)) {
          depth--
          i += 2
        } else {
          i++
        }
      } while (depth > 0 && i < text.length)
      out += ' '
    } else if (/^r#*"/.test(text.slice(i, i + 20)) && !/\w/.test(text[i - 1] || '')) {
      const hashes = text.slice(i + 1).match(/^#*/)[0]
      const end = text.indexOf(`"${hashes}`, i + 2 + hashes.length)
      i = end < 0 ? text.length : end + 1 + hashes.length
      out += ' '
    } else if (text[i] === '"') {
      i++
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
      i++
      out += ' '
    } else if (text[i] === "'" && /^'(\\.[^']*|[^\\'])'/.test(text.slice(i, i + 12))) {
      i += text.slice(i, i + 12).match(/^'(\\.[^']*|[^\\'])'/)[0].length // a char; else a lifetime
      out += ' '
    } else {
      out += text[i++]
    }
  }
  return out
}

/** `code` without the items marked `#[cfg(test)]` (a test module, a test-only function). */
function withoutTests(code) {
  const marker = /#\[cfg\(test\)\]/g
  let out = ''
  let from = 0
  for (let m; (m = marker.exec(code));) {
    if (m.index < from) continue
    out += code.slice(from, m.index)
    let i = m.index + m[0].length
    while (i < code.length && code[i] !== '{' && code[i] !== ';') i++
    if (code[i] === '{') {
      for (let depth = 0; i < code.length; i++) {
        if (code[i] === '{') depth++
        else if (code[i] === '}' && --depth === 0) break
      }
    }
    from = i + 1
    marker.lastIndex = from
  }
  return out + code.slice(from)
}

/** The first names after each `prefix` (`crate::`, `super::`): `a` in `a::B`, `a` and `b` in `{a::X, b}`. */
function firstNames(code, prefix) {
  const names = []
  const re = new RegExp(`(?<![\\w$])${prefix.replace(/[$]/g, '\\$&')}\\s*(\\{|\\w+)`, 'g')
  for (let m; (m = re.exec(code));) {
    if (m[1] !== '{') {
      names.push(m[1])
      continue
    }
    let depth = 0
    let entry = ''
    for (let i = m.index + m[0].length - 1; i < code.length; i++) {
      const c = code[i]
      if (c === '{' && ++depth === 1) continue
      if (c === '}' && --depth === 0) {
        names.push(entry)
        break
      }
      if (depth === 1 && c === ',') {
        names.push(entry)
        entry = ''
      } else {
        entry += c
      }
    }
  }
  return names.map((name) => name.trim().match(/^\w*/)[0]).filter((name) => name && name !== 'self')
}

/** lib.rs's `pub use error::{Error, Result}`: the root names that stand for a module's items. */
function rootReExports(lib) {
  const owner = new Map()
  for (const m of lib.matchAll(/pub use (\w+)::(\{[^}]*\}|\w+)\s*;/g)) {
    for (const name of m[2].replace(/[{}]/g, '').split(',')) owner.set(name.trim(), m[1])
  }
  return owner
}

function graph() {
  const files = rustFiles(SRC).map((full) => [path.relative(SRC, full), codeOnly(fs.readFileSync(full, 'utf8'))])
  const lib = files.find(([relative]) => relative === 'lib.rs')[1]
  const reExported = rootReExports(lib)
  const modules = new Set(files.map(([relative]) => moduleOf(relative)).filter(Boolean))
  const edges = new Map([...modules].map((module) => [module, new Set()]))
  const unknown = []
  for (const [relative, text] of files) {
    const from = moduleOf(relative)
    if (!from) continue
    const code = withoutTests(text)
    const used = firstNames(code, 'crate::').concat(firstNames(code, '$crate::'))
    const targets = used.map((name) => {
      if (name === BINDING) return BINDING
      return modules.has(name) ? name : reExported.get(name)
    })
    if (from.startsWith(`${BINDING}/`)) {
      for (const name of firstNames(code, 'super::')) {
        targets.push(modules.has(`${BINDING}/${name}`) ? `${BINDING}/${name}` : BINDING)
      }
    }
    used.forEach((name, i) => targets[i] === undefined && unknown.push(`${relative}: crate::${name}`))
    for (const to of targets) if (to && to !== from) edges.get(from).add(to)
  }
  return { edges, unknown }
}

const isCore = (module) => module !== BINDING && !module.startsWith(`${BINDING}/`)

/** Each circle among the core's modules, as a path that ends where it starts (Tarjan's SCCs). */
function circles(edges) {
  const core = [...edges.keys()].filter(isCore).sort()
  const next = (module) => [...edges.get(module)].filter(isCore).sort()
  const index = new Map()
  const low = new Map()
  const stack = []
  const found = []
  let counter = 0
  function visit(module) {
    index.set(module, counter)
    low.set(module, counter++)
    stack.push(module)
    for (const to of next(module)) {
      if (!index.has(to)) {
        visit(to)
        low.set(module, Math.min(low.get(module), low.get(to)))
      } else if (stack.includes(to)) {
        low.set(module, Math.min(low.get(module), index.get(to)))
      }
    }
    if (low.get(module) !== index.get(module)) return
    const component = new Set()
    let top
    do {
      top = stack.pop()
      component.add(top)
    } while (top !== module)
    if (component.size > 1) found.push(cycleIn(component, next))
  }
  for (const module of core) if (!index.has(module)) visit(module)
  return found
}

/** One circle through every step inside a strongly connected `component`, from its first module. */
function cycleIn(component, next) {
  const start = [...component].sort()[0]
  const seen = new Set()
  const walk = (module, trail) => {
    for (const to of next(module).filter((to) => component.has(to))) {
      if (to === start) return [...trail, to]
      if (seen.has(to)) continue
      seen.add(to)
      const cycle = walk(to, [...trail, to])
      if (cycle) return cycle
    }
    return null
  }
  return walk(start, [start])
}

/** The modules in an order where each comes after what it uses (as far as circles allow). */
function layered(edges) {
  const order = []
  const placed = new Set()
  let left = [...edges.keys()].sort()
  while (left.length) {
    const ready = left.filter((module) => [...edges.get(module)].every((to) => placed.has(to)))
    const batch = ready.length ? ready : [left[0]] // a circle: break it anywhere
    for (const module of batch) {
      order.push(module)
      placed.add(module)
    }
    left = left.filter((module) => !placed.has(module))
  }
  return order
}

function main() {
  const { edges, unknown } = graph()
  const order = layered(edges)
  const width = Math.max(...order.map((module) => module.length))
  const line = (module) => `  ${module.padEnd(width)} -> ${[...edges.get(module)].sort().join(' ') || '(nothing)'}`
  console.log('core (each after what it uses):')
  console.log(order.filter(isCore).map(line).join('\n'))
  console.log('binding:')
  console.log(
    order
      .filter((module) => !isCore(module))
      .map(line)
      .join('\n'),
  )
  // Items of lib.rs itself (not re-exports of a module): the root, which no circle can run through.
  if (unknown.length) console.log(`root items used: ${unknown.join(', ')}`)

  const problems = []
  for (const cycle of circles(edges)) problems.push(`circle: ${cycle.join(' -> ')}`)
  for (const module of order.filter(isCore)) {
    for (const to of edges.get(module)) {
      if (!isCore(to)) problems.push(`core imports the binding: ${module} -> ${to}`)
    }
  }
  if (problems.length) {
    console.error(problems.join('\n'))
    process.exit(1)
  }
  console.log('no circle among the core modules; nothing in the core imports the binding')
}

main()
