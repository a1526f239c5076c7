// Type test, run by `tsc -p __test__` (never executed): calls that must compile against the
// package's types, and `@ts-expect-error` on calls that must not. The import is by package name,
// so it goes through the `exports` map's `types` condition, as in a user's project.
import {
  safeWriteJson,
  safeWriteJsonSync,
  safeWriteFile,
  safeWriteFileSync,
  safeReadJson,
  cleanupTempFiles,
  updateJson,
} from 'safe-write-json'
import type {
  WriteJsonOptions,
  WriteOptions,
  WriteFileOptions,
  JsonReplacer,
  ReadJsonOptions,
  JsonReviver,
  CleanupOptions,
} from 'safe-write-json'

/** Marks values as used: each line above them is a type assertion, not a computation. */
function expectUsed(..._values: unknown[]): void {}

async function usage(): Promise<void> {
  // The drop-in forms of the old safeWriteJson(filePath, data, indent?).
  await safeWriteJson('settings.json', { theme: 'dark' })
  await safeWriteJson('settings.json', { theme: 'dark' }, 2)
  await safeWriteJson('settings.json', { theme: 'dark' }, '\t')
  await safeWriteJson(new URL('file:///tmp/x.json'), [1, 2, 3], null)
  const resolved: void = await safeWriteJson('x.json', undefined, { prettyPrint: true })
  void resolved

  // The third argument is one union, not overloads, so a wrapper with the old signature, or one
  // that passes either form through, compiles unchanged (overloads would reject both).
  const legacy = (filePath: string, data: any, indent?: number | string) => safeWriteJson(filePath, data, indent)
  const passThrough = (indentOrOptions: number | WriteJsonOptions) => safeWriteJsonSync('x.json', {}, indentOrOptions)
  await legacy('x.json', {}, 4)
  passThrough({ finalNewline: true })

  const options: WriteJsonOptions = {
    indent: 2,
    replacer: (key, value) => (key === 'secret' ? undefined : value),
    finalNewline: true,
    durability: 'data',
    mode: 0o600,
  }
  await safeWriteJson('x.json', {}, options)
  const keep: JsonReplacer = ['a', 1]
  safeWriteJsonSync('x.json', {}, { replacer: keep, durability: 'none' })
  const durability = 'none' as const
  await safeWriteJson('x.json', {}, { durability })
  await safeWriteJson('x.json', {}, { incremental: true })

  const fileOptions: WriteOptions = { durability: 'full', mode: 0o644 }
  await safeWriteFile('notes.txt', 'text', fileOptions)
  safeWriteFileSync('blob.bin', new Uint8Array([1, 2]))
  safeWriteFileSync('blob.bin', Buffer.from('x'))

  // The call forms of write-file-atomic and atomically.
  await safeWriteFile('a.txt', 'foo', 'utf16le')
  safeWriteFileSync('a.txt', 'aGk=', { encoding: 'base64' })
  await safeWriteFile('a.txt', 'x', { encoding: null, mode: '0644', chown: { uid: 1000, gid: 1000 }, fsync: false })
  await safeWriteFile('a.txt', 'x', { mode: null, chown: null })
  safeWriteFileSync('a.txt', 'x', { mode: false, chown: false, fsync: true, durability: 'data' })
  await safeWriteFile('a.bin', new DataView(new ArrayBuffer(4), 1, 2))
  safeWriteFileSync('a.bin', new Float64Array([1.5]))
  const forwarded: WriteFileOptions = { fsync: undefined, chown: undefined, mode: undefined, encoding: undefined }
  await safeWriteFile('a.txt', 'x', forwarded)
  const nodeEncoding: BufferEncoding = 'hex' // the global type of @types/node fits
  safeWriteFileSync('a.txt', 'ff', nodeEncoding)
  // @ts-expect-error an encoding Buffer does not know
  await safeWriteFile('a.txt', 'x', 'utf9')
  // @ts-expect-error chown needs both ids
  safeWriteFileSync('a.txt', 'x', { chown: { uid: 1 } })
  // @ts-expect-error chown: true means nothing
  safeWriteFileSync('a.txt', 'x', { chown: true })
  // @ts-expect-error fsync is a boolean
  safeWriteFileSync('a.txt', 'x', { fsync: 'no' })
  // @ts-expect-error an ArrayBuffer is not a view: wrap it in a Uint8Array
  safeWriteFileSync('a.bin', new ArrayBuffer(2))
  // @ts-expect-error data is required: write '' for an empty file
  safeWriteFileSync('a.txt', undefined)
  // @ts-expect-error the call forms are safeWriteFile's, not the JSON writers'
  await safeWriteJson('x.json', {}, { fsync: false })

  // updateJson is generic over the file's shape.
  const counter: { runs: number } | undefined = await updateJson<{ runs: number }>('stats.json', (c) => ({
    runs: (c?.runs ?? 0) + 1,
  }))
  void counter
  await updateJson('stats.json', async (c) => c, { default: { runs: 0 }, lockTimeoutMs: 500, indent: 2 })
  await safeWriteJson('x.json', {}, { lock: false, lockTimeoutMs: 100 })
  // @ts-expect-error updateJson always locks
  await updateJson('stats.json', (c) => c, { lock: false })
  // @ts-expect-error the updater must return the file's type
  await updateJson<{ runs: number }>('stats.json', () => ({ runs: 'many' }))
  await safeWriteJson('x.json', {}, { backup: true })
  safeWriteFileSync('x.txt', 'x', { backup: false, durability: 'data' })

  // safeReadJson is generic: the type argument, or the default's type, is what it resolves to.
  interface Settings {
    theme: string
  }
  const settings: Settings = await safeReadJson<Settings>('settings.json')
  const inferred = await safeReadJson('settings.json', { default: { theme: 'light' } })
  const theme: string = inferred.theme
  const unknownByDefault: unknown = await safeReadJson('x.json')
  const reviver: JsonReviver = (key, value) => (key === 'date' ? new Date(value) : value)
  const readOptions: ReadJsonOptions<Settings> = { default: { theme: 'dark' }, reviver, recover: true }
  await safeReadJson(new URL('file:///tmp/s.json'), readOptions)
  await safeReadJson('x.json', null)
  expectUsed(settings, theme, unknownByDefault)

  const cleanup: CleanupOptions = { olderThanMs: 0 }
  const removed: string[] = await cleanupTempFiles('state', cleanup)
  await cleanupTempFiles(new URL('file:///tmp/'))
  void removed

  // @ts-expect-error the default must be of the type read
  await safeReadJson<Settings>('s.json', { default: 42 })
  // @ts-expect-error unknown read options are rejected
  await safeReadJson('s.json', { recovery: true })
  // @ts-expect-error recover is a boolean
  await safeReadJson('s.json', { recover: 'yes' })
  // @ts-expect-error cleanupTempFiles takes milliseconds as a number
  await cleanupTempFiles('state', { olderThanMs: '60s' })
  // @ts-expect-error backup is a boolean
  await safeWriteJson('x.json', {}, { backup: 'yes' })

  // @ts-expect-error a path must be a string or a URL
  await safeWriteJson(42, {})
  // @ts-expect-error the data is required (write `null` explicitly)
  await safeWriteJson('x.json')
  // @ts-expect-error the third argument is an indent or options, not a boolean
  await safeWriteJson('x.json', {}, true)
  // @ts-expect-error durability is one of 'full' | 'data' | 'none'
  await safeWriteJson('x.json', {}, { durability: 'fast' })
  const someString: string = 'full'
  // @ts-expect-error a plain string is not a durability
  await safeWriteJson('x.json', {}, { durability: someString })
  // @ts-expect-error unknown options are rejected
  await safeWriteJson('x.json', {}, { indnet: 2 })
  // @ts-expect-error indent is a number or a string
  await safeWriteJson('x.json', {}, { indent: true })
  // @ts-expect-error mode is a number (0o644), not a string
  await safeWriteJson('x.json', {}, { mode: '644' })
  // @ts-expect-error prettyPrint is a boolean
  await safeWriteJson('x.json', {}, { prettyPrint: 'yes' })
  // @ts-expect-error a replacer is a function or an array of keys
  await safeWriteJson('x.json', {}, { replacer: 'secret' })
  // @ts-expect-error safeWriteFile takes no JSON options
  await safeWriteFile('x.txt', 'x', { indent: 2 })
  // @ts-expect-error safeWriteFile takes no indent argument either
  await safeWriteFile('x.txt', 'x', 2)
  // @ts-expect-error safeWriteFile writes strings and bytes, not objects
  await safeWriteFile('x.txt', { a: 1 })
  // @ts-expect-error the async writers return a promise, to be awaited
  const notAwaited: void = safeWriteJson('x.json', {})
  void notAwaited
  // @ts-expect-error the Sync twins return nothing
  const nothing: Promise<void> = safeWriteJsonSync('x.json', {})
  void nothing
}
void usage
