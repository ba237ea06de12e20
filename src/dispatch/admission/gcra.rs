//! Rate limits: "50/second", "1000/hour", checked with the generic cell rate algorithm (GCRA).
//!
//! A limit of `count` per `period` lets one call through every `period / count` seconds (the
//! emission interval) and allows a burst of `count` after a quiet spell. Its whole state is one
//! number, the theoretical arrival time of the next call, which is why the same check runs in one
//! process or as a few lines of Lua against a shared store.

use std::fmt;
use std::str::FromStr;

/// `count` calls per `period` seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub count: u32,
    pub period: f64,
}

impl Rate {
    /// Seconds between two calls at the steady rate.
    pub fn emission(&self) -> f64 {
        self.period / f64::from(self.count)
    }

    /// How far ahead of the steady schedule a burst may run.
    pub fn tolerance(&self) -> f64 {
        self.period - self.emission()
    }
}

/// Why a rate limit's text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateError(pub String);

impl fmt::Display for RateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RateError {}

impl FromStr for Rate {
    type Err = RateError;

    /// "10/second", "10 per second", "600/minute", "1000/hour", "5000/day", "3/2 seconds".
    fn from_str(text: &str) -> Result<Self, RateError> {
        let refuse = || {
            RateError(format!(
                "rate limit '{text}' is not '<count>/<unit>' with a unit of second, minute, hour or day \
                 (e.g. '50/second', '1000/hour')"
            ))
        };
        let normalized = text.trim().to_ascii_lowercase();
        let (count, per) = normalized
            .split_once('/')
            .or_else(|| normalized.split_once(" per "))
            .ok_or_else(refuse)?;
        let count: u32 = count.trim().parse().map_err(|_| refuse())?;
        if count == 0 {
            return Err(RateError(format!(
                "rate limit '{text}' allows no call: the count must be at least 1"
            )));
        }
        let per = per.trim();
        let (multiple, unit) = match per.split_once(char::is_whitespace) {
            Some((number, unit)) => (number.trim().parse::<f64>().map_err(|_| refuse())?, unit.trim()),
            None => (1.0, per),
        };
        let unit_seconds = match unit.trim_end_matches('s') {
            "second" | "sec" | "s" => 1.0,
            "minute" | "min" | "m" => 60.0,
            "hour" | "h" => 3600.0,
            "day" | "d" => 86400.0,
            _ => return Err(refuse()),
        };
        if !(multiple.is_finite() && multiple > 0.0) {
            return Err(refuse());
        }
        Ok(Rate {
            count,
            period: multiple * unit_seconds,
        })
    }
}

/// Differences of arrival times below this are rounding, not waiting (seconds).
pub const ROUNDING: f64 = 1e-9;

/// The state of one limit: the theoretical arrival time of the next call (`None` before any).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Gcra {
    tat: Option<f64>,
}

impl Gcra {
    /// Seconds to wait before a call at `now` conforms; 0 when it conforms now.
    pub fn wait(&self, rate: &Rate, now: f64) -> f64 {
        let tat = self.tat.unwrap_or(now).max(now);
        let wait = tat - rate.tolerance() - now;
        // A whole burst taken at one instant leaves the arrival time exactly one tolerance
        // ahead, up to rounding: that call conforms.
        if wait > ROUNDING {
            wait
        } else {
            0.0
        }
    }

    /// Count a conforming call at `now`.
    pub fn take(&mut self, rate: &Rate, now: f64) {
        let tat = self.tat.unwrap_or(now).max(now);
        self.tat = Some(tat + rate.emission());
    }

    /// Whether the limit has forgotten every call, so its state can be dropped.
    pub fn is_idle(&self, now: f64) -> bool {
        self.tat.is_none_or(|tat| tat <= now)
    }
}

