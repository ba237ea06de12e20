//! The dispatch engine driven by a fake host, on tokio's paused clock: ordering, concurrency
//! caps, timeouts, retries with backoff, cancellation and exactly one outcome per call, with
//! exact times instead of sleeps that hope to be long enough.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;
use toolproof::dispatch::attempt::{Attempt, Failure, FailureKind};
use toolproof::dispatch::code::ResultCode;
use toolproof::dispatch::engine::{
    cap, interruptible, run_batch, run_call, try_acquire, FirstAttempt, HeadStart, Host, HostOutcome, Planned,
    Stoppable, ZeroCap, STOP_GRACE,
};
use toolproof::dispatch::retry::RetryPolicy;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// What one attempt of a fake tool does.
#[derive(Clone, Debug)]
enum Step {
    /// Returns this text after the delay.
    Return(&'static str, Duration),
    /// Fails after the delay.
    Fail {
        kind: FailureKind,
        code: ResultCode,
        after: Duration,
        retry_after: Option<Duration>,
    },
    /// Never finishes; an async attempt asked to stop ends at once, as a cancelled task does.
    Hang,
    /// Never finishes, even when asked to stop (a task that swallows its cancellation, a remote
    /// call its executor could not stop).
    Stubborn,
}

fn busy(after: Duration) -> Step {
    Step::Fail {
        kind: FailureKind::Retryable,
        code: ResultCode::RetryableError,
        after,
        retry_after: None,
    }
}

struct FakeCall {
    /// One step per attempt; the last repeats.
    steps: Vec<Step>,
    tries: AtomicU32,
}

impl FakeCall {
    fn step(&self, index: usize) -> Step {
        self.steps[index.min(self.steps.len() - 1)].clone()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Started(usize),
    Attempt {
        slot: usize,
        scope: Option<u32>,
        at: Duration,
        sync: bool,
    },
    Retrying {
        slot: usize,
        attempt: u32,
        wait: Duration,
    },
    Finished {
        slot: usize,
        at: Duration,
    },
    CutOff(Vec<usize>),
}

#[derive(Default)]
struct State {
    events: Mutex<Vec<Event>>,
    running: AtomicUsize,
    peak: AtomicUsize,
    /// Attempts whose future was dropped before it finished (timed out, cancelled).
    stopped: AtomicUsize,
    epoch: Mutex<Option<Instant>>,
}

impl State {
    fn now(&self) -> Duration {
        let epoch = *self.epoch.lock().unwrap().get_or_insert_with(Instant::now);
        epoch.elapsed()
    }

    fn push(&self, event: Event) {
        self.events.lock().unwrap().push(event);
    }

    fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    fn cut_off(&self) -> Vec<usize> {
        self.events()
            .into_iter()
            .flat_map(|event| match event {
                Event::CutOff(slots) => slots,
                _ => Vec::new(),
            })
            .collect()
    }
}

/// Counts an attempt as running while it lives; one dropped unfinished counts as stopped.
struct Running {
    state: Arc<State>,
    done: bool,
}

impl Running {
    fn enter(state: &Arc<State>) -> Self {
        let now = state.running.fetch_add(1, Ordering::SeqCst) + 1;
        state.peak.fetch_max(now, Ordering::SeqCst);
        Running {
            state: Arc::clone(state),
            done: false,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.state.running.fetch_sub(1, Ordering::SeqCst);
        if !self.done {
            self.state.stopped.fetch_add(1, Ordering::SeqCst);
        }
    }
}

struct FakeHost {
    state: Arc<State>,
    /// Whether `started` gives each call a scope (its slot times ten).
    scopes: bool,
}

impl FakeHost {
    fn new() -> (Self, Arc<State>) {
        let state = Arc::new(State::default());
        state.now();
        (
            FakeHost {
                state: Arc::clone(&state),
                scopes: false,
            },
            state,
        )
    }

