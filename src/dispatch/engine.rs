//! The engine: planned calls in, exactly one outcome per call out, whatever happens on the way.
//!
//! ```text
//! per call   started ─ caps ─ attempt (sync | async, through the host) ─ timeout ─ retry ─ finished
//! per batch  every call at once; a dropped batch stops what runs and reports what it cut off
//! ```
//!
//! The engine knows nothing of Python: a [`Host`] runs the attempts (a sync call on a worker
//! thread, a coroutine on an event loop), classifies what they raised, encodes what they returned,
//! and hears of each call's start, retries and end. `src/py` is the host for Python; the tests
//! drive the engine with a fake one. Time is tokio's, so tests can pause it.
//!
//! An attempt's future stops what it started when dropped (a cancelled batch): the host cancels
//! the task, or marks the sync call abandoned so its thread discards the result. An async attempt
//! past its time limit is asked to stop and waited for (up to `STOP_GRACE`) before its cap slots
//! are freed and another attempt may begin, so attempts of one call never overlap.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::dispatch::attempt::Attempt;
use crate::dispatch::retry::RetryPolicy;

/// An attempt in the host's terms.
pub type HostAttempt<H> = Attempt<<H as Host>::Value, <H as Host>::Exception>;
/// A call's outcome in the host's terms.
pub type HostOutcome<H> = Outcome<<H as Host>::Value, <H as Host>::Exception>;
/// An attempt already under way, as the host hands it over.
pub type Running<H> = Pin<Box<dyn Stoppable<Output = HostAttempt<H>> + Send>>;

/// How long an async attempt asked to stop at its time limit is waited for. One that has not
/// ended by then is given up on, left running: its call is not tried again.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// An async attempt that can be asked to stop while the engine still waits for its end: a
/// cancelled task ends soon after, as cancelled (or with whatever it came to meanwhile).
/// Dropping the attempt instead gives up on it at once.
pub trait Stoppable: Future {
    fn stop(self: Pin<&mut Self>);
}

/// An attempt that ends on its own and has nothing to stop: a failure known before it began.
pub struct Unstoppable<F>(pub F);

impl<F: Future + Unpin> Future for Unstoppable<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        Pin::new(&mut self.get_mut().0).poll(cx)
    }
}

impl<F: Future + Unpin> Stoppable for Unstoppable<F> {
    fn stop(self: Pin<&mut Self>) {}
}

impl<T: Stoppable + ?Sized> Stoppable for Pin<Box<T>> {
    fn stop(self: Pin<&mut Self>) {
        self.get_mut().as_mut().stop();
    }
}

impl<A, B> Stoppable for futures::future::Either<A, B>
where
    A: Stoppable,
    B: Stoppable<Output = A::Output>,
{
    fn stop(self: Pin<&mut Self>) {
        match self.as_pin_mut() {
            futures::future::Either::Left(attempt) => attempt.stop(),
            futures::future::Either::Right(attempt) => attempt.stop(),
        }
    }
}

/// What the engine needs from the world its tools live in.
pub trait Host: Send + Sync {
    /// A prepared call: the tool and its arguments, shared by every attempt.
    type Call: Send + Sync;
    /// What a successful attempt carries (the encoded result, the returned object).
    type Value: Send;
    /// What a failed attempt keeps of what was raised.
    type Exception: Send;
    /// What a call runs in, as `started` hands it back (a Python `contextvars.Context`).
    type Scope: Send + Sync;

    /// One attempt of a sync tool. Dropping the future before it is ready abandons the attempt:
    /// its result, when it comes, is discarded.
    fn run_sync(
        &self,
        call: &Arc<Self::Call>,
        scope: Option<&Self::Scope>,
    ) -> impl Future<Output = HostAttempt<Self>> + Send;

    /// One attempt of an async tool. `stop` asks it to end (see `Stoppable`); dropping the future
    /// before it is ready cancels the attempt and gives up on it.
    fn start_async(
        &self,
        call: &Arc<Self::Call>,
        scope: Option<&Self::Scope>,
    ) -> impl Stoppable<Output = HostAttempt<Self>> + Send;

    /// Wait before a retry.
    fn sleep(&self, wait: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(wait)
    }

    /// A uniform draw from `[0, 1)`, for the jitter of retry delays.
    fn jitter(&self) -> f64;

    /// The call in `slot` is about to make its first attempt; what it returns, the call (each of
    /// its attempts) runs in.
    fn started(&self, _slot: usize) -> Option<Self::Scope> {
        None
    }

    /// Attempt number `attempt` of the call in `slot` failed; another follows after `wait`.
    fn retrying(&self, _slot: usize, _attempt: u32, _wait: Duration, _failed: &HostAttempt<Self>) {}

    /// The call in `slot` has its outcome.
    fn finished(&self, _slot: usize, _outcome: &HostOutcome<Self>) {}

    /// The batch was dropped before these calls had their outcome.
    fn cut_off(&self, _slots: &[usize]) {}
}

