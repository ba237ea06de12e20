//! The dispatch engine's Python face: a batch of tool calls in, exactly one `ToolResult` per
//! call id out, in call order.
//!
//! ```text
//! prepare (caller's thread, GIL)   lookup ─ duplicate ids ─ argument road ─ authorize
//! execute (src/dispatch/engine.rs) caps ─ attempt (worker thread | event-loop task) ─ timeout ─ retry
//! finish  (GIL)                    results in call order ─ metrics
//! ```
//!
//! Whatever fails on the way (unknown tool, bad arguments, denial, a crash, a timeout, an
//! unserializable result, a cancelled batch), the call still gets its result; a failure never
//! touches its siblings. The engine itself is pure Rust; `host` is what runs it on Python.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};

use crate::args::conform::Mode;
use crate::args::ending::Ending;
use crate::args::record::RepairKind;
use crate::dispatch::attempt::Failure;
use crate::dispatch::code::ResultCode;
use crate::dispatch::engine::{self, Host, HostOutcome, Outcome, Planned, STOP_GRACE};
use crate::dispatch::metrics::CallRecord;
use crate::py::call::{PyToolCall, PyToolResult};
use crate::py::convert::map_to_py;
use crate::py::errors::guarded;
use crate::py::event_loop::{first_step, FirstStep, LoopBridge};
use crate::py::execute::{Attempt, Invocation, Returned};
use crate::py::lifecycle::attach_alive;
use crate::py::loop_future::spawn_for_loop;
use crate::py::metrics::PyMetrics;
use crate::py::road::{parse_mode, PyRepair};
use crate::schema::shape::normalize_name;

mod admit;
mod authorize;
mod eager_start;
mod host;
mod observe;
mod spec;

pub(crate) use host::Scope;

use authorize::Verdict;
use host::{InlineHost, PyHost};
use observe::Observer;
use spec::{cap, read_tools, result_cap, retry_option, seconds, EngineCore, Limits, ToolSpec};

/// A call's outcome as Python's host reports it.
type PyOutcome = HostOutcome<PyHost>;

/// An outcome for the call in a slot, and whether the batch's observer was already told (by the
/// thread that settled it).
type Settled = (usize, PyOutcome, bool);

/// Options of one dispatch.
struct BatchOptions {
    limits: Limits,
    mode: Mode,
    observer: Option<Arc<Observer>>,
}

/// A call that passed preparation and waits to run.
struct Pending {
    slot: usize,
    tool: usize,
    invocation: Arc<Invocation>,
}

/// What the caller's thread knows about one call of the batch.
struct CallEntry {
    id: Py<PyString>,
    name: Py<PyString>,
    /// Its result, when settled during preparation (unknown tool, bad arguments, denial,
    /// duplicate id).
    settled: Option<PyToolResult>,
    repairs: Vec<Py<PyRepair>>,
    repair_kinds: Vec<RepairKind>,
    argument_bytes: usize,
    /// How long preparing it took: the whole latency of one settled there.
    preparation: Duration,
}

/// Every call of a batch, in call order, once prepared.
struct Prepared {
    calls: Vec<CallEntry>,
    pending: Vec<Pending>,
    /// Calls whose authorization hook answered with an awaitable, with it (`adispatch` only).
    awaiting: Vec<(Pending, Py<PyAny>)>,
    observer: Option<Arc<Observer>>,
}

impl Prepared {
    /// The host that runs this batch's pending calls.
    fn host(&self, core: &EngineCore, bridge: Option<Arc<LoopBridge>>, pending: &[Pending]) -> PyHost {
        let mut tools = vec![None; self.calls.len()];
        for call in pending {
            tools[call.slot] = Some(Arc::clone(&core.tools[call.tool].name_text));
        }
        PyHost {
            bridge,
            observer: self.observer.clone(),
            metrics: Arc::clone(&core.metrics),
            tools,
            started: Instant::now(),
        }
    }
}

