//! Result caches: a successful result reused for the same tool and the same canonical
//! arguments for `cache_ttl` seconds. While one caller computes a key the others wait for it
//! rather than compute it again.

use std::sync::Arc;

use super::memo::{Lookup, Memo};

/// How often a caller waiting for another's result looks again, at most.
pub const CACHE_POLL: f64 = 0.02;

#[derive(Clone, Debug, PartialEq)]
pub enum CacheCheck {
    Hit(Arc<str>),
    /// Another caller computes it: look again after this many seconds.
    Wait(f64),
    /// This caller computes it.
    Miss,
}

pub fn check(memo: &Memo, key: &str, now: f64) -> CacheCheck {
    match memo.lookup(key, now) {
        Lookup::Ready(result) => CacheCheck::Hit(result),
        Lookup::Computing { remaining } => CacheCheck::Wait(remaining.min(CACHE_POLL)),
        Lookup::Vacant => CacheCheck::Miss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_briefly_for_a_result_being_computed() {
        let mut memo = Memo::default();
        assert_eq!(check(&memo, "k", 0.0), CacheCheck::Miss);
        memo.claim("k", 1, 0.0, 30.0);
        assert_eq!(check(&memo, "k", 0.0), CacheCheck::Wait(CACHE_POLL));
        memo.store("k", 1, "[1]".into(), 0.0, 5.0);
        assert_eq!(check(&memo, "k", 1.0), CacheCheck::Hit("[1]".into()));
    }
}
