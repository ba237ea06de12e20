//! The engine: a batch of tool calls in, exactly one result per call id out, in call order.
//!
//! ```text
//! prepare (caller's thread, GIL)   lookup ─ duplicate ids ─ argument road ─ authorize
//! execute (tokio, no GIL)          caps ─ attempt (worker thread | event-loop task) ─ timeout ─ retry
//! finish  (GIL)                    results in call order ─ metrics
//! ```
//!
//! Whatever fails on the way (unknown tool, bad arguments, denial, a crash, a timeout, an
//! unserializable result, a cancelled batch), the call still gets its result; a failure never
//! touches its siblings.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::args::conform::Mode;
use crate::args::ending::Ending;
use crate::args::record::RepairKind;
use crate::dispatch::metrics::{CallRecord, Metrics};
use crate::dispatch::retry::RetryPolicy;
use crate::py::call::{PyToolCall, PyToolResult};
use crate::py::convert::map_to_py;
use crate::py::errors::guarded;
use crate::py::event_loop::{first_step, FirstStep, LoopBridge, TaskHandle};
use crate::py::execute::{Attempt, FailureKind, Invocation};
use crate::py::lifecycle::attach_alive;
use crate::py::loop_future::spawn_for_loop;
use crate::py::metrics::PyMetrics;
use crate::py::retry::PyRetry;
use crate::py::road::{parse_mode, PyArgumentRoad, PyRepair};
use crate::py::workers::WorkerPool;
use crate::schema::shape::normalize_name;

mod authorize;
mod eager_start;
mod observe;

use authorize::Verdict;
use observe::Observer;

/// One tool as the engine runs it.
struct ToolEntry {
    name: Py<PyString>,
    name_text: String,
    road: Py<PyArgumentRoad>,
    func: Py<PyAny>,
    is_async: bool,
    /// `plan.arguments(dict) -> (args, kwargs)`, when some parameter needs converting.
    plan: Option<Py<PyAny>>,
    /// Parameters that receive the call's `CallContext`.
    injected: Vec<Py<PyString>>,
    authorize: Option<Py<PyAny>>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    cap: Option<Arc<Semaphore>>,
    max_result_bytes: Option<Option<usize>>,
}

struct EngineCore {
    tools: Vec<ToolEntry>,
    by_name: HashMap<String, usize>,
    authorize: Option<Py<PyAny>>,
    cap: Option<Arc<Semaphore>>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    max_result_bytes: Option<usize>,
    metrics: Arc<Metrics>,
}

/// Options of one dispatch.
struct BatchOptions {
    cap: Option<Arc<Semaphore>>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    mode: Mode,
    observer: Option<Arc<Observer>>,
}

/// A call that passed preparation and waits to run.
struct Pending {
    slot: usize,
    tool: usize,
    invocation: Arc<Invocation>,
    /// Its first attempt, when `adispatch` began it on the caller's thread (see `eager_start`).
    head_start: Option<HeadStart>,
}

/// The first attempt of a call that `adispatch` started before handing the batch to the engine.
enum HeadStart {
    /// It finished there, with a failure worth another attempt.
    Settled { attempt: Attempt, started: Instant },
    /// It waits on something as a task on the loop, holding the concurrency slots it took.
    Running {
        receive: oneshot::Receiver<Attempt>,
        handle: Arc<TaskHandle>,
        permits: Vec<OwnedSemaphorePermit>,
        started: Instant,
    },
}

/// What the caller's thread knows about every call, in call order.
struct Prepared {
    call_ids: Vec<Py<PyString>>,
    names: Vec<Py<PyString>>,
    /// Results settled during preparation (unknown tool, bad arguments, denial, duplicate id).
    settled: Vec<Option<PyToolResult>>,
    repairs: Vec<Vec<Py<PyRepair>>>,
    repair_kinds: Vec<Vec<RepairKind>>,
    argument_bytes: Vec<usize>,
    /// How long preparing each call took: the whole latency of one settled there.
    preparation: Vec<Duration>,
    pending: Vec<Pending>,
    /// Calls whose authorization hook answered with an awaitable, with it (`adispatch` only).
    awaiting: Vec<(Pending, Py<PyAny>)>,
    observer: Option<Arc<Observer>>,
}

struct CallOutcome {
    attempt: Attempt,
    attempts: u32,
    elapsed: Duration,
    timed_out: bool,
    /// Whether the batch's observer was already told (by the thread that settled it).
    observed: bool,
}

fn seconds(value: Option<f64>, what: &str) -> PyResult<Option<Duration>> {
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

fn result_cap(limit: Option<usize>, what: &str) -> PyResult<Option<usize>> {
    match limit {
        Some(bytes) if bytes < MIN_RESULT_BYTES => Err(PyValueError::new_err(format!(
            "{what} must be at least {MIN_RESULT_BYTES} bytes (or None for no cap), not {bytes}"
        ))),
        other => Ok(other),
    }
}

fn cap(limit: Option<usize>, what: &str) -> PyResult<Option<Arc<Semaphore>>> {
    match limit {
        None => Ok(None),
        Some(0) => Err(PyValueError::new_err(format!("{what} must be at least 1"))),
        Some(n) => Ok(Some(Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS))))),
    }
}

/// `retry=` accepts a `Retry`, a number of attempts, or None/False.
fn retry_option(retry: Option<&Bound<'_, PyAny>>) -> PyResult<Option<RetryPolicy>> {
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

fn context_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static CALL_CONTEXT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    CALL_CONTEXT.import(py, "toolproof.context", "CallContext")
}

/// The dispatch engine of a `Registry`: compiled once from its tools, shared by every dispatch.
#[pyclass(frozen, module = "toolproof._core", name = "Engine")]
pub struct PyEngine {
    core: Arc<EngineCore>,
}

