// The API as users see it. The functions are JavaScript (index.js, over the binding), so they
// are declared here by hand; the option types that cross into Rust are generated from their
// `#[napi(object)]` structs (binding.d.ts) and re-exported. types.test-d.ts checks this file.
import type { WriteOptions, CleanupOptions } from './binding'

export type { WriteOptions, CleanupOptions } from './binding'

/** `JSON.stringify`'s replacer: a function called with the holder as `this`, or the keys to keep. */
export type JsonReplacer = ((this: any, key: string, value: any) => any) | (string | number)[] | null

/** Options of `safeWriteJson` and `safeWriteJsonSync`. */
export interface WriteJsonOptions extends WriteOptions {
  /**
   * `JSON.stringify`'s `space`: a number of spaces (clamped to 10) or a string (its first 10 characters).
   * @default none (compact)
   */
  indent?: number | string
  /**
   * `JSON.stringify`'s `replacer`.
   * @default none
   */
  replacer?: JsonReplacer
  /**
   * Append `\n` after the JSON.
   * @default false
   */
  finalNewline?: boolean
  /**
   * `true` means `indent: '\t'` (the option of Roo Code's `safeWriteJson`); an explicit `indent` wins.
   * @default false
   */
  prettyPrint?: boolean
  /**
   * Async only (`safeWriteJson`, `updateJson`; `safeWriteJsonSync` rejects `true` with
   * `ERR_INVALID_ARG_VALUE`): serialize across turns of the event loop, in slices of a few
   * milliseconds of main-thread work each (one member's own `JSON.stringify` is never split), so
   * that no turn holds the loop for long. The write takes its place in the file's order at call
   * time. A value done within the first slice (in the call) is, as without the option, the value
   * at call time. A bigger one is read over several turns: do not mutate it until the promise
   * settles. If it is mutated anyway, the file is still valid JSON in which every member was
   * read once, whole (an array's length and an object's keys are read as its walk begins). A
   * serialization error midway rejects with `JSON.stringify`'s error and removes the temp file and
   * the directories made for the write. With a `replacer`, the value is serialized in one slice.
   * No JavaScript timer is involved: it settles under jest's fake timers.
   * @default false
   */
  incremental?: boolean
}

/** The encodings `Buffer` knows: the same union as `BufferEncoding` in `@types/node`. */
export type BufferEncoding =
  | 'ascii'
  | 'utf8'
  | 'utf-8'
  | 'utf16le'
  | 'utf-16le'
  | 'ucs2'
  | 'ucs-2'
  | 'base64'
  | 'base64url'
  | 'latin1'
  | 'binary'
  | 'hex'

/**
 * Options of `safeWriteFile` and `safeWriteFileSync`: those of every writer, and the call forms of
 * write-file-atomic and atomically (`encoding`, `chown`, `fsync`, `mode` as an octal string or
 * `false`).
 */
export interface WriteFileOptions extends Omit<WriteOptions, 'mode'> {
  /**
   * How string data is turned into bytes (`Buffer.from(data, encoding)`); ignored for bytes, as
   * by `fs.writeFile`. `null` means UTF-8. An encoding `Buffer` does not know is
   * `ERR_INVALID_ARG_VALUE`.
   * @default 'utf8'
   */
  encoding?: BufferEncoding | null
  /**
   * Permission bits of the written file (0 to 0o7777), applied exactly, without the umask: a
   * number, or an octal string as `fs` takes it (`'0644'`, `'644'`). `false` or `null` means the default.
   * @default the existing file's mode, else `0o666 & ~umask`
   */
  mode?: number | string | false | null
  /**
   * The owner of the written file, set on the temp file before the rename (so the target never
   * appears with another owner). Where this process may not give the file away (`EPERM`: not
   * root), the file is the writer's, as with write-file-atomic. An id of `-1` leaves that one
   * the writer's. `false` or `null` means the default. Nothing on Windows, as `fs.chown` there.
   * @default the existing file's owner where permitted, else the writer's
   */
  chown?: { uid: number; gid: number } | false | null
  /**
   * write-file-atomic's flag: `false` is `durability: 'none'`; `true` is the default, or any
   * `durability` that fsyncs the file (`'full'`, `'data'`). Contradicting `durability`
   * (`fsync: false` with `'full'`, `fsync: true` with `'none'`) is `ERR_INVALID_ARG_VALUE`.
   * @default true
   */
  fsync?: boolean
}

/** `JSON.parse`'s reviver: called with the holder as `this`, for every key, innermost first. */
export type JsonReviver = (this: any, key: string, value: any) => any

