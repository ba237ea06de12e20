//! Admission's Python face: `CircuitBreaker`, `Guards`, `AdmissionRequest`, `Decision`,
//! `Outcome` and the in-process `LocalCoordinator`. The Redis coordinator builds the same
//! `Decision`s, so the engine reads one type whichever coordinator answers.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::dispatch::admission::breaker::BreakerPolicy;
use crate::dispatch::admission::decision::{Decision, Guards, Outcome, Request, Ticket};
use crate::dispatch::admission::gcra::Rate;
use crate::dispatch::admission::local::LocalCoordinator;
use crate::dispatch::code::ResultCode;

fn seconds(value: f64, what: &str, allow_zero: bool) -> PyResult<f64> {
    if value.is_finite() && (value > 0.0 || (allow_zero && value == 0.0)) {
        Ok(value)
    } else {
        let bound = if allow_zero { "non-negative" } else { "positive" };
        Err(PyValueError::new_err(format!(
            "{what} must be a {bound} number of seconds, not {value}"
        )))
    }
}

/// `toolproof.ResultCode`, the Python face of the codes' one list.
fn result_code(py: Python<'_>, code: ResultCode) -> PyResult<Py<PyAny>> {
    static RESULT_CODE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let class = RESULT_CODE.import(py, "toolproof.codes", "ResultCode")?;
    Ok(class.call1((code.as_str(),))?.unbind())
}

/// After `failures` retryable failures within `window` seconds, calls fail fast with
/// `circuit_open` for `cooldown` seconds; then one probe call runs, and its success closes the
/// circuit.
#[pyclass(frozen, skip_from_py_object, module = "toolproof", name = "CircuitBreaker")]
#[derive(Clone)]
pub struct PyCircuitBreaker {
    policy: BreakerPolicy,
}

#[pymethods]
impl PyCircuitBreaker {
    #[new]
    #[pyo3(signature = (failures = 5, window = 30.0, cooldown = 10.0))]
    fn new(failures: u32, window: f64, cooldown: f64) -> PyResult<Self> {
        if failures == 0 {
            return Err(PyValueError::new_err("failures must be at least 1"));
        }
        Ok(PyCircuitBreaker {
            policy: BreakerPolicy {
                failures,
                window: seconds(window, "window", false)?,
                cooldown: seconds(cooldown, "cooldown", true)?,
            },
        })
    }

    #[getter]
    fn failures(&self) -> u32 {
        self.policy.failures
    }

    #[getter]
    fn window(&self) -> f64 {
        self.policy.window
    }

    #[getter]
    fn cooldown(&self) -> f64 {
        self.policy.cooldown
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Self>()
            .is_ok_and(|other| other.get().policy == self.policy)
    }

    fn __hash__(&self) -> u64 {
        let p = &self.policy;
        u64::from(p.failures) ^ p.window.to_bits().rotate_left(21) ^ p.cooldown.to_bits().rotate_left(42)
    }

    fn __repr__(&self) -> String {
        let p = &self.policy;
        format!(
            "CircuitBreaker(failures={}, window={:?}, cooldown={:?})",
            p.failures, p.window, p.cooldown
        )
    }
}

// The signature below spells the defaults out, so that Python's introspection shows them.
const _: () = assert!(crate::dispatch::admission::idempotency::DEFAULT_TTL == 86400.0);
const _: () = assert!(crate::dispatch::admission::decision::DEFAULT_LEASE == 30.0);

/// The guards of one tool, checked for each of its calls: built once per tool.
#[pyclass(frozen, module = "toolproof", name = "Guards")]
pub struct PyGuards {
    guards: Arc<Guards>,
}

