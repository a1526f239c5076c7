// Every argument of every export, and of the CLI, given what it should not be: wrong types,
// empty, NUL bytes, huge, negative, NaN, Infinity, throwing getters, Proxies (revoked ones too),
// symbols, BigInts. Each gets its documented error — Node's class, `code` and message for a bad
// argument; the very value user code threw; JSON.stringify's own error; an `fs`-style error for
// a path the file system refuses — the async functions as a rejection, never a throw, the Sync
// ones as a throw; and nothing on disk changes.
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const lib = require('..')
const { main } = require('../cli.js')
const { tmpDir, snapshot } = require('./helpers')
const { report } = require('./torture-helpers')

const dir = tmpDir('swj-bad')
const file = path.join(dir, 'state.json')
const STATE = '{"n":1}'
fs.writeFileSync(file, STATE)

// Values user code throws: must come back as they are.
const boom = new Error('getter boom')
/** `rest` plus an enumerable `key` whose getter throws `boom`. */
const throwing = (key, rest = {}) =>
  Object.defineProperty({ ...rest }, key, {
    enumerable: true,
    get() {
      throw boom
    },
  })
const revoked = (() => {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
})()
/** What JavaScript itself throws for `f()`: the class and message a pass-through must give. */
function thrownBy(f) {
  try {
    f()
  } catch (err) {
    return { kind: err.constructor, message: err.message }
  }
  throw new Error('did not throw')
}
const circular = (() => {
  const o = { a: [] }
  o.a.push(o)
  return o
})()

const { type, value, range } = require('./expected-errors')
const same = (thrown) => ({ same: thrown })

// The `path` argument, the same for every export.
const PATH_TYPE = 'of type string or an instance of URL'
const huge = path.join(dir, 'x'.repeat(100000))
const badPaths = [
  ['42', 42, type('path', PATH_TYPE, 'type number (42)')],
  ['NaN', NaN, type('path', PATH_TYPE, 'type number (NaN)')],
  ['-Infinity', -Infinity, type('path', PATH_TYPE, 'type number (-Infinity)')],
  ['true', true, type('path', PATH_TYPE, 'type boolean (true)')],
  ['null', null, type('path', PATH_TYPE, 'null')],
  ['undefined', undefined, type('path', PATH_TYPE, 'undefined')],
  ['a symbol', Symbol('s'), type('path', PATH_TYPE, 'type symbol (Symbol(s))')],
  ['a BigInt', 10n, type('path', PATH_TYPE, 'type bigint (10n)')],
  ['a function', function named() {}, type('path', PATH_TYPE, 'function named')],
  ['an array', [file], type('path', PATH_TYPE, 'an instance of Array')],
  ['a String object', new String(file), type('path', PATH_TYPE, 'an instance of String')],
  ['a Buffer', Buffer.from(file), type('path', PATH_TYPE, 'an instance of Buffer')],
  ['a null-prototype object', Object.create(null), type('path', PATH_TYPE, '[Object: null prototype]')],
  ['a Proxy', new Proxy({}, {}), type('path', PATH_TYPE, 'an instance of Object')],
  [
    'a URL-like object with a numeric pathname',
    { href: 'x', protocol: 'file:', hostname: '', pathname: 42 },
    type('path', PATH_TYPE, 'an instance of Object'),
  ],
  ['a revoked Proxy', revoked, { thrown: thrownBy(() => revoked.href) }],
  ['an object whose href getter throws', throwing('href', { protocol: 'file:' }), same(boom)],
  ['empty', '', value('path', 'must be a non-empty string', "''")],
  [
    'with a NUL byte',
    path.join(dir, 'a\0b.json'),
    value('path', 'must be a string, Uint8Array, or URL without null bytes', util.inspect(path.join(dir, 'a\0b.json'))),
  ],
  [
    'a URL of another scheme',
    new URL('https://example.com/x.json'),
    { kind: TypeError, code: 'ERR_INVALID_URL_SCHEME', message: 'The URL must be of scheme file' },
  ],
]

