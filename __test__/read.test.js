// safeReadJson on real files: JSON.parse's semantics, `default` only for a missing file,
// EJSONPARSE (with the exact place) for every kind of corrupt file, and `recover` from `.bak`.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { pathToFileURL } = require('node:url')
const { safeReadJson, safeWriteJson } = require('..')
const { tmpDir } = require('./helpers')
const { withWarnings } = require('./warnings')

let dir
beforeEach(() => {
  dir = tmpDir()
})

const put = (name, content) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, content)
  return file
}
const failure = (promise) =>
  promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`)
    },
    (err) => err,
  )

describe('what is read', () => {
  test('what safeWriteJson wrote comes back as JSON.parse gives it, in the caller realm', async () => {
    const data = { text: 'Grüße — 中文 😀', latin1: 'café', list: [1, -0.5, 1e21, null, true], nested: { a: [{}] } }
    const file = path.join(dir, 'a.json')
    await safeWriteJson(file, data, 2)
    const value = await safeReadJson(file)
    expect(value).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')))
    expect(value).toBeInstanceOf(Object)
    expect(value.list).toBeInstanceOf(Array)
  })

  test('lone surrogate escapes parse as JSON.parse parses them', async () => {
    const file = put('s.json', '["\\ud800", "\\udc00x", "\\ud83d\\ude00"]')
    expect(await safeReadJson(file)).toEqual(['\ud800', '\udc00x', '😀'])
  })

  test('a UTF-8 BOM is skipped', async () => {
    const file = put('bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"bom":"é"}')]))
    expect(await safeReadJson(file)).toEqual({ bom: 'é' })
  })

  test('the reviver runs as in JSON.parse: same calls, same holders, same result', async () => {
    const text = '{"a":[1,{"b":2}],"c":"x","d":{"e":null}}'
    const file = put('r.json', text)
    const calls = (log) =>
      function (key, value) {
        log.push([key, JSON.stringify(this)])
        return typeof value === 'number' ? value * 10 : value
      }
    const [expected, actual] = [[], []]
    const parsed = JSON.parse(text, calls(expected))
    expect(await safeReadJson(file, { reviver: calls(actual) })).toEqual(parsed)
    expect(actual).toEqual(expected)
  })

  test('an error thrown by the reviver is the rejection, as it is', async () => {
    const file = put('r.json', '{"a":1}')
    const boom = { not: 'an Error' }
    await expect(
      safeReadJson(file, {
        reviver() {
          throw boom
        },
      }),
    ).rejects.toBe(boom)
  })

  test('a file: URL and a relative path are paths', async () => {
    const file = put('with space é.json', '[1]')
    expect(await safeReadJson(pathToFileURL(file))).toEqual([1])
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      expect(await safeReadJson('./with space é.json')).toEqual([1])
    } finally {
      process.chdir(cwd)
    }
  })

  test('deep nesting JSON.parse accepts is read; large files too', async () => {
    const deep = put('deep.json', '['.repeat(100000) + ']'.repeat(100000))
    expect(Array.isArray(await safeReadJson(deep))).toBe(true)
    const big = Array.from({ length: 50000 }, (_, i) => ({ i, text: `message ${i} — ünïcødé` }))
    const file = path.join(dir, 'big.json')
    await safeWriteJson(file, big)
    expect(await safeReadJson(file)).toEqual(big)
  })
})

describe('default', () => {
  test('a missing file, or a missing directory on its path, gives the default', async () => {
    const fallback = { fresh: true }
    expect(await safeReadJson(path.join(dir, 'none.json'), { default: fallback })).toBe(fallback)
    expect(await safeReadJson(path.join(dir, 'no', 'dir', 'x.json'), { default: [] })).toEqual([])
    expect(await safeReadJson(path.join(dir, 'none.json'), { default: null })).toBeNull()
    expect(await safeReadJson(path.join(dir, 'none.json'), { default: 0 })).toBe(0)
  })

  test('no default, or default: undefined, is ENOENT like fs.readFile', async () => {
    const file = path.join(dir, 'none.json')
    const expected = await failure(fs.promises.readFile(file))
    for (const options of [undefined, null, {}, { default: undefined }]) {
      const err = await failure(safeReadJson(file, options))
      // Like those of fs, file-system errors come from Node's main realm (not jest's).
      expect(Object.prototype.toString.call(err)).toBe('[object Error]')
      expect({ code: err.code, errno: err.errno, syscall: err.syscall, path: err.path, message: err.message }).toEqual({
        code: 'ENOENT',
        errno: expected.errno,
        syscall: 'open',
        path: file,
        message: expected.message,
      })
    }
  })

  test('a file that exists but does not parse never gives the default', async () => {
    const file = put('torn.json', '{"tasks":[')
    const err = await failure(safeReadJson(file, { default: { tasks: [] } }))
    expect(err.code).toBe('EJSONPARSE')
  })

  test('a directory is EISDIR, not missing', async () => {
    const err = await failure(safeReadJson(dir, { default: 1 }))
    expect(err.code).toBe('EISDIR')
    expect(err.message).toBe(`EISDIR: illegal operation on a directory, read '${dir}'`)
  })

  test('a file where a directory should be is ENOTDIR naming it, not missing', async () => {
    const blocker = put('blocker', 'x')
    const err = await failure(safeReadJson(path.join(blocker, 'x.json'), { default: 1 }))
    expect(err.code).toBe('ENOTDIR')
    expect(err.path).toBe(blocker)
  })
})

describe('EJSONPARSE', () => {
  /** The error's own fields, for exact comparison. */
  const fields = (err) => ({
    name: err.name,
    code: err.code,
    path: err.path,
    position: err.position,
    line: err.line,
    column: err.column,
    message: err.message,
    syscall: err.syscall,
    errno: err.errno,
  })

  test('a truncated file: the position is where it ends, the message shows the text before it', async () => {
    const file = put('tasks.json', '{\n  "tasks": [\n    {"id": 1, "title": "write the report"},\n    {"id": 2, "tit')
    const err = await failure(safeReadJson(file))
    expect(Object.prototype.toString.call(err)).toBe('[object Error]')
    expect(fields(err)).toEqual({
      name: 'Error',
      code: 'EJSONPARSE',
      path: file,
      position: 77,
      line: 4,
      column: 19,
      message: `EJSONPARSE: unexpected end of JSON input at position 77 (line 4, column 19) in '${file}':     {"id": 2, "tit`,
      syscall: undefined,
      errno: undefined,
    })
  })

  test('every cut of a document is EJSONPARSE at the cut (or at the character it splits)', async () => {
    const text = '{"a":[1,2.5,{"b":"ü€"}],"c":true}'
    const bytes = Buffer.from(text)
    for (let cut = 0; cut < bytes.length; cut++) {
      const file = put('cut.json', bytes.subarray(0, cut))
      const err = await failure(safeReadJson(file))
      let start = cut
      while ((bytes[start] & 0xc0) === 0x80) start-- // inside a multi-byte character
      const reason = start === cut ? 'unexpected end of JSON input' : 'incomplete UTF-8 character'
      expect([cut, err.code, err.position, err.message.split(' at ')[0]]).toEqual([
        cut,
        'EJSONPARSE',
        start,
        `EJSONPARSE: ${reason}`,
      ])
    }
  })

  test('an empty file', async () => {
    const file = put('empty.json', '')
    expect(fields(await failure(safeReadJson(file)))).toMatchObject({
      position: 0,
      line: 1,
      column: 1,
      message: `EJSONPARSE: unexpected end of JSON input at position 0 (line 1, column 1) in '${file}'`,
    })
  })

  test('a NUL-filled file (what a power cut can leave on some file systems)', async () => {
    const file = put('nul.json', Buffer.alloc(4096))
    expect(fields(await failure(safeReadJson(file)))).toMatchObject({
      position: 0,
      line: 1,
      column: 1,
      message: `EJSONPARSE: unexpected character '\\u0000' at position 0 (line 1, column 1) in '${file}': ${'\\u0000'.repeat(16)}…`,
    })
  })

  test('a file holding only a BOM', async () => {
    const err = await failure(safeReadJson(put('bom.json', Buffer.from([0xef, 0xbb, 0xbf]))))
    expect([err.code, err.position, err.line, err.column]).toEqual(['EJSONPARSE', 3, 1, 1])
  })

  test('invalid UTF-8 is EJSONPARSE at its first byte, even inside a string JSON.parse would accept', async () => {
    // fs.readFile(..., 'utf8') would turn the byte into U+FFFD and JSON.parse would accept it.
    const file = put(
      'latin1.json',
      Buffer.concat([Buffer.from('{"name": "Caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
    )
    expect(fields(await failure(safeReadJson(file)))).toMatchObject({
      code: 'EJSONPARSE',
      position: 13,
      line: 1,
      column: 14,
      message: `EJSONPARSE: invalid UTF-8 (byte 0xe9) at position 13 (line 1, column 14) in '${file}': {"name": "Caf\ufffd"}`,
    })
  })

  test('positions are bytes, columns are characters, a BOM counts in one and not the other', async () => {
    const file = put('u.json', '\ufeff{\n"ключ": "значение",\n"😀": tru }')
    const err = await failure(safeReadJson(file))
    const bytesBefore = Buffer.byteLength('\ufeff{\n"ключ": "значение",\n"😀": tru')
    expect([err.position, err.line, err.column]).toEqual([bytesBefore, 3, 9])
  })

  test('the message names the file as the caller wrote it', async () => {
    put('rel.json', '[1,,2]')
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      const err = await failure(safeReadJson('rel.json'))
      expect(err.path).toBe('rel.json')
      expect(err.message).toBe(
        "EJSONPARSE: unexpected character ',' at position 3 (line 1, column 4) in 'rel.json': [1,,2]",
      )
    } finally {
      process.chdir(cwd)
    }
  })

  test('agrees with JSON.parse on a thousand damaged documents: same verdict, same position', async () => {
    // A seeded generator, so a failure can be reproduced.
    let seed = 12345
    const random = (n) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const docs = [
      '{"a":[1,2.5e-3,{"b":"x\\n\\u00e9"}],"c":true,"d":null}',
      '[-0, 10, "s", [], {}, false]',
      ' {"k" : {"n" : -1.0E+2 } } ',
      '"\\ud83d\\ude00"',
    ]
    const noise = [
      '',
      ' ',
      ',',
      ':',
      '[',
      ']',
      '{',
      '}',
      '"',
      '\\',
      '-',
      '0',
      '1',
      '.',
      'e',
      'E',
      '+',
      't',
      'n',
      'u',
      '\n',
      '\t',
      '\u0001',
      'x',
    ]
    const file = path.join(dir, 'fuzz.json')
    let checked = 0
    let positionsCompared = 0
    for (let i = 0; i < 1200; i++) {
      let text = docs[random(docs.length)]
      for (let edits = 1 + random(2); edits > 0; edits--) {
        const at = random(text.length + 1)
        const cut = random(3)
        text = text.slice(0, at) + noise[random(noise.length)] + text.slice(at + cut)
      }
      let expected
      try {
        expected = { value: JSON.parse(text) }
      } catch (err) {
        expected = { message: err.message }
      }
      fs.writeFileSync(file, text)
      const actual = await safeReadJson(file).then(
        (value) => ({ value }),
        (err) => err,
      )
      if ('value' in expected) {
        expect([text, actual.value]).toEqual([text, expected.value])
      } else {
        expect([text, actual.code]).toEqual([text, 'EJSONPARSE'])
        const v8 = / at position (\d+)/.exec(expected.message)
        if (v8) {
          expect([text, actual.position]).toEqual([text, Number(v8[1])]) // ASCII only: bytes = UTF-16 units
          positionsCompared++
        }
      }
      checked++
    }
    expect(checked).toBe(1200)
    expect(positionsCompared).toBeGreaterThan(300)
  }, 60000)
})