/// Seconds until a call at `now` conforms to every limit: the longest of their waits.
pub fn wait_for_all(limits: &[(Rate, Gcra)], now: f64) -> f64 {
    limits
        .iter()
        .map(|(rate, state)| state.wait(rate, now))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> Rate {
        text.parse().unwrap()
    }

    #[test]
    fn reads_the_usual_spellings() {
        assert_eq!(rate("50/second"), Rate { count: 50, period: 1.0 });
        assert_eq!(
            rate("10 per minute"),
            Rate {
                count: 10,
                period: 60.0
            }
        );
        assert_eq!(
            rate("1000/hours"),
            Rate {
                count: 1000,
                period: 3600.0
            }
        );
        assert_eq!(rate("3/2 seconds"), Rate { count: 3, period: 2.0 });
        assert_eq!(
            rate(" 5/Day "),
            Rate {
                count: 5,
                period: 86400.0
            }
        );
    }

    #[test]
    fn refuses_what_it_cannot_read_and_says_what_it_expects() {
        for text in ["", "50", "fifty/second", "0/second", "5/fortnight", "5/-1 second"] {
            let error = text.parse::<Rate>().unwrap_err();
            assert!(error.0.contains(text.trim()) || text.is_empty(), "{error}");
        }
    }

    #[test]
    fn a_burst_of_count_then_one_per_emission_interval() {
        let limit = rate("5/second");
        let mut state = Gcra::default();
        for _ in 0..5 {
            assert_eq!(state.wait(&limit, 0.0), 0.0);
            state.take(&limit, 0.0);
        }
        let wait = state.wait(&limit, 0.0);
        assert!((wait - 0.2).abs() < 1e-9, "{wait}");
        assert_eq!(state.wait(&limit, 0.2), 0.0);
        state.take(&limit, 0.2);
        assert!((state.wait(&limit, 0.2) - 0.2).abs() < 1e-9);
    }

    #[test]
    fn over_a_long_run_the_rate_holds() {
        let limit = rate("50/second");
        let mut state = Gcra::default();
        let mut admitted = 0;
        let mut now = 0.0;
        while now < 10.0 {
            if state.wait(&limit, now) == 0.0 {
                state.take(&limit, now);
                admitted += 1;
            }
            now += 0.001;
        }
        // 10 s at 50/s plus the initial burst allowance.
        assert!((500..=550).contains(&admitted), "{admitted}");
    }

    #[test]
    fn a_full_burst_at_an_awkward_instant_is_not_refused_by_rounding() {
        let limit = rate("3/minute");
        let mut state = Gcra::default();
        let now = 12_345.678_901_234;
        for _ in 0..3 {
            assert_eq!(state.wait(&limit, now), 0.0);
            state.take(&limit, now);
        }
        assert!(state.wait(&limit, now) > 19.0);
    }

    #[test]
    fn several_limits_wait_for_the_strictest() {
        let limits = [rate("10/second"), rate("12/minute")];
        let mut states = [(limits[0], Gcra::default()), (limits[1], Gcra::default())];
        for _ in 0..10 {
            assert_eq!(wait_for_all(&states, 0.0), 0.0);
            for (limit, state) in states.iter_mut() {
                state.take(limit, 0.0);
            }
        }
        // The per-second limit is spent: its wait is 0.1 s; the per-minute one still has room.
        assert!((wait_for_all(&states, 0.0) - 0.1).abs() < 1e-9);
        for _ in 0..2 {
            for (limit, state) in states.iter_mut() {
                state.take(limit, 1.0);
            }
        }
        // Twelve calls within a second spent the minute's burst: the next waits for its schedule.
        assert!(wait_for_all(&states, 1.0) > 3.0);
    }

    #[test]
    fn idle_once_the_schedule_has_passed() {
        let limit = rate("2/second");
        let mut state = Gcra::default();
        assert!(state.is_idle(0.0));
        state.take(&limit, 0.0);
        assert!(!state.is_idle(0.4));
        assert!(state.is_idle(0.5));
    }
}