#[pymethods]
impl PyEngine {
    #[new]
    #[pyo3(signature = (tools, *, metrics, authorize = None, max_concurrency = None, timeout = None, retry = None, max_result_bytes = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        tools: &Bound<'_, PyList>,
        metrics: &Bound<'_, PyMetrics>,
        authorize: Option<Py<PyAny>>,
        max_concurrency: Option<usize>,
        timeout: Option<f64>,
        retry: Option<&Bound<'_, PyAny>>,
        max_result_bytes: Option<usize>,
    ) -> PyResult<Self> {
        let mut entries = Vec::with_capacity(tools.len());
        let mut by_name = HashMap::new();
        for (index, spec) in tools.iter().enumerate() {
            let spec = spec.cast::<PyDict>()?;
            let get = |key: &str| -> PyResult<Bound<'_, PyAny>> {
                spec.get_item(key)?
                    .ok_or_else(|| PyValueError::new_err(format!("tool spec {index} has no '{key}'")))
            };
            let name: Bound<'_, PyString> = get("name")?.cast_into()?;
            let name_text = name.to_str()?.to_owned();
            let optional = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
                Ok(spec.get_item(key)?.filter(|value| !value.is_none()))
            };
            let entry = ToolEntry {
                road: get("road")?.cast_into::<PyArgumentRoad>()?.unbind(),
                func: get("func")?.unbind(),
                is_async: get("is_async")?.is_truthy()?,
                plan: optional("plan")?.map(Bound::unbind),
                injected: match optional("injected")? {
                    Some(names) => names.extract::<Vec<Py<PyString>>>()?,
                    None => Vec::new(),
                },
                authorize: optional("authorize")?.map(Bound::unbind),
                timeout: seconds(optional("timeout")?.map(|t| t.extract()).transpose()?, "timeout")?,
                retry: retry_option(optional("retry")?.as_ref())?,
                cap: cap(
                    optional("max_concurrency")?.map(|n| n.extract()).transpose()?,
                    "max_concurrency",
                )?,
                max_result_bytes: match spec.get_item("max_result_bytes")? {
                    None => None,
                    Some(value) => Some(result_cap(value.extract::<Option<usize>>()?, "max_result_bytes")?),
                },
                name: name.unbind(),
                name_text: name_text.clone(),
            };
            if by_name.insert(name_text.clone(), entries.len()).is_some() {
                return Err(PyValueError::new_err(format!("two tools are named '{name_text}'")));
            }
            entries.push(entry);
        }
        Ok(PyEngine {
            core: Arc::new(EngineCore {
                tools: entries,
                by_name,
                authorize,
                cap: cap(max_concurrency, "max_concurrency")?,
                timeout: seconds(timeout, "timeout")?,
                retry: retry_option(retry)?,
                max_result_bytes: result_cap(max_result_bytes, "max_result_bytes")?,
                metrics: metrics.get().shared(),
            }),
        })
    }

    /// Run a batch and wait for it with the GIL released; async tools run on `event_loop`.
    #[pyo3(signature = (calls, *, event_loop = None, max_concurrency = None, timeout = None, retry = None, context = None, mode = "lenient", observer = None))]
    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &self,
        py: Python<'_>,
        calls: &Bound<'_, PyAny>,
        event_loop: Option<Py<PyAny>>,
        max_concurrency: Option<usize>,
        timeout: Option<f64>,
        retry: Option<&Bound<'_, PyAny>>,
        context: Option<Py<PyAny>>,
        mode: &str,
        observer: Option<Py<PyAny>>,
    ) -> PyResult<Vec<Py<PyToolResult>>> {
        let options = self.options(py, max_concurrency, timeout, retry, mode, observer)?;
        let mut prepared = guarded(|| self.prepare(py, calls, &options, context.as_ref(), false))?;
        let pending = std::mem::take(&mut prepared.pending);
        let bridge = match event_loop {
            Some(event_loop) if pending.iter().any(|p| self.core.tools[p.tool].is_async) => {
                let context = py.import("contextvars")?.call_method0("copy_context")?.unbind();
                Some(LoopBridge::new(event_loop, context))
            }
            _ => None,
        };
        let core = Arc::clone(&self.core);
        let watch_signals = on_main_thread(py);
        let running = execute(core, pending, bridge, options);
        let outcomes =
            py.detach(|| pyo3_async_runtimes::tokio::get_runtime().block_on(interruptible(running, watch_signals)))?;
        finish(py, &self.core, prepared, outcomes)
    }

    /// Run a batch on the running event loop; an awaitable of the results.
    #[pyo3(signature = (calls, *, max_concurrency = None, timeout = None, retry = None, context = None, mode = "lenient", observer = None))]
    #[allow(clippy::too_many_arguments)]
    fn adispatch<'py>(
        &self,
        py: Python<'py>,
        calls: &Bound<'py, PyAny>,
        max_concurrency: Option<usize>,
        timeout: Option<f64>,
        retry: Option<&Bound<'py, PyAny>>,
        context: Option<Py<PyAny>>,
        mode: &str,
        observer: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = self.options(py, max_concurrency, timeout, retry, mode, observer)?;
        let prepared = guarded(|| self.prepare(py, calls, &options, context.as_ref(), true))?;
        if prepared.awaiting.is_empty() {
            return launch(py, &self.core, prepared, options);
        }
        // Some hooks answered with awaitables: await them all on this loop, then go on.
        static AUTHORIZED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let awaitables: Vec<Py<PyAny>> = prepared
            .awaiting
            .iter()
            .map(|(_, awaitable)| awaitable.clone_ref(py))
            .collect();
        let batch = Authorizing {
            core: Arc::clone(&self.core),
            state: Mutex::new(Some((prepared, options))),
        };
        AUTHORIZED
            .import(py, "toolproof._authorize", "authorized")?
            .call1((Py::new(py, batch)?, awaitables))
    }

    /// Run one call of a synchronous tool on this thread, as `dispatch` would run it (arguments,
    /// authorization, retries, encoding, metrics), without crossing threads: for framework
    /// adapters invoking one tool at a time. A timeout needs another thread, so a call with one
    /// (or an async tool) is refused here; `dispatch` and `adispatch` take those.
    #[pyo3(signature = (call, *, retry = None, context = None, mode = "lenient", observer = None))]
    fn call(
        &self,
        py: Python<'_>,
        call: &Bound<'_, PyToolCall>,
        retry: Option<&Bound<'_, PyAny>>,
        context: Option<Py<PyAny>>,
        mode: &str,
        observer: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyToolResult>> {
        let options = self.options(py, None, None, retry, mode, observer)?;
        let calls = PyList::new(py, [call])?;
        let mut prepared = guarded(|| self.prepare(py, calls.as_any(), &options, context.as_ref(), false))?;
        let pending = std::mem::take(&mut prepared.pending);
        let mut outcomes = Vec::with_capacity(1);
        for call in pending {
            let tool = &self.core.tools[call.tool];
            if tool.is_async || options.timeout.or(tool.timeout).or(self.core.timeout).is_some() {
                return Err(PyValueError::new_err(format!(
                    "tool '{}' is async or has a timeout: run it with dispatch or adispatch",
                    tool.name_text
                )));
            }
            let policy = retry_policy(&self.core, tool, &options);
            outcomes.push((call.slot, run_inline(py, &call, &policy, options.observer.as_deref())));
        }
        let mut results = finish(py, &self.core, prepared, outcomes)?;
        Ok(results.remove(0))
    }

    /// Start one call of an async tool on the running loop's current task: prepared, then run
    /// eagerly to its first suspension. Returns its `ToolResult` when it finished there (most
    /// do), or a `PendingCall` whose `rest` the caller awaits and then settles with `finish` or
    /// `fail`. No thread is crossed. Timeouts and retries need the engine: use `adispatch`.
    #[pyo3(signature = (call, *, context = None, mode = "lenient", observer = None))]
    fn start(
        &self,
        py: Python<'_>,
        call: &Bound<'_, PyToolCall>,
        context: Option<Py<PyAny>>,
        mode: &str,
        observer: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let options = self.options(py, None, None, None, mode, observer)?;
        let calls = PyList::new(py, [call])?;
        let mut prepared = guarded(|| self.prepare(py, calls.as_any(), &options, context.as_ref(), false))?;
        let Some(pending) = prepared.pending.pop() else {
            return Ok(finish(py, &self.core, prepared, Vec::new())?.remove(0).into_any());
        };
        let tool = &self.core.tools[pending.tool];
        if !tool.is_async {
            return Err(PyValueError::new_err(format!(
                "tool '{}' is not async: run it with call (or dispatch)",
                tool.name_text
            )));
        }
        let started = Instant::now();
        let attempt = match first_step(py, &pending.invocation) {
            FirstStep::Settled(attempt) => attempt,
            FirstStep::Waiting(rest) => {
                let waiting = PendingCall {
                    core: Arc::clone(&self.core),
                    state: Mutex::new(Some((prepared, pending))),
                    rest: rest.unbind(),
                    started,
                };
                return Ok(Py::new(py, waiting)?.into_any());
            }
        };
        let outcome = CallOutcome {
            attempt,
            attempts: 1,
            elapsed: started.elapsed(),
            timed_out: false,
            observed: false,
        };
        Ok(finish(py, &self.core, prepared, vec![(pending.slot, outcome)])?
            .remove(0)
            .into_any())
    }

    /// The names of the tools, in registration order.
    #[getter]
    fn names(&self, py: Python<'_>) -> Vec<Py<PyString>> {
        self.core.tools.iter().map(|tool| tool.name.clone_ref(py)).collect()
    }
}

