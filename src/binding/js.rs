//! The few Node-API calls the binding makes, each wrapped once with its safety argument.
//!
//! napi-rs' typed wrappers convert eagerly (a thrown value is stringified, strings are copied
//! twice); the serialization path needs exact control over what runs in JavaScript and what is
//! copied, so it speaks Node-API directly through this small surface.

use std::ptr;

use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, Error, Result, Status};

/// A JavaScript value handle, valid for the current callback.
pub(crate) type Value = sys::napi_value;

/// `typeof`, as Node-API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
  Undefined,
  Null,
  Boolean,
  Number,
  String,
  Symbol,
  Object,
  Function,
  External,
  BigInt,
}

/// The environment of the current call, and what `index.js` passes about its caller.
///
/// Under jest, test code runs in its own `vm` context: a `TypeError` made by the addon's own
/// global would not be `instanceof TypeError` there. `index.js` therefore passes, with every
/// call, `{ global: globalThis, walkInto, stringify }`: errors are taken from that realm,
/// `stringify` is that realm's `JSON.stringify` as stringify.js captured it when the package
/// loaded (so replacing the global later changes nothing), and `walkInto` (stringify.js)
/// stringifies big values piece by piece with that same function.
#[derive(Clone, Copy)]
pub(crate) struct Js {
  env: sys::napi_env,
  realm: Value,
  caller: Option<Value>,
}

/// Turn a Node-API status into a `Result`. A pending exception stays pending: napi-rs rethrows
/// it as is when a `#[napi]` function returns this error, and [`Js::rejected`] picks it up.
fn check(status: sys::napi_status) -> Result<()> {
  match status {
    sys::Status::napi_ok => Ok(()),
    sys::Status::napi_pending_exception => Err(Error::new(Status::PendingException, "")),
    other => Err(Error::new(Status::from(other), "Node-API call failed")),
  }
}

impl Js {
  /// The call's environment. `caller` is the object `index.js` passes; without it (the binding
  /// called directly) the addon's own global is the realm and nothing is walked.
  pub(crate) fn new(env: &Env, caller: Option<Value>) -> Result<Self> {
    let mut js = Js {
      env: env.raw(),
      realm: ptr::null_mut(),
      caller: None,
    };
    js.caller = match caller {
      Some(value) if js.type_of(value)? == Type::Object => Some(value),
      _ => None,
    };
    js.realm = match js.caller {
      Some(caller) => js.get(caller, "global")?,
      None => js.global()?,
    };
    if js.type_of(js.realm)? != Type::Object {
      js.realm = js.global()?;
    }
    Ok(js)
  }

  /// `realm[name]`: an intrinsic of the caller's realm (`JSON`, `TypeError`, …).
  pub(crate) fn intrinsic(self, name: &str) -> Result<Value> {
    self.get(self.realm, name)
  }

  /// A helper `index.js` passed along (`walkInto`), if it did.
  pub(crate) fn helper(self, name: &str) -> Result<Option<Value>> {
    let Some(caller) = self.caller else {
      return Ok(None);
    };
    let helper = self.get(caller, name)?;
    Ok((self.type_of(helper)? == Type::Function).then_some(helper))
  }

  /// The `JSON.stringify` to call: the one `index.js` captured at load; without it (the binding
  /// called directly) the realm's current one.
  pub(crate) fn stringify(self) -> Result<Value> {
    match self.helper("stringify")? {
      Some(stringify) => Ok(stringify),
      None => self.get(self.intrinsic("JSON")?, "stringify"),
    }
  }

  pub(crate) fn type_of(self, value: Value) -> Result<Type> {
    let mut kind = 0;
    // SAFETY: `env` and `value` are live handles of the current callback (as for every call below).
    check(unsafe { sys::napi_typeof(self.env, value, &mut kind) })?;
    Ok(match kind {
      sys::ValueType::napi_undefined => Type::Undefined,
      sys::ValueType::napi_null => Type::Null,
      sys::ValueType::napi_boolean => Type::Boolean,
      sys::ValueType::napi_number => Type::Number,
      sys::ValueType::napi_string => Type::String,
      sys::ValueType::napi_symbol => Type::Symbol,
      sys::ValueType::napi_function => Type::Function,
      sys::ValueType::napi_external => Type::External,
      sys::ValueType::napi_bigint => Type::BigInt,
      _ => Type::Object,
    })
  }

