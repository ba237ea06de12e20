//! `toolproof.repair_json`: the road's text repair on its own.

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::args::repair::repair;
use crate::limits::{oversized_integer, Limits};
use crate::py::convert::value_to_py;
use crate::py::errors::{guarded, repair_error};
use crate::py::road::PyRepair;

/// The value a model meant by `text`: parsed as JSON, or repaired when that fails.
/// With `return_repairs=True`, a `(value, repairs)` pair.
#[pyfunction]
#[pyo3(signature = (text, *, return_repairs = false))]
pub fn repair_json<'py>(py: Python<'py>, text: &str, return_repairs: bool) -> PyResult<Bound<'py, PyAny>> {
    guarded(|| {
        let limits = Limits::default();
        let (value, repairs) = match serde_json::from_str(text) {
            // serde_json reads an integer beyond 64 bits as the nearest float: another number.
            Ok(_) if oversized_integer(text).is_some() => {
                let repaired = repair(text, &limits).map_err(|error| repair_error(py, &error))?;
                (repaired.value, repaired.repairs)
            }
            Ok(value) => (value, Vec::new()),
            Err(_) => {
                let repaired = repair(text, &limits).map_err(|error| repair_error(py, &error))?;
                (repaired.value, repaired.repairs)
            }
        };
        let value = value_to_py(py, &value)?;
        if !return_repairs {
            return Ok(value);
        }
        let records = PyList::empty(py);
        for record in &repairs {
            records.append(Py::new(py, PyRepair::from_repair(py, record)?)?)?;
        }
        Ok((value, records).into_pyobject(py)?.into_any())
    })
}
