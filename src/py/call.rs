//! `ToolCall` in, `ToolResult` out: the two ends of the road as Python sees them.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use pyo3::{PyTraverseError, PyVisit};

use crate::py::road::PyRepair;

/// One call a model asked for: its id, the tool's name, and the arguments as the model sent them
/// (JSON text, a dict, or None).
#[pyclass(frozen, module = "toolproof", name = "ToolCall")]
pub struct PyToolCall {
    #[pyo3(get)]
    pub id: Py<PyString>,
    #[pyo3(get)]
    pub name: Py<PyString>,
    #[pyo3(get)]
    pub arguments: Py<PyAny>,
    /// How the model's turn ended, as the provider said (`"tool_calls"`, `"end_turn"`, `"STOP"`,
    /// `"length"` ...), or None: a turn that ended on its own holds complete arguments.
    #[pyo3(get)]
    pub finish_reason: Option<Py<PyString>>,
}

#[pymethods]
impl PyToolCall {
    #[new]
    #[pyo3(signature = (id, name, arguments = None, *, finish_reason = None))]
    fn new(
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        name: Bound<'_, PyString>,
        arguments: Option<Py<PyAny>>,
        finish_reason: Option<Py<PyString>>,
    ) -> PyResult<Self> {
        let id = match id.cast::<PyString>() {
            Ok(text) => text.clone().unbind(),
            Err(_) if id.is_none() => {
                return Err(PyTypeError::new_err(
                    "a tool call needs an id (the provider's call id); results are matched to calls by it",
                ))
            }
            Err(_) => id.str()?.unbind(),
        };
        Ok(PyToolCall {
            id,
            name: name.unbind(),
            arguments: arguments.unwrap_or_else(|| py.None()),
            finish_reason,
        })
    }

    /// The arguments may be any Python object, one that refers back to the call included.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.arguments)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let finish_reason = match &self.finish_reason {
            Some(reason) => format!(", finish_reason={}", reason.bind(py).repr()?),
            None => String::new(),
        };
        Ok(format!(
            "ToolCall(id={}, name={}, arguments={}{finish_reason})",
            self.id.bind(py).repr()?,
            self.name.bind(py).repr()?,
            self.arguments.bind(py).repr()?
        ))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<PyToolCall>() else {
            return Ok(false);
        };
        let other = other.get();
        Ok(self.id.bind(py).as_any().eq(other.id.bind(py))?
            && self.name.bind(py).as_any().eq(other.name.bind(py))?
            && self.arguments.bind(py).eq(other.arguments.bind(py))?)
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        (self.id.bind(py), self.name.bind(py)).into_pyobject(py)?.hash()
    }
}

/// What a call produced: exactly one per call id, whatever happened on the way.
///
/// `content` is the text the model reads (the encoded result, or a short error text);
/// `error` is `None` on success, else `{"code", "message"}`.
#[pyclass(frozen, module = "toolproof", name = "ToolResult")]
pub struct PyToolResult {
    #[pyo3(get)]
    pub call_id: Py<PyString>,
    #[pyo3(get)]
    pub name: Py<PyString>,
    #[pyo3(get)]
    pub ok: bool,
    #[pyo3(get)]
    pub content: Py<PyString>,
    #[pyo3(get)]
    pub error: Option<Py<PyDict>>,
    #[pyo3(get)]
    pub attempts: u32,
    pub repairs: Vec<Py<PyRepair>>,
    #[pyo3(get)]
    pub elapsed: f64,
    /// The tool's return value, as Python returned it (None after an error).
    #[pyo3(get)]
    pub output: Py<PyAny>,
    /// `{"original_bytes", "kept_bytes"}` when the content was cut to the size cap.
    #[pyo3(get)]
    pub truncated: Option<Py<PyDict>>,
    /// The exception the tool raised, for logs and debugging (the model sees `content` only).
    #[pyo3(get)]
    pub exception: Option<Py<PyAny>>,
}

fn error_dict<'py>(py: Python<'py>, code: &str, message: &str) -> PyResult<Bound<'py, PyDict>> {
    let error = PyDict::new(py);
    error.set_item("code", code)?;
    error.set_item("message", message)?;
    Ok(error)
}

