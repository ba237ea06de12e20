//! `adispatch` starts its async calls where it is called, on the loop's thread, before the batch
//! goes to the engine: each runs to its first suspension, as Python 3.12's eager tasks do. A call
//! that finishes there is settled at once; one that waits becomes a task, with its I/O already
//! under way. When every call finishes there, the batch never crosses a thread.
//!
//! Concurrency caps still hold: a call starts here only if every cap it counts against has a slot
//! free now, and a started task keeps its slots until it ends. Whatever cannot start here (a sync
//! tool, a full cap) goes to the engine, as does a first attempt worth retrying; a sync call whose
//! caps have room is admitted here when tracing is on (see `admit`).

use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;
use tokio::sync::oneshot::error::TryRecvError;

use super::admit::admit;
use super::host::{CallScope, PyHost, TaskAttempt};
use super::{BatchOptions, EngineCore, Pending, PyOutcome, Settled};
use crate::dispatch::engine::{try_acquire, FirstAttempt, HeadStart, Outcome, Planned};
use crate::py::event_loop::LoopBridge;
use crate::py::execute::Attempt;

/// Start what can start here; returns the outcomes of the calls that finished, and the calls
/// (some with a head start) left for the engine.
pub(super) fn start_eagerly(
    py: Python<'_>,
    core: &EngineCore,
    options: &BatchOptions,
    bridge: &Arc<LoopBridge>,
    pending: Vec<Pending>,
) -> (Vec<Settled>, Vec<Planned<PyHost>>) {
    let mut finished = Vec::new();
    let mut rest = Vec::with_capacity(pending.len());
    for call in pending {
        let mut planned = core.plan(call, &options.limits);
        let permits = if planned.is_async {
            try_acquire(&planned.caps)
        } else {
            None
        };
        let Some(permits) = permits else {
            if !planned.is_async {
                admit(py, options.observer.as_ref(), &mut planned);
            }
            rest.push(planned);
            continue;
        };
        let slot = planned.slot;
        let began = tokio::time::Instant::now();
        let started = Instant::now();
        let scope = CallScope::of(options.observer.as_ref(), slot);
        let (handle, mut receive) = bridge.start_here(py, Arc::clone(&planned.call), scope.clone());
        let first = match receive.try_recv() {
            Ok(attempt) if attempt.is_retryable(planned.stops_on_timeout) && planned.retry.attempts > 1 => {
                FirstAttempt::Settled(attempt)
            }
            Ok(attempt) => {
                finished.push(observed(py, options, slot, attempt, started));
                continue;
            }
            Err(TryRecvError::Empty) => FirstAttempt::Running {
                attempt: Box::pin(TaskAttempt::new(Arc::clone(bridge), handle, receive)),
                permits,
            },
            // The reply was dropped without an answer: the task could not be watched. The engine
            // reports it as it reports any call whose task went away.
            Err(TryRecvError::Closed) => {
                finished.push(observed(py, options, slot, Attempt::Cancelled, started));
                continue;
            }
        };
        planned.head_start = Some(HeadStart {
            started: began,
            scope,
            first,
        });
        rest.push(planned);
    }
    (finished, rest)
}

/// A call that finished where it started, told to the batch's observer now rather than when the
/// rest of the batch is done.
fn observed(py: Python<'_>, options: &BatchOptions, slot: usize, attempt: Attempt, started: Instant) -> Settled {
    let outcome: PyOutcome = Outcome {
        attempt,
        attempts: 1,
        elapsed: started.elapsed(),
        timed_out: false,
        left_running: false,
    };
    match &options.observer {
        Some(observer) => {
            observer.outcome(Some(py), slot, &outcome);
            (slot, outcome, true)
        }
        None => (slot, outcome, false),
    }
}
