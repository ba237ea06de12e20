//! The coordinator of one process: every tool's admission state behind one lock.
//!
//! A request is checked whole before anything is taken (its key, its cache entry, the breaker,
//! a slot, every rate limit), so a refused call leaves no trace; requests of one batch are
//! decided in order, each seeing what the ones before it took.

use std::sync::{Arc, Mutex, PoisonError};

use ahash::AHashMap;

use super::breaker::{Breaker, Verdict};
use super::cache::{self, CacheCheck};
use super::decision::{Decision, Outcome, Request, Ticket};
use super::gcra::{self, Gcra};
use super::idempotency::{self, KeyCheck};
use super::leases::Leases;
use super::memo::Memo;
use super::{Clock, MonotonicClock};
use crate::dispatch::code::ResultCode;

/// How soon a call waiting for a concurrency slot looks again, at most: a slot released by
/// `complete` is not announced.
pub const SLOT_POLL: f64 = 0.01;

#[derive(Debug, Default)]
struct ToolState {
    rates: Vec<Gcra>,
    leases: Leases,
    breaker: Breaker,
    cache: Memo,
    idempotency: Memo,
}

#[derive(Debug, Default)]
struct State {
    tools: AHashMap<String, ToolState>,
    next_token: u64,
}

pub struct LocalCoordinator<C: Clock = MonotonicClock> {
    clock: C,
    state: Mutex<State>,
}

impl Default for LocalCoordinator<MonotonicClock> {
    fn default() -> Self {
        LocalCoordinator::new(MonotonicClock::default())
    }
}

impl<C: Clock> LocalCoordinator<C> {
    pub fn new(clock: C) -> Self {
        LocalCoordinator {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update leaves the state whole, so a panic elsewhere while holding the lock
        // leaves nothing half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn admit(&self, requests: &[Request]) -> Vec<Decision> {
        let now = self.clock.now();
        let mut state = self.lock();
        requests.iter().map(|request| state.admit(request, now)).collect()
    }

    /// Report how admitted calls ended: release their slots, count their outcome in the breaker,
    /// store their results for the cache and the idempotency key. Calls are reported one by one
    /// or together, as they finish.
    pub fn complete(&self, finished: &[(&Ticket, &Outcome)]) {
        let now = self.clock.now();
        let mut state = self.lock();
        for (ticket, outcome) in finished {
            state.complete(ticket, outcome, now);
        }
    }

    /// Extend the leases of calls still running: slots, a probe, claims on keys.
    pub fn renew(&self, running: &[&Ticket]) {
        let now = self.clock.now();
        let mut state = self.lock();
        for ticket in running {
            let lease = ticket.guards.lease;
            let Some(tool) = state.tools.get_mut(&ticket.guards.tool) else {
                continue;
            };
            if ticket.leased {
                tool.leases.renew(ticket.token, now, lease);
            }
            if ticket.probe {
                tool.breaker.renew_probe(ticket.token, now, lease);
            }
            if let Some(key) = &ticket.cache_key {
                tool.cache.renew(key, ticket.token, now, lease);
            }
            if let Some(key) = &ticket.idempotency_key {
                tool.idempotency.renew(key, ticket.token, now, lease);
            }
        }
    }

    /// Slots of `tool` held now.
    pub fn slots_held(&self, tool: &str) -> usize {
        let now = self.clock.now();
        self.lock().tools.get(tool).map_or(0, |state| state.leases.held(now))
    }
}

impl State {
    fn admit(&mut self, request: &Request, now: f64) -> Decision {
        let guards = &request.guards;
        let tool = self.tools.entry(guards.tool.clone()).or_default();
        tool.rates.resize(guards.rates.len(), Gcra::default());

        if let Some(key) = &request.idempotency_key {
            match idempotency::check(&tool.idempotency, key, now) {
                KeyCheck::Duplicate(result) => return Decision::Duplicate(result),
                KeyCheck::InProgress { retry_after } => {
                    return Decision::Refused {
                        code: ResultCode::InProgress,
                        retry_after: Some(retry_after),
                    }
                }
                KeyCheck::First => {}
            }
        }
        let cache_key = request.cache_key.as_ref().filter(|_| guards.cache_ttl.is_some());
        if let Some(key) = cache_key {
            match cache::check(&tool.cache, key, now) {
                CacheCheck::Hit(result) => return Decision::Cached(result),
                CacheCheck::Wait(retry_after) => return Decision::Wait { retry_after },
                CacheCheck::Miss => {}
            }
        }
        let probe = match guards.breaker.map(|_| tool.breaker.verdict(now)) {
            Some(Verdict::Reject { retry_after }) => {
                return Decision::Refused {
                    code: ResultCode::CircuitOpen,
                    retry_after: Some(retry_after),
                }
            }
            Some(Verdict::Probe) => true,
            Some(Verdict::Pass) | None => false,
        };
        if let Some(max) = guards.max_concurrency {
            if let Some(earliest) = tool.leases.wait(max, now) {
                return Decision::Wait {
                    retry_after: earliest.min(SLOT_POLL),
                };
            }
        }
        let limits: Vec<_> = guards.rates.iter().copied().zip(tool.rates.iter().copied()).collect();
        let wait = gcra::wait_for_all(&limits, now);
        if wait > 0.0 {
            return if wait <= request.max_wait() {
                Decision::Wait { retry_after: wait }
            } else {
                Decision::Refused {
                    code: ResultCode::RateLimited,
                    retry_after: Some(wait),
                }
            };
        }

        self.next_token += 1;
        let token = self.next_token;
        for (rate, state) in guards.rates.iter().zip(tool.rates.iter_mut()) {
            state.take(rate, now);
        }
        let leased = guards.max_concurrency.is_some();
        if leased {
            tool.leases.acquire(token, now, guards.lease);
        }
        if probe {
            tool.breaker.start_probe(token, now, guards.lease);
        }
        if let Some(key) = cache_key {
            tool.cache.claim(key, token, now, guards.lease);
        }
        if let Some(key) = &request.idempotency_key {
            tool.idempotency.claim(key, token, now, guards.lease);
        }
        Decision::Admitted(Ticket {
            guards: Arc::clone(guards),
            token,
            leased,
            probe,
            cache_key: cache_key.cloned(),
            idempotency_key: request.idempotency_key.clone(),
        })
    }

