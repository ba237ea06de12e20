//! Async tools run on an asyncio event loop (the caller's, for `adispatch`), started and
//! cancelled from the engine's tokio side, or started right where `adispatch` is awaited.
//!
//! Every call starts eagerly: it runs to its first suspension, and only a call that waits becomes
//! a task. Each starts in its own copy of the batch's context, as a task would, so a context
//! variable one call sets is never seen by its siblings or the caller.
//!
//! Starts from tokio are batched: the engine queues them and one `call_soon_threadsafe` starts
//! everything queued, so a batch of a thousand async calls crosses threads (and takes the GIL from
//! tokio) a handful of times, not a thousand. Each task keeps a handle, so a timeout or a
//! cancelled dispatch cancels the coroutine itself, not just the wait for it.

use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyTuple, PyType};

use crate::dispatch::attempt::FailureKind;
use crate::dispatch::code::ResultCode;
use crate::py::dispatch::Scope;
use crate::py::execute::{Attempt, Invocation};
use crate::py::lifecycle::attach_alive;

type Reply = Box<dyn FnOnce(Attempt) + Send>;

/// A started (or about-to-start) task, for cancelling it.
#[derive(Default)]
pub struct TaskHandle {
    task: Mutex<Option<Py<PyAny>>>,
    cancelled: AtomicBool,
}

struct PendingStart {
    invocation: Arc<Invocation>,
    /// The context the call starts in a copy of, when the batch's observer gave it one; else the
    /// bridge's.
    scope: Option<Scope>,
    handle: Arc<TaskHandle>,
    reply: Reply,
}

pub struct LoopBridge {
    event_loop: ManuallyDrop<Py<PyAny>>,
    /// The `contextvars.Context` tasks start in: the caller's, so context variables carry over.
    context: ManuallyDrop<Py<PyAny>>,
    pending: Mutex<Vec<PendingStart>>,
    flush_scheduled: AtomicBool,
}

impl LoopBridge {
    pub fn new(event_loop: Py<PyAny>, context: Py<PyAny>) -> Arc<Self> {
        Arc::new(LoopBridge {
            event_loop: ManuallyDrop::new(event_loop),
            context: ManuallyDrop::new(context),
            pending: Mutex::new(Vec::new()),
            flush_scheduled: AtomicBool::new(false),
        })
    }

    /// Queue a start; `reply` receives the outcome once the task is done (on the loop's thread).
    pub fn start(self: &Arc<Self>, invocation: Arc<Invocation>, scope: Option<Scope>, reply: Reply) -> Arc<TaskHandle> {
        let handle = Arc::new(TaskHandle::default());
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(PendingStart {
                invocation,
                scope,
                handle: Arc::clone(&handle),
                reply,
            });
        if !self.flush_scheduled.swap(true, Ordering::AcqRel) {
            let scheduled = attach_alive(|py| {
                let flush = Flush {
                    bridge: Arc::clone(self),
                };
                let scheduled = Py::new(py, flush).and_then(|flush| self.call_soon_threadsafe(py, flush.into_any()));
                if let Err(error) = scheduled {
                    // The loop is closed: fail everything queued rather than leave it waiting.
                    self.flush_scheduled.store(false, Ordering::Release);
                    let message = format!("the event loop could not start the tool: {error}");
                    for start in self.take_pending() {
                        (start.reply)(Attempt::failed(
                            FailureKind::Unexpected,
                            ResultCode::UnexpectedError,
                            message.clone(),
                        ));
                    }
                }
            });
            if scheduled.is_none() {
                // The interpreter is exiting: nothing starts; the dropped replies report the calls
                // as cancelled.
                drop(self.take_pending());
            }
        }
        handle
    }

    /// Cancel a task (or keep it from starting). The flag is set under the task's lock, which the
    /// loop's thread also holds while storing a new task and checking the flag, so a cancel that
    /// comes while the coroutine's first step is still running is never lost.
    pub fn cancel(&self, handle: &TaskHandle) {
        let task = handle.task.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        handle.cancelled.store(true, Ordering::Release);
        if let Some(task) = task.as_ref() {
            attach_alive(|py| {
                if let Ok(cancel) = task.bind(py).getattr(pyo3::intern!(py, "cancel")) {
                    let _ = self.call_soon_threadsafe(py, cancel.unbind());
                }
            });
        }
    }

    fn call_soon_threadsafe(&self, py: Python<'_>, callback: Py<PyAny>) -> PyResult<()> {
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item(pyo3::intern!(py, "context"), self.context.bind(py))?;
        self.event_loop
            .bind(py)
            .call_method(pyo3::intern!(py, "call_soon_threadsafe"), (callback,), Some(&kwargs))?;
        Ok(())
    }

