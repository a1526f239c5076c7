#!/usr/bin/env node
// The `safe-write-json` command: write, read, check and clean JSON state files from scripts. It
// uses only the package's public API (./index.js) and Node's own modules, and turns every outcome
// into an exit code (0 fine, 1 problems found or an operation failed, 2 wrong usage) with one
// line on stderr for an error, rather than a stack trace.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const { parseArgs } = require('node:util')
const api = require('./index.js')
const { safeWriteJson, safeReadJson, cleanupTempFiles } = api
// The one internal the CLI needs: cleanupTempFiles's own scan, without the removing.
const findLeftovers = api[Symbol.for('safe-write-json.findLeftovers')]

const HELP = `Usage: safe-write-json <command> [options]

Commands:
  write <file> [json]    write JSON atomically and durably; the JSON comes from the argument,
                         or from stdin (UTF-8) when it is missing or '-'; checked before anything is
                         written, then written as JSON.stringify(JSON.parse(json), null, indent)
  read <file>            print the file's JSON (compact, or with --indent) and a newline; a file
                         that is missing (without --default), unreadable or not JSON is an error
  check <file|dir>...    report files that are not valid JSON and orphan temp files left by a
                         crashed write; directories are searched recursively for *.json and
                         *.json.bak files (through symlinks to files; a link to nothing is
                         reported); exit code 1 when anything is found
  clean <dir>            remove the orphan temp files in <dir> (not its subdirectories) and
                         print their paths

Options:
  --indent <n|tab>       write, read: indent with n spaces (0-10) or a tab (default: compact)
  --final-newline        write: end the file with a newline
  --backup               write: keep the previous version as <file>.bak
  --default <json>       read: print this JSON when the file does not exist
  --recover              read: when the file is missing or not JSON, print its <file>.bak if that
                         is valid JSON, with a warning on stderr
  --older-than <ms>      check, clean: temp files younger than this may belong to a write in
                         progress and are left alone (default: 60000)
  -h, --help             show this help
  -v, --version          show the version

Exit codes: 0 success, 1 problems found or the operation failed, 2 wrong usage.`

/** Wrong usage: reported as one line, exit code 2. */
class UsageError extends Error {}

/** Run one command line; resolve with the exit code. Never throws. */
async function main(argv, io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        indent: { type: 'string' },
        'final-newline': { type: 'boolean' },
        backup: { type: 'boolean' },
        default: { type: 'string' },
        recover: { type: 'boolean' },
        'older-than': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    })
    if (values.help || values.version) {
      print(io.stdout, values.help ? HELP : require('./package.json').version)
      return 0
    }
    const [command, ...args] = positionals
    const only = (allowed) => {
      for (const name of ['indent', 'final-newline', 'backup', 'default', 'recover', 'older-than']) {
        if (values[name] !== undefined && !allowed.includes(name))
          throw new UsageError(`--${name} does not apply to '${command}'`)
      }
    }
    switch (command) {
      case 'write':
        only(['indent', 'final-newline', 'backup'])
        return await write(args, values, io)
      case 'read':
        only(['indent', 'default', 'recover'])
        return await read(args, values, io)
      case 'check':
        only(['older-than'])
        return await check(args, olderThan(values), io)
      case 'clean':
        only(['older-than'])
        return await clean(args, olderThan(values), io)
      case undefined:
        throw new UsageError('no command given (write, read, check or clean); see --help')
      default:
        throw new UsageError(`unknown command '${command}' (write, read, check or clean); see --help`)
    }
  } catch (err) {
    // A file argument the API refuses (empty, a NUL byte) is wrong usage too, like a bad option.
    const usage = err instanceof UsageError || /^ERR_(PARSE_ARGS|INVALID_ARG)/.test(String(err.code))
    print(io.stderr, `safe-write-json: ${firstLine(err.message)}`)
    return usage ? 2 : 1
  }
}