impl PyEngine {
    fn options(
        &self,
        py: Python<'_>,
        max_concurrency: Option<usize>,
        timeout: Option<f64>,
        retry: Option<&Bound<'_, PyAny>>,
        mode: &str,
        observer: Option<Py<PyAny>>,
    ) -> PyResult<BatchOptions> {
        Ok(BatchOptions {
            cap: cap(max_concurrency, "max_concurrency")?,
            timeout: seconds(timeout, "timeout")?,
            retry: retry_option(retry)?,
            mode: parse_mode(mode)?,
            observer: Observer::new(py, observer)?,
        })
    }

    fn prepare(
        &self,
        py: Python<'_>,
        calls: &Bound<'_, PyAny>,
        options: &BatchOptions,
        context: Option<&Py<PyAny>>,
        defer_awaitable: bool,
    ) -> PyResult<Prepared> {
        let core = &*self.core;
        let count = calls.len().unwrap_or(0);
        let mut prepared = Prepared {
            call_ids: Vec::with_capacity(count),
            names: Vec::with_capacity(count),
            settled: Vec::with_capacity(count),
            repairs: Vec::with_capacity(count),
            repair_kinds: Vec::with_capacity(count),
            argument_bytes: Vec::with_capacity(count),
            preparation: Vec::with_capacity(count),
            pending: Vec::with_capacity(count),
            awaiting: Vec::new(),
            observer: options.observer.clone(),
        };
        let mut seen: HashSet<String> = HashSet::with_capacity(count);
        for (slot, call) in calls.try_iter()?.enumerate() {
            let began = Instant::now();
            let call = call?;
            let call = call.cast::<PyToolCall>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "calls must be toolproof.ToolCall objects (toolproof.to_tool_calls converts provider formats), not {}",
                    crate::py::convert::type_name(&call)
                ))
            })?;
            let fields = call.get();
            let name = fields.name.bind(py);
            let raw = fields.arguments.bind(py);
            prepared.call_ids.push(fields.id.clone_ref(py));
            prepared.names.push(name.clone().unbind());
            prepared.argument_bytes.push(
                raw.cast::<PyString>()
                    .map_or(0, |text| text.to_str().map_or(0, str::len)),
            );
            prepared.repairs.push(Vec::new());
            prepared.repair_kinds.push(Vec::new());
            prepared.preparation.push(Duration::ZERO);
            let fail = |code: &str, message: &str| {
                PyToolResult::failure(
                    py,
                    fields.id.clone_ref(py),
                    name.clone().unbind(),
                    code,
                    message,
                    message,
                )
            };
            let settle = |prepared: &mut Prepared, result: PyToolResult| {
                prepared.preparation[slot] = began.elapsed();
                if let Some(observer) = &options.observer {
                    observer.settled(py, slot, &result, prepared.preparation[slot]);
                }
                prepared.settled.push(Some(result));
            };
            // An id or a name that is not valid text (a lone surrogate) fails this call only.
            let Ok(id_text) = fields.id.bind(py).to_str() else {
                let message = format!(
                    "Call id {} is not valid text (it holds a lone surrogate); the call was not run.",
                    escaped(fields.id.bind(py))
                );
                settle(&mut prepared, fail("invalid_arguments", &message)?);
                continue;
            };
            let Ok(name_text) = name.to_str() else {
                let message = format!(
                    "Unknown tool {}: a tool name is valid text (this one holds a lone surrogate).",
                    escaped(name)
                );
                settle(&mut prepared, fail("unknown_tool", &message)?);
                continue;
            };
            if !seen.insert(id_text.to_owned()) {
                let message = format!(
                    "Call id '{id_text}' appears more than once in this batch; it was run once, and this repeat was not."
                );
                settle(&mut prepared, fail("duplicate_call_id", &message)?);
                continue;
            }
            let Some(&tool_index) = core.by_name.get(name_text) else {
                settle(
                    &mut prepared,
                    fail("unknown_tool", &unknown_tool_message(core, name_text))?,
                );
                continue;
            };
            let tool = &core.tools[tool_index];
            let road = tool.road.get();
            let (arguments, repairs, kinds) = match road.fast(py, raw) {
                Some(arguments) => (arguments, Vec::new(), Vec::new()),
                None => match road.run_ending(raw, options.mode, ending_of(py, fields)) {
                    Ok(parsed) => {
                        let repairs = parsed
                            .repairs
                            .iter()
                            .map(|repair| Py::new(py, PyRepair::from_repair(py, repair)?))
                            .collect::<PyResult<Vec<_>>>()?;
                        let kinds = parsed.repairs.iter().map(|repair| repair.kind).collect();
                        (map_to_py(py, parsed.arguments())?.unbind(), repairs, kinds)
                    }
                    Err(errors) => {
                        let text = errors.for_model(Some(&tool.name_text));
                        let mut result = fail("invalid_arguments", &errors.summary())?;
                        result.content = PyString::new(py, &text).unbind();
                        settle(&mut prepared, result);
                        continue;
                    }
                },
            };
            prepared.repairs[slot] = repairs;
            prepared.repair_kinds[slot] = kinds;
            let hook = tool.authorize.as_ref().or(core.authorize.as_ref());
            let hook_call = match hook {
                Some(_) => Some(authorize::call_for_hook(
                    py,
                    &fields.id,
                    &fields.name,
                    arguments.bind(py),
                )?),
                None => None,
            };
            let (args, kwargs) = match call_arguments(py, tool, arguments.bind(py)) {
                Ok(pair) => pair,
                Err(error) => {
                    let (summary, text) = argument_error_texts(py, &error, &tool.name_text);
                    let mut result = fail("invalid_arguments", &summary)?;
                    result.content = PyString::new(py, &text).unbind();
                    settle(&mut prepared, result);
                    continue;
                }
            };
            if !tool.injected.is_empty() {
                let kwargs_dict = kwargs.bind(py);
                let context_value = match context {
                    Some(context) => context.bind(py).clone(),
                    None => py.None().into_bound(py),
                };
                let call_context = context_class(py)?.call1((call, context_value))?;
                for parameter in &tool.injected {
                    kwargs_dict.set_item(parameter.bind(py), &call_context)?;
                }
            }
            let verdict = match (hook, &hook_call) {
                (Some(hook), Some(hook_call)) => authorize::ask(
                    py,
                    hook.bind(py),
                    &tool.name_text,
                    hook_call.as_any(),
                    context,
                    defer_awaitable,
                )?,
                _ => Verdict::Allowed,
            };
            let awaiting = match verdict {
                Verdict::Allowed => None,
                Verdict::Denied(denial) => {
                    settle(&mut prepared, fail("denied", &denial)?);
                    continue;
                }
                Verdict::Awaiting(awaitable) => Some(awaitable),
            };
            prepared.preparation[slot] = began.elapsed();
            prepared.settled.push(None);
            let call = Pending {
                slot,
                tool: tool_index,
                invocation: Arc::new(Invocation {
                    tool: tool.name.clone_ref(py),
                    func: tool.func.clone_ref(py),
                    args,
                    kwargs,
                    max_result_bytes: tool.max_result_bytes.unwrap_or(core.max_result_bytes),
                }),
                head_start: None,
            };
            match awaiting {
                None => prepared.pending.push(call),
                Some(awaitable) => prepared.awaiting.push((call, awaitable)),
            }
        }
        Ok(prepared)
    }
}