#[pymethods]
impl PyGuards {
    #[new]
    #[pyo3(signature = (tool, *, rate_limit = None, max_wait = 0.0, max_concurrency = None, circuit_breaker = None, cache_ttl = None, idempotency_ttl = 86400.0, lease = 30.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        tool: String,
        rate_limit: Option<&Bound<'_, PyAny>>,
        max_wait: f64,
        max_concurrency: Option<u32>,
        circuit_breaker: Option<PyRef<'_, PyCircuitBreaker>>,
        cache_ttl: Option<f64>,
        idempotency_ttl: f64,
        lease: f64,
    ) -> PyResult<Self> {
        let texts: Vec<String> = match rate_limit {
            None => Vec::new(),
            Some(one) if one.is_instance_of::<pyo3::types::PyString>() => vec![one.extract()?],
            Some(many) => many
                .extract()
                .map_err(|_| PyValueError::new_err("rate_limit must be a text like '50/second' or a list of them"))?,
        };
        let rates = texts
            .iter()
            .map(|text| {
                text.parse::<Rate>()
                    .map_err(|error| PyValueError::new_err(format!("tool '{tool}': {error}")))
            })
            .collect::<PyResult<Vec<_>>>()?;
        if max_concurrency == Some(0) {
            return Err(PyValueError::new_err(format!(
                "tool '{tool}': max_concurrency must be at least 1"
            )));
        }
        Ok(PyGuards {
            guards: Arc::new(Guards {
                rates,
                max_wait: seconds(max_wait, "max_wait", true)?,
                max_concurrency,
                breaker: circuit_breaker.map(|breaker| breaker.policy),
                cache_ttl: cache_ttl.map(|ttl| seconds(ttl, "cache_ttl", false)).transpose()?,
                idempotency_ttl: seconds(idempotency_ttl, "idempotency_ttl", false)?,
                lease: seconds(lease, "lease", false)?,
                tool,
            }),
        })
    }

    #[getter]
    fn tool(&self) -> &str {
        &self.guards.tool
    }

    /// Each rate limit as `(count, period in seconds)`.
    #[getter]
    fn rates(&self) -> Vec<(u32, f64)> {
        self.guards.rates.iter().map(|rate| (rate.count, rate.period)).collect()
    }

    #[getter]
    fn max_wait(&self) -> f64 {
        self.guards.max_wait
    }

    #[getter]
    fn max_concurrency(&self) -> Option<u32> {
        self.guards.max_concurrency
    }

    #[getter]
    fn circuit_breaker(&self) -> Option<PyCircuitBreaker> {
        self.guards.breaker.map(|policy| PyCircuitBreaker { policy })
    }

    #[getter]
    fn cache_ttl(&self) -> Option<f64> {
        self.guards.cache_ttl
    }

    #[getter]
    fn idempotency_ttl(&self) -> f64 {
        self.guards.idempotency_ttl
    }

    #[getter]
    fn lease(&self) -> f64 {
        self.guards.lease
    }

    /// The same guards, wherever they were read from (a `Decision` hands back the guards it was
    /// admitted under): guards are built once per tool, and compared as such.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Self>()
            .is_ok_and(|other| Arc::ptr_eq(&other.get().guards, &self.guards))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.guards) as usize as u64
    }

    fn __repr__(&self) -> String {
        let g = &self.guards;
        let mut text = format!("Guards({:?}", g.tool);
        if !g.rates.is_empty() {
            let rates: Vec<String> = g
                .rates
                .iter()
                .map(|r| format!("'{}/{} s'", r.count, r.period))
                .collect();
            text.push_str(&format!(
                ", rate_limit=[{}], max_wait={:?}",
                rates.join(", "),
                g.max_wait
            ));
        }
        if let Some(cap) = g.max_concurrency {
            text.push_str(&format!(", max_concurrency={cap}"));
        }
        if let Some(p) = g.breaker {
            text.push_str(&format!(
                ", circuit_breaker=CircuitBreaker(failures={}, window={:?}, cooldown={:?})",
                p.failures, p.window, p.cooldown
            ));
        }
        if let Some(ttl) = g.cache_ttl {
            text.push_str(&format!(", cache_ttl={ttl:?}"));
        }
        text + &format!(", lease={:?})", g.lease)
    }
}