  pub(crate) fn is_array(self, value: Value) -> Result<bool> {
    let mut result = false;
    // SAFETY: live handles; `result` is a valid out-pointer.
    check(unsafe { sys::napi_is_array(self.env, value, &mut result) })?;
    Ok(result)
  }

  pub(crate) fn undefined(self) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: live env; valid out-pointer.
    check(unsafe { sys::napi_get_undefined(self.env, &mut result) })?;
    Ok(result)
  }

  fn global(self) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: live env; valid out-pointer.
    check(unsafe { sys::napi_get_global(self.env, &mut result) })?;
    Ok(result)
  }

  /// `object[name]` (runs getters).
  pub(crate) fn get(self, object: Value, name: &str) -> Result<Value> {
    let key = self.string(name)?;
    let mut result = ptr::null_mut();
    // SAFETY: live handles; valid out-pointer.
    check(unsafe { sys::napi_get_property(self.env, object, key, &mut result) })?;
    Ok(result)
  }

  /// `object[name]` if `object` has it as an own property (no getter on a prototype runs).
  pub(crate) fn own(self, object: Value, name: &str) -> Result<Option<Value>> {
    let key = self.string(name)?;
    let mut has = false;
    // SAFETY: live handles; valid out-pointer.
    check(unsafe { sys::napi_has_own_property(self.env, object, key, &mut has) })?;
    if !has {
      return Ok(None);
    }
    let mut value = ptr::null_mut();
    // SAFETY: as above. The property is an own one; index.js makes it a plain data property.
    check(unsafe { sys::napi_get_property(self.env, object, key, &mut value) })?;
    Ok(Some(value))
  }

  /// `object[name] = value`.
  pub(crate) fn set(self, object: Value, name: &str, value: Value) -> Result<()> {
    let key = self.string(name)?;
    // SAFETY: live handles.
    check(unsafe { sys::napi_set_property(self.env, object, key, value) })
  }

  /// Whether `value` is a boxed primitive of this kind (`"Number"`, `"String"`), by the brand
  /// check of `Number.prototype.valueOf`: it works across realms and runs no user code.
  pub(crate) fn is_boxed(self, value: Value, kind: &str) -> Result<bool> {
    let value_of = self.get(self.get(self.intrinsic(kind)?, "prototype")?, "valueOf")?;
    let mut result = ptr::null_mut();
    // SAFETY: live handles; valid out-pointer.
    let status =
      unsafe { sys::napi_call_function(self.env, value, value_of, 0, ptr::null(), &mut result) };
    if status == sys::Status::napi_pending_exception {
      // Not that kind: `valueOf` threw its TypeError, which is nobody's business.
      self.take_exception()?;
      return Ok(false);
    }
    check(status)?;
    Ok(true)
  }

  /// `Object.keys(object)`: own, enumerable, string keys.
  pub(crate) fn own_keys(self, object: Value) -> Result<Vec<String>> {
    let mut names = ptr::null_mut();
    // SAFETY: live handles; valid out-pointer.
    check(unsafe {
      sys::napi_get_all_property_names(
        self.env,
        object,
        sys::KeyCollectionMode::own_only,
        sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
        sys::KeyConversion::numbers_to_strings,
        &mut names,
      )
    })?;
    let mut length = 0;
    // SAFETY: `names` is the array just created.
    check(unsafe { sys::napi_get_array_length(self.env, names, &mut length) })?;
    let mut keys = Vec::with_capacity(length as usize);
    for index in 0..length {
      let mut key = ptr::null_mut();
      // SAFETY: `index` is within the array's length.
      check(unsafe { sys::napi_get_element(self.env, names, index, &mut key) })?;
      keys.push(self.to_rust_string(key)?);
    }
    Ok(keys)
  }

  /// `f.call(undefined, ...args)`. A throw stays pending and comes back as the error.
  pub(crate) fn call(self, function: Value, args: &[Value]) -> Result<Value> {
    let this = self.undefined()?;
    let mut result = ptr::null_mut();
    // SAFETY: live handles; `args` points to `args.len()` handles.
    check(unsafe {
      sys::napi_call_function(
        self.env,
        this,
        function,
        args.len(),
        args.as_ptr(),
        &mut result,
      )
    })?;
    Ok(result)
  }

  pub(crate) fn string(self, text: &str) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: `text` is valid UTF-8 of the given length.
    check(unsafe {
      sys::napi_create_string_utf8(
        self.env,
        text.as_ptr().cast(),
        text.len() as isize,
        &mut result,
      )
    })?;
    Ok(result)
  }

  pub(crate) fn boolean(self, value: bool) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: live env; valid out-pointer.
    check(unsafe { sys::napi_get_boolean(self.env, value, &mut result) })?;
    Ok(result)
  }

  pub(crate) fn number(self, value: f64) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: live env; valid out-pointer.
    check(unsafe { sys::napi_create_double(self.env, value, &mut result) })?;
    Ok(result)
  }

  /// A string's length in UTF-16 units (without flattening it).
  pub(crate) fn string_length(self, string: Value) -> Result<usize> {
    let mut length = 0;
    // SAFETY: a null buffer asks for the length only.
    check(unsafe {
      sys::napi_get_value_string_utf16(self.env, string, ptr::null_mut(), 0, &mut length)
    })?;
    Ok(length)
  }

  /// `array.length` of an array.
  pub(crate) fn array_length(self, array: Value) -> Result<u32> {
    let mut length = 0;
    // SAFETY: the caller passes an array; valid out-pointer.
    check(unsafe { sys::napi_get_array_length(self.env, array, &mut length) })?;
    Ok(length)
  }

  /// `array[index]`.
  pub(crate) fn element(self, array: Value, index: u32) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: live handles; valid out-pointer.
    check(unsafe { sys::napi_get_element(self.env, array, index, &mut result) })?;
    Ok(result)
  }

  /// `array[index] = value`.
  pub(crate) fn set_element(self, array: Value, index: u32, value: Value) -> Result<()> {
    // SAFETY: live handles.
    check(unsafe { sys::napi_set_element(self.env, array, index, value) })
  }

  /// `String(value)`, for numbers and bigints (whose conversion runs no user code).
  pub(crate) fn coerce_to_string(self, value: Value) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: live handles; valid out-pointer.
    check(unsafe { sys::napi_coerce_to_string(self.env, value, &mut result) })?;
    Ok(result)
  }

  pub(crate) fn to_f64(self, value: Value) -> Result<f64> {
    let mut result = 0.0;
    // SAFETY: the caller checked that `value` is a number.
    check(unsafe { sys::napi_get_value_double(self.env, value, &mut result) })?;
    Ok(result)
  }

  pub(crate) fn to_bool(self, value: Value) -> Result<bool> {
    let mut result = false;
    // SAFETY: the caller checked that `value` is a boolean.
    check(unsafe { sys::napi_get_value_bool(self.env, value, &mut result) })?;
    Ok(result)
  }

  /// A string's UTF-16 code units, copied once into a buffer with `spare` extra capacity.
  pub(crate) fn to_utf16(self, value: Value, spare: usize) -> Result<Vec<u16>> {
    let mut length = 0;
    // SAFETY: a null buffer asks for the length only.
    check(unsafe {
      sys::napi_get_value_string_utf16(self.env, value, ptr::null_mut(), 0, &mut length)
    })?;
    // One more unit for the terminating NUL Node-API writes.
    let mut units = Vec::<u16>::with_capacity(length + 1 + spare);
    let mut copied = 0;
    // SAFETY: the buffer has room for `length + 1` units, the size passed.
    check(unsafe {
      sys::napi_get_value_string_utf16(self.env, value, units.as_mut_ptr(), length + 1, &mut copied)
    })?;
    // SAFETY: Node-API initialised `copied` (≤ length) units.
    unsafe { units.set_len(copied) };
    Ok(units)
  }

  /// A (short) string as Rust text; lone surrogates become U+FFFD.
  pub(crate) fn to_rust_string(self, value: Value) -> Result<String> {
    Ok(String::from_utf16_lossy(&self.to_utf16(value, 0)?))
  }

  /// A copy of the bytes a `Uint8Array` (or `Buffer`) views, or `None` for anything else.
  pub(crate) fn uint8_bytes(self, value: Value) -> Result<Option<Vec<u8>>> {
    let mut is_typed = false;
    // SAFETY: live handles; valid out-pointer.
    check(unsafe { sys::napi_is_typedarray(self.env, value, &mut is_typed) })?;
    if !is_typed {
      return Ok(None);
    }
    let (mut kind, mut length, mut data) = (0, 0, ptr::null_mut());
    // SAFETY: `value` is a typed array; the other out-pointers may be null.
    check(unsafe {
      sys::napi_get_typedarray_info(
        self.env,
        value,
        &mut kind,
        &mut length,
        &mut data,
        ptr::null_mut(),
        ptr::null_mut(),
      )
    })?;
    if kind != sys::TypedarrayType::uint8_array {
      return Ok(None);
    }
    if length == 0 {
      return Ok(Some(Vec::new()));
    }
    // SAFETY: a Uint8Array of `length` elements views `length` bytes at `data`, alive for the
    // callback; they are copied before it returns.
    Ok(Some(
      unsafe { std::slice::from_raw_parts(data.cast::<u8>(), length) }.to_vec(),
    ))
  }

  /// `new TypeError(message)` (or `RangeError`, or `Error`) of the caller's realm, with
  /// `err.code = code`.
  pub(crate) fn error(self, kind: ErrorKind, code: &str, message: &str) -> Result<Value> {
    let constructor = self.intrinsic(match kind {
      ErrorKind::Error => "Error",
      ErrorKind::Type => "TypeError",
      ErrorKind::Range => "RangeError",
    })?;
    let args = [self.string(message)?];
    let mut error = ptr::null_mut();
    // SAFETY: live handles; `args` holds one handle.
    check(unsafe {
      sys::napi_new_instance(self.env, constructor, args.len(), args.as_ptr(), &mut error)
    })?;
    self.set(error, "code", self.string(code)?)?;
    Ok(error)
  }

  /// A new promise and the handle that settles it.
  pub(crate) fn promise(self) -> Result<(sys::napi_deferred, Value)> {
    let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: live env; valid out-pointers.
    check(unsafe { sys::napi_create_promise(self.env, &mut deferred, &mut promise) })?;
    Ok((deferred, promise))
  }

  /// A promise already rejected with the error of a failed call: the pending exception if
  /// there is one (a value thrown by user code, unchanged), else the error napi-rs carries.
  pub(crate) fn rejected(self, error: Error) -> Result<Value> {
    let reason = match self.take_exception()? {
      Some(thrown) => thrown,
      // SAFETY: `to_napi_value` returns the retained JavaScript value of `error` (an error this
      // binding built) or creates one; both are live handles of this env.
      None => unsafe { napi::bindgen_prelude::ToNapiValue::to_napi_value(self.env, error)? },
    };
    let (deferred, promise) = self.promise()?;
    // SAFETY: `deferred` was just created and is settled exactly once.
    check(unsafe { sys::napi_reject_deferred(self.env, deferred, reason) })?;
    Ok(promise)
  }

  /// The pending exception, cleared; `None` if there is none.
  pub(crate) fn take_exception(self) -> Result<Option<Value>> {
    let mut pending = false;
    // SAFETY: live env; valid out-pointer.
    check(unsafe { sys::napi_is_exception_pending(self.env, &mut pending) })?;
    if !pending {
      return Ok(None);
    }
    let mut thrown = ptr::null_mut();
    // SAFETY: an exception is pending; this clears it and hands it over.
    check(unsafe { sys::napi_get_and_clear_last_exception(self.env, &mut thrown) })?;
    Ok(Some(thrown))
  }

  /// Hand a JavaScript value to napi-rs as an error, to be thrown or rejected unchanged.
  pub(crate) fn into_error(self, value: Value) -> Error {
    // SAFETY: `value` is a live handle of this env.
    Error::from(unsafe { napi::bindgen_prelude::Unknown::from_raw_unchecked(self.env, value) })
  }
}

