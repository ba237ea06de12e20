//! Provider formats of tool definitions: `export_tool`, `normalize_schema`, `check_tool_name`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::py::convert::{py_to_value, value_to_py};
use crate::py::errors::{definition_error, guarded};
use crate::schema::export::{self, ExportProblem, Provider};
use crate::schema::names;
use crate::schema::normalize::normalize_dialect;

fn parse_provider(provider: &str) -> PyResult<Provider> {
    provider
        .parse::<Provider>()
        .map_err(|error| PyValueError::new_err(error.to_string()))
}

fn problems_to_list<'py>(py: Python<'py>, problems: &[ExportProblem]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for problem in problems {
        let record = PyDict::new(py);
        record.set_item("location", &problem.location)?;
        record.set_item("message", &problem.message)?;
        record.set_item("fix", &problem.fix)?;
        list.append(record)?;
    }
    Ok(list)
}

fn refuse(py: Python<'_>, name: &str, provider: Provider, strict: bool, problems: &[ExportProblem]) -> PyErr {
    let mode = if strict { " strict" } else { "" };
    let lines: Vec<String> = problems
        .iter()
        .map(|p| {
            let at = if p.location.is_empty() {
                String::new()
            } else {
                format!("{}: ", p.location)
            };
            format!("{at}{} (fix: {})", p.message, p.fix)
        })
        .collect();
    let message = format!(
        "tool '{name}' cannot be exported for {}{mode}: {}",
        provider.label(),
        lines.join("; ")
    );
    match problems_to_list(py, problems) {
        Ok(list) => definition_error(py, message, list),
        Err(error) => error,
    }
}

/// The tool definition in a provider's request format; `ToolDefinitionError` says why when the
/// provider cannot take it.
#[pyfunction]
#[pyo3(signature = (name, description, parameters, provider = "openai", strict = true))]
pub fn export_tool<'py>(
    py: Python<'py>,
    name: &str,
    description: &str,
    parameters: &Bound<'py, PyAny>,
    provider: &str,
    strict: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let provider = parse_provider(provider)?;
    guarded(|| {
        let schema = py_to_value(parameters).map_err(|e| e.into_value_error("the parameter schema is not JSON"))?;
        match export::export_tool(name, description, &schema, provider, strict) {
            Ok(exported) => value_to_py(py, &exported.definition),
            Err(problems) => Err(refuse(py, name, provider, strict, &problems)),
        }
    })
}

/// `(schema, changes)`: a loose schema (BFCL's `"type": "dict"`, `"float"`, Java type names,
/// OpenAPI `nullable`) rewritten as JSON Schema, with each change described.
#[pyfunction]
pub fn normalize_schema<'py>(
    py: Python<'py>,
    schema: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyAny>, Vec<String>)> {
    guarded(|| {
        let schema = py_to_value(schema).map_err(|e| e.into_value_error("the schema is not JSON"))?;
        let (normalized, changes) = normalize_dialect(&schema);
        Ok((value_to_py(py, &normalized)?, changes))
    })
}

/// Raise `ToolDefinitionError` (with a suggested name) when a provider would refuse the name.
#[pyfunction]
#[pyo3(signature = (name, provider = "openai"))]
pub fn check_tool_name(py: Python<'_>, name: &str, provider: &str) -> PyResult<()> {
    let provider = parse_provider(provider)?;
    match names::check_tool_name(name, provider) {
        Ok(()) => Ok(()),
        Err(problem) => Err(refuse(py, name, provider, false, &[problem])),
    }
}

/// How many tools one request may carry, when the provider documents a limit.
#[pyfunction]
#[pyo3(signature = (provider, strict = false))]
pub fn max_tools(provider: &str, strict: bool) -> PyResult<Option<usize>> {
    let provider = parse_provider(provider)?;
    Ok(if strict {
        export::max_strict_tools(provider)
    } else {
        export::max_tools(provider)
    })
}