/// One call asking to run under its tool's guards.
#[pyclass(frozen, module = "toolproof", name = "AdmissionRequest")]
pub struct PyAdmissionRequest {
    guards: Py<PyGuards>,
    request: Request,
}

#[pymethods]
impl PyAdmissionRequest {
    #[new]
    #[pyo3(signature = (guards, *, cache_key = None, idempotency_key = None, max_wait = None))]
    fn new(
        guards: Bound<'_, PyGuards>,
        cache_key: Option<String>,
        idempotency_key: Option<String>,
        max_wait: Option<f64>,
    ) -> PyResult<Self> {
        let request = Request {
            guards: Arc::clone(&guards.get().guards),
            cache_key,
            idempotency_key,
            max_wait: max_wait.map(|wait| seconds(wait, "max_wait", true)).transpose()?,
        };
        Ok(PyAdmissionRequest {
            guards: guards.unbind(),
            request,
        })
    }

    #[getter]
    fn guards(&self, py: Python<'_>) -> Py<PyGuards> {
        self.guards.clone_ref(py)
    }

    #[getter]
    fn cache_key(&self) -> Option<&str> {
        self.request.cache_key.as_deref()
    }

    #[getter]
    fn idempotency_key(&self) -> Option<&str> {
        self.request.idempotency_key.as_deref()
    }

    /// Seconds this call may still wait for a rate limit.
    #[getter]
    fn max_wait(&self) -> f64 {
        self.request.max_wait()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Admitted,
    Wait,
    Refused,
    Cached,
    Duplicate,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Admitted => "admitted",
            Kind::Wait => "wait",
            Kind::Refused => "refused",
            Kind::Cached => "cached",
            Kind::Duplicate => "duplicate",
        }
    }
}

/// What an admitted call holds until it completes.
struct Held {
    guards: Arc<Guards>,
    token: String,
    leased: bool,
    probe: bool,
    cache_key: Option<String>,
    idempotency_key: Option<String>,
}

/// A coordinator's answer to one request: `kind` is `"admitted"` (run it, then `complete`),
/// `"wait"` (ask again after `retry_after` seconds), `"refused"` (fail it with `code`, and
/// `retry_after` as a hint), `"cached"` or `"duplicate"` (`result` is the JSON text to answer with).
#[pyclass(frozen, module = "toolproof", name = "Decision")]
pub struct PyDecision {
    kind: Kind,
    code: Option<ResultCode>,
    retry_after: Option<f64>,
    result: Option<Arc<str>>,
    held: Option<Held>,
}

impl PyDecision {
    fn from_core(decision: Decision) -> Self {
        let plain = |kind, code, retry_after, result| PyDecision {
            kind,
            code,
            retry_after,
            result,
            held: None,
        };
        match decision {
            Decision::Admitted(ticket) => PyDecision {
                kind: Kind::Admitted,
                code: None,
                retry_after: None,
                result: None,
                held: Some(Held {
                    guards: ticket.guards,
                    token: ticket.token.to_string(),
                    leased: ticket.leased,
                    probe: ticket.probe,
                    cache_key: ticket.cache_key,
                    idempotency_key: ticket.idempotency_key,
                }),
            },
            Decision::Wait { retry_after } => plain(Kind::Wait, None, Some(retry_after), None),
            Decision::Refused { code, retry_after } => plain(Kind::Refused, Some(code), retry_after, None),
            Decision::Cached(result) => plain(Kind::Cached, None, None, Some(result)),
            Decision::Duplicate(result) => plain(Kind::Duplicate, None, None, Some(result)),
        }
    }

    /// The local coordinator's ticket behind an admission; `None` for any other decision or one
    /// made by another coordinator.
    fn ticket(&self) -> Option<Ticket> {
        let held = self.held.as_ref()?;
        Some(Ticket {
            guards: Arc::clone(&held.guards),
            token: held.token.parse().ok()?,
            leased: held.leased,
            probe: held.probe,
            cache_key: held.cache_key.clone(),
            idempotency_key: held.idempotency_key.clone(),
        })
    }
}

