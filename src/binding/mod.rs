//! The Node-API layer: the only module that uses napi. Thin by design: check arguments, turn
//! JavaScript data into bytes, call the core, turn its errors into JavaScript errors.

mod cleanup;
mod copier;
mod invalid_arg;
mod js;
mod js_error;
mod later;
mod options;
mod path;
mod read;
mod serialize;
mod sink;
mod update;
mod write;