impl PyToolResult {
    pub fn failure(
        py: Python<'_>,
        call_id: Py<PyString>,
        name: Py<PyString>,
        code: &str,
        message: &str,
        model_text: &str,
    ) -> PyResult<Self> {
        Ok(PyToolResult {
            call_id,
            name,
            ok: false,
            content: PyString::new(py, model_text).unbind(),
            error: Some(error_dict(py, code, message)?.unbind()),
            attempts: 0,
            repairs: Vec::new(),
            elapsed: 0.0,
            output: py.None(),
            truncated: None,
            exception: None,
        })
    }

    /// The error code, when the call failed.
    pub fn error_code(&self, py: Python<'_>) -> Option<String> {
        let error = self.error.as_ref()?.bind(py);
        error.get_item("code").ok().flatten()?.extract().ok()
    }
}

#[pymethods]
impl PyToolResult {
    /// What the garbage collector must see: a result holds the tool's exception (whose traceback
    /// reaches the frames, the task and the event loop that produced it, and so back to the
    /// result) and the tool's return value. Without this such a cycle is never collected.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.output)?;
        if let Some(exception) = &self.exception {
            visit.call(exception)?;
        }
        if let Some(error) = &self.error {
            visit.call(error)?;
        }
        if let Some(truncated) = &self.truncated {
            visit.call(truncated)?;
        }
        for repair in &self.repairs {
            visit.call(repair)?;
        }
        Ok(())
    }

    #[new]
    #[pyo3(signature = (call_id, name, ok, content, error = None, attempts = 1, repairs = Vec::new(), elapsed = 0.0, output = None, truncated = None, exception = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        call_id: Py<PyString>,
        name: Py<PyString>,
        ok: bool,
        content: Py<PyString>,
        error: Option<Py<PyDict>>,
        attempts: u32,
        repairs: Vec<Py<PyRepair>>,
        elapsed: f64,
        output: Option<Py<PyAny>>,
        truncated: Option<Py<PyDict>>,
        exception: Option<Py<PyAny>>,
    ) -> Self {
        PyToolResult {
            call_id,
            name,
            ok,
            content,
            error,
            attempts,
            repairs,
            elapsed,
            output: output.unwrap_or_else(|| py.None()),
            truncated,
            exception,
        }
    }

    #[getter]
    fn repairs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.repairs.iter().map(|r| r.clone_ref(py)))
    }

    /// An OpenAI Chat Completions message: `{"role": "tool", "tool_call_id", "content"}`.
    fn to_openai<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let message = PyDict::new(py);
        message.set_item("role", "tool")?;
        message.set_item("tool_call_id", self.call_id.bind(py))?;
        message.set_item("content", self.content.bind(py))?;
        Ok(message)
    }

    /// An OpenAI Responses API input item: `{"type": "function_call_output", "call_id", "output"}`.
    fn to_responses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let item = PyDict::new(py);
        item.set_item("type", "function_call_output")?;
        item.set_item("call_id", self.call_id.bind(py))?;
        item.set_item("output", self.content.bind(py))?;
        Ok(item)
    }

    /// An Anthropic content block: `{"type": "tool_result", "tool_use_id", "content", "is_error"}`.
    fn to_anthropic<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let block = PyDict::new(py);
        block.set_item("type", "tool_result")?;
        block.set_item("tool_use_id", self.call_id.bind(py))?;
        block.set_item("content", self.content.bind(py))?;
        block.set_item("is_error", !self.ok)?;
        Ok(block)
    }

    /// A Gemini part: `{"functionResponse": {"name", "response", "id"}}`. Gemini wants an
    /// object as the response: a JSON object result is given as is, anything else under
    /// `"result"`, and an error under `"error"`.
    fn to_gemini<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let response = if self.ok {
            let content = self.content.bind(py).to_str()?;
            match serde_json::from_str::<serde_json::Value>(content) {
                Ok(value @ serde_json::Value::Object(_)) => crate::py::convert::value_to_py(py, &value)?,
                Ok(value) => {
                    let wrapped = PyDict::new(py);
                    wrapped.set_item("result", crate::py::convert::value_to_py(py, &value)?)?;
                    wrapped.into_any()
                }
                Err(_) => {
                    let wrapped = PyDict::new(py);
                    wrapped.set_item("result", self.content.bind(py))?;
                    wrapped.into_any()
                }
            }
        } else {
            let wrapped = PyDict::new(py);
            wrapped.set_item("error", self.content.bind(py))?;
            wrapped.into_any()
        };
        let function_response = PyDict::new(py);
        function_response.set_item("name", self.name.bind(py))?;
        function_response.set_item("response", response)?;
        if !self.call_id.bind(py).to_str()?.is_empty() {
            function_response.set_item("id", self.call_id.bind(py))?;
        }
        let part = PyDict::new(py);
        part.set_item("functionResponse", function_response)?;
        Ok(part)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let content = self.content.bind(py).to_str()?;
        let shown: String = content.chars().take(60).collect();
        let more = if content.chars().count() > 60 { "..." } else { "" };
        Ok(format!(
            "ToolResult(call_id={}, name={}, ok={}, content={:?}{more}, attempts={}, elapsed={:.6})",
            self.call_id.bind(py).repr()?,
            self.name.bind(py).repr()?,
            if self.ok { "True" } else { "False" },
            shown,
            self.attempts,
            self.elapsed
        ))
    }
}

