//! Python as the engine's host: sync tools on the worker threads, async tools on an event loop,
//! the batch's observer told of each call, metrics for the calls a dropped batch cut off.
//!
//! An attempt's future owns what it started: dropped unfinished (a timeout, a cancelled batch), a
//! task on the loop is cancelled, and a sync call is marked abandoned, so the worker that runs it
//! (Python cannot stop a thread) discards its result and counts it late.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::Either;
use pyo3::prelude::*;
use tokio::sync::oneshot;

use crate::dispatch::attempt::FailureKind;
use crate::dispatch::code::ResultCode;
use crate::dispatch::engine::{Host, HostOutcome, Stoppable, Unstoppable};
use crate::dispatch::metrics::{CallRecord, Metrics};
use crate::py::event_loop::{LoopBridge, TaskHandle};
use crate::py::execute::{Attempt, Invocation, Returned};
use crate::py::workers::WorkerPool;

use super::observe::Observer;

/// The context a call runs in, shared by its attempts and cloned without the GIL.
pub(crate) type Scope = Arc<CallScope>;

/// The `contextvars.Context` a call runs in, asked of the observer's `started`. A call admitted
/// at once (its caps had room) asks on the dispatching thread before the batch runs, with the
/// GIL it already holds; one that waited for a cap asks when its first attempt begins, on the
/// thread that runs it, telling how long it waited, so its span starts when it really does.
pub(crate) struct CallScope {
    observer: Arc<Observer>,
    slot: usize,
    /// When the call started (before any wait for a cap), as the engine counts its elapsed time.
    began: Instant,
    context: OnceLock<Option<Py<PyAny>>>,
}

impl CallScope {
    /// The scope of the call in `slot`, when its observer asks to be told of starts; its context
    /// is asked for when the first attempt begins.
    pub(super) fn of(observer: Option<&Arc<Observer>>, slot: usize) -> Option<Scope> {
        let observer = observer.filter(|observer| observer.starts())?;
        Some(Arc::new(CallScope {
            observer: Arc::clone(observer),
            slot,
            began: Instant::now(),
            context: OnceLock::new(),
        }))
    }

    /// The scope of the call in `slot`, starting now: its context is asked for at once.
    pub(super) fn started_now(py: Python<'_>, observer: Option<&Arc<Observer>>, slot: usize) -> Option<Scope> {
        let scope = Self::of(observer, slot)?;
        scope.context(py);
        Some(scope)
    }

    /// The context, asked for the first time any attempt of the call begins.
    pub(crate) fn context(&self, py: Python<'_>) -> Option<&Py<PyAny>> {
        self.context
            .get_or_init(|| self.observer.started(py, self.slot, self.began.elapsed()))
            .as_ref()
    }
}

/// One batch's host.
pub(super) struct PyHost {
    pub bridge: Option<Arc<LoopBridge>>,
    pub observer: Option<Arc<Observer>>,
    pub metrics: Arc<Metrics>,
    /// Per slot, the tool a pending call runs (for the calls a dropped batch cut off).
    pub tools: Vec<Option<Arc<str>>>,
    pub started: Instant,
}

impl Host for PyHost {
    type Call = Invocation;
    type Value = Returned;
    type Exception = Py<PyAny>;
    type Scope = Scope;

    fn run_sync(&self, call: &Arc<Invocation>, scope: Option<&Scope>) -> impl Future<Output = Attempt> + Send {
        let (reply, receive) = oneshot::channel();
        let abandoned = Arc::new(AtomicBool::new(false));
        let invocation = Arc::clone(call);
        let metrics = Arc::clone(&self.metrics);
        let flag = Arc::clone(&abandoned);
        let scope = scope.cloned();
        WorkerPool::shared().submit(Box::new(move |py| {
            if flag.load(Ordering::Acquire) {
                // Timed out (or cancelled) while queued: never started, so no side effect happened.
                return;
            }
            let attempt = invocation.run_sync(py, scope.as_ref().and_then(|scope| scope.context(py)));
            if flag.load(Ordering::Acquire) {
                metrics.record_late_result(&invocation.tool_name);
                drop(attempt);
                return;
            }
            let _ = reply.send(attempt);
        }));
        ThreadAttempt {
            receive,
            abandoned,
            done: false,
        }
    }

    fn start_async(&self, call: &Arc<Invocation>, scope: Option<&Scope>) -> impl Stoppable<Output = Attempt> + Send {
        match &self.bridge {
            Some(bridge) => {
                let (reply, receive) = oneshot::channel();
                let handle = bridge.start(
                    Arc::clone(call),
                    scope.cloned(),
                    Box::new(move |attempt| {
                        let _ = reply.send(attempt);
                    }),
                );
                Either::Left(TaskAttempt::new(Arc::clone(bridge), handle, receive))
            }
            None => Either::Right(Unstoppable(std::future::ready(Attempt::failed(
                FailureKind::Permanent,
                ResultCode::UnexpectedError,
                format!(
                    "Tool '{}' is async and no event loop was given to run it.",
                    call.tool_name
                ),
            )))),
        }
    }