/// What came of a call: its last attempt, and how it got there.
#[derive(Debug)]
pub struct Outcome<V, E> {
    pub attempt: Attempt<V, E>,
    pub attempts: u32,
    /// From the call's start (its first wait for a cap) to its last attempt's end.
    pub elapsed: Duration,
    /// Whether any attempt ran past its time limit.
    pub timed_out: bool,
    /// The last attempt, async, was asked to stop at its time limit and had not ended after
    /// `STOP_GRACE`: it may still be running.
    pub left_running: bool,
}

/// A call ready to run.
pub struct Planned<H: Host> {
    /// Its position in the batch.
    pub slot: usize,
    pub call: Arc<H::Call>,
    pub is_async: bool,
    /// Whether an attempt past its time limit is stopped (an async tool's task is cancelled):
    /// only then may another attempt follow it. A sync tool's thread, or a call a remote
    /// executor cannot stop, still runs it, and a second attempt would run its side effects
    /// twice, concurrently.
    pub stops_on_timeout: bool,
    /// The concurrency caps it counts against, outermost first (always taken in that order, so
    /// two calls never wait on each other's slots). Held for an attempt only: a call waiting out
    /// its backoff takes no slot.
    pub caps: Vec<Arc<Semaphore>>,
    /// The limit of each attempt.
    pub timeout: Option<Duration>,
    pub retry: RetryPolicy,
    /// Its first attempt, when the host began it before handing the call over.
    pub head_start: Option<HeadStart<H>>,
}

/// A call the host began itself (on the caller's thread, say), or admitted at once: the slots
/// of its caps taken and its start told (`Host::started` is not asked again).
pub struct HeadStart<H: Host> {
    pub started: Instant,
    /// What `started` gave for it there.
    pub scope: Option<H::Scope>,
    pub first: FirstAttempt<H>,
}

pub enum FirstAttempt<H: Host> {
    /// It has not begun, and holds the slots of the caps it took without waiting (so that its
    /// host could tell the world it started at once): the engine begins it.
    Admitted(Vec<OwnedSemaphorePermit>),
    /// It finished, with a failure worth another attempt.
    Settled(HostAttempt<H>),
    /// It still runs, holding the slots of the caps it took.
    Running {
        attempt: Running<H>,
        permits: Vec<OwnedSemaphorePermit>,
    },
}

/// Every attempt of one call, retried as its policy allows: the one retry loop there is.
pub async fn run_call<H: Host>(host: &H, planned: Planned<H>) -> HostOutcome<H> {
    let Planned {
        slot,
        call,
        is_async,
        stops_on_timeout,
        caps,
        timeout,
        retry,
        head_start,
    } = planned;
    let (started, scope, mut first) = match head_start {
        Some(head) => (head.started, head.scope, Some(head.first)),
        None => (Instant::now(), host.started(slot), None),
    };
    let mut attempts = 0;
    let mut timed_out = false;
    loop {
        attempts += 1;
        let (attempt, end) = match first.take() {
            Some(FirstAttempt::Settled(attempt)) => (attempt, AttemptEnd::Ended),
            Some(FirstAttempt::Running { attempt, permits }) => {
                let _permits = permits;
                let left = timeout.map(|limit| limit.saturating_sub(started.elapsed()));
                stopped_within(left, attempt).await
            }
            Some(FirstAttempt::Admitted(permits)) => {
                let _permits = permits;
                attempt_once(host, &call, is_async, timeout, scope.as_ref()).await
            }
            None => {
                let _permits = acquire(&caps).await;
                attempt_once(host, &call, is_async, timeout, scope.as_ref()).await
            }
        };
        timed_out |= matches!(attempt, Attempt::TimedOut);
        let left_running = end == AttemptEnd::LeftRunning;
        if !left_running && attempt.is_retryable(stops_on_timeout) {
            let wait = retry.delay(attempts, host.jitter(), attempt.retry_after());
            if retry.allows(attempts, started.elapsed(), wait) {
                host.retrying(slot, attempts, wait, &attempt);
                drop(attempt);
                host.sleep(wait).await;
                continue;
            }
        }
        return Outcome {
            attempt,
            attempts,
            elapsed: started.elapsed(),
            timed_out,
            left_running,
        };
    }
}

/// Run a batch: every call at once (within its caps), each outcome told to the host as it
/// settles. The outcomes come back with their slots, in no promised order. Dropping the returned
/// future stops every attempt still running and tells the host which calls it cut off; that
/// holds from the moment this is called, so a batch dropped before it ever ran stops the head
/// starts it was given.
pub fn run_batch<H: Host>(host: H, calls: Vec<Planned<H>>) -> impl Future<Output = Vec<(usize, HostOutcome<H>)>> {
    let batch = Batch {
        settled: calls.iter().map(|call| (call.slot, AtomicBool::new(false))).collect(),
        finished: AtomicBool::new(false),
        host,
    };
    async move {
        let batch = &batch;
        let runs = calls.into_iter().enumerate().map(|(position, planned)| async move {
            let slot = planned.slot;
            let outcome = run_call(&batch.host, planned).await;
            batch.settled[position].1.store(true, Ordering::Release);
            batch.host.finished(slot, &outcome);
            (slot, outcome)
        });
        let outcomes = join_all(runs).await;
        batch.finished.store(true, Ordering::Release);
        outcomes
    }
}

