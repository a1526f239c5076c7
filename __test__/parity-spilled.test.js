// The parity tests again, walked and streamed into the temp file past 2 KB of text (the path
// of outputs too big to hold in memory): the bytes must not change.
process.env.SAFE_WRITE_JSON_SPILL_BYTES = '2000'
require('./parity-walked.test.js')
