// The API as users see it: the generated declarations, documented in Rust (src/binding/).
export { safeWriteJson, safeWriteJsonSync, safeWriteFile, safeWriteFileSync } from './binding'
export type { WriteOptions, WriteJsonOptions, JsonReplacer } from './binding'
