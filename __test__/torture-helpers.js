// Shared by the fault-injection tests: where the failpoints build of the addon is, and how a
// test hands its figures to `npm run torture` (__test__/torture.js), which prints them.
const fs = require('node:fs')
const path = require('node:path')

function platformTag() {
  const abi = process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : ''
  return `${process.platform}-${process.arch}${abi}`
}

/** The addon built with `--features failpoints` by `npm run build:failpoints`. */
const FAILPOINTS_ADDON = path.join(__dirname, '..', 'target', 'failpoints', `safe-write-json.${platformTag()}.node`)

/** Record one line of figures for the torture summary (only when torture.js asks for them). */
function report(what, figures) {
  if (process.env.TORTURE_REPORT)
    fs.appendFileSync(process.env.TORTURE_REPORT, `${JSON.stringify({ what, ...figures })}\n`)
}

module.exports = { FAILPOINTS_ADDON, report }