const OPTIONS_JSON = 'of type number, string or object'
const OPTIONS_FILE = 'of type string or object'
const OPTIONS = 'of type object'
const badWriteOptions = (expected, modeType = 'of type number') => [
  ['true', true, type('options', expected, 'type boolean (true)')],
  ['an array', [2], type('options', expected, 'an instance of Array')],
  ['a symbol', Symbol('o'), type('options', expected, 'type symbol (Symbol(o))')],
  ['a BigInt', 2n, type('options', expected, 'type bigint (2n)')],
  [
    'a typo',
    { durabilty: 'full' },
    {
      kind: TypeError,
      code: 'ERR_INVALID_ARG_VALUE',
      message: /^The property 'options\.durabilty' is not a supported option/,
    },
  ],
  ['mode -1', { mode: -1 }, range('options.mode', 'an integer >= 0 && <= 4095', '-1')],
  ['mode NaN', { mode: NaN }, range('options.mode', 'an integer >= 0 && <= 4095', 'NaN')],
  ['mode Infinity', { mode: Infinity }, range('options.mode', 'an integer >= 0 && <= 4095', 'Infinity')],
  ['mode 0o10000', { mode: 0o10000 }, range('options.mode', 'an integer >= 0 && <= 4095', '4096')],
  ['mode a BigInt', { mode: 0o644n }, type('options.mode', modeType, 'type bigint (420n)')],
  ['lockTimeoutMs -1', { lockTimeoutMs: -1 }, range('options.lockTimeoutMs', '>= 0', '-1')],
  ['lockTimeoutMs NaN', { lockTimeoutMs: NaN }, range('options.lockTimeoutMs', '>= 0', 'NaN')],
  ['lockTimeoutMs -Infinity', { lockTimeoutMs: -Infinity }, range('options.lockTimeoutMs', '>= 0', '-Infinity')],
  [
    'lockTimeoutMs a string',
    { lockTimeoutMs: '5' },
    type('options.lockTimeoutMs', 'of type number', "type string ('5')"),
  ],
  [
    'durability a huge string',
    { durability: 'x'.repeat(100000) },
    value('options.durability', "must be one of: 'full', 'data', 'none'", `'${'x'.repeat(127)}...`),
  ],
  [
    'durability a symbol',
    { durability: Symbol.iterator },
    type('options.durability', 'of type string', 'type symbol (Symbol(Symbol.iterator))'),
  ],
  ['backup 1', { backup: 1 }, type('options.backup', 'of type boolean', 'type number (1)')],
  ['lock null', { lock: null }, type('options.lock', 'of type boolean', 'null')],
  ['a throwing getter', throwing('mode'), same(boom)],
  ['a revoked Proxy', revoked, { thrown: thrownBy(() => Object.keys(revoked)) }],
]
const badJsonOptions = [
  ...badWriteOptions(OPTIONS_JSON),
  [
    'indent a symbol',
    { indent: Symbol('i') },
    type('options.indent', 'of type number or string', 'type symbol (Symbol(i))'),
  ],
  ['indent a BigInt', { indent: 2n }, type('options.indent', 'of type number or string', 'type bigint (2n)')],
  ['indent null', { indent: null }, type('options.indent', 'of type number or string', 'null')],
  [
    'replacer a string',
    { replacer: 'a' },
    type('options.replacer', 'a function, an array or null', "type string ('a')"),
  ],
  ['a throwing indent getter', throwing('indent'), same(boom)],
]

// Data JSON.stringify refuses: its own error, class and message.
const badJsonData = [
  ['a BigInt', 1n],
  ['a nested BigInt', { deep: [{ n: 2n }] }],
  ['a circular structure', circular],
  ['a revoked Proxy', revoked],
  ['a Proxy whose get trap throws', new Proxy({ a: 1 }, { get: () => { throw boom } })], // prettier-ignore
  ['a throwing getter', throwing('x')],
  ['a throwing toJSON', { toJSON: () => { throw boom } }], // prettier-ignore
].map(([label, data]) => [label, data, { thrown: thrownBy(() => JSON.stringify(data)) }])

const FILE_DATA = 'of type string or an instance of Buffer, TypedArray, or DataView'
const badFileData = [
  ['a number', 42, type('data', FILE_DATA, 'type number (42)')],
  ['NaN', NaN, type('data', FILE_DATA, 'type number (NaN)')],
  ['null', null, type('data', FILE_DATA, 'null')],
  ['undefined', undefined, type('data', FILE_DATA, 'undefined')],
  ['an object', { a: 1 }, type('data', FILE_DATA, 'an instance of Object')],
  ['a symbol', Symbol('d'), type('data', FILE_DATA, 'type symbol (Symbol(d))')],
  ['a BigInt', 1n, type('data', FILE_DATA, 'type bigint (1n)')],
  ['an ArrayBuffer', new ArrayBuffer(2), type('data', FILE_DATA, 'an instance of ArrayBuffer')],
]

