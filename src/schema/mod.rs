//! A tool's parameter schema, compiled once: the validator, the plan the coercion layer follows,
//! and the provider exports.

pub mod export;
pub mod names;
pub mod normalize;
pub mod refs;
pub mod shape;
pub mod validator;
