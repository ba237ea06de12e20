//! The argument road: parse, repair, match keys, coerce, validate.

pub mod coerce;
pub mod conform;
pub mod duplicates;
pub mod ending;
pub mod envelope;
pub mod errors;
pub mod fast_path;
pub mod keys;
pub mod nested_json;
pub mod record;
pub mod repair;
pub mod road;
pub mod scanner;
pub mod surrogates;
pub mod unique_items;
pub mod wide_integer;