const badReadOptions = [
  ['a number', 2, type('options', OPTIONS, 'type number (2)')],
  ['a string', 'utf8', type('options', OPTIONS, "type string ('utf8')")],
  [
    'an unknown key',
    { encoding: 'utf8' },
    {
      kind: TypeError,
      code: 'ERR_INVALID_ARG_VALUE',
      message: /^The property 'options\.encoding' is not a supported option/,
    },
  ],
  ['reviver 1', { reviver: 1 }, type('options.reviver', 'a function or null', 'type number (1)')],
  ['recover "yes"', { recover: 'yes' }, type('options.recover', 'of type boolean', "type string ('yes')")],
  ['a throwing getter', throwing('reviver'), same(boom)],
  ['a revoked Proxy', revoked, { thrown: thrownBy(() => Object.keys(revoked)) }],
]

const UPDATER = 'of type function'
const badUpdaters = [
  ['null', null, type('updater', UPDATER, 'null')],
  ['undefined', undefined, type('updater', UPDATER, 'undefined')],
  ['a number', 1, type('updater', UPDATER, 'type number (1)')],
  ['an object', { call: () => 1 }, type('updater', UPDATER, 'an instance of Object')],
  ['a symbol', Symbol('u'), type('updater', UPDATER, 'type symbol (Symbol(u))')],
  ['one that throws', () => { throw boom }, same(boom)], // prettier-ignore
  ['one that rejects', async () => { throw boom }, same(boom)], // prettier-ignore
  ['one that returns a BigInt', () => ({ n: 1n }), { thrown: thrownBy(() => JSON.stringify({ n: 1n })) }],
  ['one that returns a circular structure', () => circular, { thrown: thrownBy(() => JSON.stringify(circular)) }],
]
const badUpdateOptions = [
  ['a number (no indent shorthand here)', 2, type('options', OPTIONS, 'type number (2)')],
  [
    'lock false',
    { lock: false },
    value('options.lock', 'must not be false: updateJson always holds the lock from read to write', 'false'),
  ],
  ['lockTimeoutMs NaN', { lockTimeoutMs: NaN }, range('options.lockTimeoutMs', '>= 0', 'NaN')],
  [
    'an unknown key',
    { defualt: {} },
    {
      kind: TypeError,
      code: 'ERR_INVALID_ARG_VALUE',
      message: /^The property 'options\.defualt' is not a supported option/,
    },
  ],
]

const badCleanupOptions = [
  ['a number', 60000, type('options', OPTIONS, 'type number (60000)')],
  ['olderThanMs -1', { olderThanMs: -1 }, range('options.olderThanMs', '>= 0', '-1')],
  ['olderThanMs NaN', { olderThanMs: NaN }, range('options.olderThanMs', '>= 0', 'NaN')],
  [
    'olderThanMs a string',
    { olderThanMs: '1000' },
    type('options.olderThanMs', 'of type number', "type string ('1000')"),
  ],
  ['olderThanMs a BigInt', { olderThanMs: 1n }, type('options.olderThanMs', 'of type number', 'type bigint (1n)')],
  [
    'an unknown key',
    { recursive: true },
    {
      kind: TypeError,
      code: 'ERR_INVALID_ARG_VALUE',
      message: /^The property 'options\.recursive' is not a supported option/,
    },
  ],
  ['a throwing getter', throwing('olderThanMs'), same(boom)],
]

const updater = (current) => ({ n: current.n + 1 })
const fsError = (code, syscall, shown) => ({
  kind: Error,
  code,
  syscall,
  path: shown,
  message: `${code}: ${code === 'ENAMETOOLONG' ? 'name too long' : ''}, ${syscall} '${shown}'`,
})

