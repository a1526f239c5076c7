// Plain CommonJS: require the package and do a real write, then read the bytes back.
const { safeWriteJson } = require('safe-write-json')
const fs = require('node:fs')
const path = require('node:path')

const file = path.join(process.argv[2], 'cjs', 'state.json')
safeWriteJson(file, { via: 'require' }, 2).then(() => {
  const text = fs.readFileSync(file, 'utf8')
  if (text !== JSON.stringify({ via: 'require' }, null, 2)) throw new Error(`wrote ${JSON.stringify(text)}`)
  console.log('ok')
})
