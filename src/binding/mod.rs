//! The Node-API layer: the only module that uses napi. Thin by design: `index.js` and `lib/`
//! check the arguments and serialize; this copies the text out, calls the core, and turns its
//! errors into JavaScript errors.

mod cleanup;
mod feed;
mod gate;
mod js_error;
mod options;
mod path;
mod pieces;
mod read;
mod settle;
mod sink;
mod update;
mod write;

/// As the library loads, before any export can be called: keep it loaded (`sys::keep_loaded`);
/// the failpoints build (jest fault tests) reads `FAILPOINTS` once (`temp.fsync=return(EIO)`).
#[napi_derive::module_init]
fn init() {
  crate::sys::keep_loaded();
  #[cfg(feature = "failpoints")]
  crate::failpoint::setup();
}
