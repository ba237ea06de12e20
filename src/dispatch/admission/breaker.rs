//! Circuit breakers: after `failures` retryable failures within `window` seconds the circuit
//! opens and calls fail fast; after `cooldown` one call goes through as a probe, and its outcome
//! closes the circuit or opens it for another cooldown.

use std::collections::VecDeque;

/// How a circuit breaker decides; `toolproof.CircuitBreaker(failures, window, cooldown)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerPolicy {
    pub failures: u32,
    pub window: f64,
    pub cooldown: f64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failures: 5,
            window: 30.0,
            cooldown: 10.0,
        }
    }
}

/// What a breaker says about a call at a given time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Closed: the call goes through.
    Pass,
    /// The cooldown is over: this call is the one probe.
    Probe,
    /// Open, or a probe is running: fail fast and try again after this many seconds.
    Reject { retry_after: f64 },
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    Closed,
    Open {
        until: f64,
    },
    /// A probe runs; if its holder dies the probe is forgotten at `expiry` and another may start.
    Probing {
        token: u64,
        expiry: f64,
    },
}

/// The state of one tool's breaker.
#[derive(Clone, Debug)]
pub struct Breaker {
    state: State,
    failures: VecDeque<f64>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: State::Closed,
            failures: VecDeque::new(),
        }
    }
}

/// How soon a call refused while a probe runs should look again.
pub const PROBE_RETRY: f64 = 0.05;

impl Breaker {
    pub fn verdict(&self, now: f64) -> Verdict {
        match self.state {
            State::Closed => Verdict::Pass,
            State::Open { until } if now < until => Verdict::Reject {
                retry_after: until - now,
            },
            State::Open { .. } => Verdict::Probe,
            State::Probing { expiry, .. } if now < expiry => Verdict::Reject {
                retry_after: PROBE_RETRY.min(expiry - now),
            },
            State::Probing { .. } => Verdict::Probe,
        }
    }

    /// The call with `token` became the probe, its claim held for `lease` seconds.
    pub fn start_probe(&mut self, token: u64, now: f64, lease: f64) {
        self.state = State::Probing {
            token,
            expiry: now + lease,
        };
    }

    pub fn renew_probe(&mut self, token: u64, now: f64, lease: f64) {
        if let State::Probing { token: probe, expiry } = &mut self.state {
            if *probe == token {
                *expiry = now + lease;
            }
        }
    }

    /// Count a finished call. `failed` is a retryable failure (the kind an outage causes); a
    /// call that failed for its own reasons says nothing about the upstream.
    pub fn record(&mut self, policy: &BreakerPolicy, token: u64, failed: bool, now: f64) {
        if let State::Probing { token: probe, .. } = self.state {
            if probe == token {
                self.failures.clear();
                self.state = if failed {
                    State::Open {
                        until: now + policy.cooldown,
                    }
                } else {
                    State::Closed
                };
                return;
            }
        }
        if !failed || self.state != State::Closed {
            return;
        }
        while self.failures.front().is_some_and(|&at| at <= now - policy.window) {
            self.failures.pop_front();
        }
        self.failures.push_back(now);
        if self.failures.len() >= policy.failures as usize {
            self.failures.clear();
            self.state = State::Open {
                until: now + policy.cooldown,
            };
        }
    }

    pub fn is_idle(&self, policy: &BreakerPolicy, now: f64) -> bool {
        self.state == State::Closed && self.failures.back().is_none_or(|&at| at <= now - policy.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BreakerPolicy = BreakerPolicy {
        failures: 3,
        window: 10.0,
        cooldown: 5.0,
    };

    #[test]
    fn opens_after_enough_failures_within_the_window() {
        let mut breaker = Breaker::default();
        breaker.record(&POLICY, 1, true, 0.0);
        breaker.record(&POLICY, 2, true, 1.0);
        assert_eq!(breaker.verdict(1.0), Verdict::Pass);
        breaker.record(&POLICY, 3, true, 2.0);
        assert_eq!(breaker.verdict(3.0), Verdict::Reject { retry_after: 4.0 });
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let mut breaker = Breaker::default();
        breaker.record(&POLICY, 1, true, 0.0);
        breaker.record(&POLICY, 2, true, 1.0);
        breaker.record(&POLICY, 3, true, 10.5);
        assert_eq!(breaker.verdict(10.5), Verdict::Pass);
    }

    #[test]
    fn a_calls_own_failure_does_not_count() {
        let mut breaker = Breaker::default();
        for token in 0..10 {
            breaker.record(&POLICY, token, false, 0.0);
        }
        assert_eq!(breaker.verdict(0.0), Verdict::Pass);
    }

    #[test]
    fn one_probe_after_the_cooldown_closes_it() {
        let mut breaker = Breaker::default();
        for token in 0..3 {
            breaker.record(&POLICY, token, true, 0.0);
        }
        assert_eq!(breaker.verdict(5.0), Verdict::Probe);
        breaker.start_probe(9, 5.0, 30.0);
        assert!(
            matches!(breaker.verdict(5.1), Verdict::Reject { .. }),
            "one probe at a time"
        );
        breaker.record(&POLICY, 9, false, 6.0);
        assert_eq!(breaker.verdict(6.0), Verdict::Pass);
    }

    #[test]
    fn a_failed_probe_opens_it_for_another_cooldown() {
        let mut breaker = Breaker::default();
        for token in 0..3 {
            breaker.record(&POLICY, token, true, 0.0);
        }
        breaker.start_probe(9, 5.0, 30.0);
        breaker.record(&POLICY, 9, true, 6.0);
        assert_eq!(breaker.verdict(6.0), Verdict::Reject { retry_after: 5.0 });
        assert_eq!(breaker.verdict(11.0), Verdict::Probe);
    }

    #[test]
    fn a_probe_whose_holder_died_is_forgotten_after_its_lease() {
        let mut breaker = Breaker::default();
        for token in 0..3 {
            breaker.record(&POLICY, token, true, 0.0);
        }
        breaker.start_probe(9, 5.0, 1.0);
        assert!(matches!(breaker.verdict(5.5), Verdict::Reject { .. }));
        assert_eq!(breaker.verdict(6.0), Verdict::Probe);
    }
}
