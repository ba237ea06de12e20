//! What the framework adapters take from the core, so the text a model reads through an adapter is
//! the engine's own: a text result cut to the size cap exactly as a dispatched call's is, and the
//! model-facing text of arguments a framework's own validation refused.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::args::errors::{ArgError, ArgumentErrors};
use crate::json_path::JsonPath;
use crate::py::errors::argument_error as make_argument_error;
use crate::py::execute::cut_text as cut;

/// ``(text, info)``: ``text`` cut to ``max_bytes`` UTF-8 bytes at a character boundary, ending in
/// ``…[truncated: N of M bytes shown]``, as a tool's text result is cut; ``info`` is ``None`` or
/// ``{"original_bytes", "kept_bytes"}`` when it was cut. ``max_bytes=None`` keeps it whole.
#[pyfunction]
#[pyo3(signature = (text, max_bytes))]
pub fn cut_text<'py>(
    py: Python<'py>,
    text: &str,
    max_bytes: Option<usize>,
) -> PyResult<(String, Option<Bound<'py, PyDict>>)> {
    let (content, truncation) = cut(text, max_bytes);
    let info = match truncation {
        None => None,
        Some(truncation) => {
            let info = PyDict::new(py);
            info.set_item("original_bytes", truncation.original_bytes)?;
            info.set_item("kept_bytes", truncation.kept_bytes)?;
            Some(info)
        }
    };
    Ok((content, info))
}

/// A ``toolproof.ArgumentError`` for ``errors`` (each a mapping with ``loc``, a list of keys and
/// indexes, ``kind`` and ``message``), its ``for_model()`` text written as the road writes its own:
/// for refusals a framework's validation made after the road (a pydantic model of the tool's).
#[pyfunction]
#[pyo3(signature = (errors, *, tool = None))]
pub fn argument_error(py: Python<'_>, errors: &Bound<'_, PyList>, tool: Option<&str>) -> PyResult<Py<PyAny>> {
    let mut collected = Vec::with_capacity(errors.len());
    for (index, record) in errors.iter().enumerate() {
        let field = |name: &str| -> PyResult<Bound<'_, PyAny>> {
            record
                .get_item(name)
                .map_err(|_| PyValueError::new_err(format!("errors[{index}] has no '{name}'")))
        };
        let mut path = JsonPath::root();
        for part in field("loc")?.try_iter()? {
            let part = part?;
            match part.extract::<usize>() {
                Ok(position) => path.push_index(position),
                Err(_) => path.push_key(&part.str()?.to_cow()?),
            }
        }
        let kind: String = field("kind")?.extract()?;
        let message: String = field("message")?.extract()?;
        collected.push(ArgError::new(path, kind, message));
    }
    let failure = make_argument_error(
        py,
        &ArgumentErrors {
            errors: collected,
            expected: None,
        },
        tool,
    );
    Ok(failure.into_value(py).into_any())
}