/** Options of `safeReadJson`. */
export interface ReadJsonOptions<T = unknown> {
  /**
   * Resolve with this when the file (or a directory on its path) does not exist. `undefined`
   * means no default: a missing file rejects with `ENOENT`. A file that exists but does not
   * parse never gives the default: it rejects with `EJSONPARSE`.
   * @default none
   */
  default?: T
  /**
   * `JSON.parse`'s reviver.
   * @default none
   */
  reviver?: JsonReviver | null
  /**
   * When the file is missing or does not parse, return the content of its `<name>.bak` (kept
   * by `backup: true`) if that is valid JSON, and emit a warning with code
   * `'SAFE_WRITE_JSON_RECOVERED'` (`process.on('warning', …)` sees it). If the backup fails
   * too, the file's own outcome stands.
   * @default false
   */
  recover?: boolean
}

/**
 * Remove what writes of this package left in `dir` when their process died, and resolve with
 * their paths (`dir` joined with each name), sorted: temp files (names of exactly the shape
 * `.<basename>.<8 letters or digits>.tmp`, regular files, last modified at least
 * `olderThanMs` ago) and lock sidecars (`.<basename>.lock`, empty, as old, whose lock nobody
 * holds). Files of any other name, younger temp files, temp files a live writer holds (in any
 * process: writers lock their temp files for their whole life) and held sidecars are never
 * touched. Subdirectories are not searched.
 *
 * @throws never synchronously; the promise rejects with a `TypeError`/`RangeError` coded
 * `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` or `ERR_OUT_OF_RANGE` for a bad argument,
 * and with an `Error` with `code` (`ENOENT`, `ENOTDIR`, `EACCES`, …), `errno`, `syscall`
 * (`scandir`, `unlink`) and `path` when the directory cannot be read or a file removed.
 *
 * @example
 * ```ts
 * import { cleanupTempFiles } from 'safe-write-json'
 * const removed = await cleanupTempFiles(stateDir) // e.g. ['state/.tasks.json.x8Kq2mZp.tmp']
 * ```
 */
export declare function cleanupTempFiles(dir: string | URL, options?: CleanupOptions | null): Promise<string[]>

/**
 * Read the JSON file at `path` and parse it, off the main thread: `JSON.parse` semantics
 * (with `reviver`), a UTF-8 byte order mark skipped.
 *
 * - A file that does not exist (nor a directory on its path) resolves with `options.default`
 *   when one is given (`undefined` is none), and rejects with `ENOENT` otherwise.
 * - A file that is not JSON (truncated, empty, NUL-filled, invalid UTF-8) rejects with
 *   `code: 'EJSONPARSE'`, never with the default. The error carries `path`, `position` (0-based
 *   byte offset in the file), `line` and `column` (1-based, in characters), and its message
 *   names the file and the place and shows the text around it.
 * - With `recover: true`, a missing or unparseable file falls back to `<name>.bak` (kept by
 *   the writers' `backup: true`). When the backup is valid JSON its content is returned and a
 *   warning is emitted: `process.emitWarning(message, { code: 'SAFE_WRITE_JSON_RECOVERED',
 *   detail })`, which Node prints to stderr and `process.on('warning')` observes. When the
 *   backup fails too, the file's own outcome stands (the default, or the file's error).
 *
 * @throws never synchronously; the promise rejects with: a `TypeError`/`RangeError` coded
 * `ERR_INVALID_ARG_TYPE` or `ERR_INVALID_ARG_VALUE` for a bad argument; `EJSONPARSE`; an
 * `Error` with `code` (`ENOENT`, `EACCES`, `EISDIR`, …), `errno`, `syscall` and `path` when the
 * file cannot be read; whatever the reviver throws.
 *
 * @example
 * ```ts
 * import { safeReadJson } from 'safe-write-json'
 * const settings = await safeReadJson<Settings>('settings.json', { default: {}, recover: true })
 * ```
 */
export declare function safeReadJson<T = unknown>(path: string | URL, options?: ReadJsonOptions<T> | null): Promise<T>

/**
 * Write a string (as UTF-8, or in `encoding`) or bytes (a `Buffer`, any typed array, a
 * `DataView`: the bytes it views) to `path`, with the same guarantees as `safeWriteJson`. The
 * data is copied during the call. The third argument may be an encoding, as with `fs.writeFile`
 * and write-file-atomic.
 *
 * @throws never synchronously; rejects as `safeWriteJson` does. `data` that is not a string or
 * an `ArrayBufferView` (`undefined` too) is `ERR_INVALID_ARG_TYPE`.
 *
 * @example
 * ```ts
 * import { safeWriteFile } from 'safe-write-json'
 * await safeWriteFile('notes.md', '# Notes', { mode: 0o600 })
 * await safeWriteFile('legacy.txt', 'café', 'latin1')
 * ```
 */
