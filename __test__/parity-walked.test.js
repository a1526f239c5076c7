// The parity tests again, with the piece-by-piece path forced on for every container of 4 or
// more members and pieces of ~40 characters, and with streaming to the temp file (the path of
// outputs too big to hold) forced on past 2 KB: the bytes must not change.
process.env.SAFE_WRITE_JSON_WALK_MIN = '4'
process.env.SAFE_WRITE_JSON_PIECE_CHARS = '40'
process.env.SAFE_WRITE_JSON_SPILL_BYTES = process.env.SAFE_WRITE_JSON_SPILL_BYTES || '1000000000'
require('./parity.test.js')