async function write(args, values, io) {
  if (args.length < 1 || args.length > 2)
    throw new UsageError('write takes a file and, optionally, the JSON: write <file> [json]')
  const [file, json = '-'] = args
  let text = json
  if (json === '-') {
    if (io.stdin.isTTY) throw new UsageError('no JSON given: pass it as an argument or pipe it to stdin')
    text = await readAll(io.stdin)
  }
  const data = parseGiven(text, 'the JSON to write', '; nothing was written')
  await safeWriteJson(file, data, {
    indent: indentOf(values.indent),
    finalNewline: values['final-newline'] ?? false,
    backup: values.backup ?? false,
  })
  return 0
}

async function read(args, values, io) {
  if (args.length !== 1)
    throw new UsageError('read takes one file: read <file> [--default <json>] [--recover] [--indent <n|tab>]')
  const indent = indentOf(values.indent)
  // Checked before the file is read: a bad default is wrong usage whether or not it is needed.
  const fallback = values.default === undefined ? undefined : parseGiven(values.default, 'the --default JSON')
  const value = await safeReadJson(args[0], { default: fallback, recover: values.recover ?? false })
  print(io.stdout, JSON.stringify(value, null, indent))
  return 0
}

async function check(args, olderThanMs, io) {
  if (args.length === 0) throw new UsageError('check takes one or more files or directories: check <file|dir>...')
  const problems = []
  let checked = 0
  for (const arg of args) {
    const stat = fs.statSync(arg, { throwIfNoEntry: false })
    const files = stat?.isDirectory() ? await walk(arg, olderThanMs, problems) : [arg]
    for (const file of files) {
      checked++
      const broken = brokenLink(file)
      if (broken) {
        problems.push({ problem: 'broken link', file, detail: broken })
        continue
      }
      try {
        await safeReadJson(file)
      } catch (err) {
        problems.push({
          problem: err.code === 'EJSONPARSE' ? 'invalid JSON' : 'unreadable',
          file,
          detail: detailOf(err, file),
        })
      }
    }
  }
  if (problems.length === 0) {
    print(io.stdout, `${plural(checked, 'JSON file')} checked: no problems`)
    return 0
  }
  print(io.stdout, table(problems))
  print(io.stdout, `${plural(problems.length, 'problem')} (${plural(checked, 'JSON file')} checked)`)
  return 1
}

async function clean(args, olderThanMs, io) {
  if (args.length !== 1) throw new UsageError('clean takes one directory: clean <dir>')
  const removed = await cleanupTempFiles(args[0], { olderThanMs })
  for (const file of removed) print(io.stdout, file)
  return 0
}

/**
 * The JSON files under `dir` (recursively; symlinked directories are not followed, a symlink to
 * a file or to nothing is checked through the link), and the leftovers found on the way —
 * decided by the same code as cleanupTempFiles — added to `problems`.
 */
async function walk(dir, olderThanMs, problems) {
  const files = []
  for (const leftover of await findLeftovers(dir, { olderThanMs })) {
    const { kind } = leftover
    const file = path.join(dir, path.basename(leftover.path))
    const age = ago(fs.lstatSync(file).mtimeMs)
    const detail =
      kind === 'temp'
        ? `left by a write that never finished, ${age}`
        : `held by nobody since ${age.replace(/ ago$/, '')}: its writer died`
    problems.push({ problem: LEFTOVER[kind], file, detail: `${detail}; remove with: safe-write-json clean ${dir}` })
  }
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) files.push(...(await walk(full, olderThanMs, problems)))
    else if (/\.json(\.bak)?$/i.test(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && !isDirectory(full))))
      files.push(full)
  }
  return files
}

/** Whether `file` leads to a directory (through links); false if it leads nowhere. */
function isDirectory(file) {
  try {
    return fs.statSync(file).isDirectory()
  } catch {
    return false
  }
}

/** What is wrong with `file` if it is a symlink that leads nowhere; null otherwise. */
function brokenLink(file) {
  if (!fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) return null
  try {
    fs.statSync(file)
    return null
  } catch (err) {
    const to = `points to '${fs.readlinkSync(file)}'`
    return err.code === 'ENOENT' ? `${to}, which does not exist` : `${to}: ${firstLine(err.message)}`
  }
}

const LEFTOVER = { temp: 'orphan temp file', lock: 'stale lock file' }