/// A string's repr, for text that cannot be shown as it is (lone surrogates become escapes).
fn escaped(text: &Bound<'_, PyString>) -> String {
    text.repr()
        .map_or_else(|_| "'?'".to_owned(), |repr| repr.to_string_lossy().into_owned())
}

fn unknown_tool_message(core: &EngineCore, name: &str) -> String {
    let wanted = normalize_name(name);
    let close = core.tools.iter().find(|tool| normalize_name(&tool.name_text) == wanted);
    let available: Vec<&str> = core.tools.iter().take(30).map(|tool| tool.name_text.as_str()).collect();
    let more = if core.tools.len() > 30 { ", ..." } else { "" };
    if name.is_empty() {
        return format!(
            "The call names no tool. Available tools: {}{more}.",
            available.join(", ")
        );
    }
    match close {
        Some(tool) => format!("Unknown tool '{name}'. Did you mean '{}'?", tool.name_text),
        None => format!(
            "Unknown tool '{name}'. Available tools: {}{more}.",
            available.join(", ")
        ),
    }
}

/// `(args, kwargs)` for the function: the arguments dict itself, or what the call plan makes of it.
fn call_arguments(
    py: Python<'_>,
    tool: &ToolEntry,
    arguments: &Bound<'_, PyDict>,
) -> PyResult<(Py<PyTuple>, Py<PyDict>)> {
    let Some(plan) = &tool.plan else {
        return Ok((PyTuple::empty(py).unbind(), arguments.clone().unbind()));
    };
    let pair = plan
        .bind(py)
        .call_method1(pyo3::intern!(py, "arguments"), (arguments,))?;
    let (args, kwargs): (Bound<'_, PyTuple>, Bound<'_, PyDict>) = pair.extract()?;
    Ok((args.unbind(), kwargs.unbind()))
}

