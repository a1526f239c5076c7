// Plain ESM: a named import from the package and a real write, then the bytes read back.
import { safeWriteJson } from 'safe-write-json'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const file = join(process.argv[2], 'esm', 'state.json')
await safeWriteJson(file, { via: 'import' }, '\t')
const text = readFileSync(file, 'utf8')
if (text !== JSON.stringify({ via: 'import' }, null, '\t')) throw new Error(`wrote ${JSON.stringify(text)}`)
console.log('ok')
