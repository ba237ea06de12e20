//! `Metrics`: the counts of every dispatched call, as a dict or as Prometheus text.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::args::record::RepairKind;
use crate::dispatch::metrics::{
    is_valid_metric_prefix, prometheus_text, CallRecord, LatencySnapshot, Metrics, ToolSnapshot,
};

/// The counts of every dispatched call, per tool and in total; safe to share across threads.
///
/// The engine records into it without the GIL; `snapshot()` and `prometheus()` read it.
#[pyclass(frozen, module = "toolproof", name = "Metrics")]
pub struct PyMetrics {
    metrics: Arc<Metrics>,
}

impl PyMetrics {
    /// The counters themselves, for the engine to record into.
    pub fn shared(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }
}

fn latency_to_dict<'py>(py: Python<'py>, latency: &LatencySnapshot) -> PyResult<Bound<'py, PyDict>> {
    let seconds = |duration: Option<Duration>| duration.map(|duration| duration.as_secs_f64());
    let dict = PyDict::new(py);
    dict.set_item("p50", seconds(latency.percentile(0.5)))?;
    dict.set_item("p95", seconds(latency.percentile(0.95)))?;
    dict.set_item("p99", seconds(latency.percentile(0.99)))?;
    dict.set_item("mean", seconds(latency.mean()))?;
    dict.set_item("max", seconds(latency.max()))?;
    Ok(dict)
}

fn tool_to_dict<'py>(py: Python<'py>, tool: &ToolSnapshot) -> PyResult<Bound<'py, PyDict>> {
    let errors = PyDict::new(py);
    for (code, count) in &tool.errors {
        errors.set_item(code, count)?;
    }
    let repairs = PyDict::new(py);
    for (kind, count) in tool.repairs.iter() {
        repairs.set_item(kind.as_str(), count)?;
    }
    let dict = PyDict::new(py);
    dict.set_item("calls", tool.calls)?;
    dict.set_item("successes", tool.successes)?;
    dict.set_item("errors", errors)?;
    dict.set_item("retries", tool.retries)?;
    dict.set_item("timeouts", tool.timeouts)?;
    dict.set_item("late_results_discarded", tool.late_results_discarded)?;
    dict.set_item("repairs", repairs)?;
    dict.set_item("latency", latency_to_dict(py, &tool.latency)?)?;
    dict.set_item("argument_bytes", tool.argument_bytes)?;
    dict.set_item("result_bytes", tool.result_bytes)?;
    Ok(dict)
}

#[pymethods]
impl PyMetrics {
    #[new]
    fn new() -> Self {
        PyMetrics {
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// `{"tools": {name: counts}, "total": counts}`; latencies in seconds, None before any call.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        // Reading takes the counters' lock; engine threads never wait on the GIL, but other
        // Python threads should not wait on that lock.
        let snapshot = py.detach(|| self.metrics.snapshot());
        let tools = PyDict::new(py);
        for (name, tool) in &snapshot.tools {
            tools.set_item(name, tool_to_dict(py, tool)?)?;
        }
        let dict = PyDict::new(py);
        dict.set_item("tools", tools)?;
        dict.set_item("total", tool_to_dict(py, &snapshot.total)?)?;
        Ok(dict)
    }

    /// The counts in the Prometheus text exposition format 0.0.4, metric names starting `prefix_`.
    #[pyo3(signature = (prefix = "toolproof"))]
    fn prometheus(&self, py: Python<'_>, prefix: &str) -> PyResult<String> {
        if !is_valid_metric_prefix(prefix) {
            return Err(PyValueError::new_err(format!(
                "prefix {prefix:?} cannot start a Prometheus metric name; use letters, digits, '_' and ':', \
                 not starting with a digit"
            )));
        }
        Ok(py.detach(|| prometheus_text(&self.metrics.snapshot(), prefix)))
    }

    /// Forgets every count and every tool.
    fn reset(&self, py: Python<'_>) {
        py.detach(|| self.metrics.reset());
    }

    /// Counts one finished call; for tests, and for adapters counting calls made outside the engine.
    #[pyo3(
        name = "_record",
        signature = (tool, ok, error_code = None, attempts = 1, timed_out = false, repairs = Vec::new(),
                     latency = 0.0, argument_bytes = 0, result_bytes = 0)
    )]
    #[allow(clippy::too_many_arguments)]
    fn record_call(
        &self,
        tool: &str,
        ok: bool,
        error_code: Option<&str>,
        attempts: u32,
        timed_out: bool,
        repairs: Vec<String>,
        latency: f64,
        argument_bytes: usize,
        result_bytes: usize,
    ) -> PyResult<()> {
        let repairs = repairs
            .iter()
            .map(|name| {
                RepairKind::from_name(name)
                    .ok_or_else(|| PyValueError::new_err(format!("unknown repair kind {name:?}")))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let latency = Duration::try_from_secs_f64(latency).map_err(|_| {
            PyValueError::new_err(format!(
                "latency must be a finite, non-negative number of seconds, not {latency}"
            ))
        })?;
        self.metrics.record(&CallRecord {
            tool,
            ok,
            error_code,
            attempts,
            timed_out,
            repairs: &repairs,
            latency,
            argument_bytes,
            result_bytes,
        });
        Ok(())
    }
}