/// The summary and the model's text for an error raised while converting arguments.
fn argument_error_texts(py: Python<'_>, error: &PyErr, tool: &str) -> (String, String) {
    let value = error.value(py);
    let summary = value
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "invalid arguments".to_owned());
    let text = value
        .call_method0(pyo3::intern!(py, "for_model"))
        .and_then(|text| text.extract::<String>())
        .unwrap_or_else(|_| format!("Invalid arguments for tool '{tool}': {summary}"));
    (summary, text)
}

/// Everything that must stop if the dispatch is cancelled while calls are in flight.
struct InFlight {
    bridge: Option<Arc<LoopBridge>>,
    tasks: Mutex<Vec<Arc<TaskHandle>>>,
    abandoned: Mutex<Vec<Arc<AtomicBool>>>,
    finished: AtomicBool,
    /// Per pending call: its tool, and whether it has its outcome (to count the ones cut off).
    tools: Vec<String>,
    settled: Vec<AtomicBool>,
    metrics: Arc<Metrics>,
    started: Instant,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.finished.load(Ordering::Acquire) {
            return;
        }
        for (tool, settled) in self.tools.iter().zip(&self.settled) {
            if !settled.load(Ordering::Acquire) {
                self.metrics.record(&CallRecord {
                    tool,
                    ok: false,
                    error_code: Some("cancelled"),
                    attempts: 0,
                    timed_out: false,
                    repairs: &[],
                    latency: self.started.elapsed(),
                    argument_bytes: 0,
                    result_bytes: 0,
                });
            }
        }
        for flag in self.abandoned.get_mut().unwrap_or_else(|p| p.into_inner()).iter() {
            flag.store(true, Ordering::Release);
        }
        let tasks = std::mem::take(self.tasks.get_mut().unwrap_or_else(|p| p.into_inner()));
        if let (Some(bridge), false) = (&self.bridge, tasks.is_empty()) {
            bridge.cancel_all(&tasks);
        }
    }
}

/// The engine's side of a batch. `InFlight` is made before the first poll, so a batch dropped
/// before it ever ran still cancels the tasks `adispatch` started and counts its calls.
fn execute(
    core: Arc<EngineCore>,
    pending: Vec<Pending>,
    bridge: Option<Arc<LoopBridge>>,
    options: BatchOptions,
) -> impl std::future::Future<Output = Vec<(usize, CallOutcome)>> + Send {
    let started_tasks = pending
        .iter()
        .filter_map(|call| match &call.head_start {
            Some(HeadStart::Running { handle, .. }) => Some(Arc::clone(handle)),
            _ => None,
        })
        .collect();
    let in_flight = InFlight {
        bridge,
        tasks: Mutex::new(started_tasks),
        abandoned: Mutex::new(Vec::new()),
        finished: AtomicBool::new(false),
        tools: pending
            .iter()
            .map(|call| core.tools[call.tool].name_text.clone())
            .collect(),
        settled: pending.iter().map(|_| AtomicBool::new(false)).collect(),
        metrics: Arc::clone(&core.metrics),
        started: Instant::now(),
    };
    async move {
        let (core, options, in_flight) = (&core, &options, &in_flight);
        let runs = pending.into_iter().enumerate().map(|(position, mut call)| async move {
            let head_start = call.head_start.take();
            let mut outcome = run_call(core, &call, head_start, options, in_flight).await;
            in_flight.settled[position].store(true, Ordering::Release);
            if let Some(observer) = &options.observer {
                observer.outcome(None, call.slot, &outcome);
                outcome.observed = true;
            }
            (call.slot, outcome)
        });
        let outcomes = join_all(runs).await;
        in_flight.finished.store(true, Ordering::Release);
        outcomes
    }
}