    fn jitter(&self) -> f64 {
        fastrand::f64()
    }

    fn started(&self, slot: usize) -> Option<Scope> {
        CallScope::of(self.observer.as_ref(), slot)
    }

    fn retrying(&self, slot: usize, attempt: u32, wait: Duration, failed: &Attempt) {
        if let Some(observer) = &self.observer {
            observer.retrying(None, slot, attempt, wait, failed);
        }
    }

    fn finished(&self, slot: usize, outcome: &HostOutcome<Self>) {
        if let Some(observer) = &self.observer {
            observer.outcome(None, slot, outcome);
        }
    }

    fn cut_off(&self, slots: &[usize]) {
        for &slot in slots {
            let Some(tool) = self.tools.get(slot).and_then(Option::as_ref) else {
                continue;
            };
            self.metrics.record(&CallRecord {
                tool,
                ok: false,
                error_code: Some(ResultCode::Cancelled.as_str()),
                attempts: 0,
                timed_out: false,
                repairs: &[],
                latency: self.started.elapsed(),
                argument_bytes: 0,
                result_bytes: 0,
            });
        }
    }
}

/// The host of one sync call run on the caller's thread (`Engine.call`), which holds the GIL:
/// attempts run right there, and a wait before a retry lets the GIL go.
pub(super) struct InlineHost {
    pub observer: Option<Arc<Observer>>,
}

impl Host for InlineHost {
    type Call = Invocation;
    type Value = Returned;
    type Exception = Py<PyAny>;
    type Scope = Scope;

    fn run_sync(&self, call: &Arc<Invocation>, scope: Option<&Scope>) -> impl Future<Output = Attempt> + Send {
        std::future::ready(Python::attach(|py| {
            call.run_sync(py, scope.and_then(|scope| scope.context(py)))
        }))
    }

    fn start_async(&self, call: &Arc<Invocation>, _scope: Option<&Scope>) -> impl Stoppable<Output = Attempt> + Send {
        Unstoppable(std::future::ready(Attempt::failed(
            FailureKind::Permanent,
            ResultCode::UnexpectedError,
            format!(
                "Tool '{}' is async: it cannot run on the calling thread.",
                call.tool_name
            ),
        )))
    }

    fn sleep(&self, wait: Duration) -> impl Future<Output = ()> + Send {
        Python::attach(|py| py.detach(|| std::thread::sleep(wait)));
        std::future::ready(())
    }

    fn jitter(&self) -> f64 {
        fastrand::f64()
    }

    fn started(&self, slot: usize) -> Option<Scope> {
        CallScope::of(self.observer.as_ref(), slot)
    }

    fn retrying(&self, slot: usize, attempt: u32, wait: Duration, failed: &Attempt) {
        if let Some(observer) = &self.observer {
            Python::attach(|py| observer.retrying(Some(py), slot, attempt, wait, failed));
        }
    }
}

/// A sync call's attempt on a worker thread.
struct ThreadAttempt {
    receive: oneshot::Receiver<Attempt>,
    abandoned: Arc<AtomicBool>,
    done: bool,
}

impl Future for ThreadAttempt {
    type Output = Attempt;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Attempt> {
        let received = Pin::new(&mut self.receive).poll(cx);
        received.map(|received| {
            self.done = true;
            received.unwrap_or_else(|_| {
                Attempt::failed(
                    FailureKind::Unexpected,
                    ResultCode::UnexpectedError,
                    "The worker running the tool stopped.",
                )
            })
        })
    }
}

impl Drop for ThreadAttempt {
    fn drop(&mut self) {
        if !self.done {
            self.abandoned.store(true, Ordering::Release);
        }
    }
}

/// An async call's attempt as a task on the loop (or one started eagerly that became one).
pub(super) struct TaskAttempt {
    bridge: Arc<LoopBridge>,
    handle: Arc<TaskHandle>,
    receive: oneshot::Receiver<Attempt>,
    done: bool,
    stopping: bool,
}

impl TaskAttempt {
    pub fn new(bridge: Arc<LoopBridge>, handle: Arc<TaskHandle>, receive: oneshot::Receiver<Attempt>) -> Self {
        TaskAttempt {
            bridge,
            handle,
            receive,
            done: false,
            stopping: false,
        }
    }
}

impl Stoppable for TaskAttempt {
    /// Cancel the task; its done callback then replies, and the attempt ends.
    fn stop(mut self: Pin<&mut Self>) {
        if !self.done && !self.stopping {
            self.stopping = true;
            self.bridge.cancel(&self.handle);
        }
    }
}

impl Future for TaskAttempt {
    type Output = Attempt;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Attempt> {
        let received = Pin::new(&mut self.receive).poll(cx);
        received.map(|received| {
            self.done = true;
            // A reply dropped unanswered: the task went away without an outcome.
            received.unwrap_or(Attempt::Cancelled)
        })
    }
}

impl Drop for TaskAttempt {
    fn drop(&mut self) {
        if !self.done {
            self.bridge.cancel(&self.handle);
        }
    }
}
