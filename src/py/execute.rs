//! One attempt of one call: run the tool, then turn what happened into an `Attempt` the engine can
//! carry across threads without the GIL: the encoded result, or a classified failure.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::py::encode::{encode, BytesMode, EncodeOptions, Truncation};

/// How a failure is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Retryable,
    Permanent,
    /// A bug, most likely: logged with its traceback, reported to the model without internals.
    Unexpected,
}

pub enum Attempt {
    Returned {
        content: String,
        output: Py<PyAny>,
        truncation: Option<Truncation>,
    },
    Failed {
        kind: FailureKind,
        code: String,
        /// What the model reads.
        message: String,
        retry_after: Option<Duration>,
        exception: Option<Py<PyAny>>,
    },
    TimedOut,
    Cancelled,
}

impl Attempt {
    pub fn failed(kind: FailureKind, code: &str, message: impl Into<String>) -> Self {
        Attempt::Failed {
            kind,
            code: code.to_owned(),
            message: message.into(),
            retry_after: None,
            exception: None,
        }
    }

    /// Whether another attempt may follow. A timeout is retried only when the timed-out attempt
    /// was cancelled (an async tool): a sync tool's thread is still running it, and a second
    /// attempt would run its side effects twice, concurrently.
    pub fn is_retryable(&self, is_async: bool) -> bool {
        match self {
            Attempt::TimedOut => is_async,
            Attempt::Failed {
                kind: FailureKind::Retryable,
                ..
            } => true,
            _ => false,
        }
    }
}

/// What every attempt of one call shares.
pub struct Invocation {
    pub tool: Py<PyString>,
    pub func: Py<PyAny>,
    pub args: Py<PyTuple>,
    pub kwargs: Py<PyDict>,
    pub max_result_bytes: Option<usize>,
}

impl Invocation {
    /// Call a synchronous tool and settle the outcome (on a worker thread, holding the GIL).
    pub fn run_sync(&self, py: Python<'_>) -> Attempt {
        match self.func.bind(py).call(self.args.bind(py), Some(self.kwargs.bind(py))) {
            Ok(returned) => self.settle_returned(py, &returned),
            // `into_value` keeps the traceback on the exception, for the log.
            Err(error) => self.settle_raised(py, error.into_value(py).bind(py).as_any()),
        }
    }

    /// A value the tool returned: strings are the content as they are; anything else is JSON.
    pub fn settle_returned(&self, py: Python<'_>, returned: &Bound<'_, PyAny>) -> Attempt {
        if let Ok(text) = returned.cast::<PyString>() {
            let Ok(text) = text.to_str() else {
                return Attempt::failed(
                    FailureKind::Permanent,
                    "unserializable_result",
                    "The tool returned text that is not valid UTF-8.",
                );
            };
            let (content, truncation) = cut_text(text, self.max_result_bytes);
            return Attempt::Returned {
                content,
                output: returned.clone().unbind(),
                truncation,
            };
        }
        let options = EncodeOptions {
            max_bytes: self.max_result_bytes,
            default: None,
            bytes: BytesMode::Refuse,
        };
        match encode(py, returned, &options) {
            Ok(encoded) => Attempt::Returned {
                content: encoded.text,
                output: returned.clone().unbind(),
                truncation: encoded.truncation,
            },
            Err(failure) => Attempt::Failed {
                kind: FailureKind::Permanent,
                code: "unserializable_result".to_owned(),
                message: format!(
                    "The tool's result could not be sent: {} at {} is not JSON.",
                    failure.type_name, failure.path
                ),
                retry_after: None,
                exception: None,
            },
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
            return Attempt::Failed {
                kind: FailureKind::Unexpected,
                code: "unexpected_error".to_owned(),
                message: format!("Tool '{}' failed with an unexpected error.", self.tool.bind(py)),
                retry_after: None,
                exception,
            };
        };
        let field = |name: &str| classified.getattr(name);
        let kind = match field("kind").and_then(|k| k.extract::<String>()).as_deref() {
            Ok("retryable") => FailureKind::Retryable,
            Ok("permanent") => FailureKind::Permanent,
            _ => FailureKind::Unexpected,
        };
        let code = field("code")
            .and_then(|c| c.extract::<String>())
            .unwrap_or_else(|_| "tool_error".to_owned());
        let message = field("message")
            .and_then(|m| m.extract::<String>())
            .unwrap_or_else(|_| "The tool failed.".to_owned());
        let retry_after = field("retry_after")
            .ok()
            .and_then(|r| r.extract::<Option<f64>>().ok().flatten())
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok());
        Attempt::Failed {
            kind,
            code,
            message,
            retry_after,
            exception,
        }
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