/// How often a blocking `dispatch` on the main thread looks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Wait for a batch; on the main thread, a signal whose handler raises (`KeyboardInterrupt` on
/// Ctrl-C) ends the wait with that error within `SIGNAL_POLL`. The batch is dropped then: its
/// async tasks are cancelled, and its sync tools are abandoned (their threads run them to the end,
/// their results are discarded), since Python cannot stop a thread.
async fn interruptible<T>(work: impl std::future::Future<Output = T>, watch_signals: bool) -> PyResult<T> {
    if !watch_signals {
        return Ok(work.await);
    }
    tokio::pin!(work);
    loop {
        if let Ok(done) = tokio::time::timeout(SIGNAL_POLL, &mut work).await {
            return Ok(done);
        }
        if let Some(Err(error)) = attach_alive(|py| py.check_signals()) {
            return Err(error);
        }
    }
}

fn on_main_thread(py: Python<'_>) -> bool {
    let check = || -> PyResult<bool> {
        let threading = py.import("threading")?;
        Ok(threading
            .call_method0("current_thread")?
            .is(&threading.call_method0("main_thread")?))
    };
    check().unwrap_or(false)
}

/// The batch's retry policy, else the tool's, else the registry's.
fn retry_policy(core: &EngineCore, tool: &ToolEntry, options: &BatchOptions) -> RetryPolicy {
    options
        .retry
        .clone()
        .or_else(|| tool.retry.clone())
        .or_else(|| core.retry.clone())
        .unwrap_or_else(RetryPolicy::none)
}

async fn acquire(cap: &Option<Arc<Semaphore>>) -> Option<OwnedSemaphorePermit> {
    match cap {
        Some(semaphore) => Arc::clone(semaphore).acquire_owned().await.ok(),
        None => None,
    }
}

async fn run_call(
    core: &EngineCore,
    call: &Pending,
    mut head_start: Option<HeadStart>,
    options: &BatchOptions,
    in_flight: &InFlight,
) -> CallOutcome {
    let tool = &core.tools[call.tool];
    let timeout = options.timeout.or(tool.timeout).or(core.timeout);
    let policy = retry_policy(core, tool, options);
    let started = match &head_start {
        Some(HeadStart::Settled { started, .. } | HeadStart::Running { started, .. }) => *started,
        None => Instant::now(),
    };
    let mut attempts = 0;
    let mut timed_out = false;
    loop {
        attempts += 1;
        let attempt = match head_start.take() {
            Some(HeadStart::Settled { attempt, .. }) => attempt,
            Some(HeadStart::Running {
                receive,
                handle,
                permits,
                ..
            }) => {
                let _permits = permits;
                let left = timeout.map(|limit| limit.saturating_sub(started.elapsed()));
                match &in_flight.bridge {
                    Some(bridge) => task_outcome(bridge, &handle, receive, left).await,
                    None => Attempt::Cancelled,
                }
            }
            None => {
                // Held for the attempt only: a call waiting out its backoff takes no slot.
                let _batch = acquire(&options.cap).await;
                let _registry = acquire(&core.cap).await;
                let _tool = acquire(&tool.cap).await;
                if tool.is_async {
                    run_async(core, call, timeout, in_flight).await
                } else {
                    run_sync(core, call, timeout, in_flight).await
                }
            }
        };
        timed_out |= matches!(attempt, Attempt::TimedOut);
        if attempt.is_retryable(tool.is_async) {
            let asked = match &attempt {
                Attempt::Failed { retry_after, .. } => *retry_after,
                _ => None,
            };
            let wait = policy.delay(attempts, fastrand::f64(), asked);
            if policy.allows(attempts, started.elapsed(), wait) {
                if let Some(observer) = &options.observer {
                    observer.retrying(None, call.slot, attempts, wait, &attempt);
                }
                tokio::time::sleep(wait).await;
                continue;
            }
        }
        return CallOutcome {
            attempt,
            attempts,
            elapsed: started.elapsed(),
            timed_out,
            observed: false,
        };
    }
}

/// Start a prepared batch on the running loop (see `adispatch`); an awaitable of its results.
fn launch<'py>(
    py: Python<'py>,
    core: &Arc<EngineCore>,
    mut prepared: Prepared,
    options: BatchOptions,
) -> PyResult<Bound<'py, PyAny>> {
    let pending = std::mem::take(&mut prepared.pending);
    let locals = pyo3_async_runtimes::tokio::get_current_locals(py)?;
    let event_loop = locals.event_loop(py);
    let bridge = LoopBridge::new(event_loop.clone().unbind(), locals.context(py).unbind());
    let (finished, pending) = eager_start::start_eagerly(py, core, &options, &bridge, pending);
    if pending.is_empty() {
        // Every call finished where it started: no thread to cross, no task to wait for.
        let results = finish(py, core, prepared, finished)?;
        let done = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
        done.call_method1(pyo3::intern!(py, "set_result"), (results,))?;
        return Ok(done);
    }
    let core = Arc::clone(core);
    let running = execute(Arc::clone(&core), pending, Some(bridge), options);
    spawn_for_loop(py, &event_loop, running, move |py, mut outcomes| {
        outcomes.extend(finished);
        Ok(finish(py, &core, prepared, outcomes)?
            .into_pyobject(py)?
            .into_any()
            .unbind())
    })
}

/// A batch of `adispatch` waiting for its awaitable authorization verdicts.
#[pyclass(frozen, module = "toolproof._core", name = "Authorizing")]
pub struct Authorizing {
    core: Arc<EngineCore>,
    state: Mutex<Option<(Prepared, BatchOptions)>>,
}

