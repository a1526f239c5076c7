// The read-order tests again, with the piece-by-piece walk forced on for every container of 4
// or more members and pieces of ~40 characters: small values are walked as big ones are.
process.env.SAFE_WRITE_JSON_WALK_MIN = '4'
process.env.SAFE_WRITE_JSON_PIECE_CHARS = '40'
require('./read-order.test.js')
