// JSON.stringify(value, null, space), produced piece by piece into a native sink instead of as
// one string.
//
// One big string costs more than the stringify itself: V8 builds it as a rope that must be
// flattened (a second full-size allocation and copy) before it can be copied out, and past
// ~512 MiB it cannot exist at all. So large arrays and objects are walked here, at the top (and
// into big nested arrays), and their members are stringified a few at a time by this realm's
// own JSON.stringify: each piece comes out as a small flat string that the sink copies at once.
// The text is the same, byte for byte, as JSON.stringify's.
//
// Only values where the walk is unobservable are walked: no replacer (index.js checks), an
// ordinary array or object without `toJSON` anywhere on its prototype chain (looked up without
// running getters), not a Proxy. Array members are stringified as a slice, where JSON.stringify
// would pass `toJSON` the index within the slice, so a member with `toJSON` (or a Proxy, or a
// BigInt) is stringified alone under its real index instead. Members are read (getters run)
// a few at a time rather than one at a time. A circular structure is reported with the error
// JSON.stringify(value) itself throws, found by running it once more.
//
// The walk stays unobservable only while nothing it relies on changes under it, and user code
// (getters, `toJSON`) runs in the middle of it. So the functions it calls are the ones captured
// when this module loaded (replacing `JSON.stringify` later changes nothing); before each slice
// is stringified, the slice itself (an array made here) must still have no `toJSON`; after, its
// members must still have none (else `toJSON` was passed the wrong index); and every piece must
// be framed as expected. If not, the call throws (nothing is written): the getters have run
// once already, so stringifying the whole value again would not be the same text either.
//
// The arrays the walk fills (slices, and the pieces the binding copies out) have no prototype:
// an index accessor user code put on Array.prototype or Object.prototype would otherwise catch
// their indexed stores, and members or pieces would silently go missing. And the pieces of the
// whole walk must, once more, be framed as expected (`[`…`]` or `{`…`}`, every piece stored),
// or the call throws.
'use strict'

const { isProxy, isBoxedPrimitive } = require('node:util').types

// Captured at load: the caller's realm's own (this module is loaded in it, as index.js is).
const stringify = JSON.stringify
const { hasOwn, getPrototypeOf, setPrototypeOf, keys: objectKeys, create } = Object
const { isArray } = Array
const { max, min, round } = Math
const ArrayPrototype = Array.prototype
const ObjectPrototype = Object.prototype

const tuning = {
  // Containers with fewer members are stringified in one piece: walking them gains nothing.
  walkMin: Number(process.env.SAFE_WRITE_JSON_WALK_MIN) || 512,
  // Characters per piece: few calls of JSON.stringify (each has a cost), yet each piece, once V8
  // flattens it to be copied out, small enough (< 128 KB) to stay off V8's large-object space.
  pieceChars: Number(process.env.SAFE_WRITE_JSON_PIECE_CHARS) || 32000,
  // Past this much held text (UTF-16 bytes), the text streams to the temp file as it is made:
  // bounded memory. Below, the pieces are held as strings and copied out after the call. High
  // enough that a 50 MB history is held (streaming makes the main thread keep pace with the
  // disk), low enough that any size fits in a few hundred MB.
  spillBytes: Number(process.env.SAFE_WRITE_JSON_SPILL_BYTES) || 96 * 1024 * 1024,
  // Once streaming, pieces are handed over every this many characters.
  flushChars: 1 << 20,
  // `incremental: true`: main-thread time per slice, in microseconds (0: a slice per piece).
  sliceMicros: process.env.SAFE_WRITE_JSON_SLICE_MICROS ? Number(process.env.SAFE_WRITE_JSON_SLICE_MICROS) : 4000,
}

// `incremental: true` walks, besides big containers, every container up to this depth inside
// small ones (`{ version, messages: [...] }`): a big member can hide only deeper than that.
const SPINE_DEPTH = 2