// [export, what is wrong, the call, expected]
const rows = [
  ...[
    'safeWriteJson',
    'safeWriteJsonSync',
    'safeWriteFile',
    'safeWriteFileSync',
    'safeReadJson',
    'updateJson',
    'cleanupTempFiles',
  ].flatMap((name) => {
    const call = (p) => {
      if (name.startsWith('safeWriteJson')) return () => lib[name](p, { a: 1 })
      if (name.startsWith('safeWriteFile')) return () => lib[name](p, 'text')
      if (name === 'updateJson') return () => lib.updateJson(p, updater)
      return () => lib[name](p)
    }
    const syscall = { safeReadJson: 'open', cleanupTempFiles: 'scandir' }[name] ?? 'open'
    return [
      ...badPaths.map(([label, p, expected]) => [name, `path ${label}`, call(p), expected]),
      [name, 'path 100,000 characters long', call(huge), fsError('ENAMETOOLONG', syscall, huge)],
    ]
  }),
  ...['safeWriteJson', 'safeWriteJsonSync'].flatMap((name) => [
    ...badJsonData.map(([label, data, expected]) => [name, `data ${label}`, () => lib[name](file, data), expected]),
    ...badJsonOptions.map(([label, options, expected]) => [
      name,
      `options ${label}`,
      () => lib[name](file, { a: 1 }, options),
      expected,
    ]),
  ]),
  ...['safeWriteFile', 'safeWriteFileSync'].flatMap((name) => [
    ...badFileData.map(([label, data, expected]) => [name, `data ${label}`, () => lib[name](file, data), expected]),
    ...badWriteOptions(OPTIONS_FILE, 'a number, an octal string or false').map(([label, options, expected]) => [
      name,
      `options ${label}`,
      () => lib[name](file, 'text', options),
      expected,
    ]),
    [
      name,
      'options an indent (JSON only)',
      () => lib[name](file, 'text', { indent: 2 }),
      {
        kind: TypeError,
        code: 'ERR_INVALID_ARG_VALUE',
        message: /^The property 'options\.indent' is not a supported option/,
      },
    ],
  ]),
  ...badReadOptions.map(([label, options, expected]) => [
    'safeReadJson',
    `options ${label}`,
    () => lib.safeReadJson(file, options),
    expected,
  ]),
  ...badUpdaters.map(([label, u, expected]) => [
    'updateJson',
    `updater ${label}`,
    () => lib.updateJson(file, u),
    expected,
  ]),
  ...badUpdateOptions.map(([label, options, expected]) => [
    'updateJson',
    `options ${label}`,
    () => lib.updateJson(file, updater, options),
    expected,
  ]),
  ...badJsonOptions
    .filter(([label]) => label.startsWith('indent') || label.startsWith('replacer') || label.startsWith('mode'))
    .map(([label, options, expected]) => [
      'updateJson',
      `options ${label}`,
      () => lib.updateJson(file, updater, options),
      expected,
    ]),
  // `default` is read only when the file does not exist.
  [
    'updateJson',
    'options a throwing default getter',
    () => lib.updateJson(path.join(dir, 'missing.json'), updater, throwing('default')),
    same(boom),
  ],
  ...badCleanupOptions.map(([label, options, expected]) => [
    'cleanupTempFiles',
    `options ${label}`,
    () => lib.cleanupTempFiles(dir, options),
    expected,
  ]),
]

/** The error a call ends with: thrown for the Sync functions, rejected for the others. */
async function failureOf(name, call) {
  let result
  try {
    result = call()
  } catch (err) {
    if (!name.endsWith('Sync')) throw new Error(`${name} threw synchronously: ${err?.message}`)
    return err
  }
  if (name.endsWith('Sync')) throw new Error(`${name} returned instead of throwing`)
  expect(result).toBeInstanceOf(Promise)
  return result.then(
    () => {
      throw new Error(`${name} resolved`)
    },
    (err) => err,
  )
}

test.each(rows)('%s: %s', async (name, _label, call, expected) => {
  const before = snapshot(dir)
  const err = await failureOf(name, call)
  if (expected.same) {
    expect(err).toBe(expected.same)
  } else if (expected.thrown) {
    // What V8 throws while the addon reads a value (a revoked Proxy) belongs to the addon's
    // realm, as Node's own fs errors do (docs/jest.md): the
    // class is matched by name.
    expect(err.constructor.name).toBe(expected.thrown.kind.name)
    expect(err.message).toBe(expected.thrown.message)
  } else {
    // File-system errors belong to the addon's realm, like those of fs: matched by name.
    if (expected.syscall) expect(err.constructor.name).toBe('Error')
    else expect(err).toBeInstanceOf(expected.kind)
    expect(err.code).toBe(expected.code)
    if (expected.message instanceof RegExp) expect(err.message).toMatch(expected.message)
    else if (expected.code === 'ENAMETOOLONG')
      expect(err.message).toBe(`ENAMETOOLONG: name too long, ${expected.syscall} '${expected.path}'`)
    else expect(err.message).toBe(expected.message)
    if (expected.syscall)
      expect(err).toMatchObject({ syscall: expected.syscall, path: expected.path, errno: expect.any(Number) })
  }
  expect(snapshot(dir)).toEqual(before)
})