    fn attempt(
        &self,
        call: &Arc<FakeCall>,
        scope: Option<&u32>,
        sync: bool,
    ) -> impl Future<Output = Attempt<String, String>> + Send {
        let state = Arc::clone(&self.state);
        let call = Arc::clone(call);
        let scope = scope.copied();
        async move {
            let index = call.tries.fetch_add(1, Ordering::SeqCst) as usize;
            let step = call.step(index);
            let slot = scope.map_or(usize::MAX, |scope| (scope / 10) as usize);
            state.push(Event::Attempt {
                slot,
                scope,
                at: state.now(),
                sync,
            });
            let mut running = Running::enter(&state);
            let attempt = match step {
                Step::Return(text, after) => {
                    tokio::time::sleep(after).await;
                    Attempt::Returned(text.to_owned())
                }
                Step::Fail {
                    kind,
                    code,
                    after,
                    retry_after,
                } => {
                    tokio::time::sleep(after).await;
                    Attempt::Failed(Failure {
                        kind,
                        code: code.into(),
                        message: format!("attempt {} failed", index + 1),
                        retry_after,
                        exception: Some(format!("error {}", index + 1)),
                    })
                }
                Step::Hang | Step::Stubborn => std::future::pending().await,
            };
            running.done = true;
            attempt
        }
    }
}

/// An async attempt of the fake host: asked to stop, it ends as cancelled unless its step is
/// `Stubborn`, like a task on an event loop.
type FakeAttempt = Pin<Box<dyn Future<Output = Attempt<String, String>> + Send>>;

struct FakeTask {
    attempt: Option<FakeAttempt>,
    stubborn: bool,
    stop_asked: bool,
}

impl Future for FakeTask {
    type Output = Attempt<String, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.stop_asked && !self.stubborn {
            // Dropped unfinished, so counted as stopped.
            self.attempt = None;
            return Poll::Ready(Attempt::Cancelled);
        }
        match self.attempt.as_mut() {
            Some(attempt) => attempt.as_mut().poll(cx),
            None => Poll::Ready(Attempt::Cancelled),
        }
    }
}

impl Stoppable for FakeTask {
    fn stop(mut self: Pin<&mut Self>) {
        self.stop_asked = true;
    }
}

impl FakeHost {
    fn task(&self, call: &Arc<FakeCall>, scope: Option<&u32>) -> FakeTask {
        FakeTask {
            attempt: Some(Box::pin(self.attempt(call, scope, false))),
            stubborn: matches!(call.step(call.tries.load(Ordering::SeqCst) as usize), Step::Stubborn),
            stop_asked: false,
        }
    }
}

impl Host for FakeHost {
    type Call = FakeCall;
    type Value = String;
    type Exception = String;
    type Scope = u32;

    fn run_sync(
        &self,
        call: &Arc<FakeCall>,
        scope: Option<&u32>,
    ) -> impl Future<Output = Attempt<String, String>> + Send {
        self.attempt(call, scope, true)
    }

    fn start_async(
        &self,
        call: &Arc<FakeCall>,
        scope: Option<&u32>,
    ) -> impl Stoppable<Output = Attempt<String, String>> + Send {
        self.task(call, scope)
    }

    fn jitter(&self) -> f64 {
        0.5
    }

    fn started(&self, slot: usize) -> Option<u32> {
        self.state.push(Event::Started(slot));
        self.scopes.then_some(slot as u32 * 10)
    }

    fn retrying(&self, slot: usize, attempt: u32, wait: Duration, failed: &Attempt<String, String>) {
        assert!(failed.is_retryable(true));
        self.state.push(Event::Retrying { slot, attempt, wait });
    }

    fn finished(&self, slot: usize, _outcome: &HostOutcome<Self>) {
        self.state.push(Event::Finished {
            slot,
            at: self.state.now(),
        });
    }

