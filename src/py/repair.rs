//! `toolproof.repair_json`: the road's text repair on its own.

use std::sync::OnceLock;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::args::fast_path::FastPlan;
use crate::args::repair::{read_python_calls as read_calls, repair_checked, Records, TextCheck, WideIntegers};
use crate::limits::Limits;
use crate::py::build::{KeyCache, PyBuilder};
use crate::py::convert::value_to_py;
use crate::py::errors::{guarded, repair_error};
use crate::py::road::{detached_for_long, PyRepair};

/// The value a model meant by `text`: parsed as JSON, or repaired when that fails.
/// With `return_repairs=True`, a `(value, repairs)` pair.
#[pyfunction]
#[pyo3(signature = (text, *, return_repairs = false))]
pub fn repair_json<'py>(py: Python<'py>, text: &str, return_repairs: bool) -> PyResult<Bound<'py, PyAny>> {
    guarded(|| {
        let limits = Limits::default();
        // serde_json's check allocates nothing and stops at the first flaw, so a broken text is
        // not half built before the repair starts.
        let check = TextCheck::of(text);
        let valid = check.valid;
        // Valid JSON goes straight to Python objects. The reader gives up on what it cannot read
        // exactly (a limit, an integer past 64 bits), which the repair then settles.
        let direct = if valid { read_valid(py, text, &limits) } else { None };
        let (value, repairs) = match direct {
            Some(value) => (value, Vec::new()),
            None => {
                let repaired = detached_for_long(py, text.len(), || {
                    // Records nobody reads are not built: the value and any refusal are the same.
                    let records = if return_repairs {
                        Records::Whole
                    } else {
                        Records::KindsOnly
                    };
                    repair_checked(text, &limits, WideIntegers::Carry, check, records)
                });
                let repaired = repaired.map_err(|error| repair_error(py, &error))?;
                (value_to_py(py, &repaired.value)?, repaired.repairs)
            }
        };
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

fn read_valid<'py>(py: Python<'py>, text: &str, limits: &Limits) -> Option<Bound<'py, PyAny>> {
    static ANYTHING: OnceLock<FastPlan> = OnceLock::new();
    let plan = ANYTHING.get_or_init(FastPlan::anything);
    let keys = KeyCache::new(py, plan);
    plan.run_value(text, limits, &mut PyBuilder::new(py, &keys))
}

/// One call written as Python: its name and its arguments as a dict.
type PythonCall<'py> = (String, Bound<'py, PyAny>);

/// Calls written as Python (`[get_weather(city="Paris", days=3)]`): `[(name, arguments), ...]`,
/// or None when the text is not such calls. Arguments are literals, read and never evaluated;
/// ValueError names the call and keyword whose argument is not a literal JSON can carry.
#[pyfunction]
pub fn read_python_calls<'py>(py: Python<'py>, text: &str) -> PyResult<Option<Vec<PythonCall<'py>>>> {
    guarded(|| {
        let read =
            read_calls(text, &Limits::default()).map_err(|refused| PyValueError::new_err(refused.to_string()))?;
        let Some(calls) = read else {
            return Ok(None);
        };
        let mut read = Vec::with_capacity(calls.len());
        for (name, arguments) in calls {
            read.push((name, value_to_py(py, &serde_json::Value::Object(arguments))?));
        }
        Ok(Some(read))
    })
}
