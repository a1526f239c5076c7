//! The few Node-API calls the binding makes, each wrapped once with its safety argument.
//!
//! napi-rs' typed wrappers convert eagerly (strings are copied twice); copying a text out of
//! JavaScript needs exact control over what is copied and when, so the binding speaks Node-API
//! directly through this small surface.

use std::ptr;

use napi::{sys, Env, Error, Result, Status};

/// A JavaScript value handle, valid for the current callback.
pub(crate) type Value = sys::napi_value;

/// The environment of the current call.
#[derive(Clone, Copy)]
pub(crate) struct Js {
  env: sys::napi_env,
}

/// Turn a Node-API status into a `Result`. A pending exception stays pending: napi-rs rethrows
/// it as is when a `#[napi]` function returns this error.
fn check(status: sys::napi_status) -> Result<()> {
  match status {
    sys::Status::napi_ok => Ok(()),
    sys::Status::napi_pending_exception => Err(Error::new(Status::PendingException, "")),
    other => Err(Error::new(Status::from(other), "Node-API call failed")),
  }
}

impl Js {
  pub(crate) fn new(env: &Env) -> Self {
    Js { env: env.raw() }
  }

  pub(crate) fn undefined(self) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: live env; valid out-pointer.
    check(unsafe { sys::napi_get_undefined(self.env, &mut result) })?;
    Ok(result)
  }

  /// `object[name] = value`.
  pub(crate) fn set(self, object: Value, name: &str, value: Value) -> Result<()> {
    let key = self.string(name)?;
    // SAFETY: live handles.
    check(unsafe { sys::napi_set_property(self.env, object, key, value) })
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
    // SAFETY: the calling code passes an array; valid out-pointer.
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

  /// A string's UTF-16 code units, copied once (napi-rs' `JsStringUtf16` copies twice).
  pub(crate) fn to_utf16(self, value: Value) -> Result<Vec<u16>> {
    let mut length = 0;
    // SAFETY: a null buffer asks for the length only.
    check(unsafe {
      sys::napi_get_value_string_utf16(self.env, value, ptr::null_mut(), 0, &mut length)
    })?;
    // One more unit for the terminating NUL Node-API writes.
    let mut units = Vec::<u16>::with_capacity(length + 1);
    let mut copied = 0;
    // SAFETY: the buffer has room for `length + 1` units, the size passed.
    check(unsafe {
      sys::napi_get_value_string_utf16(self.env, value, units.as_mut_ptr(), length + 1, &mut copied)
    })?;
    // SAFETY: Node-API initialised `copied` (≤ length) units.
    unsafe { units.set_len(copied) };
    Ok(units)
  }

  /// A new promise and the handle that settles it.
  pub(crate) fn promise(self) -> Result<(sys::napi_deferred, Value)> {
    let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: live env; valid out-pointers.
    check(unsafe { sys::napi_create_promise(self.env, &mut deferred, &mut promise) })?;
    Ok((deferred, promise))
  }

  /// Hand a JavaScript value to napi-rs as an error, to be thrown or rejected unchanged.
  pub(crate) fn into_error(self, value: Value) -> Error {
    // SAFETY: `value` is a live handle of this env.
    Error::from(unsafe { napi::bindgen_prelude::Unknown::from_raw_unchecked(self.env, value) })
  }

  /// `new Error(message)` with `err.code = code` (of the addon's realm, like the errors of `fs`).
  pub(crate) fn error(self, code: &str, message: &str) -> Result<Value> {
    let (code, message) = (self.string(code)?, self.string(message)?);
    let mut error = ptr::null_mut();
    // SAFETY: live handles; valid out-pointer.
    check(unsafe { sys::napi_create_error(self.env, code, message, &mut error) })?;
    Ok(error)
  }
}

/// V8's longest string (`buffer.constants.MAX_STRING_LENGTH` on 64-bit Node).
pub(crate) const MAX_STRING_LENGTH: usize = 0x1fff_ffe8;

/// Values kept alive across an asynchronous gap: a Node-API reference to a holder object whose
/// properties are the values (a reference to a primitive needs Node-API 10, which Node 20 lacks).
pub(crate) struct HolderRef(sys::napi_ref);

// SAFETY: a `napi_ref` is an opaque handle. It is created, read and deleted only by the `Js`
// methods below, on the JavaScript thread; other threads only carry it.
unsafe impl Send for HolderRef {}

impl Js {
  /// Keep `holder` (an object) alive until [`Js::let_go`].
  pub(crate) fn hold(self, holder: Value) -> Result<HolderRef> {
    let mut reference = ptr::null_mut();
    // SAFETY: `holder` is a live object handle; a count of 1 makes the reference strong.
    check(unsafe { sys::napi_create_reference(self.env, holder, 1, &mut reference) })?;
    Ok(HolderRef(reference))
  }

  /// The object a [`HolderRef`] holds.
  pub(crate) fn holder(self, held: &HolderRef) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: the reference is alive (strong, not yet released).
    check(unsafe { sys::napi_get_reference_value(self.env, held.0, &mut result) })?;
    Ok(result)
  }

  /// Let the held object go.
  pub(crate) fn let_go(self, held: HolderRef) {
    // SAFETY: deleted once: `let_go` consumes the only handle to it.
    unsafe { sys::napi_delete_reference(self.env, held.0) };
  }

  /// A string of Latin-1 characters (a memcpy for V8, which stores them one byte each).
  pub(crate) fn latin1_string(self, bytes: &[u8]) -> Result<Value> {
    let mut result = ptr::null_mut();
    // SAFETY: `bytes` is valid for `bytes.len()` bytes; the calling code keeps it under V8's limit.
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
    // SAFETY: `units` is valid for `units.len()` units; the calling code keeps it under V8's limit.
    check(unsafe {
      sys::napi_create_string_utf16(self.env, units.as_ptr(), units.len() as isize, &mut result)
    })?;
    Ok(result)
  }
}
