//! The authorization hook: `authorize(call, context)` decides, before a call runs, whether it may.
//!
//! The hook sees the call as the tool will receive it: its `arguments` are the ones the argument
//! road produced (keys matched, values coerced), so a check of `path` cannot be dodged by sending
//! `Path`. Its verdict is read strictly and fails closed: only `True` allows; `False`, `None`, any
//! other value and any exception deny. An awaitable verdict (an `async def` hook) is awaited: on
//! the background loop for `dispatch`, on the caller's loop, before the batch runs, for
//! `adispatch`. One exception is not a verdict: a `KeyboardInterrupt` on the main thread of a
//! synchronous dispatch is the user's Ctrl-C, and interrupts the dispatch (no call has run yet).

use pyo3::exceptions::{PyKeyboardInterrupt, PyPermissionError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyString, PyType};

use super::on_main_thread;
use crate::py::call::PyToolCall;

pub(super) enum Verdict {
    Allowed,
    /// Denied, with what the model reads.
    Denied(String),
    /// An awaitable verdict, for `adispatch` to await.
    Awaiting(Py<PyAny>),
}

/// The call as the hook sees it: its id and name, and a copy of the arguments the tool will get.
pub(super) fn call_for_hook<'py>(
    py: Python<'py>,
    id: &Py<PyString>,
    name: &Py<PyString>,
    arguments: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyToolCall>> {
    Bound::new(
        py,
        PyToolCall {
            id: id.clone_ref(py),
            name: name.clone_ref(py),
            arguments: arguments.copy()?.into_any().unbind(),
            finish_reason: None,
        },
    )
}

/// Ask the hook. `Err` only for the user's Ctrl-C (see the module's note).
pub(super) fn ask(
    py: Python<'_>,
    hook: &Bound<'_, PyAny>,
    tool: &str,
    call: &Bound<'_, PyAny>,
    context: Option<&Py<PyAny>>,
    defer_awaitable: bool,
) -> PyResult<Verdict> {
    let context = match context {
        Some(context) => context.bind(py).clone(),
        None => py.None().into_bound(py),
    };
    let verdict = match hook.call1((call, context)) {
        Ok(verdict) => verdict,
        Err(error) => {
            if error.is_instance_of::<PyKeyboardInterrupt>(py) && on_main_thread(py) {
                return Err(error);
            }
            return Ok(Verdict::Denied(raised(py, tool, error.value(py).as_any())));
        }
    };
    if verdict.cast::<PyBool>().is_ok() || verdict.is_none() || !is_awaitable(py, &verdict) {
        return Ok(judge(py, tool, &verdict).map_or(Verdict::Allowed, Verdict::Denied));
    }
    if defer_awaitable {
        return Ok(Verdict::Awaiting(verdict.unbind()));
    }
    static WAIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let settled = WAIT.import(py, "toolproof._authorize", "wait")?.call1((verdict,));
    match settled {
        Ok(settled) => Ok(judge(py, tool, &settled).map_or(Verdict::Allowed, Verdict::Denied)),
        Err(error) if error.is_instance_of::<PyKeyboardInterrupt>(py) && on_main_thread(py) => Err(error),
        Err(error) => Ok(Verdict::Denied(raised(py, tool, error.value(py).as_any()))),
    }
}

/// What a returned (or awaited) verdict means: `None` allows, else the denial the model reads.
/// `toolproof._authorize.HookFailed` carries an exception the awaited hook raised.
pub(super) fn judge(py: Python<'_>, tool: &str, verdict: &Bound<'_, PyAny>) -> Option<String> {
    static HOOK_FAILED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    if let Ok(flag) = verdict.cast::<PyBool>() {
        return (!flag.is_true()).then(|| format!("Tool '{tool}' is not allowed here."));
    }
    if verdict.is_none() {
        return Some(format!("Tool '{tool}' is not allowed here."));
    }
    let failed = HOOK_FAILED
        .import(py, "toolproof._authorize", "HookFailed")
        .is_ok_and(|failed| verdict.is_instance(failed).unwrap_or(false));
    if failed {
        if let Ok(error) = verdict.getattr(pyo3::intern!(py, "error")) {
            return Some(raised(py, tool, &error));
        }
    }
    let kind = crate::py::convert::type_name(verdict);
    log(
        py,
        &format!("the authorization hook returned {kind} for tool {tool}, not True or False: the call is denied"),
        None,
    );
    Some(format!("Tool '{tool}' could not be authorized."))
}

/// A hook that raised denies: `PermissionError` with its message, anything else (BaseException
/// subclasses included) logged with its traceback and reported without internals.
fn raised(py: Python<'_>, tool: &str, error: &Bound<'_, PyAny>) -> String {
    if error.is_instance_of::<PyPermissionError>() {
        let reason = error.str().map(|text| text.to_string()).unwrap_or_default();
        return format!("Tool '{tool}' is not allowed here: {reason}");
    }
    log(
        py,
        &format!("the authorization hook failed for tool {tool}: the call is denied"),
        Some(error),
    );
    format!("Tool '{tool}' could not be authorized.")
}

fn log(py: Python<'_>, message: &str, error: Option<&Bound<'_, PyAny>>) {
    static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let logged = LOGGER
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py
                .import("logging")?
                .call_method1("getLogger", ("toolproof",))?
                .unbind())
        })
        .and_then(|logger| {
            let kwargs = PyDict::new(py);
            if let Some(error) = error {
                kwargs.set_item("exc_info", error)?;
            }
            logger.bind(py).call_method("error", (message,), Some(&kwargs))?;
            Ok(())
        });
    // Logging that fails (a broken handler) must not turn a denial into an allowance or a crash.
    drop(logged);
}

fn is_awaitable(py: Python<'_>, value: &Bound<'_, PyAny>) -> bool {
    static IS_AWAITABLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    IS_AWAITABLE
        .import(py, "inspect", "isawaitable")
        .and_then(|check| check.call1((value,)))
        .and_then(|answer| answer.is_truthy())
        .unwrap_or(false)
}
