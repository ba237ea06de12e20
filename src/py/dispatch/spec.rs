//! The tools an engine runs, read once from the specs Python hands over (`Tool.engine_spec()`)
//! into typed structs, and the engine-wide and per-batch options, checked where they come in.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use tokio::sync::Semaphore;

use crate::dispatch::engine::{self, ZeroCap};
use crate::dispatch::metrics::Metrics;
use crate::dispatch::retry::RetryPolicy;
use crate::py::retry::PyRetry;
use crate::py::road::PyArgumentRoad;

/// One tool as the engine runs it.
pub(super) struct ToolSpec {
    pub name: Py<PyString>,
    pub name_text: Arc<str>,
    pub road: Py<PyArgumentRoad>,
    pub func: Py<PyAny>,
    pub is_async: bool,
    /// Whether a timed-out attempt is stopped: an async tool's task is cancelled, unless the
    /// spec says otherwise (a remote executor that cannot stop a started call).
    pub stops_on_timeout: bool,
    /// `plan.arguments(dict) -> (args, kwargs)`, when some parameter needs converting.
    pub plan: Option<Py<PyAny>>,
    /// Parameters that receive the call's `CallContext`.
    pub injected: Vec<Py<PyString>>,
    pub authorize: Option<Py<PyAny>>,
    pub limits: Limits,
    /// `Some(None)` lifts the registry's cap for this tool; `None` keeps it.
    pub max_result_bytes: Option<Option<usize>>,
}

/// What bounds a call's run, at one level (batch, tool, registry); the nearest level that sets a
/// limit wins, except caps, which all hold.
#[derive(Default)]
pub(super) struct Limits {
    pub cap: Option<Arc<Semaphore>>,
    pub timeout: Option<Duration>,
    pub retry: Option<RetryPolicy>,
}

/// Everything an engine runs, compiled once, shared by every dispatch.
pub(super) struct EngineCore {
    pub tools: Vec<ToolSpec>,
    pub by_name: HashMap<String, usize>,
    pub authorize: Option<Py<PyAny>>,
    pub limits: Limits,
    pub max_result_bytes: Option<usize>,
    pub metrics: Arc<Metrics>,
}

impl EngineCore {
    /// The limits a call of `tool` runs under in a batch with `batch`'s.
    pub fn caps(&self, tool: &ToolSpec, batch: &Limits) -> Vec<Arc<Semaphore>> {
        [&batch.cap, &self.limits.cap, &tool.limits.cap]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    pub fn timeout(&self, tool: &ToolSpec, batch: &Limits) -> Option<Duration> {
        batch.timeout.or(tool.limits.timeout).or(self.limits.timeout)
    }

    /// The batch's retry policy, else the tool's, else the registry's.
    pub fn retry(&self, tool: &ToolSpec, batch: &Limits) -> RetryPolicy {
        batch
            .retry
            .as_ref()
            .or(tool.limits.retry.as_ref())
            .or(self.limits.retry.as_ref())
            .cloned()
            .unwrap_or_else(RetryPolicy::none)
    }
}

impl ToolSpec {
    /// Read spec number `index` (a dict with `name`, `road`, `func`, `is_async` and optional
    /// `stops_on_timeout`, `plan`, `injected`, `authorize`, `timeout`, `retry`,
    /// `max_concurrency`, `max_result_bytes`).
    pub fn from_dict(index: usize, spec: &Bound<'_, PyAny>) -> PyResult<Self> {
        let spec = spec.cast::<PyDict>().map_err(|_| {
            PyTypeError::new_err(format!(
                "tool spec {index} must be a dict (Tool.engine_spec()), not {}",
                crate::py::convert::type_name(spec)
            ))
        })?;
        let required = |key: &str| -> PyResult<Bound<'_, PyAny>> {
            spec.get_item(key)?
                .ok_or_else(|| PyValueError::new_err(format!("tool spec {index} has no '{key}'")))
        };
        let optional = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            Ok(spec.get_item(key)?.filter(|value| !value.is_none()))
        };
        let name: Bound<'_, PyString> = required("name")?.cast_into()?;
        let name_text: Arc<str> = name.to_str()?.into();
        let what = |option: &str| format!("tool '{name_text}': {option}");
        let is_async = required("is_async")?.is_truthy()?;
        Ok(ToolSpec {
            road: required("road")?.cast_into::<PyArgumentRoad>()?.unbind(),
            func: required("func")?.unbind(),
            is_async,
            stops_on_timeout: is_async
                && optional("stops_on_timeout")?
                    .map(|stops| stops.is_truthy())
                    .transpose()?
                    .unwrap_or(true),
            plan: optional("plan")?.map(Bound::unbind),
            injected: match optional("injected")? {
                Some(names) => names.extract::<Vec<Py<PyString>>>()?,
                None => Vec::new(),
            },
            authorize: optional("authorize")?.map(Bound::unbind),
            limits: Limits {
                cap: cap(
                    optional("max_concurrency")?.map(|n| n.extract()).transpose()?,
                    &what("max_concurrency"),
                )?,
                timeout: seconds(optional("timeout")?.map(|t| t.extract()).transpose()?, &what("timeout"))?,
                retry: retry_option(optional("retry")?.as_ref())?,
            },
            max_result_bytes: match spec.get_item("max_result_bytes")? {
                None => None,
                Some(value) => Some(result_cap(
                    value.extract::<Option<usize>>()?,
                    &what("max_result_bytes"),
                )?),
            },
            name: name.unbind(),
            name_text,
        })
    }
}

