//! The core's lists of result codes and failure kinds, which `toolproof.codes` names as enums and
//! checks against at import, so Python and Rust cannot drift apart.

use pyo3::prelude::*;

use crate::dispatch::attempt::FailureKind;
use crate::dispatch::code::ResultCode;

/// Every result code, in the order of the one list; and whether each is worth retrying.
#[pyfunction]
pub fn result_codes() -> Vec<(&'static str, bool)> {
    ResultCode::ALL
        .iter()
        .map(|code| (code.as_str(), code.is_retryable()))
        .collect()
}

/// Every failure kind a classifier may give, by name.
#[pyfunction]
pub fn failure_kinds() -> Vec<&'static str> {
    FailureKind::ALL.iter().map(|kind| kind.as_str()).collect()
}
