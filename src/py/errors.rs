//! Rust errors become toolproof's Python exceptions here, and only here.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyType};

use crate::args::errors::{ArgError, ArgumentErrors};
use crate::json_path::{JsonPath, PathItem};
use crate::schema::validator::SchemaError;

static ARGUMENT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SCHEMA_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static REPAIR_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DEFINITION_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

const ERRORS_MODULE: &str = "toolproof.errors";

pub fn path_to_loc<'py>(py: Python<'py>, path: &JsonPath) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for item in path.items() {
        match item {
            PathItem::Key(key) => list.append(key)?,
            PathItem::Index(index) => list.append(index)?,
        }
    }
    Ok(list)
}

pub fn arg_error_to_py<'py>(py: Python<'py>, error: &ArgError) -> PyResult<Bound<'py, PyDict>> {
    let shown = error.path.to_string();
    let path = PyString::new(py, &shown);
    // Most refusals name one top-level argument, whose path reads as the key itself: `loc` then
    // holds the same string object rather than a second copy.
    let loc = match error.path.items() {
        [PathItem::Key(key)] if *key == shown => PyList::new(py, [&path])?,
        _ => path_to_loc(py, &error.path)?,
    };
    // Interned keys: every record of every refusal shares the same four key objects.
    let record = PyDict::new(py);
    record.set_item(intern!(py, "path"), path)?;
    record.set_item(intern!(py, "loc"), loc)?;
    record.set_item(intern!(py, "kind"), error.kind.as_ref())?;
    record.set_item(intern!(py, "message"), &error.message)?;
    Ok(record)
}

pub fn arg_errors_to_list<'py>(py: Python<'py>, errors: &[ArgError]) -> PyResult<Bound<'py, PyList>> {
    let records = errors
        .iter()
        .map(|error| arg_error_to_py(py, error))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, records)
}

/// `toolproof.ArgumentError`, with every error and the text for the model.
pub fn argument_error(py: Python<'_>, errors: &ArgumentErrors, tool: Option<&str>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = ARGUMENT_ERROR.import(py, ERRORS_MODULE, "ArgumentError")?;
        let message = match tool {
            Some(name) => format!("invalid arguments for tool '{name}': {}", errors.summary()),
            None => format!("invalid arguments: {}", errors.summary()),
        };
        // `BaseException.__new__` keeps the message as `args`; the class's `__init__` would only
        // store the three attributes set here, so it is not run (a Python frame per refusal).
        let instance = class.call_method1(intern!(py, "__new__"), (class, message))?;
        instance.setattr(intern!(py, "errors"), arg_errors_to_list(py, &errors.errors)?)?;
        instance.setattr(intern!(py, "tool"), tool)?;
        instance.setattr(intern!(py, "_model_text"), errors.for_model(tool))?;
        Ok(PyErr::from_value(instance))
    };
    build().unwrap_or_else(|failure| failure)
}

pub fn schema_error(py: Python<'_>, error: &SchemaError) -> PyErr {
    raise_with_message(py, &SCHEMA_ERROR, "SchemaError", format!("invalid schema: {error}"))
}

pub fn definition_error(py: Python<'_>, message: String, problems: Bound<'_, PyList>) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = DEFINITION_ERROR.import(py, ERRORS_MODULE, "ToolDefinitionError")?;
        Ok(PyErr::from_value(class.call1((message, problems))?))
    };
    build().unwrap_or_else(|failure| failure)
}

pub fn repair_error(py: Python<'_>, error: &crate::args::repair::RepairError) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = REPAIR_ERROR.import(py, ERRORS_MODULE, "JSONRepairError")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("offset", error.offset)?;
        kwargs.set_item("line", error.line)?;
        kwargs.set_item("column", error.column)?;
        Ok(PyErr::from_value(class.call((error.to_string(),), Some(&kwargs))?))
    };
    build().unwrap_or_else(|failure| failure)
}

fn raise_with_message(py: Python<'_>, cell: &PyOnceLock<Py<PyType>>, name: &str, message: String) -> PyErr {
    match cell.import(py, ERRORS_MODULE, name) {
        Ok(class) => match class.call1((message,)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(failure) => failure,
        },
        Err(failure) => failure,
    }
}

/// Set `error` as the pending exception, from a C entry point that PyO3's trampoline does not wrap.
/// Restoring an error made lazily drops its parts (a type, a message): counted as attached, PyO3
/// releases them at once, and any it holds from earlier, instead of keeping them in its pool until
/// some later call of one of its own methods.
pub fn raise(py: Python<'_>, error: PyErr) {
    let mut pending = Some(error);
    Python::try_attach(|py| {
        if let Some(error) = pending.take() {
            error.restore(py);
        }
    });
    // The interpreter is finalizing, where PyO3 does not attach: restored as is.
    if let Some(error) = pending {
        error.restore(py);
    }
}

/// Run `work`, turning a Rust panic into a `RuntimeError` instead of letting PyO3 raise its
/// `PanicException` (a `BaseException`, which `except Exception` would not catch).
pub fn guarded<T>(work: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_owned());
            Err(PyRuntimeError::new_err(format!(
                "internal error in toolproof (please report it): {detail}"
            )))
        }
    }
}