describe('recover', () => {
  /** Run `script` in a plain node process (not jest) and return the warnings it saw and its output. */
  function inChild(script) {
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `const { safeReadJson } = require(${JSON.stringify(path.resolve(__dirname, '..'))});\nconst warnings = [];\nprocess.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message, detail: w.detail }));\n${script}`,
      ],
      { cwd: dir, encoding: 'utf8' },
    )
    return { stdout: child.stdout, stderr: child.stderr, status: child.status }
  }

  test('a torn file falls back to a valid .bak, and a warning says so', () => {
    put('state.json', '{"version":2,"items":[')
    put('state.json.bak', '{"version":1,"items":[]}')
    const { stdout, stderr, status } = inChild(
      `safeReadJson('state.json', { recover: true }).then((value) => setImmediate(() => console.log(JSON.stringify({ value, warnings }))))`,
    )
    expect(status).toBe(0)
    expect(JSON.parse(stdout)).toEqual({
      value: { version: 1, items: [] },
      warnings: [
        {
          name: 'Warning',
          code: 'SAFE_WRITE_JSON_RECOVERED',
          message: "safeReadJson: 'state.json' could not be read; returned its backup 'state.json.bak' instead",
          detail:
            'EJSONPARSE: unexpected end of JSON input at position 22 (line 1, column 23) in \'state.json\': {"version":2,"items":[',
        },
      ],
    })
    // Node prints it too, where a person will see it.
    expect(stderr).toContain("[SAFE_WRITE_JSON_RECOVERED] Warning: safeReadJson: 'state.json' could not be read")
  })

  test('a missing file falls back to its .bak too', () => {
    put('gone.json.bak', '[1,2,3]')
    const { stdout } = inChild(
      `safeReadJson('gone.json', { recover: true, default: [] }).then((value) => setImmediate(() => console.log(JSON.stringify({ value, codes: warnings.map((w) => w.code), detail: warnings[0].detail }))))`,
    )
    expect(JSON.parse(stdout)).toEqual({
      value: [1, 2, 3],
      codes: ['SAFE_WRITE_JSON_RECOVERED'],
      detail: "ENOENT: no such file or directory, open 'gone.json'",
    })
  })

  test('a valid file is read as it is, with no warning, whatever the .bak holds', () => {
    put('ok.json', '"current"')
    put('ok.json.bak', '"previous"')
    const { stdout } = inChild(
      `safeReadJson('ok.json', { recover: true }).then((value) => setImmediate(() => console.log(JSON.stringify({ value, warnings }))))`,
    )
    expect(JSON.parse(stdout)).toEqual({ value: 'current', warnings: [] })
  })

  test('when the .bak fails too, the file’s own error stands', async () => {
    const torn = put('torn.json', '{"a":')
    const direct = await failure(safeReadJson(torn))
    put('torn.json.bak', '')
    const err = await failure(safeReadJson(torn, { recover: true }))
    expect([err.code, err.message]).toEqual(['EJSONPARSE', direct.message])
    fs.unlinkSync(path.join(dir, 'torn.json.bak'))
    expect((await failure(safeReadJson(torn, { recover: true }))).message).toBe(direct.message)
  })

  test('a missing file with no usable .bak gives the default, or ENOENT', async () => {
    const file = path.join(dir, 'none.json')
    expect(await safeReadJson(file, { recover: true, default: 'fresh' })).toBe('fresh')
    put('none.json.bak', 'not json')
    expect(await safeReadJson(file, { recover: true, default: 'fresh' })).toBe('fresh')
    const err = await failure(safeReadJson(file, { recover: true }))
    expect([err.code, err.path]).toEqual(['ENOENT', file])
  })

  test('without recover, the .bak is not looked at', async () => {
    const file = put('torn.json', '[')
    put('torn.json.bak', '[]')
    expect((await failure(safeReadJson(file))).code).toBe('EJSONPARSE')
  })

  test('other errors are not recovered: a directory stays EISDIR', async () => {
    fs.mkdirSync(path.join(dir, 'd.json'))
    put('d.json.bak', '{}')
    expect((await failure(safeReadJson(path.join(dir, 'd.json'), { recover: true }))).code).toBe('EISDIR')
  })

  test('the reviver runs on the backup’s content too', async () => {
    const file = put('r.json', '')
    put('r.json.bak', '{"n":2}')
    const reviver = (k, v) => (typeof v === 'number' ? v + 1 : v)
    const { value, codes } = await withWarnings(() => safeReadJson(file, { recover: true, reviver }))
    expect(value).toEqual({ n: 3 })
    expect(codes).toEqual(['SAFE_WRITE_JSON_RECOVERED'])
  })

  const unix = process.platform === 'win32' ? test.skip : test
  unix('a symlinked file is recovered from the .bak beside the file it names, as the writers keep it', async () => {
    fs.mkdirSync(path.join(dir, 'real'))
    await safeWriteJson(path.join(dir, 'real', 'a.json'), { v: 1 })
    fs.symlinkSync(path.join('real', 'a.json'), path.join(dir, 'link.json'))
    await safeWriteJson(path.join(dir, 'link.json'), { v: 2 }, { backup: true })
    fs.writeFileSync(path.join(dir, 'real', 'a.json'), '{"v":')
    const { value, codes } = await withWarnings(() => safeReadJson(path.join(dir, 'link.json'), { recover: true }))
    expect(value).toEqual({ v: 1 })
    expect(codes).toEqual(['SAFE_WRITE_JSON_RECOVERED'])
  })
})