#[pymethods]
impl PyDecision {
    /// An admission holding `token` for whatever `leased` (a concurrency slot), `probe` (the
    /// breaker's probe), `cache_key` and `idempotency_key` say.
    #[staticmethod]
    #[pyo3(signature = (guards, token, *, leased = false, probe = false, cache_key = None, idempotency_key = None))]
    fn admitted(
        guards: PyRef<'_, PyGuards>,
        token: String,
        leased: bool,
        probe: bool,
        cache_key: Option<String>,
        idempotency_key: Option<String>,
    ) -> Self {
        PyDecision {
            kind: Kind::Admitted,
            code: None,
            retry_after: None,
            result: None,
            held: Some(Held {
                guards: Arc::clone(&guards.guards),
                token,
                leased,
                probe,
                cache_key,
                idempotency_key,
            }),
        }
    }

    #[staticmethod]
    fn wait(retry_after: f64) -> PyResult<Self> {
        Ok(PyDecision::from_core(Decision::Wait {
            retry_after: seconds(retry_after, "retry_after", true)?,
        }))
    }

    #[staticmethod]
    #[pyo3(signature = (code, retry_after = None))]
    fn refused(code: &Bound<'_, PyAny>, retry_after: Option<f64>) -> PyResult<Self> {
        let name: String = code.str()?.extract()?;
        let name = code
            .getattr("value")
            .and_then(|value| value.extract::<String>())
            .unwrap_or(name);
        let code = ResultCode::from_name(&name)
            .ok_or_else(|| PyValueError::new_err(format!("'{name}' is not a result code")))?;
        Ok(PyDecision::from_core(Decision::Refused {
            code,
            retry_after: retry_after
                .map(|after| seconds(after, "retry_after", true))
                .transpose()?,
        }))
    }

    #[staticmethod]
    fn cached(result: &str) -> Self {
        PyDecision::from_core(Decision::Cached(result.into()))
    }

    #[staticmethod]
    fn duplicate(result: &str) -> Self {
        PyDecision::from_core(Decision::Duplicate(result.into()))
    }

    #[getter]
    fn kind(&self) -> &'static str {
        self.kind.as_str()
    }

    #[getter]
    fn code(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.code.map(|code| result_code(py, code)).transpose()
    }

    #[getter]
    fn retry_after(&self) -> Option<f64> {
        self.retry_after
    }

    #[getter]
    fn result(&self) -> Option<&str> {
        self.result.as_deref()
    }

    #[getter]
    fn tool(&self) -> Option<&str> {
        self.held.as_ref().map(|held| held.guards.tool.as_str())
    }

    #[getter]
    fn guards(&self) -> Option<PyGuards> {
        self.held.as_ref().map(|held| PyGuards {
            guards: Arc::clone(&held.guards),
        })
    }

    #[getter]
    fn token(&self) -> Option<&str> {
        self.held.as_ref().map(|held| held.token.as_str())
    }

    #[getter]
    fn leased(&self) -> bool {
        self.held.as_ref().is_some_and(|held| held.leased)
    }

    #[getter]
    fn probe(&self) -> bool {
        self.held.as_ref().is_some_and(|held| held.probe)
    }

    #[getter]
    fn cache_key(&self) -> Option<&str> {
        self.held.as_ref().and_then(|held| held.cache_key.as_deref())
    }

    #[getter]
    fn idempotency_key(&self) -> Option<&str> {
        self.held.as_ref().and_then(|held| held.idempotency_key.as_deref())
    }

    fn __repr__(&self) -> String {
        let mut text = format!("Decision(kind='{}'", self.kind.as_str());
        if let Some(code) = self.code {
            text.push_str(&format!(", code='{}'", code.as_str()));
        }
        if let Some(after) = self.retry_after {
            text.push_str(&format!(", retry_after={after:.3}"));
        }
        if let Some(held) = &self.held {
            text.push_str(&format!(", tool='{}', token='{}'", held.guards.tool, held.token));
        }
        if let Some(result) = &self.result {
            text.push_str(&format!(", result={result:?}"));
        }
        text + ")"
    }
}