    fn cut_off(&self, slots: &[usize]) {
        self.state.push(Event::CutOff(slots.to_vec()));
    }
}

fn fixed(attempts: u32, initial: Duration) -> RetryPolicy {
    RetryPolicy {
        attempts,
        initial_delay: initial,
        max_delay: Duration::from_secs(60),
        multiplier: 2.0,
        jitter: false,
        max_elapsed: None,
    }
}

fn plan(slot: usize, steps: Vec<Step>) -> Planned<FakeHost> {
    Planned {
        slot,
        call: Arc::new(FakeCall {
            steps,
            tries: AtomicU32::new(0),
        }),
        is_async: true,
        stops_on_timeout: true,
        caps: Vec::new(),
        timeout: None,
        retry: RetryPolicy::none(),
        head_start: None,
    }
}

fn by_slot(outcomes: Vec<(usize, HostOutcome<FakeHost>)>) -> BTreeMap<usize, HostOutcome<FakeHost>> {
    let count = outcomes.len();
    let map: BTreeMap<_, _> = outcomes.into_iter().collect();
    assert_eq!(map.len(), count, "a slot came back twice");
    map
}

fn returned(outcome: &HostOutcome<FakeHost>) -> &str {
    match &outcome.attempt {
        Attempt::Returned(text) => text,
        other => panic!("expected a returned attempt, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn every_call_gets_its_own_outcome_whatever_order_they_finish_in() {
    let (host, state) = FakeHost::new();
    let texts = ["a", "b", "c", "d"];
    let calls = texts
        .iter()
        .enumerate()
        .map(|(slot, text)| plan(slot, vec![Step::Return(text, ms(400 - 100 * slot as u64))]))
        .collect();
    let outcomes = by_slot(run_batch(host, calls).await);
    assert_eq!(outcomes.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2, 3]);
    for (slot, outcome) in &outcomes {
        assert_eq!(returned(outcome), texts[*slot]);
        assert_eq!(outcome.attempts, 1);
        assert_eq!(outcome.elapsed, ms(400 - 100 * *slot as u64));
    }
    // Each call was told the moment it settled: the shortest first, all in parallel.
    let finished: Vec<Event> = state
        .events()
        .into_iter()
        .filter(|event| matches!(event, Event::Finished { .. }))
        .collect();
    assert_eq!(
        finished,
        vec![
            Event::Finished { slot: 3, at: ms(100) },
            Event::Finished { slot: 2, at: ms(200) },
            Event::Finished { slot: 1, at: ms(300) },
            Event::Finished { slot: 0, at: ms(400) },
        ]
    );
    assert!(state.cut_off().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_cap_bounds_the_calls_running_at_once() {
    let (host, state) = FakeHost::new();
    let cap = cap(Some(3)).unwrap().unwrap();
    let calls = (0..10)
        .map(|slot| Planned {
            caps: vec![Arc::clone(&cap)],
            ..plan(slot, vec![Step::Return("ok", ms(100))])
        })
        .collect();
    let started = Instant::now();
    let outcomes = by_slot(run_batch(host, calls).await);
    assert_eq!(outcomes.len(), 10);
    assert_eq!(state.peak.load(Ordering::SeqCst), 3);
    // Four waves of at most three calls.
    assert_eq!(started.elapsed(), ms(400));
    // A call's elapsed time counts its wait for the cap.
    assert_eq!(outcomes.values().map(|o| o.elapsed).max(), Some(ms(400)));
}

#[tokio::test(start_paused = true)]
async fn the_tightest_of_nested_caps_holds_and_slots_come_back() {
    let (host, state) = FakeHost::new();
    let batch = cap(Some(4)).unwrap().unwrap();
    let tool = cap(Some(2)).unwrap().unwrap();
    let calls = (0..6)
        .map(|slot| Planned {
            caps: vec![Arc::clone(&batch), Arc::clone(&tool)],
            ..plan(slot, vec![Step::Return("ok", ms(50))])
        })
        .collect();
    run_batch(host, calls).await;
    assert_eq!(state.peak.load(Ordering::SeqCst), 2);
    assert_eq!(batch.available_permits(), 4);
    assert_eq!(tool.available_permits(), 2);
    assert!(matches!(cap(Some(0)), Err(ZeroCap)));
    assert!(cap(None).unwrap().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_sync_call_past_its_timeout_is_abandoned_and_never_retried() {
    let (host, state) = FakeHost::new();
    let calls = vec![Planned {
        is_async: false,
        stops_on_timeout: false,
        timeout: Some(ms(1000)),
        retry: fixed(3, ms(10)),
        ..plan(0, vec![Step::Hang])
    }];
    let outcomes = by_slot(run_batch(host, calls).await);
    let outcome = &outcomes[&0];
    assert!(matches!(outcome.attempt, Attempt::TimedOut));
    assert!(outcome.timed_out);
    // Its thread may still run it: a second attempt would run its side effects twice.
    assert_eq!(outcome.attempts, 1);
    assert_eq!(outcome.elapsed, ms(1000));
    assert_eq!(state.stopped.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn an_async_call_past_its_timeout_is_cancelled_and_retried() {
    let (host, state) = FakeHost::new();
    let calls = vec![Planned {
        timeout: Some(ms(1000)),
        retry: fixed(3, ms(100)),
        ..plan(0, vec![Step::Hang, Step::Hang, Step::Return("late but fine", ms(10))])
    }];
    let outcomes = by_slot(run_batch(host, calls).await);
    let outcome = &outcomes[&0];
    assert_eq!(returned(outcome), "late but fine");
    assert_eq!(outcome.attempts, 3);
    assert!(outcome.timed_out);
    // Two timed-out attempts, the backoff between them (100 ms, then 200 ms), and the last.
    assert_eq!(outcome.elapsed, ms(1000 + 100 + 1000 + 200 + 10));
    assert_eq!(state.stopped.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_holds_its_cap_until_it_has_stopped() {
    let (host, state) = FakeHost::new();
    let only = Arc::new(Semaphore::new(1));
    let calls = vec![
        Planned {
            timeout: Some(ms(1000)),
            retry: fixed(1, ms(0)),
            caps: vec![Arc::clone(&only)],
            ..plan(0, vec![Step::Stubborn])
        },
        Planned {
            caps: vec![Arc::clone(&only)],
            ..plan(1, vec![Step::Return("after the first let go", ms(10))])
        },
    ];
    let outcomes = by_slot(run_batch(host, calls).await);
    // The first is asked to stop at its limit and waited for; only when it is given up on does
    // the second get the cap's one slot.
    assert_eq!(outcomes[&0].elapsed, ms(1000) + STOP_GRACE);
    assert_eq!(outcomes[&1].elapsed, ms(1000) + STOP_GRACE + ms(10));
    assert_eq!(state.peak.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn an_attempt_that_does_not_stop_is_left_running_and_never_retried() {
    let (host, state) = FakeHost::new();
    let calls = vec![Planned {
        timeout: Some(ms(1000)),
        retry: fixed(3, ms(100)),
        ..plan(
            0,
            vec![Step::Stubborn, Step::Return("a second run beside the first", ms(10))],
        )
    }];
    let outcomes = by_slot(run_batch(host, calls).await);
    let outcome = &outcomes[&0];
    assert!(matches!(outcome.attempt, Attempt::TimedOut));
    assert!(outcome.left_running);
    assert_eq!(outcome.attempts, 1);
    assert_eq!(outcome.elapsed, ms(1000) + STOP_GRACE);
    // Given up on, the attempt's future is dropped: the host stops waiting for it.
    assert_eq!(state.stopped.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_stopped_attempt_is_retried_only_once_it_has_ended() {
    let (host, state) = FakeHost::new();
    let calls = vec![Planned {
        timeout: Some(ms(1000)),
        retry: fixed(2, ms(0)),
        ..plan(0, vec![Step::Hang, Step::Return("second", ms(10))])
    }];
    let outcomes = by_slot(run_batch(host, calls).await);
    let outcome = &outcomes[&0];
    assert_eq!(returned(outcome), "second");
    assert!(!outcome.left_running);
    assert_eq!(state.peak.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_exponentially_and_stop_on_success() {
    let (host, state) = FakeHost::new();
    let calls = vec![Planned {
        retry: fixed(5, ms(100)),
        ..plan(0, vec![busy(ms(10)), busy(ms(10)), Step::Return("ok", ms(10))])
    }];
    let outcomes = by_slot(run_batch(host, calls).await);
    let outcome = &outcomes[&0];
    assert_eq!(returned(outcome), "ok");
    assert_eq!(outcome.attempts, 3);
    assert!(!outcome.timed_out);
    assert_eq!(outcome.elapsed, ms(10 + 100 + 10 + 200 + 10));
    let retries: Vec<Event> = state
        .events()
        .into_iter()
        .filter(|event| matches!(event, Event::Retrying { .. }))
        .collect();
    assert_eq!(
        retries,
        vec![
            Event::Retrying {
                slot: 0,
                attempt: 1,
                wait: ms(100)
            },
            Event::Retrying {
                slot: 0,
                attempt: 2,
                wait: ms(200)
            },
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn jitter_retry_after_and_the_time_budget_shape_the_waits() {
    let (host, _state) = FakeHost::new();
    let jittered = RetryPolicy {
        jitter: true,
        ..fixed(2, ms(400))
    };
    let asked = Step::Fail {
        kind: FailureKind::Retryable,
        code: ResultCode::UpstreamUnavailable,
        after: Duration::ZERO,
        retry_after: Some(ms(700)),
    };
    let budget = RetryPolicy {
        max_elapsed: Some(ms(250)),
        ..fixed(10, ms(100))
    };
    let calls = vec![
        // The fake host draws 0.5: half of the 400 ms bound.
        Planned {
            retry: jittered.clone(),
            ..plan(0, vec![busy(Duration::ZERO), Step::Return("ok", Duration::ZERO)])
        },
        // The upstream's Retry-After is a minimum.
        Planned {
            retry: jittered,
            ..plan(1, vec![asked, Step::Return("ok", Duration::ZERO)])
        },
        // Waits of 100 and 200 ms would pass the 250 ms budget: one retry only.
        Planned {
            retry: budget,
            ..plan(2, vec![busy(Duration::ZERO)])
        },
    ];
    let outcomes = by_slot(run_batch(host, calls).await);
    assert_eq!(outcomes[&0].elapsed, ms(200));
    assert_eq!(outcomes[&1].elapsed, ms(700));
    assert_eq!(outcomes[&2].attempts, 2);
    assert_eq!(outcomes[&2].attempt.code().unwrap(), &ResultCode::RetryableError);
}

#[tokio::test(start_paused = true)]
async fn permanent_failures_and_bugs_are_not_retried() {
    let (host, _state) = FakeHost::new();
    let failing = |kind, code| Step::Fail {
        kind,
        code,
        after: ms(5),
        retry_after: None,
    };
    let calls = vec![
        Planned {
            retry: fixed(5, ms(100)),
            ..plan(0, vec![failing(FailureKind::Permanent, ResultCode::ToolError)])
        },
        Planned {
            retry: fixed(5, ms(100)),
            ..plan(1, vec![failing(FailureKind::Unexpected, ResultCode::UnexpectedError)])
        },
        // Retryable, but its policy allows no second attempt.
        plan(2, vec![busy(ms(5))]),
    ];
    let outcomes = by_slot(run_batch(host, calls).await);
    for (slot, code) in [
        (0, ResultCode::ToolError),
        (1, ResultCode::UnexpectedError),
        (2, ResultCode::RetryableError),
    ] {
        assert_eq!(outcomes[&slot].attempts, 1, "slot {slot}");
        assert_eq!(outcomes[&slot].attempt.code().unwrap(), &code);
        assert_eq!(outcomes[&slot].elapsed, ms(5));
    }
    match &outcomes[&0].attempt {
        Attempt::Failed(failure) => assert_eq!(failure.exception.as_deref(), Some("error 1")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_call_waiting_out_its_backoff_holds_no_slot() {
    let (host, state) = FakeHost::new();
    let cap = cap(Some(1)).unwrap().unwrap();
    let calls = vec![
        Planned {
            caps: vec![Arc::clone(&cap)],
            retry: fixed(2, ms(1000)),
            ..plan(0, vec![busy(ms(10)), Step::Return("second", ms(10))])
        },
        Planned {
            caps: vec![Arc::clone(&cap)],
            ..plan(1, vec![Step::Return("meanwhile", ms(100))])
        },
    ];
    let outcomes = by_slot(run_batch(host, calls).await);
    assert_eq!(returned(&outcomes[&1]), "meanwhile");
    // The second call ran in the first one's backoff, not after it.
    assert_eq!(outcomes[&1].elapsed, ms(110));
    assert_eq!(outcomes[&0].elapsed, ms(10 + 1000 + 10));
    assert_eq!(state.peak.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_batch_stops_its_attempts_and_reports_the_calls_it_cut_off() {
    let (host, state) = FakeHost::new();
    let calls = vec![
        plan(0, vec![Step::Return("quick", ms(10))]),
        plan(1, vec![Step::Hang]),
        Planned {
            is_async: false,
            stops_on_timeout: false,
            ..plan(2, vec![Step::Hang])
        },
        Planned {
            retry: fixed(3, ms(1000)),
            ..plan(3, vec![busy(ms(10))])
        },
    ];
    let batch = run_batch(host, calls);
    let cut = tokio::time::timeout(ms(100), batch).await;
    assert!(cut.is_err(), "the batch cannot finish: two calls hang");
    // The quick call settled; the hanging ones were stopped; the one in backoff was cut off too.
    assert_eq!(state.cut_off(), vec![1, 2, 3]);
    assert_eq!(state.stopped.load(Ordering::SeqCst), 2);
    assert_eq!(state.running.load(Ordering::SeqCst), 0);
    let finished: Vec<usize> = state
        .events()
        .into_iter()
        .filter_map(|event| match event {
            Event::Finished { slot, .. } => Some(slot),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![0]);
}

#[tokio::test(start_paused = true)]
async fn a_batch_dropped_before_it_ran_stops_its_head_starts() {
    let (host, state) = FakeHost::new();
    let (head_host, head_state) = FakeHost::new();
    let call = Arc::new(FakeCall {
        steps: vec![Step::Hang],
        tries: AtomicU32::new(0),
    });
    let running = head_host.task(&call, Some(&70));
    // Polled once, so the head start is running (and counted) before the batch takes it.
    let mut running = Box::pin(running);
    assert!(futures::poll!(running.as_mut()).is_pending());
    assert_eq!(head_state.running.load(Ordering::SeqCst), 1);
    let calls = vec![
        Planned {
            head_start: Some(HeadStart {
                started: Instant::now(),
                scope: Some(70),
                first: FirstAttempt::Running {
                    attempt: running,
                    permits: Vec::new(),
                },
            }),
            ..plan(7, vec![Step::Hang])
        },
        plan(8, vec![Step::Return("never polled", ms(1))]),
    ];
    drop(run_batch(host, calls));
    assert_eq!(head_state.stopped.load(Ordering::SeqCst), 1);
    assert_eq!(state.cut_off(), vec![7, 8]);
}

#[tokio::test(start_paused = true)]
async fn head_starts_count_as_first_attempts() {
    let (host, state) = FakeHost::new();
    let host = FakeHost { scopes: true, ..host };
    let settled_first: Planned<FakeHost> = Planned {
        retry: fixed(3, ms(100)),
        head_start: Some(HeadStart {
            started: Instant::now(),
            scope: Some(10),
            first: FirstAttempt::Settled(Attempt::failed(
                FailureKind::Retryable,
                ResultCode::RetryableError,
                "busy at the start",
            )),
        }),
        ..plan(1, vec![Step::Return("second attempt", ms(10))])
    };
    let cap = cap(Some(1)).unwrap().unwrap();
    let permits = try_acquire(&[Arc::clone(&cap)]).unwrap();
    assert!(
        try_acquire(&[Arc::clone(&cap)]).is_none(),
        "the head start holds the only slot"
    );
    let running_call = Arc::new(FakeCall {
        steps: vec![Step::Return("slow", ms(5000))],
        tries: AtomicU32::new(0),
    });
    let running_first = Planned {
        caps: vec![Arc::clone(&cap)],
        timeout: Some(ms(300)),
        head_start: Some(HeadStart {
            started: Instant::now(),
            scope: Some(20),
            first: FirstAttempt::Running {
                attempt: Box::pin(host.task(&running_call, Some(&20))),
                permits,
            },
        }),
        ..plan(2, vec![Step::Hang])
    };
    tokio::time::advance(ms(100)).await;
    let outcomes = by_slot(run_batch(host, vec![settled_first, running_first]).await);
    assert_eq!(returned(&outcomes[&1]), "second attempt");
    assert_eq!(outcomes[&1].attempts, 2);
    // The running head start had used 100 ms of its 300 ms before the engine took it.
    assert!(matches!(outcomes[&2].attempt, Attempt::TimedOut));
    assert_eq!(outcomes[&2].elapsed, ms(300));
    assert_eq!(cap.available_permits(), 1, "its slot came back");
    // `started` was told by whoever began each call, not again by the engine.
    assert!(!state.events().iter().any(|event| matches!(event, Event::Started(_))));
}

#[tokio::test(start_paused = true)]
async fn an_admitted_call_runs_in_the_slots_it_took_and_is_not_started_again() {
    let (host, state) = FakeHost::new();
    let host = FakeHost { scopes: true, ..host };
    let cap = cap(Some(1)).unwrap().unwrap();
    let admitted = Planned {
        caps: vec![Arc::clone(&cap)],
        head_start: Some(HeadStart {
            started: Instant::now(),
            scope: Some(70),
            first: FirstAttempt::Admitted(try_acquire(&[Arc::clone(&cap)]).unwrap()),
        }),
        ..plan(7, vec![Step::Return("admitted", ms(50))])
    };
    // The other call waits for the slot the admitted one holds, then is started by the engine.
    let waiting = Planned {
        caps: vec![Arc::clone(&cap)],
        ..plan(8, vec![Step::Return("waited", ms(10))])
    };
    let outcomes = by_slot(run_batch(host, vec![waiting, admitted]).await);
    assert_eq!(returned(&outcomes[&7]), "admitted");
    assert_eq!(outcomes[&7].elapsed, ms(50));
    assert_eq!(outcomes[&8].elapsed, ms(60), "its time counts its wait for the slot");
    let events = state.events();
    let attempts: Vec<(usize, Option<u32>, Duration)> = events
        .iter()
        .filter_map(|event| match event {
            Event::Attempt { slot, scope, at, .. } => Some((*slot, *scope, *at)),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, vec![(7, Some(70), ms(0)), (8, Some(80), ms(50))]);
    assert_eq!(
        events.iter().filter(|event| matches!(event, Event::Started(_))).count(),
        1,
        "only the engine's own call is started by it"
    );
    assert_eq!(cap.available_permits(), 1, "the admitted call's slot came back");
}

#[tokio::test(start_paused = true)]
async fn every_attempt_runs_in_the_scope_started_gave() {
    let (host, state) = FakeHost::new();
    let host = FakeHost { scopes: true, ..host };
    let calls = vec![
        Planned {
            retry: fixed(3, ms(1)),
            ..plan(1, vec![busy(ms(1)), busy(ms(1)), Step::Return("ok", ms(1))])
        },
        Planned {
            is_async: false,
            stops_on_timeout: false,
            ..plan(2, vec![Step::Return("ok", ms(1))])
        },
    ];
    run_batch(host, calls).await;
    let events = state.events();
    let scopes: Vec<(usize, Option<u32>, bool)> = events
        .iter()
        .filter_map(|event| match event {
            Event::Attempt { slot, scope, sync, .. } => Some((*slot, *scope, *sync)),
            _ => None,
        })
        .collect();
    assert_eq!(
        scopes,
        vec![
            (1, Some(10), false),
            (2, Some(20), true),
            (1, Some(10), false),
            (1, Some(10), false)
        ]
    );
    // Once per call, before its first attempt.
    let started: Vec<usize> = events
        .iter()
        .filter_map(|event| match event {
            Event::Started(slot) => Some(*slot),
            _ => None,
        })
        .collect();
    assert_eq!(started, vec![1, 2]);
    assert_eq!(events[0], Event::Started(1));
}

#[tokio::test(start_paused = true)]
async fn exactly_one_outcome_per_call_in_a_mixed_batch_cut_short() {
    // Whatever the mix, every call is either settled (once) or reported cut off (once).
    for cut_at in [0, 5, 15, 50, 150, 1000, 5000] {
        let (host, state) = FakeHost::new();
        let cap = cap(Some(2)).unwrap().unwrap();
        let steps = [
            vec![Step::Return("a", ms(10))],
            vec![Step::Hang],
            vec![busy(ms(5)), Step::Return("b", ms(5))],
            vec![Step::Return("c", ms(100))],
            vec![Step::Fail {
                kind: FailureKind::Permanent,
                code: ResultCode::ToolError,
                after: ms(20),
                retry_after: None,
            }],
            vec![Step::Hang],
        ];
        let calls: Vec<Planned<FakeHost>> = steps
            .into_iter()
            .enumerate()
            .map(|(slot, steps)| Planned {
                caps: if slot % 2 == 0 {
                    vec![Arc::clone(&cap)]
                } else {
                    Vec::new()
                },
                timeout: Some(ms(200)),
                retry: fixed(2, ms(10)),
                is_async: slot != 5,
                stops_on_timeout: slot != 5,
                ..plan(slot, steps)
            })
            .collect();
        let mut settled: Vec<usize> = match tokio::time::timeout(ms(cut_at), run_batch(host, calls)).await {
            Ok(outcomes) => outcomes.into_iter().map(|(slot, _)| slot).collect(),
            Err(_) => state
                .events()
                .into_iter()
                .filter_map(|event| match event {
                    Event::Finished { slot, .. } => Some(slot),
                    _ => None,
                })
                .collect(),
        };
        settled.extend(state.cut_off());
        settled.sort_unstable();
        assert_eq!(settled, vec![0, 1, 2, 3, 4, 5], "cut at {cut_at} ms");
        assert_eq!(state.running.load(Ordering::SeqCst), 0);
        assert_eq!(cap.available_permits(), 2);
    }
}

#[tokio::test(start_paused = true)]
async fn one_call_runs_alone_through_the_same_loop() {
    let (host, state) = FakeHost::new();
    let outcome = run_call(
        &host,
        Planned {
            is_async: false,
            stops_on_timeout: false,
            retry: fixed(2, ms(50)),
            ..plan(0, vec![busy(ms(1)), Step::Return("ok", ms(1))])
        },
    )
    .await;
    assert_eq!(returned(&outcome), "ok");
    assert_eq!(outcome.elapsed, ms(52));
    assert_eq!(
        state
            .events()
            .iter()
            .filter(|event| matches!(event, Event::Retrying { .. }))
            .count(),
        1
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_gives_up_when_the_check_says_so() {
    let checks = AtomicUsize::new(0);
    let (host, state) = FakeHost::new();
    let batch = run_batch(host, vec![plan(0, vec![Step::Hang])]);
    let started = Instant::now();
    let waited = interruptible(batch, ms(50), || {
        if checks.fetch_add(1, Ordering::SeqCst) == 2 {
            Err("interrupted")
        } else {
            Ok(())
        }
    })
    .await;
    assert_eq!(waited.err(), Some("interrupted"));
    assert_eq!(started.elapsed(), ms(150));
    assert_eq!(state.cut_off(), vec![0]);
    assert_eq!(state.stopped.load(Ordering::SeqCst), 1);
    let done = interruptible(async { 7 }, ms(50), || Err::<(), _>("never asked")).await;
    assert_eq!(done, Ok(7));
}

#[test]
fn semaphores_cap_at_their_maximum() {
    let huge = cap(Some(usize::MAX)).unwrap().unwrap();
    assert_eq!(huge.available_permits(), Semaphore::MAX_PERMITS);
}
