//! What compiling a schema graph could not follow, and where.

use std::fmt;

/// A reference the graph cannot follow or a subschema beyond its limits, at `pointer`
/// (`#/properties/items/$ref`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.message, self.pointer)
    }
}

impl std::error::Error for GraphError {}