/**
 * Walk `value` if that is worth it and unobservable: push its pieces into `sink` as `texts` and
 * `meta` — each text to be written without `trimStart` leading and `trimEnd` trailing
 * characters, after a comma if `comma`, with `extraDepth` more indentation after each of its
 * newlines (four numbers per text in `meta`). Past `spillBytes` of held text, the pieces so far
 * and then every `flushChars` more go to `sink.stream`, which streams them to the temp file, so
 * memory stays bounded; the rest to `sink.push`. Returns the walk as `Slices` (run it), or null
 * (having run no user code) if the value should be stringified whole.
 *
 * `incremental`: the walk stops whenever the slice's time budget is spent (`sink.due`), and
 * walks every container (of any size) down to `SPINE_DEPTH` inside small ones, so that no
 * single JSON.stringify call is large; its pieces are taken with `Slices.drain` between runs.
 */
function walkInto(value, space, sink, incremental = false) {
  const walker = new Walker(sink, incremental)
  const kind = walker.rootKind(value)
  if (kind === null) return null
  const probe = stringify([[]], null, space)
  // A boxed `space` runs its valueOf here: it must not have given an array, or the value, a
  // `toJSON` (asked afresh: what rootKind learnt may be stale).
  walker.proto = undefined
  if (!arraysArePlain() || walker.hasToJSON(value) || probe[0] !== '[' || probe[probe.length - 1] !== ']')
    throw changed()
  // What V8 writes as one level of indent; and a `space` that makes it write exactly that,
  // evaluated once (a boxed `space` is converted here, not again per piece). V8 cuts the gap at
  // a NUL but still breaks lines: '\0' keeps that quirk when what is left is empty.
  walker.gap = probe.slice(2, probe.length - 4)
  walker.space = probe === '[[]]' ? '' : walker.gap || '\0'
  sink.begin(walker.gap)
  return new Slices(walker, walker.run(value, kind, space))
}

/** A walk that can stop between pieces and go on later (see `walkInto`). */
class Slices {
  constructor(walker, steps) {
    this.walker = walker
    this.steps = steps
    this.running = false
    this.done = false
  }

  /**
   * Walk until the slice's budget is spent, or to the end (then the last pieces are pushed):
   * whether it is done. Throws what the walk throws (then it is done too).
   */
  run() {
    this.running = true
    try {
      this.done = this.steps.next().done
    } catch (err) {
      this.done = true
      throw err
    } finally {
      this.running = false
    }
    return this.done
  }

  /** From now on, walk to the end in one run (a Sync write needs this thread). */
  unbound() {
    this.walker.bounded = false
  }

  /** The pieces made since the last drain, as `[texts, meta]`, for `sink.feed`. */
  drain() {
    return this.walker.drain()
  }
}

/**
 * Whether an array made here has no `toJSON` (so that JSON.stringify of a slice writes its
 * members as they would be written in place). Runs no user code.
 */
function arraysArePlain() {
  return (
    !hasOwn(ArrayPrototype, 'toJSON') &&
    getPrototypeOf(ArrayPrototype) === ObjectPrototype &&
    !hasOwn(ObjectPrototype, 'toJSON')
  )
}

/** The error of a walk that user code made unsound: nothing is written. */
function changed(
  why = 'a toJSON method appeared (on Array.prototype, Object.prototype or the prototype of a member) after the walk had checked for one',
) {
  const err = new Error(`the data changed while it was being serialized: ${why}; nothing was written`)
  err.code = 'ERR_INVALID_STATE'
  return err
}

/**
 * An empty array without a prototype: its indexed stores make own data properties, which no
 * accessor user code defines on Array.prototype or Object.prototype can intercept. It is still
 * an array (JSON.stringify writes it as one; the binding reads its length and elements), and
 * nothing can give it a `toJSON`.
 */
function list() {
  return setPrototypeOf([], null)
}

class Walker {
  constructor(sink, incremental) {
    this.sink = sink
    // Incremental: pieces are drained between slices, which end when the time budget is spent
    // (while `bounded`).
    this.feeds = incremental
    this.bounded = incremental
    // The containers being walked, outermost first: one met again is a cycle, left to
    // JSON.stringify to find (and describe).
    this.ancestors = list()
    // The pieces so far, and the characters they hold; whether the text streams to disk.
    this.texts = list()
    this.meta = list()
    this.held = 0
    // Pieces pushed and pieces handed over (in `texts` or copied out); the first and the last.
    this.pushed = 0
    this.stored = 0
    this.first = ''
    this.last = ''
    this.streaming = false
    this.gap = ''
    this.space = ''
    // Prototype last checked for `toJSON`, and the answer: valid until user code may have run
    // (forgotten after each piece is stringified).
    this.proto = undefined
    this.protoHasToJSON = false
  }

