// Type test, run by `tsc -p __test__` (never executed): calls that must compile against
// index.d.ts, and `@ts-expect-error` on calls that must not.
import { safeWriteJson, safeWriteJsonSync, safeWriteFile, safeWriteFileSync, safeReadJson, cleanupTempFiles, updateJson } from '..'
import type { WriteJsonOptions, WriteOptions, JsonReplacer, ReadJsonOptions, JsonReviver, CleanupOptions } from '..'

async function usage(): Promise<void> {
  // The drop-in forms of the old safeWriteJson(filePath, data, indent?).
  await safeWriteJson('settings.json', { theme: 'dark' })
  await safeWriteJson('settings.json', { theme: 'dark' }, 2)
  await safeWriteJson('settings.json', { theme: 'dark' }, '\t')
  await safeWriteJson(new URL('file:///tmp/x.json'), [1, 2, 3], null)
  const resolved: void = await safeWriteJson('x.json', undefined, { prettyPrint: true })
  void resolved

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

  const fileOptions: WriteOptions = { durability: 'full', mode: 0o644 }
  await safeWriteFile('notes.txt', 'text', fileOptions)
  safeWriteFileSync('blob.bin', new Uint8Array([1, 2]))
  safeWriteFileSync('blob.bin', Buffer.from('x'))

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
  void settings, theme, unknownByDefault

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
  // @ts-expect-error durability is one of 'full' | 'data' | 'none'
  await safeWriteJson('x.json', {}, { durability: 'fast' })
  // @ts-expect-error unknown options are rejected
  await safeWriteJson('x.json', {}, { indnet: 2 })
  // @ts-expect-error safeWriteFile takes no JSON options
  await safeWriteFile('x.txt', 'x', { indent: 2 })
  // @ts-expect-error safeWriteFile writes strings and bytes, not objects
  await safeWriteFile('x.txt', { a: 1 })
  // @ts-expect-error the Sync twins return nothing
  const nothing: Promise<void> = safeWriteJsonSync('x.json', {})
  void nothing
}
void usage