let cliRuns = 0
afterAll(() => report('bad input', { calls: rows.length, cli: cliRuns }))

describe('the CLI', () => {
  /** Run the CLI in-process in `dir`; resolve with its exit code and output. */
  async function cli(args) {
    const out = []
    const err = []
    const io = { stdin: { isTTY: true }, stdout: { write: (t) => out.push(t) }, stderr: { write: (t) => err.push(t) } }
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      return { code: await main(args, io), stdout: out.join(''), stderr: err.join('') }
    } finally {
      process.chdir(cwd)
    }
  }

  const shown = (args) =>
    JSON.stringify(args.map((a) => (a.length > 40 ? `${a.slice(0, 10)}… (${a.length} chars)` : a)))
  test.each(
    [
      [['write', '', '1'], 2, "The argument 'path' must be a non-empty string. Received ''"],
      [
        ['write', 'a\0b.json', '1'],
        2,
        "The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received 'a\\x00b.json'",
      ],
      [['write', 'x'.repeat(100000), '1'], 1, `ENAMETOOLONG: name too long, open '${'x'.repeat(100000)}'`],
      [['write', 'a.json', '1n'], 2, /^the JSON to write does not parse \(.*\); nothing was written$/],
      [['write', 'a.json', 'NaN'], 2, /^the JSON to write does not parse/],
      [['write', 'a.json', '\0'], 2, /^the JSON to write does not parse/],
      [['write', 'a.json'], 2, 'no JSON given: pass it as an argument or pipe it to stdin'],
      [['write', 'a.json', '1', '--indent', '-1'], 2, "Option '--indent' argument is ambiguous."],
      [['write', 'a.json', '1', '--indent=-1'], 2, "--indent takes a number of spaces (0-10) or 'tab', not '-1'"],
      [['write', 'a.json', '1', '--indent', 'NaN'], 2, "--indent takes a number of spaces (0-10) or 'tab', not 'NaN'"],
      [
        ['write', 'a.json', '1', '--indent', 'Infinity'],
        2,
        "--indent takes a number of spaces (0-10) or 'tab', not 'Infinity'",
      ],
      [['write', 'a.json', '1', '--indent', '1e1'], 2, "--indent takes a number of spaces (0-10) or 'tab', not '1e1'"],
      [['write', 'a.json', '1', '--indent', ''], 2, "--indent takes a number of spaces (0-10) or 'tab', not ''"],
      [['write', 'a.json', '1', '--indent'], 2, /^Option '--indent <value>' argument missing$/],
      [['clean', '.', '--older-than=-5'], 2, "--older-than takes milliseconds (a whole number), not '-5'"],
      [['clean', '.', '--older-than', 'NaN'], 2, "--older-than takes milliseconds (a whole number), not 'NaN'"],
      [
        ['clean', '.', '--older-than', 'Infinity'],
        2,
        "--older-than takes milliseconds (a whole number), not 'Infinity'",
      ],
      [['clean', '.', '--older-than', '1e3'], 2, "--older-than takes milliseconds (a whole number), not '1e3'"],
      [['clean', ''], 2, "The argument 'path' must be a non-empty string. Received ''"],
      [
        ['clean', 'a\0b'],
        2,
        "The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received 'a\\x00b'",
      ],
      [['check'], 2, 'check takes one or more files or directories: check <file|dir>...'],
      [['check', '--older-than=-1', '.'], 2, "--older-than takes milliseconds (a whole number), not '-1'"],
      [['--frob'], 2, /^Unknown option '--frob'/],
    ].map(([args, code, message]) => [shown(args), code, args, message]),
  )('%s: exit %d', async (_shown, code, args, message) => {
    const before = snapshot(dir)
    const result = await cli(args)
    expect(result.code).toBe(code)
    expect(result.stdout).toBe('')
    const line = result.stderr.replace(/^safe-write-json: /, '').replace(/\n$/, '')
    if (message instanceof RegExp) expect(line).toMatch(message)
    else expect(line).toBe(message)
    expect(result.stderr.split('\n')).toHaveLength(2) // one line
    expect(snapshot(dir)).toEqual(before)
    cliRuns++
  })
})
