// The `safe-write-json` command, run as a real child process: real stdin, stdout, stderr and
// exit codes, on real directories.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { tmpDir } = require('./helpers')

const CLI = path.resolve(__dirname, '..', 'cli.js')

let dir
beforeEach(() => {
  dir = tmpDir()
})

/** Run the command in `dir`; `input` is piped to its stdin. */
function run(args, input) {
  const child = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, input, encoding: 'utf8' })
  return { code: child.status, stdout: child.stdout, stderr: child.stderr }
}

const put = (name, content, ageMs) => {
  const file = path.join(dir, name)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, content)
  if (ageMs !== undefined) fs.utimesSync(file, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs))
  return file
}
const HOUR = 3600 * 1000

describe('write', () => {
  test('JSON from the argument', () => {
    expect(run(['write', 'settings.json', '{"theme": "dark"}'])).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')).toBe('{"theme":"dark"}')
  })

  test('JSON from stdin, with --indent, --final-newline and --backup', () => {
    put('config/mcp.json', '{"old":true}')
    const result = run(
      ['write', 'config/mcp.json', '--indent', '2', '--final-newline', '--backup'],
      '\ufeff{"servers": {"a": [1, 2]}}\n',
    )
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(fs.readFileSync(path.join(dir, 'config/mcp.json'), 'utf8')).toBe(
      JSON.stringify({ servers: { a: [1, 2] } }, null, 2) + '\n',
    )
    expect(fs.readFileSync(path.join(dir, 'config/mcp.json.bak'), 'utf8')).toBe('{"old":true}')
  })

  test("'-' and --indent tab", () => {
    expect(run(['write', 'a.json', '-', '--indent', 'tab'], '[1]').code).toBe(0)
    expect(fs.readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe('[\n\t1\n]')
  })

  test('invalid JSON is refused before anything is written: exit 2, one line on stderr', () => {
    put('keep.json', '{"keep":1}')
    const result = run(['write', 'keep.json'], '{"keep": 2,')
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^safe-write-json: the JSON to write does not parse \(.+\); nothing was written\n$/)
    expect(fs.readFileSync(path.join(dir, 'keep.json'), 'utf8')).toBe('{"keep":1}')
    expect(fs.readdirSync(dir)).toEqual(['keep.json'])
  })

  test('bytes on stdin that are not UTF-8 are refused: exit 2, nothing written', () => {
    put('keep.json', '{"keep":1}')
    // A Latin-1 "é" (0xE9), and a 3-byte sequence cut short: the JSON parses once decoded
    // leniently (as U+FFFD), so only the decoding can catch it.
    for (const [bytes, offset] of [
      [Buffer.from([...Buffer.from('{"name":"caf'), 0xe9, ...Buffer.from('"}')]), 12],
      [Buffer.from([...Buffer.from('["ok","'), 0xe2, 0x82, ...Buffer.from('"]')]), 7],
    ]) {
      expect(run(['write', 'keep.json'], bytes)).toEqual({
        code: 2,
        stdout: '',
        stderr: `safe-write-json: the JSON on stdin is not valid UTF-8 (first bad byte at offset ${offset}); nothing was written\n`,
      })
      expect(fs.readFileSync(path.join(dir, 'keep.json'), 'utf8')).toBe('{"keep":1}')
      expect(fs.readdirSync(dir)).toEqual(['keep.json'])
    }
    // Valid UTF-8 beyond ASCII goes through.
    expect(run(['write', 'keep.json'], Buffer.from('{"name":"café 😀"}')).code).toBe(0)
    expect(fs.readFileSync(path.join(dir, 'keep.json'), 'utf8')).toBe('{"name":"café 😀"}')
  })

  test('a file-system failure: exit 1, the error in one line', () => {
    fs.mkdirSync(path.join(dir, 'taken.json'))
    expect(run(['write', 'taken.json', '1'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "safe-write-json: EISDIR: illegal operation on a directory, open 'taken.json'\n",
    })
  })

  test.each([
    [['write'], 'write takes a file and, optionally, the JSON: write <file> [json]'],
    [['write', 'a.json', '1', '2'], 'write takes a file and, optionally, the JSON: write <file> [json]'],
    [['write', 'a.json', '1', '--indent', 'wide'], "--indent takes a number of spaces (0-10) or 'tab', not 'wide'"],
    [['write', 'a.json', '1', '--indent', '11'], "--indent takes a number of spaces (0-10) or 'tab', not '11'"],
    [['write', 'a.json', '1', '--older-than', '5'], "--older-than does not apply to 'write'"],
  ])('%j is wrong usage: exit 2', (args, message) => {
    expect(run(args, '')).toEqual({ code: 2, stdout: '', stderr: `safe-write-json: ${message}\n` })
    expect(fs.existsSync(path.join(dir, 'a.json'))).toBe(false)
  })
})

describe('check', () => {
  test('a directory with good, bad and orphan files: a table and exit 1', () => {
    put('good.json', '{"ok":true}')
    put('settings.json.bak', '{"ok":"backup"}')
    put('empty.json', '')
    put('tasks/42/history.json', '[{"role":"user","text":"hello"},{"role":"assis')
    put('tasks/42/.history.json.x8Kq2mZp.tmp', '[{"role":', 3 * HOUR)
    put('tasks/42/.history.json.Fresh123.tmp', '[', 0) // a write in progress: not an orphan
    put('notes.txt', 'not json, not checked')
    // The CLI prints paths as the platform spells them (same length either way: the table lines up).
    const native = (p) => p.split('/').join(path.sep)
    const result = run(['check', '.'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(1)
    expect(result.stdout).toBe(
      [
        'PROBLEM           FILE                                 DETAIL',
        `orphan temp file  ${native('tasks/42/.history.json.x8Kq2mZp.tmp')}  left by a write that never finished, 3 h ago; remove with: safe-write-json clean ${native('tasks/42')}`,
        'invalid JSON      empty.json                           unexpected end of JSON input at position 0 (line 1, column 1)',
        `invalid JSON      ${native('tasks/42/history.json')}                unexpected end of JSON input at position 46 (line 1, column 47): …:"hello"},{"role":"assis`,
        '3 problems (4 JSON files checked)',
        '',
      ].join('\n'),
    )
    // Not to be left for the shared no-leftovers check.
    fs.unlinkSync(path.join(dir, 'tasks/42/.history.json.Fresh123.tmp'))
    fs.unlinkSync(path.join(dir, 'tasks/42/.history.json.x8Kq2mZp.tmp'))
  })

  test('files named on the command line are checked whatever their extension; a clean run exits 0', () => {
    put('a.json', '[]')
    put('config.jsonc.txt', '{"x": 1}')
    expect(run(['check', 'a.json', 'config.jsonc.txt'])).toEqual({
      code: 0,
      stdout: '2 JSON files checked: no problems\n',
      stderr: '',
    })
  })

  test('a file that cannot be read is a problem too', () => {
    const result = run(['check', 'missing.json'])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("unreadable  missing.json  ENOENT: no such file or directory, open 'missing.json'")
  })

  test('symlinked JSON files are checked through the link; a link to nothing is a problem', () => {
    put('real/good.json', '{"ok":true}')
    put('real/bad.json', '{"ok":')
    fs.mkdirSync(path.join(dir, 'links'))
    fs.symlinkSync('../real/good.json', path.join(dir, 'links/good.json'))
    fs.symlinkSync('../real/bad.json', path.join(dir, 'links/bad.json'))
    fs.symlinkSync('../real/gone.json', path.join(dir, 'links/dangling.json'))
    fs.symlinkSync('../real', path.join(dir, 'links/dir.json')) // a link to a directory: not followed
    const result = run(['check', 'links'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(1)
    expect(result.stdout).toBe(
      [
        'PROBLEM       FILE                 DETAIL',
        'invalid JSON  links/bad.json       unexpected end of JSON input at position 6 (line 1, column 7): {"ok":',
        "broken link   links/dangling.json  points to '../real/gone.json', which does not exist",
        '2 problems (3 JSON files checked)',
        '',
      ].join('\n'),
    )
    // Named on the command line, the same.
    expect(run(['check', 'links/good.json'])).toEqual({
      code: 0,
      stdout: '1 JSON file checked: no problems\n',
      stderr: '',
    })
    expect(run(['check', 'links/dangling.json']).stdout).toContain(
      "broken link  links/dangling.json  points to '../real/gone.json', which does not exist",
    )
  })

  test('--older-than sets when a temp file counts as an orphan', () => {
    put('.a.json.Abcdefgh.tmp', 'x', 10000)
    expect(run(['check', '.']).code).toBe(0)
    expect(run(['check', '.', '--older-than', '5000']).code).toBe(1)
    fs.unlinkSync(path.join(dir, '.a.json.Abcdefgh.tmp'))
  })

  test('check reports exactly the temp files clean then removes', () => {
    const names = ['.a.json.Abcdefgh.tmp', '.b.json.12345678.tmp', '.c.tmp', 'd.12345678.tmp', '.e.json.abc.tmp']
    for (const name of names) put(name, 'x', HOUR)
    const reported = run(['check', '.'])
      .stdout.split('\n')
      .filter((line) => line.startsWith('orphan temp file'))
      .map((line) => line.split(/\s{2,}/)[1])
    const removed = run(['clean', '.']).stdout.split('\n').filter(Boolean)
    expect(reported).toEqual(['.a.json.Abcdefgh.tmp', '.b.json.12345678.tmp'])
    expect(removed.map((file) => path.basename(file))).toEqual(reported)
    expect(fs.readdirSync(dir).sort()).toEqual(['.c.tmp', '.e.json.abc.tmp', 'd.12345678.tmp'])
  })
})

describe('clean', () => {
  test('removes the orphans older than the threshold and prints their paths', () => {
    put('state/.a.json.Abcdefgh.tmp', 'x', HOUR)
    put('state/.b.json.Young123.tmp', 'x', 0)
    put('state/.foo.tmp', 'x', HOUR)
    expect(run(['clean', 'state'])).toEqual({
      code: 0,
      stdout: `${path.join('state', '.a.json.Abcdefgh.tmp')}\n`,
      stderr: '',
    })
    expect(fs.readdirSync(path.join(dir, 'state')).sort()).toEqual(['.b.json.Young123.tmp', '.foo.tmp'])
    expect(run(['clean', 'state', '--older-than', '0']).stdout).toBe(`${path.join('state', '.b.json.Young123.tmp')}\n`)
    expect(run(['clean', 'state']).stdout).toBe('')
  })

  test('a missing directory: exit 1 and the error', () => {
    expect(run(['clean', 'nowhere'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "safe-write-json: ENOENT: no such file or directory, scandir 'nowhere'\n",
    })
  })

  test.each([
    [['clean'], 'clean takes one directory: clean <dir>'],
    [['clean', 'a', 'b'], 'clean takes one directory: clean <dir>'],
    [['clean', '.', '--older-than', 'soon'], "--older-than takes milliseconds (a whole number), not 'soon'"],
    [['clean', '.', '--backup'], "--backup does not apply to 'clean'"],
  ])('%j is wrong usage: exit 2', (args, message) => {
    expect(run(args)).toEqual({ code: 2, stdout: '', stderr: `safe-write-json: ${message}\n` })
  })
})

describe('everything else', () => {
  test('--help and -h print the usage on stdout', () => {
    for (const flag of ['--help', '-h']) {
      const result = run([flag])
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^Usage: safe-write-json <command> \[options\]\n/)
      expect(result.stdout).toContain('check <file|dir>...')
    }
  })

  test('--version prints the package version', () => {
    expect(run(['--version'])).toEqual({ code: 0, stdout: `${require('../package.json').version}\n`, stderr: '' })
  })

  test.each([
    [[], 'no command given (write, check or clean); see --help'],
    [['frob'], "unknown command 'frob' (write, check or clean); see --help"],
  ])('%j: exit 2', (args, message) => {
    expect(run(args)).toEqual({ code: 2, stdout: '', stderr: `safe-write-json: ${message}\n` })
  })

  test('an unknown option: exit 2, one line', () => {
    const result = run(['check', '.', '--fast'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^safe-write-json: Unknown option '--fast'.*\n$/)
    expect(result.stderr.split('\n')).toHaveLength(2)
  })

  test('package.json runs it as safe-write-json, and it starts with a node shebang', () => {
    const pkg = require('../package.json')
    expect(pkg.bin).toEqual({ 'safe-write-json': 'cli.js' })
    expect(pkg.files).toContain('cli.js')
    expect(fs.readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
  })
})