/// Which constructor [`Js::error`] uses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ErrorKind {
  Error,
  Type,
  Range,
}

/// A value already made on the main thread, to settle a promise with as it is.
pub(crate) struct Made(pub(crate) Value);

impl napi::bindgen_prelude::ToNapiValue for Made {
  unsafe fn to_napi_value(_env: sys::napi_env, made: Self) -> Result<sys::napi_value> {
    Ok(made.0)
  }
}

/// V8's longest string (`buffer.constants.MAX_STRING_LENGTH` on 64-bit Node).
pub(crate) const MAX_STRING_LENGTH: usize = 0x1fff_ffe8;

/// Values kept alive across an asynchronous gap: a Node-API reference to a holder object whose
/// properties are the values (a reference to a primitive needs Node-API 10, which Node 20 lacks).
pub(crate) struct Kept(sys::napi_ref);

// SAFETY: a `napi_ref` is an opaque handle. It is created, read and deleted only by the `Js`
// methods below, on the JavaScript thread; other threads only carry it.
unsafe impl Send for Kept {}

impl Js {
  /// What to keep to make the same `Js` again after an asynchronous gap (pass it to
  /// [`Js::new`]): the caller's object, or one naming just the realm.
  pub(crate) fn caller(self) -> Result<Value> {
    if let Some(caller) = self.caller {
      return Ok(caller);
    }
    let caller = self.object()?;
    self.set(caller, "global", self.realm)?;
    Ok(caller)
  }

