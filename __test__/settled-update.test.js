// Once an updateJson has settled, it no longer holds its file for a Sync write: the lease
// settles its promise and then hands the file on, and JavaScript can run in between. A Sync
// write made there waits for the hand-on instead of failing with ELOCKED (found by the model
// test). The failpoint `lease.handoff` widens that window to 300 ms, in a child process with the
// failpoints build, under a watchdog.
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { tmpDir } = require('./helpers')
const { FAILPOINTS_ADDON } = require('./torture-helpers')

const failpointTest = fs.existsSync(FAILPOINTS_ADDON) ? test : test.skip

failpointTest('a Sync write right after updateJson settled is served, not ELOCKED', () => {
  const dir = tmpDir('swj-settled')
  const script = `
    const { updateJson, safeWriteJsonSync } = require(process.argv[1])
    const file = require('node:path').join(process.argv[2], 'a.json')
    const outcomes = []
    ;(async () => {
      for (const updater of [() => 1, () => undefined]) {
        await updateJson(file, updater)
        try {
          safeWriteJsonSync(file, { sync: outcomes.length })
          outcomes.push('served')
        } catch (err) {
          outcomes.push(err.code)
        }
      }
      console.log(JSON.stringify({ outcomes, content: require('node:fs').readFileSync(file, 'utf8') }))
    })()`
  const child = spawnSync(process.execPath, ['-e', script, path.join(__dirname, '..'), dir], {
    encoding: 'utf8',
    timeout: 30000,
    env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: FAILPOINTS_ADDON, FAILPOINTS: 'lease.handoff=sleep(300)' },
  })
  expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({
    status: 0,
    signal: null,
    stderr: '',
  })
  expect(JSON.parse(child.stdout)).toEqual({ outcomes: ['served', 'served'], content: '{"sync":1}' })
})
