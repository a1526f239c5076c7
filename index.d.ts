// The API as users see it: the generated declarations, documented in Rust (src/binding/).
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
