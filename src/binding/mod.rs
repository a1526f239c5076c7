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

/// The addon built with `--features failpoints` (for the jest fault tests) reads `FAILPOINTS`
/// once, as the library loads: a child process started with `FAILPOINTS='temp.fsync=return(EIO)'`
/// fails there. Runs before any export can be called. Not compiled into the normal build.
#[cfg(feature = "failpoints")]
#[napi_derive::module_init]
fn init_failpoints() {
  crate::failpoint::setup();
}