  /// `{}` of the addon's own realm (for holders and options bags).
  pub(crate) fn object(self) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: live env; valid out-pointer.
    check(unsafe { sys::napi_create_object(self.env, &mut result) })?;
    Ok(result)
  }

  /// Keep `holder` (an object) alive until [`Js::release`].
  pub(crate) fn keep(self, holder: Value) -> Result<Kept> {
    let mut reference = ptr::null_mut();
    // SAFETY: `holder` is a live object handle; a count of 1 makes the reference strong.
    check(unsafe { sys::napi_create_reference(self.env, holder, 1, &mut reference) })?;
    Ok(Kept(reference))
  }

  /// The object a [`Kept`] holds.
  pub(crate) fn kept(self, kept: &Kept) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: the reference is alive (strong, not yet released).
    check(unsafe { sys::napi_get_reference_value(self.env, kept.0, &mut result) })?;
    Ok(result)
  }

  /// Let the held object go.
  pub(crate) fn release(self, kept: Kept) {
    // SAFETY: deleted once: `release` consumes the only handle to it.
    unsafe { sys::napi_delete_reference(self.env, kept.0) };
  }

  /// A string of Latin-1 characters (a memcpy for V8, which stores them one byte each).
  pub(crate) fn latin1_string(self, bytes: &[u8]) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: `bytes` is valid for `bytes.len()` bytes; the caller keeps it under V8's limit.
    check(unsafe {
      sys::napi_create_string_latin1(
        self.env,
        bytes.as_ptr().cast(),
        bytes.len() as isize,
        &mut result,
      )
    })?;
    Ok(result)
  }

  /// A string of UTF-16 code units (a memcpy for V8).
  pub(crate) fn utf16_string(self, units: &[u16]) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: `units` is valid for `units.len()` units; the caller keeps it under V8's limit.
    check(unsafe {
      sys::napi_create_string_utf16(self.env, units.as_ptr(), units.len() as isize, &mut result)
    })?;
    Ok(result)
  }

  /// An array of `items`, made by the caller's `Array` (so `instanceof Array` holds there).
  pub(crate) fn array(self, items: &[Value]) -> Result<Value> {
    let constructor = self.intrinsic("Array")?;
    let mut array = ptr::null_mut();
    // SAFETY: live handles; no arguments.
    check(unsafe { sys::napi_new_instance(self.env, constructor, 0, ptr::null(), &mut array) })?;
    for (index, item) in items.iter().enumerate() {
      self.set_element(array, index as u32, *item)?;
    }
    Ok(array)
  }

  /// The error a failed call left: the value JavaScript threw (now no longer pending), or
  /// `error` itself when nothing was thrown.
  pub(crate) fn caught(self, error: Error) -> Error {
    match self.take_exception() {
      Ok(Some(thrown)) => self.into_error(thrown),
      _ => error,
    }
  }
}

/// What an async export returns when its checks failed: a promise already rejected with the
/// error (see [`Js::rejected`]), so that a bad argument never throws synchronously.
pub(crate) fn rejection(env: &Env, js: Js, error: Error) -> Result<Unknown<'_>> {
  let promise = js.rejected(error)?;
  // SAFETY: `rejected` returns a live handle of this env.
  Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), promise) })
}