  /**
   * The whole walk of `value` (of `kind`), its last pieces pushed; it yields (incremental)
   * whenever the slice's budget is spent, with the pieces so far to be drained.
   */
  *run(value, kind, space) {
    try {
      yield* this.walk(value, kind, 0)
      this.checkFramed(kind === 'array' ? '[' : '{', kind === 'array' ? ']' : '}')
    } catch (err) {
      // The walk puts other holders on JSON.stringify's stack than the whole call would, so a
      // cycle is described from another starting point: get JavaScript's own message.
      if (err instanceof TypeError && err.message.startsWith('Converting circular structure to JSON')) {
        stringify(value, null, space)
      }
      throw err
    }
    this.sink.push(this.texts, this.meta)
  }

  /** Container `value`, of `kind` ('array' or its keys), at `depth` in the output. */
  *walk(value, kind, depth) {
    const { ancestors } = this
    ancestors[ancestors.length] = value
    if (kind === 'array') yield* this.array(value, depth)
    else yield* this.object(value, kind, depth)
    ancestors.length--
  }

  /** Incremental: whether the slice's budget is spent, or enough text is held to hand over. */
  due() {
    return this.feeds && (this.held >= tuning.flushChars || (this.bounded && this.sink.due(tuning.sliceMicros)))
  }

  /** The pieces pushed since the last drain, as `[texts, meta]`: handed over. */
  drain() {
    this.checkStored()
    const taken = [this.texts, this.meta]
    this.stored += this.texts.length
    this.texts = list()
    this.meta = list()
    this.held = 0
    return taken
  }

  /** Add a piece (see `walkInto`); past the threshold, have the sink stream them all now. */
  push(text, trimStart, trimEnd, extraDepth, comma) {
    // Indexed stores, not Array.prototype.push, which user code could replace mid-walk.
    const { texts, meta } = this
    texts[texts.length] = text
    const at = meta.length
    meta[at] = trimStart
    meta[at + 1] = trimEnd
    meta[at + 2] = extraDepth
    meta[at + 3] = comma ? 1 : 0
    if (this.pushed++ === 0) this.first = text
    this.last = text
    this.held += text.length
    // Incremental walks hand their pieces over between slices instead.
    if (this.feeds) return
    if (this.streaming ? this.held >= tuning.flushChars : this.held * 2 > tuning.spillBytes) {
      this.sink.stream(...this.drain())
      this.streaming = true
    }
  }

  /** Every piece pushed is in `texts` (or was copied out), with its four numbers: or throw. */
  checkStored() {
    const { texts, meta } = this
    if (this.stored + texts.length !== this.pushed || meta.length !== texts.length * 4) {
      throw changed('pieces of the text went missing')
    }
  }

  /**
   * The whole walk's pieces, checked once more: all stored, the first `open`, the last ending in
   * `close`. A text that is empty or unframed is never written.
   */
  checkFramed(open, close) {
    this.checkStored()
    const { first, last } = this
    if (first !== open || last[last.length - 1] !== close) throw changed('the text is not framed as its value')
  }

  /**
   * The captured JSON.stringify of a holder made here, checked to be framed by `open` and
   * `close` (`close` then a newline before it when indenting, for an array slice). Afterwards
   * the prototype answer is forgotten: getters and `toJSON` may have run.
   *
   * First, Array.prototype and Object.prototype must still have no `toJSON`: one that a getter
   * read ahead for this piece installed would be called on members that JSON.stringify wrote
   * before that getter ran, and on a slice itself.
   */
  stringify(holder, open, close) {
    if (!arraysArePlain()) throw changed()
    const text = stringify(holder, null, this.space)
    this.proto = undefined
    const end = text.length - 1
    if (text[0] !== open || text[end] !== close || (close === ']' && this.space && text[end - 1] !== '\n'))
      throw changed()
    return text
  }