#[pymethods]
impl Authorizing {
    /// Apply the verdicts (in the order of the awaitables) and start the batch: an awaitable of
    /// its results.
    fn proceed<'py>(&self, py: Python<'py>, verdicts: Vec<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let taken = self.state.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some((mut prepared, options)) = taken else {
            return Err(PyValueError::new_err("this batch was already started"));
        };
        let awaiting = std::mem::take(&mut prepared.awaiting);
        if verdicts.len() != awaiting.len() {
            return Err(PyValueError::new_err("one verdict per awaited hook is needed"));
        }
        for ((call, _), verdict) in awaiting.into_iter().zip(verdicts) {
            let tool = &self.core.tools[call.tool];
            match authorize::judge(py, &tool.name_text, &verdict) {
                None => prepared.pending.push(call),
                Some(denial) => {
                    let slot = call.slot;
                    let result = PyToolResult::failure(
                        py,
                        prepared.call_ids[slot].clone_ref(py),
                        prepared.names[slot].clone_ref(py),
                        "denied",
                        &denial,
                        &denial,
                    )?;
                    if let Some(observer) = &prepared.observer {
                        observer.settled(py, slot, &result, prepared.preparation[slot]);
                    }
                    prepared.settled[slot] = Some(result);
                }
            }
        }
        launch(py, &self.core, prepared, options)
    }
}

/// An async call `Engine.start` began that is waiting on something: its caller awaits `rest` on
/// its own task, then settles the call with what came of it.
#[pyclass(frozen, module = "toolproof._core", name = "PendingCall")]
pub struct PendingCall {
    core: Arc<EngineCore>,
    state: Mutex<Option<(Prepared, Pending)>>,
    rest: Py<PyAny>,
    started: Instant,
}

#[pymethods]
impl PendingCall {
    /// The rest of the tool's coroutine, to await.
    #[getter]
    fn rest(&self, py: Python<'_>) -> Py<PyAny> {
        self.rest.clone_ref(py)
    }

    /// The result, from the value the coroutine returned.
    fn finish(&self, py: Python<'_>, returned: &Bound<'_, PyAny>) -> PyResult<Py<PyToolResult>> {
        self.settle(py, |invocation| invocation.settle_returned(py, returned))
    }

    /// The result, from the exception the coroutine raised.
    fn fail(&self, py: Python<'_>, error: &Bound<'_, PyAny>) -> PyResult<Py<PyToolResult>> {
        self.settle(py, |invocation| invocation.settle_raised(py, error))
    }
}

impl PendingCall {
    fn settle(&self, py: Python<'_>, attempt: impl FnOnce(&Invocation) -> Attempt) -> PyResult<Py<PyToolResult>> {
        let taken = self.state.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some((prepared, pending)) = taken else {
            return Err(PyValueError::new_err("this call was already settled"));
        };
        let outcome = CallOutcome {
            attempt: attempt(&pending.invocation),
            attempts: 1,
            elapsed: self.started.elapsed(),
            timed_out: false,
            observed: false,
        };
        Ok(finish(py, &self.core, prepared, vec![(pending.slot, outcome)])?.remove(0))
    }
}

/// All attempts of one sync call on the calling thread; the GIL is let go while waiting to retry.
fn run_inline(py: Python<'_>, call: &Pending, policy: &RetryPolicy, observer: Option<&Observer>) -> CallOutcome {
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let attempt = call.invocation.run_sync(py);
        if attempt.is_retryable(false) {
            let asked = match &attempt {
                Attempt::Failed { retry_after, .. } => *retry_after,
                _ => None,
            };
            let wait = policy.delay(attempts, fastrand::f64(), asked);
            if policy.allows(attempts, started.elapsed(), wait) {
                if let Some(observer) = observer {
                    observer.retrying(Some(py), call.slot, attempts, wait, &attempt);
                }
                py.detach(|| std::thread::sleep(wait));
                continue;
            }
        }
        return CallOutcome {
            attempt,
            attempts,
            elapsed: started.elapsed(),
            timed_out: false,
            observed: false,
        };
    }
}

async fn within<T>(timeout: Option<Duration>, work: impl std::future::Future<Output = T>) -> Option<T> {
    match timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.ok(),
        None => Some(work.await),
    }
}

async fn run_sync(core: &EngineCore, call: &Pending, timeout: Option<Duration>, in_flight: &InFlight) -> Attempt {
    let (reply, receive) = tokio::sync::oneshot::channel();
    let abandoned = Arc::new(AtomicBool::new(false));
    in_flight
        .abandoned
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Arc::clone(&abandoned));
    let invocation = Arc::clone(&call.invocation);
    let metrics = Arc::clone(&core.metrics);
    let tool_name = core.tools[call.tool].name_text.clone();
    let flag = Arc::clone(&abandoned);
    WorkerPool::shared().submit(Box::new(move |py| {
        if flag.load(Ordering::Acquire) {
            // Timed out (or cancelled) while queued: never started, so no side effect happened.
            return;
        }
        let attempt = invocation.run_sync(py);
        if flag.load(Ordering::Acquire) {
            metrics.record_late_result(&tool_name);
            drop(attempt);
            return;
        }
        let _ = reply.send(attempt);
    }));
    match within(timeout, receive).await {
        Some(Ok(attempt)) => attempt,
        Some(Err(_)) => Attempt::failed(
            FailureKind::Unexpected,
            "internal_error",
            "The worker running the tool stopped.",
        ),
        None => {
            abandoned.store(true, Ordering::Release);
            Attempt::TimedOut
        }
    }
}

async fn run_async(core: &EngineCore, call: &Pending, timeout: Option<Duration>, in_flight: &InFlight) -> Attempt {
    let Some(bridge) = &in_flight.bridge else {
        let tool = &core.tools[call.tool].name_text;
        return Attempt::failed(
            FailureKind::Permanent,
            "internal_error",
            format!("Tool '{tool}' is async and no event loop was given to run it."),
        );
    };
    let (reply, receive) = oneshot::channel();
    let handle = bridge.start(
        Arc::clone(&call.invocation),
        Box::new(move |attempt| {
            let _ = reply.send(attempt);
        }),
    );
    in_flight
        .tasks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Arc::clone(&handle));
    task_outcome(bridge, &handle, receive, timeout).await
}

