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
// running getters), not a Proxy. A circular structure is reported with the error
// JSON.stringify(value) itself throws, found by running it once more.
//
// Members are read exactly as JSON.stringify would read them in place, so getters and `toJSON`
// run once each, in JSON.stringify's order, and see (and make) the same changes. A member read
// early would run its getter early, and miss what user code run for the members before it
// changed (JSON.stringify writes the new value). So a piece's members are read ahead only while
// those read so far are primitives, which JSON.stringify writes without running user code (see
// `writesWithoutUserCode`): a big array of numbers or strings is a plain slice. From the first
// other member on, the piece (a slice of an array, a batch of an object's keys, made here) is
// seen through a Proxy, and each member is read only when JSON.stringify reaches it, after the
// members before it are written (see `lazy`). A member to walk in turn is recognized when it is
// read; the piece ends there (the members after it are left unread, their output cut off) and
// its walk follows at once, as in place. JSON.stringify passes an array member's `toJSON` its
// index in the slice, so a member that may have one (or a Proxy, or a BigInt) is given through a
// stand-in whose `toJSON` calls the member's own with its real index. The Proxy costs one trap
// per member, a call from C++ into JavaScript of about a microsecond (a 1 MB history of 966
// messages: 4.0 ms walked against 3.2 ms stringified whole), far less than a JSON.stringify call
// per member would.
//
// The walk stays unobservable only while nothing it relies on changes under it, and user code
// (getters, `toJSON`) runs in the middle of it. So the functions it calls are the ones captured
// when this module loaded (replacing `JSON.stringify` later changes nothing); before each piece
// is stringified, Array.prototype and Object.prototype must still have no `toJSON`; and every
// piece must be framed as expected. If not, the call throws (nothing is written): the getters
// have run once already, so stringifying the whole value again would not be the same text
// either.
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
const { hasOwn, getPrototypeOf, getOwnPropertyDescriptor, setPrototypeOf, keys: objectKeys, create } = Object
const { isArray } = Array
const { max, min, round } = Math
const { apply } = Reflect
const ProxyOf = Proxy
const ArrayPrototype = Array.prototype
const ObjectPrototype = Object.prototype