    fn take_pending(&self) -> Vec<PendingStart> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

impl Drop for LoopBridge {
    /// The last reference to a bridge often goes on a tokio thread, where a dropped Python
    /// reference waits in PyO3's pending pool until some thread next attaches, keeping the event
    /// loop alive meanwhile: release the loop and the context attached, so they go now.
    fn drop(&mut self) {
        let mut released = false;
        attach_alive(|_py| {
            // SAFETY: each field is dropped exactly once, here, and the bridge is not used after.
            unsafe {
                ManuallyDrop::drop(&mut self.event_loop);
                ManuallyDrop::drop(&mut self.context);
            }
            released = true;
        });
        if !released {
            // The interpreter is exiting: the references go to the pool, which is never drained.
            unsafe {
                ManuallyDrop::drop(&mut self.event_loop);
                ManuallyDrop::drop(&mut self.context);
            }
        }
    }
}

/// Runs on the loop's thread: starts every queued task.
#[pyclass]
struct Flush {
    bridge: Arc<LoopBridge>,
}

#[pymethods]
impl Flush {
    fn __call__(&self, py: Python<'_>) {
        // Cleared before draining: anything queued from now on schedules a new flush.
        self.bridge.flush_scheduled.store(false, Ordering::Release);
        for start in self.bridge.take_pending() {
            self.bridge.begin(py, start);
        }
    }
}

impl LoopBridge {
    /// Start one call on this thread, which must be the loop's. The outcome goes to `receive`,
    /// right away when the call finished without waiting.
    pub fn start_here(
        &self,
        py: Python<'_>,
        invocation: Arc<Invocation>,
        scope: Option<Scope>,
    ) -> (Arc<TaskHandle>, tokio::sync::oneshot::Receiver<Attempt>) {
        let (reply, receive) = tokio::sync::oneshot::channel();
        let handle = Arc::new(TaskHandle::default());
        self.begin(
            py,
            PendingStart {
                invocation,
                scope,
                handle: Arc::clone(&handle),
                reply: Box::new(move |attempt| {
                    let _ = reply.send(attempt);
                }),
            },
        );
        (handle, receive)
    }

    /// Start a call in a fresh copy of its context (the one its observer gave, else the batch's).
    fn begin(&self, py: Python<'_>, mut start: PendingStart) {
        if start.handle.cancelled.load(Ordering::Acquire) {
            (start.reply)(Attempt::Cancelled);
            return;
        }
        let scope = start.scope.take();
        let context: &Py<PyAny> = scope
            .as_ref()
            .and_then(|scope| scope.context(py))
            .unwrap_or(&*self.context);
        let begin = Begin {
            event_loop: self.event_loop.clone_ref(py),
            start: Mutex::new(Some(start)),
        };
        // Only fails when out of memory; the dropped reply then reports the call as cancelled.
        let Ok(begin) = Py::new(py, begin) else { return };
        let ran = context
            .bind(py)
            .call_method0(pyo3::intern!(py, "copy"))
            .and_then(|context| context.call_method1(pyo3::intern!(py, "run"), (begin.clone_ref(py),)));
        let left = begin.get().start.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let (Some(start), Err(error)) = (left, ran) {
            (start.reply)(Attempt::failed(
                FailureKind::Unexpected,
                ResultCode::UnexpectedError,
                format!("the event loop could not start the tool: {error}"),
            ));
        }
    }
}

/// One call's start, run inside its own context.
#[pyclass(frozen)]
struct Begin {
    event_loop: Py<PyAny>,
    start: Mutex<Option<PendingStart>>,
}

#[pymethods]
impl Begin {
    fn __call__(&self, py: Python<'_>) {
        if let Some(start) = self.start.lock().unwrap_or_else(|p| p.into_inner()).take() {
            begin_here(py, self.event_loop.bind(py), start);
        }
    }
}

/// Run a call to its first suspension in the current context; make it a task if it waits.
fn begin_here(py: Python<'_>, event_loop: &Bound<'_, PyAny>, start: PendingStart) {
    let invocation = start.invocation;
    let runnable = match first_step(py, &invocation) {
        FirstStep::Settled(attempt) => return (start.reply)(attempt),
        FirstStep::Waiting(runnable) => runnable,
    };
    let task = match ensure_future(py, event_loop, &runnable) {
        Ok(task) => task,
        Err(error) => {
            (start.reply)(invocation.settle_raised(py, error.into_value(py).bind(py).as_any()));
            return;
        }
    };
    let done = Done {
        invocation: Mutex::new(Some((invocation, start.reply))),
    };
    let added = Py::new(py, done).and_then(|done| task.call_method1(pyo3::intern!(py, "add_done_callback"), (done,)));
    if added.is_ok() {
        let mut slot = start
            .handle
            .task
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if start.handle.cancelled.load(Ordering::Acquire) {
            // Timed out (or the dispatch was cancelled) while the first step ran.
            let _ = task.call_method0(pyo3::intern!(py, "cancel"));
        }
        *slot = Some(task.unbind());
    }
}

fn ensure_future<'py>(
    py: Python<'py>,
    event_loop: &Bound<'py, PyAny>,
    awaitable: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    static ENSURE_FUTURE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item(pyo3::intern!(py, "loop"), event_loop)?;
    ENSURE_FUTURE
        .import(py, "asyncio", "ensure_future")?
        .call((awaitable,), Some(&kwargs))
}