/// The tools of an engine, by name; two with one name are refused.
pub(super) fn read_tools(tools: &Bound<'_, PyList>) -> PyResult<(Vec<ToolSpec>, HashMap<String, usize>)> {
    let mut specs = Vec::with_capacity(tools.len());
    let mut by_name = HashMap::with_capacity(tools.len());
    for (index, spec) in tools.iter().enumerate() {
        let spec = ToolSpec::from_dict(index, &spec)?;
        if by_name.insert(spec.name_text.to_string(), specs.len()).is_some() {
            return Err(PyValueError::new_err(format!(
                "two tools are named '{}'",
                spec.name_text
            )));
        }
        specs.push(spec);
    }
    Ok((specs, by_name))
}

pub(super) fn seconds(value: Option<f64>, what: &str) -> PyResult<Option<Duration>> {
    match value {
        None => Ok(None),
        Some(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(Some(Duration::from_secs_f64(seconds))),
        Some(other) => Err(PyValueError::new_err(format!(
            "{what} must be a positive number of seconds, not {other}"
        ))),
    }
}

/// The smallest result cap that still leaves room for a truncation marker in valid JSON.
const MIN_RESULT_BYTES: usize = 32;

pub(super) fn result_cap(limit: Option<usize>, what: &str) -> PyResult<Option<usize>> {
    match limit {
        Some(bytes) if bytes < MIN_RESULT_BYTES => Err(PyValueError::new_err(format!(
            "{what} must be at least {MIN_RESULT_BYTES} bytes (or None for no cap), not {bytes}"
        ))),
        other => Ok(other),
    }
}

pub(super) fn cap(limit: Option<usize>, what: &str) -> PyResult<Option<Arc<Semaphore>>> {
    engine::cap(limit).map_err(|ZeroCap| PyValueError::new_err(format!("{what} must be at least 1")))
}

/// `retry=` accepts a `Retry`, a number of attempts, or None/False.
pub(super) fn retry_option(retry: Option<&Bound<'_, PyAny>>) -> PyResult<Option<RetryPolicy>> {
    let Some(retry) = retry else { return Ok(None) };
    if retry.is_none() {
        return Ok(None);
    }
    if let Ok(retry) = retry.cast::<PyRetry>() {
        return Ok(Some(retry.get().policy().clone()));
    }
    if let Ok(flag) = retry.cast::<pyo3::types::PyBool>() {
        return Ok(Some(if flag.is_true() {
            RetryPolicy::default()
        } else {
            RetryPolicy::none()
        }));
    }
    if let Ok(attempts) = retry.extract::<u32>() {
        return Ok(Some(RetryPolicy {
            attempts: attempts.max(1),
            ..RetryPolicy::default()
        }));
    }
    Err(PyTypeError::new_err(
        "retry must be a toolproof.Retry, a number of attempts, or None",
    ))
}