/// `ToolCall`s straight from the shapes most batches arrive in: `ToolCall`s, and OpenAI Chat
/// (`{"id", "function": {"name", "arguments"}}`), Responses (`{"type": "function_call", "call_id",
/// ...}`) and Anthropic (`{"type": "tool_use", "id", "name", "input"}`) dicts. `None` as soon as
/// one item is anything else: `toolproof.to_tool_calls` then reads the batch the general way.
#[pyfunction]
pub fn read_tool_calls(py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<Option<Vec<Py<PyToolCall>>>> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(list) = items.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = items.cast::<pyo3::types::PyTuple>() {
        tuple.iter().collect()
    } else {
        return Ok(None);
    };
    let mut calls = Vec::with_capacity(items.len());
    for item in &items {
        if let Ok(call) = item.cast::<PyToolCall>() {
            calls.push(call.clone().unbind());
            continue;
        }
        let Ok(dict) = item.cast::<PyDict>() else {
            return Ok(None);
        };
        let Some(call) = call_from_dict(py, dict)? else {
            return Ok(None);
        };
        calls.push(Py::new(py, call)?);
    }
    Ok(Some(calls))
}

fn string_item<'py>(dict: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyString>>> {
    Ok(dict.get_item(key)?.and_then(|value| value.cast_into::<PyString>().ok()))
}

fn call_from_dict(py: Python<'_>, dict: &Bound<'_, PyDict>) -> PyResult<Option<PyToolCall>> {
    let kind = string_item(dict, "type")?;
    let kind = kind.as_ref().map(|k| k.to_str()).transpose()?;
    let (id, name, arguments) = match kind {
        Some("function_call") => (
            string_item(dict, "call_id")?,
            string_item(dict, "name")?,
            dict.get_item("arguments")?,
        ),
        Some("tool_use") => (
            string_item(dict, "id")?,
            string_item(dict, "name")?,
            dict.get_item("input")?,
        ),
        Some("function") | None => {
            let Some(function) = dict.get_item("function")? else {
                return Ok(None);
            };
            let Ok(function) = function.cast_into::<PyDict>() else {
                return Ok(None);
            };
            (
                string_item(dict, "id")?,
                string_item(&function, "name")?,
                function.get_item("arguments")?,
            )
        }
        Some(_) => return Ok(None),
    };
    match (id, name) {
        (Some(id), Some(name)) if !id.to_str()?.is_empty() => Ok(Some(PyToolCall {
            id: id.unbind(),
            name: name.unbind(),
            arguments: arguments.map_or_else(|| py.None(), Bound::unbind),
            finish_reason: None,
        })),
        _ => Ok(None),
    }
}