    fn complete(&mut self, ticket: &Ticket, outcome: &Outcome, now: f64) {
        let guards = &ticket.guards;
        let Some(tool) = self.tools.get_mut(&guards.tool) else {
            return;
        };
        if ticket.leased {
            tool.leases.release(ticket.token);
        }
        if let Some(policy) = &guards.breaker {
            tool.breaker
                .record(policy, ticket.token, !outcome.ok && outcome.retryable_failure, now);
        }
        let stored = outcome.result.as_ref().filter(|_| outcome.ok);
        if let Some(key) = &ticket.cache_key {
            match (stored, guards.cache_ttl) {
                (Some(result), Some(ttl)) => tool.cache.store(key, ticket.token, result.clone(), now, ttl),
                _ => tool.cache.abandon(key, ticket.token),
            }
        }
        if let Some(key) = &ticket.idempotency_key {
            match stored {
                Some(result) => tool
                    .idempotency
                    .store(key, ticket.token, result.clone(), now, guards.idempotency_ttl),
                None => tool.idempotency.abandon(key, ticket.token),
            }
        }
        let idle = tool.leases.is_empty()
            && tool.cache.is_empty()
            && tool.idempotency.is_empty()
            && tool.rates.iter().all(|rate| rate.is_idle(now))
            && guards
                .breaker
                .as_ref()
                .is_none_or(|policy| tool.breaker.is_idle(policy, now));
        if idle {
            self.tools.remove(&guards.tool);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::admission::breaker::BreakerPolicy;
    use crate::dispatch::admission::decision::Guards;
    use crate::dispatch::admission::ManualClock;

    fn coordinator() -> (Arc<ManualClock>, LocalCoordinator<Arc<ManualClock>>) {
        let clock = Arc::new(ManualClock::default());
        (Arc::clone(&clock), LocalCoordinator::new(clock))
    }

    fn guards(edit: impl FnOnce(&mut Guards)) -> Arc<Guards> {
        let mut guards = Guards::new("search");
        edit(&mut guards);
        Arc::new(guards)
    }

    fn ticket(decision: &Decision) -> &Ticket {
        match decision {
            Decision::Admitted(ticket) => ticket,
            other => panic!("expected an admission, got {other:?}"),
        }
    }

    #[test]
    fn no_guards_admits_everything() {
        let (_, local) = coordinator();
        let request = Request::new(guards(|_| {}));
        let decisions = local.admit(&vec![request; 1000]);
        assert!(decisions.iter().all(|d| matches!(d, Decision::Admitted(_))));
    }

    #[test]
    fn a_rate_limit_waits_within_max_wait_and_refuses_beyond() {
        let (clock, local) = coordinator();
        let limited = guards(|g| {
            g.rates = vec!["2/second".parse().unwrap()];
            g.max_wait = 0.6;
        });
        let decisions = local.admit(&vec![Request::new(limited.clone()); 3]);
        assert!(matches!(decisions[0], Decision::Admitted(_)));
        assert!(matches!(decisions[1], Decision::Admitted(_)));
        assert_eq!(decisions[2], Decision::Wait { retry_after: 0.5 });
        let mut hurried = Request::new(limited.clone());
        hurried.max_wait = Some(0.1);
        assert_eq!(
            local.admit(&[hurried]),
            vec![Decision::Refused {
                code: ResultCode::RateLimited,
                retry_after: Some(0.5)
            }]
        );
        clock.advance(0.5);
        assert!(matches!(
            local.admit(&[Request::new(limited)])[0],
            Decision::Admitted(_)
        ));
    }

    #[test]
    fn a_refused_call_takes_nothing() {
        let (_, local) = coordinator();
        let capped = guards(|g| {
            g.rates = vec!["1/second".parse().unwrap()];
            g.max_concurrency = Some(5);
        });
        let decisions = local.admit(&vec![Request::new(capped); 3]);
        assert!(matches!(decisions[0], Decision::Admitted(_)));
        assert!(matches!(decisions[1], Decision::Refused { .. }));
        assert_eq!(local.slots_held("search"), 1, "refused calls hold no slot");
    }

    #[test]
    fn slots_are_released_per_call_and_expire_with_their_holder() {
        let (clock, local) = coordinator();
        let capped = guards(|g| {
            g.max_concurrency = Some(2);
            g.lease = 1.0;
        });
        let decisions = local.admit(&vec![Request::new(capped.clone()); 3]);
        assert!(matches!(decisions[2], Decision::Wait { .. }));
        local.complete(&[(ticket(&decisions[0]), &Outcome::success("1"))]);
        let again = local.admit(&[Request::new(capped.clone())]);
        assert!(matches!(again[0], Decision::Admitted(_)));
        // Both holders die: their slots come back when the lease runs out, unless renewed.
        clock.advance(0.9);
        local.renew(&[ticket(&again[0])]);
        clock.advance(0.2);
        assert_eq!(local.slots_held("search"), 1, "the renewed slot is still held");
        clock.advance(1.0);
        assert_eq!(local.slots_held("search"), 0);
    }

    #[test]
    fn the_breaker_opens_fails_fast_and_one_probe_closes_it() {
        let (clock, local) = coordinator();
        let guarded = guards(|g| {
            g.breaker = Some(BreakerPolicy {
                failures: 2,
                window: 10.0,
                cooldown: 5.0,
            })
        });
        for _ in 0..2 {
            let decision = local.admit(&[Request::new(guarded.clone())]);
            local.complete(&[(ticket(&decision[0]), &Outcome::failure(true))]);
        }
        assert_eq!(
            local.admit(&[Request::new(guarded.clone())]),
            vec![Decision::Refused {
                code: ResultCode::CircuitOpen,
                retry_after: Some(5.0)
            }]
        );
        clock.advance(5.0);
        let decisions = local.admit(&vec![Request::new(guarded.clone()); 2]);
        let probe = ticket(&decisions[0]);
        assert!(probe.probe);
        assert!(matches!(
            decisions[1],
            Decision::Refused {
                code: ResultCode::CircuitOpen,
                ..
            }
        ));
        local.complete(&[(probe, &Outcome::success("ok"))]);
        assert!(matches!(
            local.admit(&[Request::new(guarded)])[0],
            Decision::Admitted(_)
        ));
    }

    #[test]
    fn a_cached_result_is_computed_once_and_served_until_its_ttl() {
        let (clock, local) = coordinator();
        let cached = guards(|g| g.cache_ttl = Some(60.0));
        let mut request = Request::new(cached);
        request.cache_key = Some("{\"q\":\"rust\"}".into());
        let decisions = local.admit(&vec![request.clone(); 3]);
        assert!(
            matches!(decisions[1], Decision::Wait { .. }),
            "others wait while one computes"
        );
        local.complete(&[(ticket(&decisions[0]), &Outcome::success("[1,2]"))]);
        assert_eq!(local.admit(&[request.clone()]), vec![Decision::Cached("[1,2]".into())]);
        clock.advance(60.0);
        assert!(matches!(local.admit(&[request])[0], Decision::Admitted(_)));
    }

    #[test]
    fn a_failed_computation_lets_the_next_caller_compute() {
        let (_, local) = coordinator();
        let mut request = Request::new(guards(|g| g.cache_ttl = Some(60.0)));
        request.cache_key = Some("k".into());
        let first = local.admit(&[request.clone()]);
        local.complete(&[(ticket(&first[0]), &Outcome::failure(false))]);
        assert!(matches!(local.admit(&[request])[0], Decision::Admitted(_)));
    }

    #[test]
    fn an_idempotency_key_runs_once() {
        let (_, local) = coordinator();
        let mut request = Request::new(guards(|_| {}));
        request.idempotency_key = Some("payment-7".into());
        let decisions = local.admit(&vec![request.clone(); 2]);
        assert!(matches!(
            decisions[1],
            Decision::Refused {
                code: ResultCode::InProgress,
                ..
            }
        ));
        local.complete(&[(ticket(&decisions[0]), &Outcome::success("\"paid\""))]);
        assert_eq!(local.admit(&[request]), vec![Decision::Duplicate("\"paid\"".into())]);
    }

    #[test]
    fn idle_tools_are_forgotten() {
        let (clock, local) = coordinator();
        let limited = guards(|g| g.rates = vec!["10/second".parse().unwrap()]);
        for i in 0..1000 {
            let mut guards = (*limited).clone();
            guards.tool = format!("tool-{i}");
            let decision = local.admit(&[Request::new(Arc::new(guards))]);
            clock.advance(0.2);
            local.complete(&[(ticket(&decision[0]), &Outcome::success("1"))]);
        }
        assert!(local.lock().tools.len() <= 1);
    }
}
