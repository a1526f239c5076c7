// Random scenarios for the model test: plain data (so they cross into child processes, print
// and shrink), one list of steps per process. See child.js for what each step does.
const fc = require('fast-check')

const opts = (forUpdate) =>
  fc.record(
    {
      durability: fc.constantFrom('full', 'data', 'none'),
      // updateJson always locks (lock: false is a bad argument).
      lock: forUpdate ? fc.constant(true) : fc.boolean(),
      backup: fc.boolean(),
      mode: fc.constantFrom(0o600, 0o644, 0o640, 0o444, 0o604),
      indent: fc.constant(true),
    },
    { requiredKeys: [] },
  )

/**
 * `long`: also real-size texts past the copier's in-flight limit (`huge`, ~11M UTF-16 units) and,
 * with the default thresholds, past the 96 MiB spill — a few per scenario at most.
 */
function scenario({ long = false, maxSteps = 24, files = ['a', 'a', 'a', 'b', 'c'] } = {}) {
  const size = fc.oneof(
    { weight: 6, arbitrary: fc.constant('small') },
    { weight: 3, arbitrary: fc.constant('walk') },
    { weight: 2, arbitrary: fc.constant('spill') },
    ...(long ? [{ weight: 1, arbitrary: fc.constant('huge') }] : []),
  )
  const file = fc.constantFrom(...files)
  const sp = fc.nat(7)
  const write = fc.record({
    op: fc.constant('write'),
    file,
    sp,
    sync: fc.boolean(),
    api: fc.constantFrom('json', 'json', 'file'),
    size,
    opts: opts(false),
  })
  const updater = fc.constantFrom(
    'sync',
    'async',
    'slow',
    'lingering',
    'none',
    'throw',
    'nestedWrite',
    'nestedUpdate',
    'nestedSync',
  )
  const update = fc.record({ op: fc.constant('update'), file, sp, updater, size, opts: opts(true) })
  const inc = fc.record({
    op: fc.constant('inc'),
    sp,
    updater: fc.constantFrom('sync', 'async', 'slow'),
    size: fc.constant('small'),
    opts: opts(true),
  })
  const step = fc.oneof(
    { weight: 10, arbitrary: write },
    { weight: 5, arbitrary: update },
    { weight: 2, arbitrary: inc },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('read'), file, sp }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cleanup') }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('turn'), n: fc.integer({ min: 1, max: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('awaitOne'), pick: fc.nat(20) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('settle') }) },
  )
  const steps = fc.array(step, { minLength: 1, maxLength: maxSteps })
  // Several processes share file a and the counter k (b and c are one process's files).
  const shared = (s) => (s.file && s.file !== 'a' ? { ...s, file: 'a' } : s)
  const procs = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(steps) },
    {
      weight: 1,
      arbitrary: fc.array(
        steps.map((l) => l.map(shared)),
        { minLength: 2, maxLength: 3 },
      ),
    },
  )
  // Thresholds (run.js TUNING): low (every path at small sizes), or in the long run, where real
  // sizes are affordable, `copier` (default spill, so that `huge` is copied, not spilled) and the
  // defaults.
  const tuning = long ? fc.constantFrom('low', 'copier', 'default') : fc.constant('low')
  return fc
    .record({ tuning, procs })
    .map(({ tuning, procs }) => ({ tuning, procs: procs.map((l) => bounded(l, tuning)) }))
}

/** At most two real-size texts per process (memory and time); the others become `walk`. */
function bounded(steps, tuning) {
  let big = 0
  return steps.map((s) => {
    const heavy = s.size === 'huge' || (s.size === 'spill' && tuning !== 'low')
    if (!heavy) return s
    return ++big > 2 ? { ...s, size: 'walk' } : s
  })
}

module.exports = { scenario }