describe('bad arguments reject, never throw', () => {
  test.each([
    [
      'path a number',
      [42],
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "path" argument must be of type string or an instance of URL. Received type number (42)',
    ],
    [
      'path empty',
      [''],
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      "The argument 'path' must be a non-empty string. Received ''",
    ],
    [
      'options a number',
      ['a.json', 2],
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options" argument must be of type object. Received type number (2)',
    ],
    [
      'options an array',
      ['a.json', []],
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options" argument must be of type object. Received an instance of Array',
    ],
    [
      'an unknown option',
      ['a.json', { defualt: 1 }],
      TypeError,
      'ERR_INVALID_ARG_VALUE',
      "The property 'options.defualt' is not a supported option (supported: default, reviver, recover). Received 1",
    ],
    [
      'a reviver that is not a function',
      ['a.json', { reviver: 'x' }],
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options.reviver" property must be a function or null. Received type string (\'x\')',
    ],
    [
      'recover not a boolean',
      ['a.json', { recover: 1 }],
      TypeError,
      'ERR_INVALID_ARG_TYPE',
      'The "options.recover" property must be of type boolean. Received type number (1)',
    ],
  ])('%s', async (_label, args, type, code, message) => {
    const promise = safeReadJson(...args)
    expect(promise).toBeInstanceOf(Promise)
    const err = await failure(promise)
    expect(err).toBeInstanceOf(type)
    expect([err.code, err.message]).toEqual([code, message])
  })

  test('reviver: null and undefined options are no reviver', async () => {
    const file = put('a.json', '{"a":1}')
    expect(await safeReadJson(file, { reviver: null, recover: undefined, default: undefined })).toEqual({ a: 1 })
  })
})

