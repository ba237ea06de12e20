//! With an observer told of starts (tracing on), a call whose caps have room is admitted on the
//! dispatching thread before the batch runs: the slots of its caps taken and its start told
//! there, with the GIL that thread already holds, one call after another. The worker threads then
//! only run the calls, each in the context prepared for it, instead of taking the GIL from one
//! another (and from the engine's threads) to start a span each. A call that must wait for a cap
//! is told of when its first attempt begins, after the wait, so its span does not count the wait.

use std::sync::Arc;

use pyo3::prelude::*;

use super::host::{CallScope, PyHost};
use super::observe::Observer;
use crate::dispatch::engine::{try_acquire, FirstAttempt, HeadStart, Planned};

/// Admit `planned` now if its observer wants to hear of starts and its caps have room.
pub(super) fn admit(py: Python<'_>, observer: Option<&Arc<Observer>>, planned: &mut Planned<PyHost>) {
    if planned.head_start.is_some() || !observer.is_some_and(|observer| observer.starts()) {
        return;
    }
    let Some(permits) = try_acquire(&planned.caps) else {
        return;
    };
    let started = tokio::time::Instant::now();
    planned.head_start = Some(HeadStart {
        started,
        scope: CallScope::started_now(py, observer, planned.slot),
        first: FirstAttempt::Admitted(permits),
    });
}