  /** 'array', the object's keys, or null when the root `value` is not to be walked. */
  rootKind(value) {
    if (value === null || typeof value !== 'object' || isProxy(value) || !arraysArePlain() || this.hasToJSON(value))
      return null
    if (isArray(value)) return value.length >= tuning.walkMin || this.feeds ? 'array' : null
    if (isBoxedPrimitive(value)) return null
    const keys = objectKeys(value)
    return keys.length >= tuning.walkMin || this.feeds ? keys : null
  }

  /**
   * Whether a member (an object, not a Proxy, without `toJSON`: the caller checked) of a
   * container at `depth` — `thin` if that has fewer than `walkMin` members, `heavy` if one of
   * its members made a big piece on its own — is to be walked in turn: a big array;
   * incremental, also a big object, or any container inside a thin one down to `SPINE_DEPTH`,
   * or inside a heavy one. Not an ancestor (a cycle, for JSON.stringify to report). Deeper
   * pieces are indented by inserting the gap after each newline, which is only unambiguous
   * while the gap holds no newline of its own.
   */
  walks(member, thin, heavy, depth) {
    if (this.gap.includes('\n') || this.isAncestor(member)) return false
    const spine = this.feeds && ((thin && depth < SPINE_DEPTH) || heavy)
    if (isArray(member)) return member.length >= tuning.walkMin || spine
    return this.feeds && !isBoxedPrimitive(member) && (spine || objectKeys(member).length >= tuning.walkMin)
  }

  /** Whether `member` is a container being walked (a loop over a list without a prototype). */
  isAncestor(member) {
    const { ancestors } = this
    for (let i = 0; i < ancestors.length; i++) if (ancestors[i] === member) return true
    return false
  }

  /** A member to walk: 'array', or its keys (read now, after any user code ran before). */
  kindOf(member) {
    return isArray(member) ? 'array' : objectKeys(member)
  }

  /** Whether `toJSON` is on `object` or its prototype chain, found without calling a getter. */
  hasToJSON(object) {
    if (hasOwn(object, 'toJSON')) return true
    const proto = getPrototypeOf(object)
    if (proto !== this.proto) {
      let found = false
      for (let p = proto; p !== null && !found; p = getPrototypeOf(p)) {
        // A Proxy in the chain could answer anything: treat it as having `toJSON`.
        found = isProxy(p) || hasOwn(p, 'toJSON')
      }
      this.proto = proto
      this.protoHasToJSON = found
    }
    return this.protoHasToJSON
  }

  /** `array`, at `depth` in the output: its members a slice at a time. */
  *array(array, depth) {
    const { space } = this
    const length = array.length
    const thin = length < tuning.walkMin
    // Trimmed from a stringified slice: "[" and "]", or "[" and "\n]" when indenting.
    const trimEnd = space ? 2 : 1
    this.push('[', 0, 0, 0, false)
    let slice = list()
    let first = 0 // index of slice[0]
    let want = this.feeds ? 1 : 16
    let heavy = false // a member alone made a big piece: walk the containers that follow
    const flush = (end) => {
      if (slice.length === 0) return
      const text = this.stringify(slice, '[', ']')
      // And a getter or `toJSON` run in it may have given a member one, which JSON.stringify
      // then called with the index in the slice, not the real one.
      for (let i = 0; i < slice.length; i++) {
        const member = slice[i]
        if (((typeof member === 'object' && member !== null) || typeof member === 'function') && this.hasToJSON(member))
          throw changed()
      }
      this.push(text, 1, trimEnd, depth, first > 0)
      heavy ||= this.isHeavy(slice.length, text.length)
      want = this.nextWant(want, slice.length, text.length)
      slice = list()
      first = end
    }
    for (let index = 0; index < length; index++) {
      const member = array[index]
      const type = typeof member
      if ((type === 'object' && member !== null) || type === 'function' || type === 'bigint') {
        // In a slice, JSON.stringify would pass `toJSON` the wrong index, and a Proxy could tell.
        const alone = type === 'bigint' || isProxy(member) || this.hasToJSON(member)
        const walked = !alone && type === 'object' && this.walks(member, thin, heavy, depth)
        if (alone || walked) {
          flush(index)
          if (this.due()) yield
          // Asked again after the slice ran user code: a `toJSON` now is called with its index.
          if (walked && !this.hasToJSON(member)) yield* this.nested(member, depth + 1, index > 0)
          else this.alone(`${index}`, member, depth, index > 0)
          first = index + 1
          if (this.due()) yield
          continue
        }
      }
      slice[slice.length] = member
      if (slice.length >= want) {
        flush(index + 1)
        if (this.due()) yield
      }
    }
    flush(length)
    // An empty array is `[]`, indented or not.
    this.push(space && length > 0 ? '\n]' : ']', 0, 0, depth, false)
  }

