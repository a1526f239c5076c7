// A jest reporter that ends the run with one plain line, `jest: N passed, N failed, N skipped`,
// which CI log readers understand without knowing jest's own summary format.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results
    console.log(`jest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`)
  }
}
module.exports = SummaryReporter
