//! Who watches a batch while it runs: an optional Python object told of each call the moment its
//! outcome is settled, and of each retry before its wait, so logs and spans need not wait for the
//! whole batch. Without one, nothing here runs.
//!
//! The object's methods, called with the GIL from whichever thread settled the call:
//! `finished(slot, code, message, attempts, elapsed, result_bytes, truncated, exception, bug)` and
//! `retrying(slot, attempt, delay, code, message)`. `slot` is the call's position in the batch;
//! `code` is None on success; `bug` says the tool's own code failed (its traceback is worth a log).
//! Its `successes` attribute, read once per batch, says whether successes are reported too.
//! When its `starts` attribute (read once per batch) is true, `started(slot, waited)` is called
//! before a call's first attempt runs: on the dispatching thread before the batch runs for a
//! call whose caps had room at once (`waited` is then 0), else when the attempt begins, `waited`
//! seconds after the call started (its wait for a cap). A `contextvars.Context` it returns is what
//! the call runs in (a sync tool through `context.run` on its worker thread, an async tool as a
//! coroutine and task created in it), so a span it made current there is the parent of the spans
//! the tool opens. A call's `elapsed` counts from its start, wait included.
//! What the observer raises is reported as unraisable and never changes a result.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::dispatch::attempt::{Failure, FailureKind};
use crate::dispatch::code::ResultCode;
use crate::py::call::PyToolResult;
use crate::py::execute::Attempt;
use crate::py::lifecycle::attach_alive;

use super::host::PyHost;
use crate::dispatch::engine::HostOutcome;

pub(super) struct Observer {
    target: Py<PyAny>,
    /// Whether successes are reported too, or failures and retries only.
    successes: bool,
    /// Whether `started` is called before each call's first attempt.
    starts: bool,
}

/// What the observer learns about one settled call.
struct Finished<'a> {
    code: Option<&'a str>,
    message: Option<&'a str>,
    attempts: u32,
    elapsed: Duration,
    result_bytes: usize,
    truncated: bool,
    exception: Option<&'a Py<PyAny>>,
    bug: bool,
}

impl Observer {
    /// The batch's observer; its `successes` attribute (default true) says whether successes
    /// are reported too.
    pub(super) fn new(py: Python<'_>, target: Option<Py<PyAny>>) -> PyResult<Option<Arc<Observer>>> {
        let Some(target) = target.filter(|target| !target.is_none(py)) else {
            return Ok(None);
        };
        let successes = match target.bind(py).getattr_opt(pyo3::intern!(py, "successes"))? {
            Some(flag) => flag.is_truthy()?,
            None => true,
        };
        let starts = match target.bind(py).getattr_opt(pyo3::intern!(py, "starts"))? {
            Some(flag) => flag.is_truthy()?,
            None => false,
        };
        Ok(Some(Arc::new(Observer {
            target,
            successes,
            starts,
        })))
    }

    /// Whether the observer asked to be told of each call's start.
    pub(super) fn starts(&self) -> bool {
        self.starts
    }

    /// The call in `slot` is about to make its first attempt, `waited` after it started (its wait
    /// for a cap): what the observer says it runs in (a `contextvars.Context`), if anything.
    pub(super) fn started(&self, py: Python<'_>, slot: usize, waited: Duration) -> Option<Py<PyAny>> {
        let asked = self
            .target
            .bind(py)
            .call_method1(pyo3::intern!(py, "started"), (slot, waited.as_secs_f64()));
        match asked {
            Ok(scope) if scope.is_none() => None,
            Ok(scope) => Some(scope.unbind()),
            Err(error) => {
                error.write_unraisable(py, Some(self.target.bind(py)));
                None
            }
        }
    }

