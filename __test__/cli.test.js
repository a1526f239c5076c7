// The `safe-write-json` command, run as a real child process: real stdin, stdout, stderr and
// exit codes, on real directories.
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync, spawn, spawnSync } = require('node:child_process')
const { tmpDir } = require('./helpers')

const CLI = path.resolve(__dirname, '..', 'cli.js')

let dir
beforeEach(() => {
  dir = tmpDir()
})

// A command that hangs (a FIFO waiting for a writer) is killed and fails its test, not the run.
const WATCHDOG_MS = 60000

/** Run the command in `dir`; `input` is piped to its stdin. */
function run(args, input) {
  const child = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, input, encoding: 'utf8', timeout: WATCHDOG_MS })
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

describe('read', () => {
  /** The running Node's own JSON.parse message for `text` (V8's wording changes across versions). */
  const parseError = (text) => {
    try {
      JSON.parse(text)
    } catch (err) {
      return err.message
    }
  }
  const SETTINGS =
    '\ufeff{ "theme": "dark",\n  "font": { "size": 14, "family": "Fira Code" }, "recent": ["café 😀", null] }\n'
  const VALUE = { theme: 'dark', font: { size: 14, family: 'Fira Code' }, recent: ['café 😀', null] }

  test('prints the JSON compactly and a newline on stdout', () => {
    put('settings.json', SETTINGS)
    expect(run(['read', 'settings.json'])).toEqual({ code: 0, stdout: `${JSON.stringify(VALUE)}\n`, stderr: '' })
  })

  test('--indent as write takes it: a number of spaces or tab', () => {
    put('settings.json', SETTINGS)
    for (const [flag, indent] of [
      ['2', 2],
      ['10', 10],
      ['0', 0],
      ['tab', '\t'],
    ]) {
      expect(run(['read', 'settings.json', '--indent', flag])).toEqual({
        code: 0,
        stdout: `${JSON.stringify(VALUE, null, indent)}\n`,
        stderr: '',
      })
    }
  })

  test('a missing file: exit 1 with the error, or the --default printed', () => {
    expect(run(['read', 'missing.json'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "safe-write-json: ENOENT: no such file or directory, open 'missing.json'\n",
    })
    expect(run(['read', 'missing.json', '--default', '{ "runs": 0, "tags": [] }'])).toEqual({
      code: 0,
      stdout: '{"runs":0,"tags":[]}\n',
      stderr: '',
    })
    expect(run(['read', 'missing.json', '--default', 'null', '--indent', '2'])).toEqual({
      code: 0,
      stdout: 'null\n',
      stderr: '',
    })
    expect(run(['read', 'no/such/dir/state.json', '--default=[]']).stdout).toBe('[]\n')
    expect(fs.readdirSync(dir)).toEqual([])
  })

  test('an existing file is printed whatever the --default', () => {
    put('state.json', '[1]')
    expect(run(['read', 'state.json', '--default', '"unused"'])).toEqual({ code: 0, stdout: '[1]\n', stderr: '' })
  })

  test('a torn file: exit 1 with the position, nothing on stdout', () => {
    put('history.json', '[{"role":"user","text":"hello"},{"role":"assis')
    expect(run(['read', 'history.json', '--default', '[]'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'safe-write-json: EJSONPARSE: unexpected end of JSON input at position 46 (line 1, column 47) in \'history.json\': …:"hello"},{"role":"assis\n',
    })
  })

  test('--recover prints a valid .bak instead, with the warning once on stderr', () => {
    put('state.json', '{"version":2,"items":[')
    put('state.json.bak', '{"version":1,"items":[]}')
    expect(run(['read', 'state.json', '--recover'])).toEqual({
      code: 0,
      stdout: '{"version":1,"items":[]}\n',
      stderr: [
        "safe-write-json: warning: 'state.json' could not be read; returned its backup 'state.json.bak' instead",
        '  EJSONPARSE: unexpected end of JSON input at position 22 (line 1, column 23) in \'state.json\': {"version":2,"items":[',
        '',
      ].join('\n'),
    })
    // A missing file too, before the default.
    fs.unlinkSync(path.join(dir, 'state.json'))
    expect(run(['read', 'state.json', '--recover', '--default', '{}'])).toEqual({
      code: 0,
      stdout: '{"version":1,"items":[]}\n',
      stderr: [
        "safe-write-json: warning: 'state.json' could not be read; returned its backup 'state.json.bak' instead",
        "  ENOENT: no such file or directory, open 'state.json'",
        '',
      ].join('\n'),
    })
  })

  test('--recover with no valid .bak: the file’s own error, exit 1', () => {
    put('state.json', '{"version":2,')
    put('state.json.bak', '{"version":1,')
    expect(run(['read', 'state.json', '--recover'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'safe-write-json: EJSONPARSE: unexpected end of JSON input at position 13 (line 1, column 14) in \'state.json\': {"version":2,\n',
    })
  })

  test('other warnings still reach Node’s printer, and --no-warnings silences them but not the recovery', () => {
    put('state.json', '')
    put('state.json.bak', '"old"')
    // Emitted by a preloaded module once the command is running: a warning the CLI did not cause.
    const other = put('other-warning.js', "setImmediate(() => process.emitWarning('unrelated', { code: 'OTHER' }))")
    const recovery = [
      "safe-write-json: warning: 'state.json' could not be read; returned its backup 'state.json.bak' instead",
      "  EJSONPARSE: unexpected end of JSON input at position 0 (line 1, column 1) in 'state.json'",
    ]
    const runWith = (flags) => {
      const child = spawnSync(
        process.execPath,
        [...flags, '--require', other, CLI, 'read', 'state.json', '--recover'],
        { cwd: dir, encoding: 'utf8', timeout: WATCHDOG_MS },
      )
      return { code: child.status, stdout: child.stdout, lines: child.stderr.split('\n') }
    }
    const shown = runWith([])
    expect([shown.code, shown.stdout]).toEqual([0, '"old"\n'])
    expect(shown.lines.filter((line) => line.includes('[OTHER] Warning: unrelated'))).toHaveLength(1)
    expect(shown.lines.filter((line) => !line.includes('OTHER') && !line.includes('--trace-warnings'))).toEqual([
      ...recovery,
      '',
    ])
    expect(runWith(['--no-warnings'])).toEqual({ code: 0, stdout: '"old"\n', lines: [...recovery, ''] })
  })

  test('a directory: exit 1 with the error', () => {
    fs.mkdirSync(path.join(dir, 'taken.json'))
    expect(run(['read', 'taken.json', '--default', '{}', '--recover'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "safe-write-json: EISDIR: illegal operation on a directory, read 'taken.json'\n",
    })
  })

  const fifoTest = process.platform === 'win32' ? test.skip : test // no mkfifo on Windows
  fifoTest('a FIFO: exit 1 with the error, without waiting for a writer', () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.json')])
    expect(run(['read', 'pipe.json'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "safe-write-json: EINVAL: invalid argument, read 'pipe.json'\n",
    })
  })

  test.each([
    [['read'], 'read takes one file: read <file> [--default <json>] [--recover] [--indent <n|tab>]'],
    [
      ['read', 'a.json', 'b.json'],
      'read takes one file: read <file> [--default <json>] [--recover] [--indent <n|tab>]',
    ],
    [['read', 'a.json', '--default', '{a}'], `the --default JSON does not parse (${parseError('{a}')})`],
    [['read', 'a.json', '--default', ''], `the --default JSON does not parse (${parseError('')})`],
    [['read', 'a.json', '--indent', 'wide'], "--indent takes a number of spaces (0-10) or 'tab', not 'wide'"],
    [['read', 'a.json', '--backup'], "--backup does not apply to 'read'"],
    [['read', 'a.json', '--final-newline'], "--final-newline does not apply to 'read'"],
    [['read', 'a.json', '--older-than', '5'], "--older-than does not apply to 'read'"],
    [['write', 'a.json', '1', '--recover'], "--recover does not apply to 'write'"],
    [['check', '.', '--default', '{}'], "--default does not apply to 'check'"],
  ])('%j is wrong usage: exit 2', (args, message) => {
    put('a.json', '{"a":1}') // a bad --default is wrong usage even where the file makes it unneeded
    expect(run(args)).toEqual({ code: 2, stdout: '', stderr: `safe-write-json: ${message}\n` })
    expect(fs.readdirSync(dir)).toEqual(['a.json'])
  })

  test('an unknown option: exit 2, one line', () => {
    const result = run(['read', 'a.json', '--fast'])
    expect([result.code, result.stdout]).toEqual([2, ''])
    expect(result.stderr).toMatch(/^safe-write-json: Unknown option '--fast'.*\n$/)
  })

  const shellTest = process.platform === 'win32' ? test.skip : test // the script is POSIX sh
  shellTest('a shell script keeps its state with write and read alone', () => {
    // A script that keeps a list of runs: read's output is write's input.
    const script = String.raw`
      set -e
      swj() { "$NODE" "$CLI" "$@"; }
      runs=$(swj read state/runs.json --default '[]')
      echo "before: $runs"
      swj write state/runs.json "[\"first\"]"
      runs=$(swj read state/runs.json)
      echo "{\"runs\": $runs, \"last\": \"second café\"}" | swj write state/runs.json --indent 2 --backup
      swj read state/runs.json
      swj read state/runs.json.bak --indent 2
    `
    const child = spawnSync('sh', ['-c', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NODE: process.execPath, CLI },
      timeout: WATCHDOG_MS,
    })
    expect({ code: child.status, stderr: child.stderr }).toEqual({ code: 0, stderr: '' })
    expect(child.stdout).toBe(
      ['before: []', '{"runs":["first"],"last":"second café"}', JSON.stringify(['first'], null, 2), ''].join('\n'),
    )
    expect(fs.readFileSync(path.join(dir, 'state/runs.json'), 'utf8')).toBe(
      JSON.stringify({ runs: ['first'], last: 'second café' }, null, 2),
    )
  })

  describe('a big file', () => {
    let big
    let bytes
    beforeAll(() => {
      // About 50 MB of task history, compact as read prints it, with text beyond ASCII.
      const history = []
      for (let size = 0; size < 50e6;) {
        const j = history.length
        const text = `message ${j}: ça marche 😀 `.repeat(3)
        history.push({ id: j, role: j % 2 ? 'assistant' : 'user', text, ts: j * 1.5 })
        size += Buffer.byteLength(JSON.stringify(history[j])) + 1
      }
      bytes = Buffer.from(JSON.stringify(history))
      big = path.join(tmpDir(), 'history.json')
      fs.writeFileSync(big, bytes)
    })

    test('is printed in full through a pipe', () => {
      const child = spawnSync(process.execPath, [CLI, 'read', big], {
        maxBuffer: 2 * bytes.length,
        timeout: WATCHDOG_MS,
      })
      expect({ code: child.status, stderr: child.stderr.toString() }).toEqual({ code: 0, stderr: '' })
      expect(child.stdout.length).toBe(bytes.length + 1)
      expect(child.stdout.equals(Buffer.concat([bytes, Buffer.from('\n')]))).toBe(true)
    })

    // Under Wine (the only Windows this suite runs on) the command finishes its write and exits 0
    // after the reader left: it is never told, so the case cannot be reached there.
    const brokenPipeTest = process.platform === 'win32' ? test.skip : test
    brokenPipeTest(
      'a reader that stops early ends the command quietly with exit code 1',
      async () => {
        const child = spawn(process.execPath, [CLI, 'read', big], {
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: WATCHDOG_MS,
        })
        let stderr = ''
        child.stderr.on('data', (chunk) => (stderr += chunk))
        // Like `| head -c 1`: take the first chunk, then close the pipe.
        child.stdout.once('data', () => child.stdout.destroy())
        const code = await new Promise((resolve) => child.on('close', resolve))
        expect({ code, stderr }).toEqual({ code: 1, stderr: '' })
      },
      2 * WATCHDOG_MS,
    )
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
      expect(result.stdout).toContain('read <file>')
      expect(result.stdout).toContain('--default <json>')
    }
  })

  test('--version prints the package version', () => {
    expect(run(['--version'])).toEqual({ code: 0, stdout: `${require('../package.json').version}\n`, stderr: '' })
  })

  test.each([
    [[], 'no command given (write, read, check or clean); see --help'],
    [['frob'], "unknown command 'frob' (write, read, check or clean); see --help"],
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
