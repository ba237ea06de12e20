//! toolproof's core: compiled tool schemas and the road a model's tool call travels.
//!
//! The pure Rust parts (schema compilation, repair, key matching, coercion, validation, provider
//! export) carry no Python dependency, so `cargo test` reaches them; the `python` feature adds the
//! PyO3 bindings in `py/`.

pub mod args;
pub mod dispatch;
pub mod encode;
pub mod json_path;
pub mod limits;
pub mod prefetch;
pub mod schema;

#[cfg(feature = "python")]
mod py;
