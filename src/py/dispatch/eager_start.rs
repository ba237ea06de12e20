//! `adispatch` starts its async calls where it is called, on the loop's thread, before the batch
//! goes to the engine: each runs to its first suspension, as Python 3.12's eager tasks do. A call
//! that finishes there is settled at once; one that waits becomes a task, with its I/O already
//! under way. When every call finishes there, the batch never crosses a thread.
//!
//! Concurrency caps still hold: a call starts here only if every cap it counts against has a slot
//! free now, and a started task keeps its slots until it ends. Whatever cannot start here (a sync
//! tool, a full cap) goes to the engine, as does a first attempt worth retrying.

use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;
use tokio::sync::oneshot::error::TryRecvError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{retry_policy, BatchOptions, CallOutcome, EngineCore, HeadStart, Pending};
use crate::py::event_loop::LoopBridge;

type Started = (Vec<(usize, CallOutcome)>, Vec<Pending>);

/// Start what can start here; returns the outcomes of the calls that finished, and the calls
/// (some with a head start) left for the engine.
pub(super) fn start_eagerly(
    py: Python<'_>,
    core: &EngineCore,
    options: &BatchOptions,
    bridge: &LoopBridge,
    pending: Vec<Pending>,
) -> Started {
    let mut finished = Vec::new();
    let mut rest = Vec::with_capacity(pending.len());
    for mut call in pending {
        let tool = &core.tools[call.tool];
        let permits = if tool.is_async {
            free_slots([options.cap.as_ref(), core.cap.as_ref(), tool.cap.as_ref()])
        } else {
            None
        };
        let Some(permits) = permits else {
            rest.push(call);
            continue;
        };
        let started = Instant::now();
        let (handle, mut receive) = bridge.start_here(py, Arc::clone(&call.invocation));
        match receive.try_recv() {
            Ok(attempt) if attempt.is_retryable(true) && retry_policy(core, tool, options).attempts > 1 => {
                call.head_start = Some(HeadStart::Settled { attempt, started });
                rest.push(call);
            }
            Ok(attempt) => finished.push((
                call.slot,
                observed(
                    py,
                    options,
                    call.slot,
                    CallOutcome {
                        attempt,
                        attempts: 1,
                        elapsed: started.elapsed(),
                        timed_out: false,
                        observed: false,
                    },
                ),
            )),
            Err(TryRecvError::Empty) => {
                call.head_start = Some(HeadStart::Running {
                    receive,
                    handle,
                    permits,
                    started,
                });
                rest.push(call);
            }
            // The reply was dropped without an answer: the task could not be watched. The engine
            // reports it as it reports any call whose task went away.
            Err(TryRecvError::Closed) => finished.push((
                call.slot,
                observed(
                    py,
                    options,
                    call.slot,
                    CallOutcome {
                        attempt: crate::py::execute::Attempt::Cancelled,
                        attempts: 1,
                        elapsed: started.elapsed(),
                        timed_out: false,
                        observed: false,
                    },
                ),
            )),
        }
    }
    (finished, rest)
}

/// A call that finished where it started, told to the batch's observer now rather than when the
/// rest of the batch is done.
fn observed(py: Python<'_>, options: &BatchOptions, slot: usize, mut outcome: CallOutcome) -> CallOutcome {
    if let Some(observer) = &options.observer {
        observer.outcome(Some(py), slot, &outcome);
        outcome.observed = true;
    }
    outcome
}

/// A slot of every cap, taken now, or `None` (and nothing held) when one is full.
fn free_slots<const N: usize>(caps: [Option<&Arc<Semaphore>>; N]) -> Option<Vec<OwnedSemaphorePermit>> {
    let mut permits = Vec::with_capacity(N);
    for cap in caps.into_iter().flatten() {
        permits.push(Arc::clone(cap).try_acquire_owned().ok()?);
    }
    Some(permits)
}