// Containers walked inside one another at most: the walk spends far more stack per level than
// JSON.stringify does, so a member deeper than this is stringified whole, and nesting that
// JSON.stringify handles never overflows the walk's stack.
const MAX_WALK_DEPTH = 64

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
    // User code may have run since the last run: nothing learnt about prototypes still holds.
    this.walker.proto = undefined
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
      // Indexed, not destructured: that would run `Array.prototype[Symbol.iterator]`, which a
      // getter may have replaced.
      const drained = this.drain()
      const texts = drained[0]
      const meta = drained[1]
      this.sink.stream(texts, meta)
      // Copied: let go of the pieces now. A list V8 has pretenured (allocated in old space,
      // which it may decide for `list()` arrays) is a root to every scavenge until the next
      // full GC: the pieces it held would be promoted and pile up in old space (a 700 MB text
      // then took 300 MB more memory in about half the runs).
      texts.length = 0
      meta.length = 0
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
   * First, Array.prototype and Object.prototype must still have no `toJSON`. Members are read
   * as JSON.stringify reads them and each is asked afresh for a `toJSON` when read, so one
   * installed midway is called where JSON.stringify would call it; the check stays as a guard
   * (the documented outcome: the call fails, nothing is written) rather than a proof to keep.
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
   * container at `depth` — `thin` if that has fewer than `walkMin` members, `heavy` if its
   * members made a big piece — is to be walked in turn: a big array; incremental, also a big
   * object, or any container but a flat one (see `isFlat`) inside a thin one down to
   * `SPINE_DEPTH`, or inside a heavy one. Not an ancestor (a cycle, for JSON.stringify to
   * report). Deeper pieces are indented by inserting the gap after each newline, which is only
   * unambiguous while the gap holds no newline of its own.
   */
  walks(member, thin, heavy, depth) {
    // Asked of every member read: the common answer (an object, not incremental) first.
    const array = isArray(member)
    if (!array && !this.feeds) return false
    if (this.gap.includes('\n') || this.ancestors.length >= MAX_WALK_DEPTH || this.isAncestor(member)) return false
    const spine = this.feeds && ((thin && depth < SPINE_DEPTH) || heavy)
    if (array) return member.length >= tuning.walkMin || (spine && !isFlat(member, null))
    if (isBoxedPrimitive(member)) return false
    const keys = objectKeys(member)
    return keys.length >= tuning.walkMin || (spine && !isFlat(member, keys))
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
    // The common case, asked of every member read: Object.prototype is no Proxy and its own
    // prototype is null for good.
    if (proto === ObjectPrototype) return hasOwn(ObjectPrototype, 'toJSON')
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

  /**
   * `array`, at `depth` in the output: its members a slice at a time, read as JSON.stringify
   * would read them in place (see `writesWithoutUserCode`, `lazy`). A member to walk ends the
   * slice where it is read: the members after it are left unread (each writes `null`, cut off)
   * for the next one.
   */
  *array(array, depth) {
    const { space, gap } = this
    const length = array.length
    const thin = length < tuning.walkMin
    // Trimmed from a stringified slice: "[" and "]", or "[" and "\n]" when indenting.
    const trimEnd = space ? 2 : 1
    // What each member left unread writes, after a member written.
    const unread = space ? `,\n${gap}null` : ',null'
    this.push('[', 0, 0, 0, false)
    let want = this.feeds ? 1 : 16
    let heavy = false // a member made a big piece: walk the containers that follow
    let first = 0 // index of the slice's first member
    while (first < length) {
      const count = min(want, length - first)
      const slice = list()
      let ahead = 0 // members read ahead (see `writesWithoutUserCode`)
      let primitives = true
      while (primitives && ahead < count) {
        const value = array[first + ahead]
        slice[ahead++] = value
        primitives = writesWithoutUserCode(value)
      }
      let found = -1 // index of the member to walk, read as `member`
      let member
      let holder = slice
      if (!primitives) {
        // The rest is read as JSON.stringify reaches it, after the member read last is written.
        slice.length = count
        holder = lazy(slice, (key) => {
          if (key === 'length') return count
          const at = +key
          if (found >= 0 || !(at >= 0 && at < count)) return undefined
          const index = first + at
          const value = at < ahead ? slice[at] : array[index]
          const type = typeof value
          if ((type === 'object' && value !== null) || type === 'function' || type === 'bigint') {
            // User code may have run since the last member: nothing learnt before still holds.
            this.proto = undefined
            // Its `toJSON` must be passed the real index, not the one in the slice.
            if (type === 'bigint' || isProxy(value) || this.hasToJSON(value))
              return at === index ? value : keyed(value, index)
            if (type === 'object' && this.walks(value, thin, heavy, depth)) {
              found = index
              member = value
              return undefined
            }
          }
          return value
        })
      }
      const text = this.stringify(holder, '[', ']')
      const written = found < 0 ? count : found - first
      if (written > 0) {
        const cut = (count - written) * unread.length
        if (!endsWithUnread(text, count - written, unread, text.length - trimEnd))
          throw changed('a slice ended unexpectedly')
        this.push(text, 1, trimEnd + cut, depth, first > 0)
        heavy ||= this.isHeavy(text.length - cut)
        want = this.nextWant(want, written, text.length - cut)
      }
      first += written
      if (this.due()) yield
      if (found >= 0) {
        // The members after it were asked for in vain: keep that waste to what was written.
        want = max(1, min(want, 2 * written))
        // Asked again after a pause, in which user code may have given it a `toJSON`.
        if (!this.hasToJSON(member)) yield* this.nested(member, depth + 1, found > 0)
        else this.alone(`${found}`, member, depth, found > 0)
        first = found + 1
        if (this.due()) yield
      }
    }
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

  /**
   * Whether members stringified in one piece that made `chars` characters mark their container
   * heavy (incremental): the containers among the members that follow are then walked too.
   */
  isHeavy(chars) {
    return this.feeds && chars > 4 * tuning.pieceChars
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

  /**
   * `object` (with its `keys`), at `depth` in the output: its members a batch at a time, read as
   * JSON.stringify would read them in place (see `writesWithoutUserCode`, `lazy`). A member to
   * walk ends the batch where it is read: the members after it are left unread (each left out)
   * for the next.
   */
  *object(object, keys, depth) {
    const { space } = this
    const thin = keys.length < tuning.walkMin
    const trimEnd = space ? 2 : 1
    this.push('{', 0, 0, 0, false)
    let any = false // a member has been written (so the next one needs a comma)
    let want = this.feeds ? 1 : 16
    let heavy = false // a member made a big piece: walk the containers that follow
    let first = 0 // index in `keys` of the batch's first member
    while (first < keys.length) {
      const count = min(want, keys.length - first)
      // The batch: an object without a prototype (so nothing can give it a `toJSON`), its
      // members under their real keys, so that their own `toJSON` is called as in place.
      const batch = create(null)
      let ahead = 0 // members read ahead (see `writesWithoutUserCode`)
      let primitives = true
      while (primitives && ahead < count) {
        const key = keys[first + ahead++]
        const value = object[key]
        batch[key] = value
        primitives = writesWithoutUserCode(value)
      }
      let found = -1 // index in `keys` of the member to walk, read as `member`
      let member
      let holder = batch
      if (!primitives) {
        // The rest is read as JSON.stringify reaches it, after the member read last is written.
        for (let i = first + ahead; i < first + count; i++) batch[keys[i]] = undefined
        let next = first // index in `keys` of the member JSON.stringify asks for next
        holder = lazy(batch, (key) => {
          if (found >= 0) return undefined
          if (key !== keys[next]) throw changed('a batch was read out of order')
          const value = next - first < ahead ? batch[key] : object[key]
          next++
          if (typeof value === 'object' && value !== null) {
            // User code may have run since the last member: nothing learnt before still holds.
            this.proto = undefined
            if (!isProxy(value) && !this.hasToJSON(value) && this.walks(value, thin, heavy, depth)) {
              found = next - 1
              member = value
              return undefined
            }
          }
          return value
        })
      }
      const text = this.stringify(holder, '{', '}')
      const written = found < 0 ? count : found - first
      if (text.length > 2) {
        this.push(text, 1, trimEnd, depth, any)
        any = true
      }
      if (written > 0) {
        heavy ||= this.isHeavy(text.length)
        want = this.nextWant(want, written, text.length)
      }
      first += written
      if (this.due()) yield
      if (found >= 0) {
        // The members after it were asked for in vain: keep that waste to what was written.
        want = max(1, min(want, 2 * written))
        const key = keys[found]
        // Asked again after a pause, in which user code may have given it a `toJSON`: then it
        // is stringified alone, under its key.
        if (this.hasToJSON(member)) {
          const alone = create(null)
          alone[key] = member
          const text = this.stringify(alone, '{', '}')
          if (text.length > 2) {
            this.push(text, 1, trimEnd, depth, any)
            any = true
          }
        } else {
          const name = stringify(key) + (space ? ': ' : ':')
          if (space) this.push('\n', 0, 0, depth + 1, any)
          this.push(name, 0, 0, 0, any && !space)
          yield* this.walk(member, this.kindOf(member), depth + 1)
          any = true
        }
        first = found + 1
        if (this.due()) yield
      }
    }
    this.push(space && any ? '\n}' : '}', 0, 0, depth, false)
  }
}

/**
 * Whether `container` (an array, or an object with its `keys`) holds nothing but primitives, as
 * own data properties: its text is its members' own, none can hide a big one, and walking it
 * gains nothing. (Incremental walks every container inside a heavy one: 100,000 small objects
 * after a 1 MiB string took 20 times as long walked one by one.) Looks at descriptors, so no
 * getter runs; an accessor, or a hole, is not flat.
 */
function isFlat(container, keys) {
  const count = keys === null ? container.length : keys.length
  for (let i = 0; i < count; i++) {
    const descriptor = getOwnPropertyDescriptor(container, keys === null ? i : keys[i])
    if (descriptor === undefined || !hasOwn(descriptor, 'value') || !writesWithoutUserCode(descriptor.value))
      return false
  }
  return true
}

/**
 * Whether JSON.stringify writes `value` without running user code: a primitive other than a
 * BigInt (whose `toJSON` it looks up).
 *
 * A piece's members are read (getters run) ahead of JSON.stringify, in order, only while each
 * member read so far is such a value. That is exact: in place, nothing runs between
 * reading such a member and reading the next, so the next is read in the same state, its getter
 * runs at the same point in the sequence, and it cannot change a value already read. The first
 * other member (an object, which may hold getters or a `toJSON`) is read ahead too — it is read
 * in the same state as well — but the members after it are read only as JSON.stringify reaches
 * them (`lazy`). A big array of numbers or strings is thus stringified as a plain slice, without
 * a Proxy trap per member.
 */
function writesWithoutUserCode(value) {
  const type = typeof value
  return (type !== 'object' || value === null) && type !== 'function' && type !== 'bigint'
}

/**
 * `holder` (an array or object made here) as seen through `read`: JSON.stringify asks it for
 * each member as it reaches it, so `read` gets the real member then — after the members before
 * it are written, with their `toJSON`, getters and nested getters run — exactly as in place.
 * Reading members ahead instead would run their getters early, and miss what the members before
 * them change. The handler has no prototype, so user code cannot add traps to it.
 */
function lazy(holder, read) {
  const handler = create(null)
  handler.get = (_, key) => (key === 'toJSON' ? undefined : read(key))
  return new ProxyOf(holder, handler)
}

/**
 * `value`, an array member with a possible `toJSON` (or a BigInt, or a Proxy), that JSON.stringify
 * would pass its index in the slice: a stand-in whose `toJSON` looks up and calls the member's
 * own with its real index instead (JSON.stringify looks `toJSON` up once, as this does, and
 * writes what it returns, or the member itself when it has none).
 */
function keyed(value, index) {
  const key = `${index}`
  const standIn = create(null)
  standIn.toJSON = () => {
    const toJSON = value.toJSON
    return typeof toJSON === 'function' ? apply(toJSON, value, [key]) : value
  }
  return standIn
}

/** Whether `text` has `count` times `unread` just before `end`. */
function endsWithUnread(text, count, unread, end) {
  const start = end - count * unread.length
  if (start < 1) return false
  for (let i = start; i < end; i++) if (text[i] !== unread[(i - start) % unread.length]) return false
  return true
}

module.exports = { walkInto, stringify }
