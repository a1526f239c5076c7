// The built-in methods the argument checks decide with, taken as the package loads: user code
// may replace `Array.prototype.includes` and the like later (a test double, a polyfill), and a
// check must not change with it — a typo passing, a NUL byte reaching the disk. Each is called
// as `method(receiver, ...args)`, as Node's own primordials are.
'use strict'

const uncurry = (method) => Function.prototype.call.bind(method)

module.exports = {
  arrayIncludes: uncurry(Array.prototype.includes),
  stringIncludes: uncurry(String.prototype.includes),
  // `exec`, not `test`: `test` looks `exec` up on the regular expression at each call.
  regExpExec: uncurry(RegExp.prototype.exec),
  objectKeys: Object.keys,
  numberIsInteger: Number.isInteger,
  defineProperty: Object.defineProperty,
}
