//! Idempotency keys: a call with a key that already ran gets that run's result instead of
//! running again; while the first run is still going, duplicates are told `in_progress`.
//!
//! Only a success is kept: a failed run gives its key back, so a retry of a call that did not
//! happen may happen.

use std::sync::Arc;

use super::memo::{Lookup, Memo};

/// How long a key's result is kept when the guards do not say: a day covers retries and
/// redeliveries by queues and frameworks.
pub const DEFAULT_TTL: f64 = 86_400.0;

/// How soon a duplicate refused with `in_progress` is told to look again, at most.
pub const IN_PROGRESS_RETRY: f64 = 0.1;

#[derive(Clone, Debug, PartialEq)]
pub enum KeyCheck {
    /// This key ran: here is its result.
    Duplicate(Arc<str>),
    /// The first run with this key is still going.
    InProgress { retry_after: f64 },
    /// The key is new: this call runs.
    First,
}

pub fn check(memo: &Memo, key: &str, now: f64) -> KeyCheck {
    match memo.lookup(key, now) {
        Lookup::Ready(result) => KeyCheck::Duplicate(result),
        Lookup::Computing { remaining } => KeyCheck::InProgress {
            retry_after: remaining.min(IN_PROGRESS_RETRY),
        },
        Lookup::Vacant => KeyCheck::First,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_gets_the_first_runs_result() {
        let mut memo = Memo::default();
        assert_eq!(check(&memo, "pay-1", 0.0), KeyCheck::First);
        memo.claim("pay-1", 1, 0.0, 30.0);
        assert_eq!(
            check(&memo, "pay-1", 0.0),
            KeyCheck::InProgress {
                retry_after: IN_PROGRESS_RETRY
            }
        );
        memo.store("pay-1", 1, "\"paid\"".into(), 1.0, DEFAULT_TTL);
        assert_eq!(check(&memo, "pay-1", 2.0), KeyCheck::Duplicate("\"paid\"".into()));
    }
}
