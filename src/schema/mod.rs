//! A tool's parameter schema, compiled once into a graph ([`graph`]); the validator, the plan the
//! coercion layer follows and the fast plan are derived from it, and the provider exports.

pub mod export;
pub mod graph;
pub mod names;
pub mod normalize;
pub mod refs;
pub mod shape;
pub mod validator;
