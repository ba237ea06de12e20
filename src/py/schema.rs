//! `toolproof.Schema`: the road's validator for any JSON Schema.

use std::collections::HashMap;

use jsonschema::Draft;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use crate::args::duplicates;
use crate::args::errors::{ArgError, ArgumentErrors};
use crate::args::road::{ArgumentRoad, RoadOptions, Root};
use crate::json_path::JsonPath;
use crate::limits::Limits;
use crate::limits::{locate_number, oversized_integer};
use crate::py::convert::{py_to_value, py_to_value_within, value_to_py, NotJson};
use crate::py::errors::{arg_errors_to_list, argument_error, guarded, schema_error};
use crate::py::road::{detached_for_long, parse_mode, run_road, PyParsedValue};
use crate::schema::validator::{CompileOptions, CompiledSchema};

fn parse_draft(draft: &Bound<'_, PyAny>) -> PyResult<Draft> {
    let text = match draft.extract::<i64>() {
        Ok(number) => number.to_string(),
        Err(_) => draft.extract::<String>()?,
    };
    let normalized = text.to_lowercase().replace(['-', '_', ' '], "");
    Ok(match normalized.trim_start_matches("draft") {
        "4" | "04" => Draft::Draft4,
        "6" | "06" => Draft::Draft6,
        "7" | "07" => Draft::Draft7,
        "201909" | "2019" => Draft::Draft201909,
        "202012" | "2020" => Draft::Draft202012,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown draft {text:?}; use 4, 6, 7, '2019-09' or '2020-12'"
            )))
        }
    })
}

fn not_json_errors(not_json: NotJson) -> ArgumentErrors {
    ArgumentErrors::single(ArgError::new(
        not_json.path,
        "not_json",
        format!("{} cannot be validated as JSON", not_json.message),
    ))
}

/// A JSON Schema compiled once; `is_valid`, `validate` and `errors` run it, and `parse` runs the
/// whole road (repair, coercion, validation) for any value it describes.
#[pyclass(frozen, module = "toolproof", name = "Schema")]
pub struct PySchema {
    road: ArgumentRoad,
}

#[pymethods]
impl PySchema {
    #[new]
    #[pyo3(signature = (schema, *, draft = None, documents = None, validate_formats = None))]
    fn new(
        py: Python<'_>,
        schema: &Bound<'_, PyAny>,
        draft: Option<&Bound<'_, PyAny>>,
        documents: Option<&Bound<'_, PyDict>>,
        validate_formats: Option<bool>,
    ) -> PyResult<Self> {
        guarded(|| {
            let schema = py_to_value(schema).map_err(|e| e.into_value_error("the schema is not JSON"))?;
            let mut options = CompileOptions {
                draft: draft.map(parse_draft).transpose()?,
                documents: HashMap::new(),
                validate_formats,
            };
            if let Some(documents) = documents {
                for (uri, document) in documents.iter() {
                    let uri: String = uri.extract()?;
                    let document = py_to_value(&document)
                        .map_err(|e| e.into_value_error(&format!("document {uri} is not JSON")))?;
                    options.documents.insert(uri, document);
                }
            }
            let road = ArgumentRoad::compile(
                &schema,
                RoadOptions {
                    root: Root::AnyValue,
                    compile: options,
                    ..RoadOptions::default()
                },
            )
            .map_err(|e| schema_error(py, &e))?;
            Ok(PySchema { road })
        })
    }

    fn is_valid(&self, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        guarded(|| {
            Ok(self
                .read_value(value)
                .is_ok_and(|value| self.compiled().is_valid(&value)))
        })
    }

    /// Run the road for a value of this schema: `raw` is JSON text, bytes, or a parsed value.
    /// Lenient mode repairs and coerces what is unambiguous (recording each change).
    #[pyo3(signature = (raw, *, mode = "lenient"))]
    fn parse(&self, py: Python<'_>, raw: &Bound<'_, PyAny>, mode: &str) -> PyResult<PyParsedValue> {
        let mode = parse_mode(mode)?;
        guarded(|| match run_road(&self.road, raw, mode) {
            Ok(parsed) => PyParsedValue::from_parsed(py, &parsed),
            Err(errors) => Err(argument_error(py, &errors, None)),
        })
    }

    /// Raise `toolproof.ArgumentError` listing every problem, or return None.
    fn validate(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        guarded(|| {
            let errors = self.collect(value);
            if errors.errors.is_empty() {
                Ok(())
            } else {
                Err(argument_error(py, &errors, None))
            }
        })
    }

    /// Every problem, each a dict with `path`, `loc`, `kind` and `message`; empty when valid.
    fn errors<'py>(&self, py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        guarded(|| arg_errors_to_list(py, &self.collect(value).errors))
    }

    /// Parse JSON text and validate it; returns the value.
    fn validate_json<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
        guarded(|| {
            let refuse = |errors: Vec<ArgError>| argument_error(py, &ArgumentErrors { errors, expected: None }, None);
            let value = detached_for_long(py, text.len(), || self.read_json(text)).map_err(refuse)?;
            value_to_py(py, &value)
        })
    }

    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        value_to_py(py, self.compiled().source())
    }

    fn __repr__(&self) -> String {
        let text = self.compiled().source().to_string();
        let shown: String = text.chars().take(60).collect();
        format!("Schema({shown}{})", if text.len() > shown.len() { "..." } else { "" })
    }
}

impl PySchema {
    fn compiled(&self) -> &CompiledSchema {
        self.road.validator()
    }

    fn limits(&self) -> &Limits {
        &self.road.options().limits
    }

    /// A Python value as JSON, within the size limit text has.
    fn read_value(&self, value: &Bound<'_, PyAny>) -> Result<Value, ArgumentErrors> {
        py_to_value_within(value, self.limits().max_bytes).map_err(|not_json| {
            if not_json.too_large {
                ArgumentErrors::single(ArgError::new(not_json.path, "too_large", not_json.message))
            } else {
                not_json_errors(not_json)
            }
        })
    }

    fn collect(&self, value: &Bound<'_, PyAny>) -> ArgumentErrors {
        match self.read_value(value) {
            Ok(value) => ArgumentErrors {
                errors: self.compiled().errors(&value),
                expected: None,
            },
            Err(errors) => errors,
        }
    }

    /// JSON text checked against the limits and the schema; a key sent twice is refused, since
    /// readers that keep the first and readers that keep the last would see different values.
    fn read_json(&self, text: &str) -> Result<Value, Vec<ArgError>> {
        let limits = self.limits();
        limits.check_size(text.len()).map_err(|e| vec![e.into()])?;
        let (value, duplicates) = duplicates::parse(text).map_err(|error| {
            vec![ArgError::new(
                JsonPath::root(),
                "invalid_json",
                format!("not valid JSON: {error}"),
            )]
        })?;
        if let Some(literal) = oversized_integer(text) {
            return Err(vec![ArgError::new(
                locate_number(&value, literal),
                "integer_too_large",
                format!("the integer {literal} does not fit in 64 bits and would lose precision"),
            )]);
        }
        if !duplicates.is_empty() {
            return Err(duplicates
                .into_iter()
                .map(|duplicate| ArgError::new(duplicate.path, "duplicate_key", "sent twice; send each key once"))
                .collect());
        }
        limits.check_value(&value).map_err(|e| vec![e.into()])?;
        let errors = self.compiled().errors(&value);
        if errors.is_empty() {
            Ok(value)
        } else {
            Err(errors)
        }
    }
}
