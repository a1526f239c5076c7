// Type test for ES module users (an .mts file under `module: nodenext`): named imports of the
// package resolve through the `exports` map to the same declarations, and top-level await works.
import { safeWriteJson, safeWriteFileSync } from 'safe-write-json'
import type { WriteJsonOptions } from 'safe-write-json'

const options: WriteJsonOptions = { indent: '\t', finalNewline: true }
await safeWriteJson('settings.json', { theme: 'dark' }, options)
safeWriteFileSync(new URL('file:///tmp/notes.txt'), 'text')
// @ts-expect-error the same checks as from CommonJS
await safeWriteJson('x.json', {}, { durability: 'fast' })