/// How an admitted call ended: `ok`, its result's JSON text (kept for the cache and the
/// idempotency key on success), and whether a failure was retryable (what a breaker counts).
#[pyclass(frozen, module = "toolproof", name = "Outcome")]
pub struct PyOutcome {
    outcome: Outcome,
}

#[pymethods]
impl PyOutcome {
    #[new]
    #[pyo3(signature = (ok, *, result = None, retryable_failure = false))]
    fn new(ok: bool, result: Option<&str>, retryable_failure: bool) -> Self {
        PyOutcome {
            outcome: Outcome {
                ok,
                retryable_failure: !ok && retryable_failure,
                result: result.map(Arc::from),
            },
        }
    }

    #[getter]
    fn ok(&self) -> bool {
        self.outcome.ok
    }

    #[getter]
    fn result(&self) -> Option<&str> {
        self.outcome.result.as_deref()
    }

    #[getter]
    fn retryable_failure(&self) -> bool {
        self.outcome.retryable_failure
    }

    fn __repr__(&self) -> String {
        format!(
            "Outcome(ok={}, retryable_failure={}, result={:?})",
            if self.outcome.ok { "True" } else { "False" },
            if self.outcome.retryable_failure {
                "True"
            } else {
                "False"
            },
            self.outcome.result
        )
    }
}

/// Admission state kept in this process: every guard holds across the threads and event loops
/// of one process, not across processes.
#[pyclass(frozen, module = "toolproof._core", name = "LocalCoordinator")]
pub struct PyLocalCoordinator {
    local: LocalCoordinator,
}

fn tickets(decisions: &[PyRef<'_, PyDecision>]) -> Vec<Ticket> {
    decisions.iter().filter_map(|decision| decision.ticket()).collect()
}

#[pymethods]
impl PyLocalCoordinator {
    #[new]
    fn new() -> Self {
        PyLocalCoordinator {
            local: LocalCoordinator::default(),
        }
    }

    fn admit(&self, py: Python<'_>, requests: Vec<PyRef<'_, PyAdmissionRequest>>) -> PyResult<Vec<Py<PyDecision>>> {
        let requests: Vec<Request> = requests.iter().map(|request| request.request.clone()).collect();
        let decisions = py.detach(|| self.local.admit(&requests));
        decisions
            .into_iter()
            .map(|decision| Py::new(py, PyDecision::from_core(decision)))
            .collect()
    }

    /// Report how admitted calls ended, in the order of `decisions`; decisions other than
    /// admissions are skipped.
    fn complete(
        &self,
        py: Python<'_>,
        decisions: Vec<PyRef<'_, PyDecision>>,
        outcomes: Vec<PyRef<'_, PyOutcome>>,
    ) -> PyResult<()> {
        if decisions.len() != outcomes.len() {
            return Err(PyValueError::new_err(format!(
                "complete needs one outcome per decision: {} decisions, {} outcomes",
                decisions.len(),
                outcomes.len()
            )));
        }
        let finished: Vec<(Ticket, Outcome)> = decisions
            .iter()
            .zip(&outcomes)
            .filter_map(|(decision, outcome)| Some((decision.ticket()?, outcome.outcome.clone())))
            .collect();
        py.detach(|| {
            let pairs: Vec<(&Ticket, &Outcome)> = finished.iter().map(|(t, o)| (t, o)).collect();
            self.local.complete(&pairs);
        });
        Ok(())
    }

    /// Extend the leases of admitted calls still running.
    fn renew(&self, py: Python<'_>, decisions: Vec<PyRef<'_, PyDecision>>) {
        let running = tickets(&decisions);
        py.detach(|| self.local.renew(&running.iter().collect::<Vec<_>>()));
    }

    /// Concurrency slots of `tool` held now.
    fn slots_held(&self, tool: &str) -> usize {
        self.local.slots_held(tool)
    }
}