  /**
   * Members per piece next, after `count` made `chars` characters: about `pieceChars`' worth.
   * Incremental, it grows at most fourfold a piece, so that a run of small members ahead of
   * big ones does not make one big piece.
   */
  nextWant(want, count, chars) {
    const fit = round((tuning.pieceChars * count) / max(chars, 1))
    return max(1, min(4096, this.feeds ? want * 4 : 4096, fit))
  }

  /** Whether `count` members that made `chars` characters were one big member (incremental). */
  isHeavy(count, chars) {
    return this.feeds && count === 1 && chars > 4 * tuning.pieceChars
  }

  /** A member that must be stringified under its real key: alone, in a holder of its own. */
  alone(key, member, depth, comma) {
    const { gap, space } = this
    const holder = create(null)
    holder[key] = member
    const text = this.stringify(holder, '{', '}')
    if (space) this.push('\n', 0, 0, depth + 1, comma)
    if (text === '{}') {
      // An array member JSON.stringify maps to undefined is null.
      this.push('null', 0, 0, 0, comma && !space)
      return
    }
    // '{"7":' + member + '}', or '{\n' + gap + '"7": ' + member + '\n}'
    const trimStart = space ? 2 + gap.length + key.length + 4 : key.length + 4
    this.push(text, trimStart, space ? 2 : 1, depth, comma && !space)
  }

  /** An array member walked in turn, one level deeper. */
  *nested(member, depth, comma) {
    if (this.space) this.push('\n', 0, 0, depth, comma)
    else if (comma) this.push(',', 0, 0, 0, false)
    yield* this.walk(member, this.kindOf(member), depth)
  }

  /** `object` (with its `keys`), at `depth` in the output: its members a batch at a time. */
  *object(object, keys, depth) {
    const { space } = this
    const thin = keys.length < tuning.walkMin
    const trimEnd = space ? 2 : 1
    this.push('{', 0, 0, 0, false)
    let any = false // a member has been written (so the next one needs a comma)
    // A holder without a prototype, so nothing can give it a `toJSON`; and its members are
    // under their real keys, so their own `toJSON` is called as in place.
    let batch = create(null)
    let count = 0
    let want = this.feeds ? 1 : 16
    let heavy = false // a member alone made a big piece: walk the containers that follow
    const flush = () => {
      if (count === 0) return
      const text = this.stringify(batch, '{', '}')
      if (text.length > 2) {
        this.push(text, 1, trimEnd, depth, any)
        any = true
      }
      heavy ||= this.isHeavy(count, text.length)
      want = this.nextWant(want, count, text.length)
      batch = create(null)
      count = 0
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      const member = object[key]
      // Here the holder has the real key, so only a container to walk needs attention.
      if (
        typeof member === 'object' &&
        member !== null &&
        !isProxy(member) &&
        !this.hasToJSON(member) &&
        this.walks(member, thin, heavy, depth)
      ) {
        flush()
        if (this.due()) yield
        // Asked again after the batch ran user code: with a `toJSON` now, it goes in a batch.
        if (!this.hasToJSON(member)) {
          const name = stringify(key) + (space ? ': ' : ':')
          if (space) this.push('\n', 0, 0, depth + 1, any)
          this.push(name, 0, 0, 0, any && !space)
          yield* this.walk(member, this.kindOf(member), depth + 1)
          any = true
          if (this.due()) yield
          continue
        }
      }
      batch[key] = member
      if (++count >= want) {
        flush()
        if (this.due()) yield
      }
    }
    flush()
    this.push(space && any ? '\n}' : '}', 0, 0, depth, false)
  }
}

module.exports = { walkInto, stringify }