/** JSON given on the command line or stdin, parsed; wrong usage if it does not parse. */
function parseGiven(text, what, consequence = '') {
  try {
    // A BOM from an editor or a PowerShell pipe is not part of the JSON.
    return JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    throw new UsageError(`${what} does not parse (${err.message})${consequence}`)
  }
}

function olderThan(values) {
  if (values['older-than'] === undefined) return undefined // the API's default (60000)
  if (!/^\d+$/.test(values['older-than']))
    throw new UsageError(`--older-than takes milliseconds (a whole number), not '${values['older-than']}'`)
  return Number(values['older-than'])
}

function indentOf(indent) {
  if (indent === undefined) return undefined
  if (indent === 'tab' || indent === '\\t' || indent === '\t') return '\t'
  if (/^\d+$/.test(indent) && Number(indent) <= 10) return Number(indent)
  throw new UsageError(`--indent takes a number of spaces (0-10) or 'tab', not '${indent}'`)
}

/** A problem table: fixed columns, the detail last (it may be long). */
function table(rows) {
  const width = (key, title) => Math.max(title.length, ...rows.map((row) => row[key].length))
  const [p, f] = [width('problem', 'PROBLEM'), width('file', 'FILE')]
  const line = (a, b, c) => `${a.padEnd(p)}  ${b.padEnd(f)}  ${c}`.trimEnd()
  return [line('PROBLEM', 'FILE', 'DETAIL'), ...rows.map((row) => line(row.problem, row.file, row.detail))].join('\n')
}

/** What went wrong with a file, without repeating its path (the table shows it). */
function detailOf(err, file) {
  if (err.code !== 'EJSONPARSE') return firstLine(err.message)
  return firstLine(err.message.replace('EJSONPARSE: ', '').replace(` in '${file}'`, ''))
}

function ago(mtimeMs) {
  const seconds = Math.max(0, Math.round((Date.now() - mtimeMs) / 1000))
  if (seconds < 120) return `${seconds} s ago`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86400)} days ago`
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`
const firstLine = (text) => String(text).split('\n')[0]
const print = (stream, text) => stream.write(`${text}\n`)

/** All of `stream` as text; bytes that are not UTF-8 are wrong usage, not U+FFFD written. */
async function readAll(stream) {
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)
  const bytes = Buffer.concat(chunks)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new UsageError(
      `the JSON on stdin is not valid UTF-8 (first bad byte at offset ${firstBadByte(bytes)}); nothing was written`,
    )
  }
}

/** The offset of the first byte that does not start a valid UTF-8 sequence. */
function firstBadByte(bytes) {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]
    const length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4
    try {
      decoder.decode(bytes.subarray(i, i + length))
    } catch {
      return i
    }
    i += length
  }
  return bytes.length
}

module.exports = { main }

/**
 * Show `read --recover`'s SAFE_WRITE_JSON_RECOVERED warning as this command's own message, once,
 * instead of Node's form (a pid, the code, a --trace-warnings hint): the listeners Node had
 * (its printer, unless --no-warnings) keep receiving every other warning.
 */
function showRecoveryWarnings(stderr) {
  const others = process.listeners('warning')
  process.removeAllListeners('warning')
  process.on('warning', (warning) => {
    if (warning.code !== 'SAFE_WRITE_JSON_RECOVERED') {
      for (const listener of others) listener.call(process, warning)
      return
    }
    print(stderr, `safe-write-json: warning: ${warning.message.replace(/^safeReadJson: /, '')}`)
    if (warning.detail) print(stderr, `  ${firstLine(warning.detail)}`)
  })
}

if (require.main === module) {
  showRecoveryWarnings(process.stderr)
  process.stdout.on('error', (err) => {
    // A reader that stopped early (`read big.json | head`) closed the pipe: the rest of the output
    // has nowhere to go. Stop with exit code 1, as the shell's own tools stop, not a stack trace.
    if (err.code !== 'EPIPE') print(process.stderr, `safe-write-json: ${firstLine(err.message)}`)
    process.exit(1)
  })
  // exitCode, not exit(): output piped to another program is flushed first.
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