test('settles under jest fake timers', async () => {
  jest.useFakeTimers({ doNotFake: [] })
  try {
    const file = put('t.json', '[1]')
    expect(await safeReadJson(file)).toEqual([1])
    expect(await safeReadJson(path.join(dir, 'none.json'), { default: 2 })).toBe(2)
    fs.writeFileSync(file, '[')
    put('t.json.bak', '[0]')
    expect((await failure(safeReadJson(file))).code).toBe('EJSONPARSE')
  } finally {
    jest.useRealTimers()
  }
})

// A FIFO has no end until a writer closes it: opening it for reading waits for a writer, for
// good. Reads (and updateJson, which holds the lock meanwhile) must refuse it at once. Run in a
// child process, so that a hang is a timeout that fails the test, not a stuck jest worker.
const hasMkfifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0
;(hasMkfifo ? test : test.skip)(
  'a FIFO is refused with EINVAL by safeReadJson and updateJson, at once, and the lock is released',
  () => {
    const fifo = path.join(dir, 'pipe.json')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const script = `
    const { safeReadJson, updateJson } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
    const code = (p) => p.then(() => 'resolved', (err) => [err.code, err.syscall, err.message].join(' | '))
    ;(async () => {
      const file = ${JSON.stringify(fifo)}
      const read = await code(safeReadJson(file))
      const recovered = await code(safeReadJson(file, { recover: true, default: 1 }))
      let called = false
      const updated = await code(updateJson(file, () => ((called = true), 1), { lockTimeoutMs: 0 }))
      // The lock was released: a second update does not wait for the first.
      const again = await code(updateJson(file, () => 1, { lockTimeoutMs: 0 }))
      console.log(JSON.stringify({ read, recovered, updated, again, called }))
    })()`
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 20000, encoding: 'utf8' })
    expect({ signal: child.signal, status: child.status, stderr: child.stderr }).toEqual({
      signal: null,
      status: 0,
      stderr: '',
    })
    const refused = `EINVAL | read | EINVAL: invalid argument, read '${fifo}'`
    expect(JSON.parse(child.stdout)).toEqual({
      read: refused,
      recovered: refused,
      updated: refused,
      again: refused,
      called: false,
    })
    expect(fs.readdirSync(dir).sort()).toEqual(['pipe.json'])
    expect(fs.lstatSync(fifo).isFIFO()).toBe(true)
  },
  30000,
)