/// What a task on the loop came to, or a timeout (which cancels it).
async fn task_outcome(
    bridge: &LoopBridge,
    handle: &TaskHandle,
    receive: oneshot::Receiver<Attempt>,
    timeout: Option<Duration>,
) -> Attempt {
    match within(timeout, receive).await {
        Some(Ok(attempt)) => attempt,
        Some(Err(_)) => Attempt::Cancelled,
        None => {
            bridge.cancel(handle);
            Attempt::TimedOut
        }
    }
}

fn finish(
    py: Python<'_>,
    core: &EngineCore,
    prepared: Prepared,
    outcomes: Vec<(usize, CallOutcome)>,
) -> PyResult<Vec<Py<PyToolResult>>> {
    let Prepared {
        call_ids,
        names,
        mut settled,
        repairs,
        repair_kinds,
        argument_bytes,
        preparation,
        observer,
        ..
    } = prepared;
    let mut by_slot: Vec<Option<CallOutcome>> = (0..call_ids.len()).map(|_| None).collect();
    for (slot, outcome) in outcomes {
        by_slot[slot] = Some(outcome);
    }
    let mut results = Vec::with_capacity(call_ids.len());
    for (slot, (repairs, kinds)) in repairs.into_iter().zip(repair_kinds).enumerate() {
        let name = names[slot].bind(py);
        let name_text = name.to_string_lossy();
        let name_text = name_text.as_ref();
        let result = match (settled[slot].take(), by_slot[slot].take()) {
            (Some(result), _) => {
                let code = result.error_code(py);
                core.metrics.record(&CallRecord {
                    tool: name_text,
                    ok: false,
                    error_code: code.as_deref(),
                    attempts: 0,
                    timed_out: false,
                    repairs: &kinds,
                    latency: preparation[slot],
                    argument_bytes: argument_bytes[slot],
                    result_bytes: 0,
                });
                PyToolResult {
                    repairs,
                    elapsed: preparation[slot].as_secs_f64(),
                    ..result
                }
            }
            (None, Some(outcome)) => {
                if let (Some(observer), false) = (&observer, outcome.observed) {
                    observer.outcome(Some(py), slot, &outcome);
                }
                let timed_out = outcome.timed_out;
                let result = result_of(py, call_ids[slot].clone_ref(py), name, outcome, repairs)?;
                core.metrics.record(&CallRecord {
                    tool: name_text,
                    ok: result.ok,
                    error_code: result.error_code(py).as_deref(),
                    attempts: result.attempts,
                    timed_out,
                    repairs: &kinds,
                    latency: preparation[slot] + Duration::try_from_secs_f64(result.elapsed).unwrap_or_default(),
                    argument_bytes: argument_bytes[slot],
                    result_bytes: if result.ok {
                        result.content.bind(py).to_str()?.len()
                    } else {
                        0
                    },
                });
                result
            }
            (None, None) => {
                let result = PyToolResult::failure(
                    py,
                    call_ids[slot].clone_ref(py),
                    name.clone().unbind(),
                    "cancelled",
                    "the call was not run",
                    "The call was not run because the batch was cancelled.",
                )?;
                if let Some(observer) = &observer {
                    observer.settled(py, slot, &result, Duration::ZERO);
                }
                result
            }
        };
        results.push(Py::new(py, result)?);
    }
    Ok(results)
}

fn result_of(
    py: Python<'_>,
    call_id: Py<PyString>,
    name: &Bound<'_, PyString>,
    outcome: CallOutcome,
    repairs: Vec<Py<PyRepair>>,
) -> PyResult<PyToolResult> {
    let CallOutcome {
        attempt,
        attempts,
        elapsed,
        ..
    } = outcome;
    let tries = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    let mut result = match attempt {
        Attempt::Returned {
            content,
            output,
            truncation,
        } => {
            let truncated = match truncation {
                Some(cut) => {
                    let info = PyDict::new(py);
                    info.set_item("original_bytes", cut.original_bytes)?;
                    info.set_item("kept_bytes", cut.kept_bytes)?;
                    Some(info.unbind())
                }
                None => None,
            };
            PyToolResult {
                call_id,
                name: name.clone().unbind(),
                ok: true,
                content: PyString::new(py, &content).unbind(),
                error: None,
                attempts,
                repairs: Vec::new(),
                elapsed: 0.0,
                output,
                truncated,
                exception: None,
            }
        }
        Attempt::Failed {
            code,
            message,
            exception,
            ..
        } => {
            let text = format!("{message}{tries}");
            let mut failed = PyToolResult::failure(py, call_id, name.clone().unbind(), &code, &text, &text)?;
            failed.exception = exception;
            failed
        }
        Attempt::TimedOut => {
            let text = format!("Tool '{name}' did not finish in time{tries}.");
            PyToolResult::failure(py, call_id, name.clone().unbind(), "timeout", &text, &text)?
        }
        Attempt::Cancelled => {
            let text = format!("Tool '{name}' was cancelled.");
            PyToolResult::failure(py, call_id, name.clone().unbind(), "cancelled", &text, &text)?
        }
    };
    result.attempts = attempts;
    result.elapsed = elapsed.as_secs_f64();
    result.repairs = repairs;
    Ok(result)
}

/// How the turn a call came from ended, from the finish reason `to_tool_calls` read onto it.
fn ending_of(py: Python<'_>, call: &PyToolCall) -> Ending {
    call.finish_reason
        .as_ref()
        .and_then(|reason| reason.bind(py).to_str().ok().map(Ending::from_finish_reason))
        .unwrap_or_default()
}
