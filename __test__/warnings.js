// Captures the process warnings that a test's own calls emit (SAFE_WRITE_JSON_RECOVERED from
// safeReadJson's recover), so that the test asserts them and the run's output is not strewn
// with warnings that are expected. Node prints every warning to stderr whatever 'warning'
// listeners exist, so the emitter the package calls, `process.emitWarning` of this test file's
// realm, is replaced while `fn` runs (Node's, not ours: what our code passes it is the subject).
async function withWarnings(fn) {
  const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => {})
  try {
    const value = await fn()
    return { value, codes: emitted.mock.calls.map(([, options]) => options?.code) }
  } finally {
    emitted.mockRestore()
  }
}

module.exports = { withWarnings }
