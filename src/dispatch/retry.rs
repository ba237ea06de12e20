//! Retry with exponential backoff and full jitter, for retryable errors only.
//!
//! Full jitter (a delay drawn uniformly between zero and the exponential bound) spreads retries of
//! many calls that failed together, so they do not hit a recovering upstream in one wave.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 means no retry.
    pub attempts: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    pub multiplier: f64,
    /// Draw each delay uniformly from `[0, bound]` (full jitter) instead of waiting `bound`.
    pub jitter: bool,
    /// No retry starts later than this after the first attempt began.
    pub max_elapsed: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            multiplier: 2.0,
            jitter: true,
            max_elapsed: None,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The upper bound of the wait before retry number `retry` (1 for the first retry).
    pub fn bound(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(64) as i32;
        let seconds = self.initial_delay.as_secs_f64() * self.multiplier.max(1.0).powi(exponent);
        let capped = seconds.min(self.max_delay.as_secs_f64());
        Duration::try_from_secs_f64(capped.max(0.0)).unwrap_or(self.max_delay)
    }

    /// The wait before retry number `retry`. `unit` is a uniform draw from `[0, 1)`; `retry_after`
    /// is what the upstream asked for (HTTP `Retry-After`), which is honoured as a minimum.
    pub fn delay(&self, retry: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        let bound = self.bound(retry);
        let drawn = if self.jitter {
            bound.mul_f64(unit.clamp(0.0, 1.0))
        } else {
            bound
        };
        match retry_after {
            Some(asked) => drawn.max(asked),
            None => drawn,
        }
    }

    /// Whether another attempt may start: attempts left, and the wait fits the time budget.
    pub fn allows(&self, attempts_made: u32, elapsed: Duration, wait: Duration) -> bool {
        attempts_made < self.attempts && self.max_elapsed.is_none_or(|budget| elapsed + wait <= budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            multiplier: 2.0,
            jitter: true,
            max_elapsed: Some(Duration::from_secs(3)),
        }
    }

    #[test]
    fn bounds_grow_exponentially_to_the_cap() {
        let policy = policy();
        let bounds: Vec<u128> = (1..=6).map(|retry| policy.bound(retry).as_millis()).collect();
        assert_eq!(bounds, vec![100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn full_jitter_stays_within_the_bound() {
        let policy = policy();
        assert_eq!(policy.delay(3, 0.0, None), Duration::ZERO);
        assert_eq!(policy.delay(3, 0.5, None), Duration::from_millis(200));
        assert!(policy.delay(3, 0.999, None) < Duration::from_millis(400));
        let fixed = RetryPolicy {
            jitter: false,
            ..policy
        };
        assert_eq!(fixed.delay(3, 0.1, None), Duration::from_millis(400));
    }

    #[test]
    fn retry_after_is_a_minimum() {
        let policy = policy();
        assert_eq!(
            policy.delay(1, 0.5, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.delay(4, 1.0, Some(Duration::from_millis(10))),
            Duration::from_millis(800)
        );
    }

    #[test]
    fn attempts_and_budget_limit_retries() {
        let policy = policy();
        assert!(policy.allows(1, Duration::ZERO, Duration::from_millis(100)));
        assert!(!policy.allows(5, Duration::ZERO, Duration::ZERO));
        assert!(!policy.allows(2, Duration::from_millis(2950), Duration::from_millis(100)));
        assert!(RetryPolicy::none().allows(0, Duration::ZERO, Duration::ZERO));
        assert!(!RetryPolicy::none().allows(1, Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn odd_settings_do_not_panic() {
        let odd = RetryPolicy {
            attempts: u32::MAX,
            initial_delay: Duration::from_secs(u64::MAX / 4),
            max_delay: Duration::MAX,
            multiplier: f64::INFINITY,
            jitter: true,
            max_elapsed: None,
        };
        let _ = odd.delay(1000, 0.5, None);
        let negative = RetryPolicy {
            multiplier: -3.0,
            ..RetryPolicy::default()
        };
        assert_eq!(negative.bound(3), Duration::from_millis(100));
    }
}
