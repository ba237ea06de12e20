//! `toolproof.Retry`: how retryable failures are retried.

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::dispatch::retry::RetryPolicy;

fn duration(seconds: f64, what: &str) -> PyResult<Duration> {
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(PyValueError::new_err(format!(
            "{what} must be a non-negative number of seconds, not {seconds}"
        )))
    }
}

/// Exponential backoff with full jitter, for retryable errors only (`RetryableError`,
/// `TimeoutError`, `ConnectionError`, HTTP 429/5xx); `Retry-After` is honoured as a minimum wait.
#[pyclass(frozen, module = "toolproof", name = "Retry")]
pub struct PyRetry {
    policy: RetryPolicy,
}

impl PyRetry {
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }
}

#[pymethods]
impl PyRetry {
    #[new]
    #[pyo3(signature = (attempts = 3, initial_delay = 0.1, max_delay = 10.0, multiplier = 2.0, jitter = true, max_elapsed = None))]
    fn new(
        attempts: u32,
        initial_delay: f64,
        max_delay: f64,
        multiplier: f64,
        jitter: bool,
        max_elapsed: Option<f64>,
    ) -> PyResult<Self> {
        if attempts == 0 {
            return Err(PyValueError::new_err(
                "attempts must be at least 1 (the first try counts)",
            ));
        }
        if !(multiplier.is_finite() && multiplier >= 1.0) {
            return Err(PyValueError::new_err(format!(
                "multiplier must be at least 1, not {multiplier}"
            )));
        }
        Ok(PyRetry {
            policy: RetryPolicy {
                attempts,
                initial_delay: duration(initial_delay, "initial_delay")?,
                max_delay: duration(max_delay, "max_delay")?,
                multiplier,
                jitter,
                max_elapsed: max_elapsed.map(|s| duration(s, "max_elapsed")).transpose()?,
            },
        })
    }

    #[getter]
    fn attempts(&self) -> u32 {
        self.policy.attempts
    }

    #[getter]
    fn initial_delay(&self) -> f64 {
        self.policy.initial_delay.as_secs_f64()
    }

    #[getter]
    fn max_delay(&self) -> f64 {
        self.policy.max_delay.as_secs_f64()
    }

    #[getter]
    fn multiplier(&self) -> f64 {
        self.policy.multiplier
    }

    #[getter]
    fn jitter(&self) -> bool {
        self.policy.jitter
    }

    #[getter]
    fn max_elapsed(&self) -> Option<f64> {
        self.policy.max_elapsed.map(|d| d.as_secs_f64())
    }

    /// The delay bound before retry number `retry` (1 for the first), without jitter.
    fn bound(&self, retry: u32) -> f64 {
        self.policy.bound(retry).as_secs_f64()
    }

    fn __repr__(&self) -> String {
        let p = &self.policy;
        format!(
            "Retry(attempts={}, initial_delay={}, max_delay={}, multiplier={}, jitter={}, max_elapsed={})",
            p.attempts,
            p.initial_delay.as_secs_f64(),
            p.max_delay.as_secs_f64(),
            p.multiplier,
            if p.jitter { "True" } else { "False" },
            p.max_elapsed.map_or("None".to_owned(), |d| d.as_secs_f64().to_string())
        )
    }
}