/// An async call run to its first suspension: its outcome, or what a task must run to carry it on.
pub enum FirstStep<'py> {
    Settled(Attempt),
    Waiting(Bound<'py, PyAny>),
}

/// Call an async tool and run its coroutine eagerly (see `run_eagerly`), settling what it came to.
pub fn first_step<'py>(py: Python<'py>, invocation: &Invocation) -> FirstStep<'py> {
    let coroutine = invocation
        .func
        .bind(py)
        .call(invocation.args.bind(py), Some(invocation.kwargs.bind(py)));
    match coroutine {
        Err(error) => FirstStep::Settled(invocation.settle_raised(py, error.into_value(py).bind(py).as_any())),
        Ok(coroutine) => match run_eagerly(py, &coroutine) {
            Eager::Finished(returned) => FirstStep::Settled(invocation.settle_returned(py, &returned)),
            Eager::Raised(error) => FirstStep::Settled(invocation.settle_raised(py, &error)),
            Eager::Waiting(rest) => FirstStep::Waiting(rest),
        },
    }
}

enum Eager<'py> {
    Finished(Bound<'py, PyAny>),
    Raised(Bound<'py, PyAny>),
    /// Suspended: what a task must run to carry it on.
    Waiting(Bound<'py, PyAny>),
}

/// Run a coroutine to its first suspension (see `toolproof._eager`). `PyIter_Send` hands back a
/// coroutine's return value directly, as asyncio's own tasks do, instead of raising and catching
/// `StopIteration` for every call.
fn run_eagerly<'py>(py: Python<'py>, coroutine: &Bound<'py, PyAny>) -> Eager<'py> {
    static COROUTINE_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static RESUME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let is_coroutine = COROUTINE_TYPE
        .import(py, "types", "CoroutineType")
        .is_ok_and(|coroutine_type| coroutine.get_type().is(coroutine_type));
    if !is_coroutine {
        // Another kind of awaitable (a future, say): asyncio takes it as it is.
        return Eager::Waiting(coroutine.clone());
    }
    let mut sent: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: `coroutine` is a live coroutine object and the GIL is held; on RETURN and NEXT
    // `sent` is a new reference that is handed to `Bound`, on ERROR it is not set.
    let status = unsafe { ffi::PyIter_Send(coroutine.as_ptr(), ffi::Py_None(), &mut sent) };
    match status {
        ffi::PySendResult::PYGEN_RETURN => Eager::Finished(unsafe { Bound::from_owned_ptr(py, sent) }),
        ffi::PySendResult::PYGEN_NEXT => {
            let yielded = unsafe { Bound::from_owned_ptr(py, sent) };
            match RESUME
                .import(py, "toolproof._eager", "resume")
                .and_then(|resume| resume.call1((coroutine, yielded)))
            {
                Ok(rest) => Eager::Waiting(rest),
                Err(error) => Eager::Raised(error.into_value(py).into_bound(py).into_any()),
            }
        }
        ffi::PySendResult::PYGEN_ERROR => {
            let error = PyErr::fetch(py);
            Eager::Raised(error.into_value(py).into_bound(py).into_any())
        }
    }
}

/// Runs on the loop's thread when a task finishes: settles its outcome.
#[pyclass]
struct Done {
    invocation: Mutex<Option<(Arc<Invocation>, Reply)>>,
}

#[pymethods]
impl Done {
    #[pyo3(signature = (*args))]
    fn __call__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let Some((invocation, reply)) = self
            .invocation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
        else {
            return Ok(());
        };
        let task = args.get_item(0)?;
        if task.call_method0(pyo3::intern!(py, "cancelled"))?.is_truthy()? {
            reply(Attempt::Cancelled);
            return Ok(());
        }
        let exception = task.call_method0(pyo3::intern!(py, "exception"))?;
        let attempt = if exception.is_none() {
            let returned = task.call_method0(pyo3::intern!(py, "result"))?;
            invocation.settle_returned(py, &returned)
        } else {
            invocation.settle_raised(py, &exception)
        };
        reply(attempt);
        Ok(())
    }
}