/// A batch in flight: which calls have their outcome, to report the rest if it is dropped.
struct Batch<H: Host> {
    host: H,
    settled: Vec<(usize, AtomicBool)>,
    finished: AtomicBool,
}

impl<H: Host> Drop for Batch<H> {
    fn drop(&mut self) {
        if self.finished.load(Ordering::Acquire) {
            return;
        }
        let cut: Vec<usize> = self
            .settled
            .iter()
            .filter(|(_, settled)| !settled.load(Ordering::Acquire))
            .map(|(slot, _)| *slot)
            .collect();
        if !cut.is_empty() {
            self.host.cut_off(&cut);
        }
    }
}

/// Wait for `work`, asking `check` every `every` whether to give up (a pending Ctrl-C): its error
/// ends the wait, and `work` is dropped, which stops what it runs.
pub async fn interruptible<T, E>(
    work: impl Future<Output = T>,
    every: Duration,
    mut check: impl FnMut() -> Result<(), E>,
) -> Result<T, E> {
    tokio::pin!(work);
    loop {
        if let Ok(done) = tokio::time::timeout(every, &mut work).await {
            return Ok(done);
        }
        check()?;
    }
}

/// Whether an attempt had ended when the engine moved on from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AttemptEnd {
    Ended,
    /// Asked to stop at its time limit, it had not ended after `STOP_GRACE`.
    LeftRunning,
}

/// One attempt, within its time limit.
async fn attempt_once<H: Host>(
    host: &H,
    call: &Arc<H::Call>,
    is_async: bool,
    timeout: Option<Duration>,
    scope: Option<&H::Scope>,
) -> (HostAttempt<H>, AttemptEnd) {
    if is_async {
        stopped_within(timeout, host.start_async(call, scope)).await
    } else {
        // A sync call's thread cannot be stopped: past its limit it is abandoned, and its
        // call is not tried again (see `Planned::stops_on_timeout`).
        (within(timeout, host.run_sync(call, scope)).await, AttemptEnd::Ended)
    }
}

async fn within<V, E>(limit: Option<Duration>, attempt: impl Future<Output = Attempt<V, E>>) -> Attempt<V, E> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, attempt).await.unwrap_or(Attempt::TimedOut),
        None => attempt.await,
    }
}

/// An async attempt within its time limit; past it, asked to stop and waited for, up to
/// `STOP_GRACE`. A timed-out attempt counts as timed out whatever it ended with meanwhile.
async fn stopped_within<V, E>(
    limit: Option<Duration>,
    attempt: impl Stoppable<Output = Attempt<V, E>>,
) -> (Attempt<V, E>, AttemptEnd) {
    let Some(limit) = limit else {
        return (attempt.await, AttemptEnd::Ended);
    };
    let mut attempt = std::pin::pin!(attempt);
    if let Ok(done) = tokio::time::timeout(limit, attempt.as_mut()).await {
        return (done, AttemptEnd::Ended);
    }
    attempt.as_mut().stop();
    let end = match tokio::time::timeout(STOP_GRACE, attempt.as_mut()).await {
        Ok(_) => AttemptEnd::Ended,
        Err(_) => AttemptEnd::LeftRunning,
    };
    (Attempt::TimedOut, end)
}

/// A slot of every cap, in order. A closed semaphore (never closed here) would count as no cap.
async fn acquire(caps: &[Arc<Semaphore>]) -> Vec<OwnedSemaphorePermit> {
    let mut permits = Vec::with_capacity(caps.len());
    for cap in caps {
        if let Ok(permit) = Arc::clone(cap).acquire_owned().await {
            permits.push(permit);
        }
    }
    permits
}

/// A slot of every cap, taken now, or `None` (and nothing held) when one is full: for a host
/// that starts calls itself only when they need not wait.
pub fn try_acquire(caps: &[Arc<Semaphore>]) -> Option<Vec<OwnedSemaphorePermit>> {
    let mut permits = Vec::with_capacity(caps.len());
    for cap in caps {
        permits.push(Arc::clone(cap).try_acquire_owned().ok()?);
    }
    Some(permits)
}

/// A concurrency cap of `limit` calls; `None` for no cap, refused for zero.
pub fn cap(limit: Option<usize>) -> Result<Option<Arc<Semaphore>>, ZeroCap> {
    match limit {
        None => Ok(None),
        Some(0) => Err(ZeroCap),
        Some(n) => Ok(Some(Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS))))),
    }
}

/// A cap of zero calls would never run anything.
#[derive(Debug, PartialEq, Eq)]
pub struct ZeroCap;