export declare function safeWriteFile(
  path: string | URL,
  data: string | ArrayBufferView,
  options?: BufferEncoding | WriteFileOptions | null,
): Promise<void>

/**
 * The synchronous twin of `safeWriteFile`.
 *
 * @throws the errors `safeWriteFile` rejects with.
 *
 * @example
 * ```ts
 * import { safeWriteFileSync } from 'safe-write-json'
 * safeWriteFileSync('cache.bin', Buffer.from([1, 2, 3]), { durability: 'none' })
 * ```
 */
export declare function safeWriteFileSync(
  path: string | URL,
  data: string | ArrayBufferView,
  options?: BufferEncoding | WriteFileOptions | null,
): void

/**
 * Write `data` as JSON to `path`, atomically and durably, without blocking the event loop.
 *
 * The file ends up holding exactly `JSON.stringify(data, replacer, indent)` in UTF-8 (`null`
 * where that is `undefined`). The data is read during the call: later changes to it do not
 * affect what is written. The promise resolves once the new content is in place (and, with
 * the default `durability: 'full'`, on disk).
 *
 * The third argument may be the indent, as with the old `safeWriteJson(filePath, data, indent)`.
 *
 * @throws never synchronously; the promise rejects with: a `TypeError`/`RangeError` coded
 * `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` or `ERR_OUT_OF_RANGE` for a bad argument; the
 * very error `JSON.stringify` throws (circular structure, BigInt, a throwing `toJSON`); an
 * `Error` with `code` (`EACCES`, `ENOSPC`, `EISDIR`, `ENOTDIR`, `EVERIFY`, …), `errno`,
 * `syscall` and `path` when the file system fails. On every failure the target is untouched.
 *
 * @example
 * ```ts
 * import { safeWriteJson } from 'safe-write-json'
 * await safeWriteJson('settings.json', { theme: 'dark' }, 2)
 * ```
 */
export declare function safeWriteJson(
  path: string | URL,
  data: unknown,
  options?: number | string | WriteJsonOptions | null,
): Promise<void>

/**
 * The synchronous twin of `safeWriteJson`: same checks, same bytes, same guarantees, but it
 * blocks until the file is written. It waits for an async write of the same file that is
 * already on the disk and supersedes queued ones (they settle with this call's outcome). With
 * an `updateJson` of the file running or queued in this process it throws `ELOCKED` at once:
 * the update needs this very thread.
 *
 * @throws the errors `safeWriteJson` rejects with.
 *
 * @example
 * ```ts
 * import { safeWriteJsonSync } from 'safe-write-json'
 * // where nothing can be awaited, e.g. a process 'exit' handler
 * process.on('exit', () => safeWriteJsonSync('state.json', state, 2))
 * ```
 */
export declare function safeWriteJsonSync(
  path: string | URL,
  data: unknown,
  options?: number | string | WriteJsonOptions | null,
): void

/** Options of `updateJson`: those of `safeWriteJson` (it always locks), plus the value to start from. */
export interface UpdateJsonOptions<T> extends WriteJsonOptions {
  /**
   * Passed to the updater when the file does not exist.
   * @default undefined
   */
  default?: T
  /**
   * `updateJson` always holds the lock from read to write; `false` is refused (`ERR_INVALID_ARG_VALUE`).
   * @default true
   */
  lock?: true
}

/**
 * Read-modify-write a JSON file without losing updates: takes the file's lock (in this process
 * and across processes), reads and parses the current content, calls `updater` with it
 * (`undefined`, or `options.default`, when the file does not exist), writes what it returns
 * with every guarantee of `safeWriteJson`, then releases the lock. N processes doing M
 * increments each end at exactly N×M.
 *
 * Resolves with the value written. An updater that returns `undefined` writes nothing (resolves
 * `undefined`); one that throws or rejects writes nothing and its error propagates. A file that
 * does not parse rejects with `EJSONPARSE` without calling the updater. Waiting longer than
 * `lockTimeoutMs` for the lock rejects with `ELOCKED`.
 *
 * @example
 * ```ts
 * const count = await updateJson<{ runs: number }>('stats.json', (s) => ({ runs: (s?.runs ?? 0) + 1 }))
 * ```
 */
export declare function updateJson<T = unknown>(
  path: string | URL,
  updater: (current: T | undefined) => T | undefined | Promise<T | undefined>,
  options?: UpdateJsonOptions<T> | null,
): Promise<T | undefined>
