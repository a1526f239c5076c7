// The API as users see it: the generated declarations, documented in Rust (src/binding/), and
// `updateJson`, which index.js implements over the binding's lease.
import type { WriteJsonOptions } from './binding'

export {
  safeWriteJson,
  safeWriteJsonSync,
  safeWriteFile,
  safeWriteFileSync,
  safeReadJson,
  cleanupTempFiles,
} from './binding'
export type {
  WriteOptions,
  WriteJsonOptions,
  JsonReplacer,
  ReadJsonOptions,
  JsonReviver,
  CleanupOptions,
} from './binding'

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
