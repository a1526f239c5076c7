// The parity tests again with `incremental: true`, a slice ending after every piece (so every
// value but the smallest is made over several turns of the event loop): the bytes must not
// change.
process.env.PARITY_INCREMENTAL = '1'
process.env.SAFE_WRITE_JSON_SLICE_MICROS = '0'
require('./parity.test.js')
