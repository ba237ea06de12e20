//! One attempt of one call: run the tool, then turn what happened into an `Attempt` the engine can
//! carry across threads without the GIL: the encoded result, or a classified failure.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::dispatch::attempt::{self, Failure, FailureCode, FailureKind};
use crate::dispatch::code::ResultCode;
use crate::py::encode::{encode, BytesMode, EncodeOptions, Truncation};

/// What a tool returned, encoded.
pub struct Returned {
    pub content: String,
    pub output: Py<PyAny>,
    pub truncation: Option<Truncation>,
}

/// One attempt, as Python's host hands it to the engine: the exception it keeps is the one raised.
pub type Attempt = attempt::Attempt<Returned, Py<PyAny>>;

/// What every attempt of one call shares.
pub struct Invocation {
    pub tool: Py<PyString>,
    pub tool_name: std::sync::Arc<str>,
    pub func: Py<PyAny>,
    pub args: Py<PyTuple>,
    pub kwargs: Py<PyDict>,
    pub max_result_bytes: Option<usize>,
}

impl Invocation {
    /// Call a synchronous tool and settle the outcome (on a worker thread, holding the GIL); in a
    /// copy of `scope` (a `contextvars.Context`) when the batch's observer gave one.
    pub fn run_sync(&self, py: Python<'_>, scope: Option<&Py<PyAny>>) -> Attempt {
        let called = match scope {
            None => self.func.bind(py).call(self.args.bind(py), Some(self.kwargs.bind(py))),
            Some(scope) => self.call_in(py, scope),
        };
        match called {
            Ok(returned) => self.settle_returned(py, &returned),
            // `into_value` keeps the traceback on the exception, for the log.
            Err(error) => self.settle_raised(py, error.into_value(py).bind(py).as_any()),
        }
    }

    fn call_in<'py>(&self, py: Python<'py>, scope: &Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
        // A copy: a context runs on one thread at a time, and an attempt's variables stay its own.
        let context = scope.bind(py).call_method0(pyo3::intern!(py, "copy"))?;
        let mut args = Vec::with_capacity(self.args.bind(py).len() + 1);
        args.push(self.func.bind(py).clone());
        args.extend(self.args.bind(py).iter());
        context.call_method(
            pyo3::intern!(py, "run"),
            PyTuple::new(py, args)?,
            Some(self.kwargs.bind(py)),
        )
    }

    /// A value the tool returned: strings are the content as they are; anything else is JSON.
    pub fn settle_returned(&self, py: Python<'_>, returned: &Bound<'_, PyAny>) -> Attempt {
        if let Ok(text) = returned.cast::<PyString>() {
            let Ok(text) = text.to_str() else {
                return Attempt::failed(
                    FailureKind::Permanent,
                    ResultCode::UnserializableResult,
                    "The tool returned text that is not valid UTF-8.",
                );
            };
            let (content, truncation) = cut_text(text, self.max_result_bytes);
            return Attempt::Returned(Returned {
                content,
                output: returned.clone().unbind(),
                truncation,
            });
        }
        let options = EncodeOptions {
            max_bytes: self.max_result_bytes,
            default: None,
            bytes: BytesMode::Refuse,
        };
        match encode(py, returned, &options) {
            Ok(encoded) => Attempt::Returned(Returned {
                content: encoded.text,
                output: returned.clone().unbind(),
                truncation: encoded.truncation,
            }),
            Err(failure) => Attempt::failed(
                FailureKind::Permanent,
                ResultCode::UnserializableResult,
                format!(
                    "The tool's result could not be sent: {} at {} is not JSON.",
                    failure.type_name, failure.path
                ),
            ),
        }
    }

    /// An exception the tool raised, classified by `toolproof._classify.classify`.
    pub fn settle_raised(&self, py: Python<'_>, error: &Bound<'_, PyAny>) -> Attempt {
        static CLASSIFY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        static ESCAPED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        // A BaseException carried out of an asyncio task (see `toolproof._eager.Escaped`).
        let unwrapped = ESCAPED
            .import(py, "toolproof._eager", "Escaped")
            .ok()
            .filter(|escaped| error.is_instance(escaped).unwrap_or(false))
            .and_then(|_| error.getattr(pyo3::intern!(py, "error")).ok());
        let error = unwrapped.as_ref().unwrap_or(error);
        let classified = CLASSIFY
            .import(py, "toolproof._classify", "classify")
            .and_then(|classify| {
                classify.call1((
                    error,
                    self.tool.bind(py),
                    self.func.bind(py),
                    self.args.bind(py),
                    self.kwargs.bind(py),
                ))
            });
        let exception = Some(error.clone().unbind());
        let Ok(classified) = classified else {
            return Attempt::Failed(Failure {
                kind: FailureKind::Unexpected,
                code: ResultCode::UnexpectedError.into(),
                message: format!("Tool '{}' failed with an unexpected error.", self.tool.bind(py)),
                retry_after: None,
                exception,
            });
        };
        let field = |name: &str| classified.getattr(name);
        let kind = field("kind")
            .and_then(|k| k.extract::<String>())
            .ok()
            .and_then(|name| FailureKind::from_name(&name))
            .unwrap_or(FailureKind::Unexpected);
        let code = field("code")
            .and_then(|c| c.extract::<String>())
            .map_or(FailureCode::Known(ResultCode::ToolError), |name| {
                FailureCode::from_name(&name)
            });
        let message = field("message")
            .and_then(|m| m.extract::<String>())
            .unwrap_or_else(|_| "The tool failed.".to_owned());
        let retry_after = field("retry_after")
            .ok()
            .and_then(|r| r.extract::<Option<f64>>().ok().flatten())
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok());
        Attempt::Failed(Failure {
            kind,
            code,
            message,
            retry_after,
            exception,
        })
    }
}

/// A text result longer than the cap: cut at a character boundary, with a marker the model sees.
pub fn cut_text(text: &str, max_bytes: Option<usize>) -> (String, Option<Truncation>) {
    let Some(limit) = max_bytes.filter(|&limit| text.len() > limit) else {
        return (text.to_owned(), None);
    };
    let marker = format!("…[truncated: {} of {} bytes shown]", limit, text.len());
    let keep = limit.saturating_sub(marker.len());
    let mut end = keep.min(text.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let content = format!("{}{marker}", &text[..end]);
    let truncation = Truncation {
        original_bytes: Some(text.len()),
        kept_bytes: content.len(),
    };
    (content, Some(truncation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_text_at_a_character_boundary_within_the_cap() {
        let text = "é".repeat(1000);
        let (content, truncation) = cut_text(&text, Some(100));
        assert!(content.len() <= 100, "{}", content.len());
        assert!(content.contains("truncated"));
        assert_eq!(truncation.unwrap().original_bytes, Some(2000));
        assert_eq!(cut_text("short", Some(100)).0, "short");
    }
}