    /// A call that ran (one or more attempts) is settled. Safe from any thread: attaches only
    /// when there is something to report.
    pub(super) fn outcome(&self, py: Option<Python<'_>>, slot: usize, outcome: &HostOutcome<PyHost>) {
        let ok = matches!(outcome.attempt, Attempt::Returned(_));
        if ok && !self.successes {
            return;
        }
        let finished = match &outcome.attempt {
            Attempt::Returned(returned) => Finished {
                code: None,
                message: None,
                attempts: outcome.attempts,
                elapsed: outcome.elapsed,
                result_bytes: returned.content.len(),
                truncated: returned.truncation.is_some(),
                exception: None,
                bug: false,
            },
            Attempt::Failed(Failure {
                kind,
                code,
                message,
                exception,
                ..
            }) => Finished {
                code: Some(code.as_str()),
                message: Some(message),
                attempts: outcome.attempts,
                elapsed: outcome.elapsed,
                result_bytes: 0,
                truncated: false,
                exception: exception.as_ref(),
                bug: *kind == FailureKind::Unexpected,
            },
            Attempt::TimedOut => Finished {
                code: Some(ResultCode::Timeout.as_str()),
                message: Some("the tool did not finish in time"),
                attempts: outcome.attempts,
                elapsed: outcome.elapsed,
                result_bytes: 0,
                truncated: false,
                exception: None,
                bug: false,
            },
            Attempt::Cancelled => Finished {
                code: Some(ResultCode::Cancelled.as_str()),
                message: Some("the call was cancelled"),
                attempts: outcome.attempts,
                elapsed: outcome.elapsed,
                result_bytes: 0,
                truncated: false,
                exception: None,
                bug: false,
            },
        };
        match py {
            Some(py) => self.report(py, slot, &finished),
            None => {
                attach_alive(|py| self.report(py, slot, &finished));
            }
        }
    }

    /// A call settled before running (unknown tool, bad arguments, denial, cancelled batch).
    pub(super) fn settled(&self, py: Python<'_>, slot: usize, result: &PyToolResult, elapsed: Duration) {
        let error = result.error.as_ref().map(|error| error.bind(py));
        let text = |key: &str| -> Option<String> {
            error
                .and_then(|error: &Bound<'_, PyDict>| error.get_item(key).ok().flatten())
                .and_then(|value| value.extract().ok())
        };
        let (code, message) = (text("code"), text("message"));
        self.report(
            py,
            slot,
            &Finished {
                code: Some(code.as_deref().unwrap_or("unspecified")),
                message: message.as_deref(),
                attempts: result.attempts,
                elapsed,
                result_bytes: 0,
                truncated: false,
                exception: result.exception.as_ref(),
                bug: false,
            },
        );
    }

    /// Attempt number `attempt` failed (`failed`); another follows after `delay`.
    pub(super) fn retrying(
        &self,
        py: Option<Python<'_>>,
        slot: usize,
        attempt: u32,
        delay: Duration,
        failed: &Attempt,
    ) {
        let (code, message) = match failed {
            Attempt::Failed(failure) => (failure.code.as_str(), failure.message.as_str()),
            Attempt::TimedOut => (ResultCode::Timeout.as_str(), "the tool did not finish in time"),
            _ => (ResultCode::Cancelled.as_str(), "the call was cancelled"),
        };
        let report = |py: Python<'_>| {
            let called = self.target.bind(py).call_method1(
                pyo3::intern!(py, "retrying"),
                (slot, attempt, delay.as_secs_f64(), code, message),
            );
            if let Err(error) = called {
                error.write_unraisable(py, Some(self.target.bind(py)));
            }
        };
        match py {
            Some(py) => report(py),
            None => {
                attach_alive(report);
            }
        }
    }

    fn report(&self, py: Python<'_>, slot: usize, finished: &Finished<'_>) {
        let called = self.target.bind(py).call_method1(
            pyo3::intern!(py, "finished"),
            (
                slot,
                finished.code,
                finished.message,
                finished.attempts,
                finished.elapsed.as_secs_f64(),
                finished.result_bytes,
                finished.truncated,
                finished.exception.map(|exception| exception.clone_ref(py)),
                finished.bug,
            ),
        );
        if let Err(error) = called {
            error.write_unraisable(py, Some(self.target.bind(py)));
        }
    }
}