impl EngineCore {
    /// A pending call as the engine runs it.
    fn plan<H: Host<Call = Invocation>>(&self, call: Pending, batch: &Limits) -> Planned<H> {
        let tool = &self.tools[call.tool];
        Planned {
            slot: call.slot,
            call: call.invocation,
            is_async: tool.is_async,
            stops_on_timeout: tool.stops_on_timeout,
            caps: self.caps(tool, batch),
            timeout: self.timeout(tool, batch),
            retry: self.retry(tool, batch),
            head_start: None,
        }
    }
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
        let (tools, by_name) = read_tools(tools)?;
        Ok(PyEngine {
            core: Arc::new(EngineCore {
                tools,
                by_name,
                authorize,
                limits: Limits {
                    cap: cap(max_concurrency, "max_concurrency")?,
                    timeout: seconds(timeout, "timeout")?,
                    retry: retry_option(retry)?,
                },
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
        let host = prepared.host(&self.core, bridge, &pending);
        let planned = pending
            .into_iter()
            .map(|call| {
                let mut planned = self.core.plan(call, &options.limits);
                admit::admit(py, options.observer.as_ref(), &mut planned);
                planned
            })
            .collect();
        let watch_signals = on_main_thread(py);
        let running = engine::run_batch(host, planned);
        let outcomes = py.detach(|| {
            let runtime = pyo3_async_runtimes::tokio::get_runtime();
            if watch_signals {
                runtime.block_on(engine::interruptible(running, SIGNAL_POLL, pending_signal))
            } else {
                Ok(runtime.block_on(running))
            }
        })?;
        let outcomes = outcomes
            .into_iter()
            .map(|(slot, outcome)| (slot, outcome, true))
            .collect();
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
        let host = InlineHost {
            observer: options.observer.clone(),
        };
        for call in pending {
            let tool = &self.core.tools[call.tool];
            if tool.is_async || self.core.timeout(tool, &options.limits).is_some() {
                return Err(PyValueError::new_err(format!(
                    "tool '{}' is async or has a timeout: run it with dispatch or adispatch",
                    tool.name_text
                )));
            }
            let slot = call.slot;
            // On this thread, without crossing to the engine's: no caps, no timer, only the
            // retry loop (whose waits let the GIL go).
            let planned = Planned {
                caps: Vec::new(),
                ..self.core.plan(call, &options.limits)
            };
            let outcome = futures::executor::block_on(engine::run_call(&host, planned));
            outcomes.push((slot, outcome, false));
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
        let outcome = Outcome {
            attempt,
            attempts: 1,
            elapsed: started.elapsed(),
            timed_out: false,
            left_running: false,
        };
        Ok(finish(py, &self.core, prepared, vec![(pending.slot, outcome, false)])?
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
            limits: Limits {
                cap: cap(max_concurrency, "max_concurrency")?,
                timeout: seconds(timeout, "timeout")?,
                retry: retry_option(retry)?,
            },
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
            calls: Vec::with_capacity(count),
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
            prepared.calls.push(CallEntry {
                id: fields.id.clone_ref(py),
                name: name.clone().unbind(),
                settled: None,
                repairs: Vec::new(),
                repair_kinds: Vec::new(),
                argument_bytes: raw
                    .cast::<PyString>()
                    .map_or(0, |text| text.to_str().map_or(0, str::len)),
                preparation: Duration::ZERO,
            });
            let fail = |code: ResultCode, message: &str| {
                PyToolResult::failure(
                    py,
                    fields.id.clone_ref(py),
                    name.clone().unbind(),
                    code.as_str(),
                    message,
                    message,
                )
            };
            let settle = |prepared: &mut Prepared, result: PyToolResult| {
                let entry = &mut prepared.calls[slot];
                entry.preparation = began.elapsed();
                if let Some(observer) = &options.observer {
                    observer.settled(py, slot, &result, entry.preparation);
                }
                entry.settled = Some(result);
            };
            // An id or a name that is not valid text (a lone surrogate) fails this call only.
            let Ok(id_text) = fields.id.bind(py).to_str() else {
                let message = format!(
                    "Call id {} is not valid text (it holds a lone surrogate); the call was not run.",
                    escaped(fields.id.bind(py))
                );
                settle(&mut prepared, fail(ResultCode::InvalidArguments, &message)?);
                continue;
            };
            let Ok(name_text) = name.to_str() else {
                let message = format!(
                    "Unknown tool {}: a tool name is valid text (this one holds a lone surrogate).",
                    escaped(name)
                );
                settle(&mut prepared, fail(ResultCode::UnknownTool, &message)?);
                continue;
            };
            if !seen.insert(id_text.to_owned()) {
                let message = format!(
                    "Call id '{id_text}' appears more than once in this batch; it was run once, and this repeat was not."
                );
                settle(&mut prepared, fail(ResultCode::DuplicateCallId, &message)?);
                continue;
            }
            let Some(&tool_index) = core.by_name.get(name_text) else {
                settle(
                    &mut prepared,
                    fail(ResultCode::UnknownTool, &unknown_tool_message(core, name_text))?,
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
                        let mut result = fail(ResultCode::InvalidArguments, &errors.summary())?;
                        result.content = PyString::new(py, &text).unbind();
                        settle(&mut prepared, result);
                        continue;
                    }
                },
            };
            prepared.calls[slot].repairs = repairs;
            prepared.calls[slot].repair_kinds = kinds;
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
                    let mut result = fail(ResultCode::InvalidArguments, &summary)?;
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
                    settle(&mut prepared, fail(ResultCode::Denied, &denial)?);
                    continue;
                }
                Verdict::Awaiting(awaitable) => Some(awaitable),
            };
            prepared.calls[slot].preparation = began.elapsed();
            let call = Pending {
                slot,
                tool: tool_index,
                invocation: Arc::new(Invocation {
                    tool: tool.name.clone_ref(py),
                    tool_name: Arc::clone(&tool.name_text),
                    func: tool.func.clone_ref(py),
                    args,
                    kwargs,
                    max_result_bytes: tool.max_result_bytes.unwrap_or(core.max_result_bytes),
                }),
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
    let available: Vec<&str> = core.tools.iter().take(30).map(|tool| &*tool.name_text).collect();
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
    tool: &ToolSpec,
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

/// How often a blocking `dispatch` on the main thread looks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// A signal whose handler raised (`KeyboardInterrupt` on Ctrl-C) ends a blocking dispatch's wait
/// with that error. The batch is dropped then: its async tasks are cancelled, and its sync tools
/// are abandoned (their threads run them to the end, their results are discarded), since Python
/// cannot stop a thread.
fn pending_signal() -> PyResult<()> {
    match attach_alive(|py| py.check_signals()) {
        Some(Err(error)) => Err(error),
        _ => Ok(()),
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
    let host = prepared.host(core, Some(Arc::clone(&bridge)), &pending);
    let (finished, pending) = eager_start::start_eagerly(py, core, &options, &bridge, pending);
    if pending.is_empty() {
        // Every call finished where it started: no thread to cross, no task to wait for.
        let results = finish(py, core, prepared, finished)?;
        let done = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
        done.call_method1(pyo3::intern!(py, "set_result"), (results,))?;
        return Ok(done);
    }
    let core = Arc::clone(core);
    let running = engine::run_batch(host, pending);
    spawn_for_loop(py, &event_loop, running, move |py, outcomes| {
        let mut outcomes: Vec<Settled> = outcomes
            .into_iter()
            .map(|(slot, outcome)| (slot, outcome, true))
            .collect();
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
                    let entry = &mut prepared.calls[call.slot];
                    let result = PyToolResult::failure(
                        py,
                        entry.id.clone_ref(py),
                        entry.name.clone_ref(py),
                        ResultCode::Denied.as_str(),
                        &denial,
                        &denial,
                    )?;
                    if let Some(observer) = &prepared.observer {
                        observer.settled(py, call.slot, &result, entry.preparation);
                    }
                    entry.settled = Some(result);
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
        let outcome = Outcome {
            attempt: attempt(&pending.invocation),
            attempts: 1,
            elapsed: self.started.elapsed(),
            timed_out: false,
            left_running: false,
        };
        Ok(finish(py, &self.core, prepared, vec![(pending.slot, outcome, false)])?.remove(0))
    }
}

fn finish(
    py: Python<'_>,
    core: &EngineCore,
    prepared: Prepared,
    outcomes: Vec<Settled>,
) -> PyResult<Vec<Py<PyToolResult>>> {
    let Prepared { calls, observer, .. } = prepared;
    let mut by_slot: Vec<Option<(PyOutcome, bool)>> = (0..calls.len()).map(|_| None).collect();
    for (slot, outcome, observed) in outcomes {
        by_slot[slot] = Some((outcome, observed));
    }
    let mut results = Vec::with_capacity(calls.len());
    for (slot, (call, outcome)) in calls.into_iter().zip(by_slot).enumerate() {
        let CallEntry {
            id,
            name,
            settled,
            repairs,
            repair_kinds,
            argument_bytes,
            preparation,
        } = call;
        let name = name.bind(py);
        let name_text = name.to_string_lossy();
        let name_text = name_text.as_ref();
        let result = match (settled, outcome) {
            (Some(result), _) => {
                let code = result.error_code(py);
                core.metrics.record(&CallRecord {
                    tool: name_text,
                    ok: false,
                    error_code: code.as_deref(),
                    attempts: 0,
                    timed_out: false,
                    repairs: &repair_kinds,
                    latency: preparation,
                    argument_bytes,
                    result_bytes: 0,
                });
                PyToolResult {
                    repairs,
                    elapsed: preparation.as_secs_f64(),
                    ..result
                }
            }
            (None, Some((outcome, observed))) => {
                if let (Some(observer), false) = (&observer, observed) {
                    observer.outcome(Some(py), slot, &outcome);
                }
                let timed_out = outcome.timed_out;
                let result = result_of(py, id, name, outcome, repairs)?;
                core.metrics.record(&CallRecord {
                    tool: name_text,
                    ok: result.ok,
                    error_code: result.error_code(py).as_deref(),
                    attempts: result.attempts,
                    timed_out,
                    repairs: &repair_kinds,
                    latency: preparation + Duration::try_from_secs_f64(result.elapsed).unwrap_or_default(),
                    argument_bytes,
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
                    id,
                    name.clone().unbind(),
                    ResultCode::Cancelled.as_str(),
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
    outcome: PyOutcome,
    repairs: Vec<Py<PyRepair>>,
) -> PyResult<PyToolResult> {
    let Outcome {
        attempt,
        attempts,
        elapsed,
        left_running,
        ..
    } = outcome;
    let tries = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    let mut result = match attempt {
        Attempt::Returned(Returned {
            content,
            output,
            truncation,
        }) => {
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
        Attempt::Failed(Failure {
            code,
            message,
            exception,
            ..
        }) => {
            let text = format!("{message}{tries}");
            let mut failed = PyToolResult::failure(py, call_id, name.clone().unbind(), code.as_str(), &text, &text)?;
            failed.exception = exception;
            failed
        }
        Attempt::TimedOut => {
            let text = if left_running {
                format!(
                    "Tool '{name}' did not finish in time{tries}. It was asked to stop and had not after {} s: it \
                     may still be running.",
                    STOP_GRACE.as_secs()
                )
            } else {
                format!("Tool '{name}' did not finish in time{tries}.")
            };
            PyToolResult::failure(
                py,
                call_id,
                name.clone().unbind(),
                ResultCode::Timeout.as_str(),
                &text,
                &text,
            )?
        }
        Attempt::Cancelled => {
            let text = format!("Tool '{name}' was cancelled.");
            PyToolResult::failure(
                py,
                call_id,
                name.clone().unbind(),
                ResultCode::Cancelled.as_str(),
                &text,
                &text,
            )?
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
