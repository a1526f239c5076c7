// parity-incremental.test.js with every container of 4 or more members walked and pieces of
// ~40 characters: many more pieces, slices and turns; the bytes must not change.
process.env.SAFE_WRITE_JSON_WALK_MIN = '4'
process.env.SAFE_WRITE_JSON_PIECE_CHARS = '40'
require('./parity-incremental.test.js')
