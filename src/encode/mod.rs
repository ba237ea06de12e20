//! A tool's result as JSON text: the parts that need no Python.
//!
//! The walker over Python objects (`py/encode.rs`) reads values and writes them through these:
//! the writer and its string escaping, ISO 8601 for dates, times and durations, base64 for bytes,
//! the path that names a value nobody can encode, and the cut that fits a text into a byte budget.

pub mod base64;
pub mod duration;
pub mod escape;
pub mod iso8601;
pub mod path;
pub mod truncate;
pub mod writer;
