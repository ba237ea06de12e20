//! A table of results by key, where one caller computes a key's result while the others see it
//! being computed: the shared mechanism of result caches and idempotency keys.
//!
//! A claim to compute is held like a lease: if its holder dies the claim runs out and another
//! caller may compute. Stored results keep for their time to live.

use std::sync::Arc;

use ahash::AHashMap;

#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Computing { token: u64, expiry: f64 },
    Ready { result: Arc<str>, expiry: f64 },
}

impl Entry {
    fn expiry(&self) -> f64 {
        match self {
            Entry::Computing { expiry, .. } | Entry::Ready { expiry, .. } => *expiry,
        }
    }
}

/// What a key holds at a given time.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    /// Nothing: the caller may claim it and compute.
    Vacant,
    /// Another caller computes it; its claim runs out in this many seconds.
    Computing {
        remaining: f64,
    },
    Ready(Arc<str>),
}

#[derive(Debug, Default)]
pub struct Memo {
    entries: AHashMap<String, Entry>,
    /// Entries when expired ones were last swept: sweeping again once the table doubles keeps
    /// the cost of forgetting linear in the number of keys ever stored.
    swept_at: usize,
}

impl Memo {
    pub fn lookup(&self, key: &str, now: f64) -> Lookup {
        match self.entries.get(key) {
            Some(entry) if entry.expiry() <= now => Lookup::Vacant,
            Some(Entry::Computing { expiry, .. }) => Lookup::Computing {
                remaining: expiry - now,
            },
            Some(Entry::Ready { result, .. }) => Lookup::Ready(result.clone()),
            None => Lookup::Vacant,
        }
    }

    pub fn claim(&mut self, key: &str, token: u64, now: f64, lease: f64) {
        if self.entries.len() >= 2 * self.swept_at.max(64) {
            self.entries.retain(|_, entry| entry.expiry() > now);
            self.swept_at = self.entries.len();
        }
        self.entries.insert(
            key.to_owned(),
            Entry::Computing {
                token,
                expiry: now + lease,
            },
        );
    }

    fn holds(&self, key: &str, token: u64) -> bool {
        matches!(self.entries.get(key), Some(Entry::Computing { token: holder, .. }) if *holder == token)
    }

    pub fn renew(&mut self, key: &str, token: u64, now: f64, lease: f64) {
        if let Some(Entry::Computing { token: holder, expiry }) = self.entries.get_mut(key) {
            if *holder == token && *expiry > now {
                *expiry = now + lease;
            }
        }
    }

    /// Store the claimed key's result for `ttl` seconds. A claim that ran out and was taken
    /// by another caller is left to that caller.
    pub fn store(&mut self, key: &str, token: u64, result: Arc<str>, now: f64, ttl: f64) {
        if self.holds(key, token) {
            self.entries.insert(
                key.to_owned(),
                Entry::Ready {
                    result,
                    expiry: now + ttl,
                },
            );
        }
    }

    /// Give up a claim without a result, so the next caller computes.
    pub fn abandon(&mut self, key: &str, token: u64) {
        if self.holds(key, token) {
            self.entries.remove(key);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_computes_the_others_see_it_computing_then_the_result() {
        let mut memo = Memo::default();
        assert_eq!(memo.lookup("k", 0.0), Lookup::Vacant);
        memo.claim("k", 1, 0.0, 10.0);
        assert_eq!(memo.lookup("k", 1.0), Lookup::Computing { remaining: 9.0 });
        memo.store("k", 1, "42".into(), 2.0, 60.0);
        assert_eq!(memo.lookup("k", 3.0), Lookup::Ready("42".into()));
        assert_eq!(
            memo.lookup("k", 62.0),
            Lookup::Vacant,
            "the result expires with its ttl"
        );
    }

    #[test]
    fn a_dead_claim_runs_out_and_its_late_result_is_not_stored_over_the_new_one() {
        let mut memo = Memo::default();
        memo.claim("k", 1, 0.0, 1.0);
        assert_eq!(memo.lookup("k", 1.0), Lookup::Vacant);
        memo.claim("k", 2, 1.0, 1.0);
        memo.store("k", 1, "late".into(), 1.5, 60.0);
        assert_eq!(memo.lookup("k", 1.5), Lookup::Computing { remaining: 0.5 });
        memo.store("k", 2, "fresh".into(), 1.5, 60.0);
        assert_eq!(memo.lookup("k", 1.6), Lookup::Ready("fresh".into()));
    }

    #[test]
    fn abandoning_lets_the_next_caller_compute() {
        let mut memo = Memo::default();
        memo.claim("k", 1, 0.0, 10.0);
        memo.abandon("k", 2);
        assert!(matches!(memo.lookup("k", 0.0), Lookup::Computing { .. }));
        memo.abandon("k", 1);
        assert_eq!(memo.lookup("k", 0.0), Lookup::Vacant);
    }

    #[test]
    fn renewing_keeps_a_running_claim() {
        let mut memo = Memo::default();
        memo.claim("k", 1, 0.0, 1.0);
        memo.renew("k", 1, 0.9, 1.0);
        assert!(matches!(memo.lookup("k", 1.5), Lookup::Computing { .. }));
    }

    #[test]
    fn expired_entries_are_swept_as_the_table_grows() {
        let mut memo = Memo::default();
        for i in 0..10_000u64 {
            memo.claim(&i.to_string(), i, i as f64, 0.5);
        }
        assert!(memo.len() < 200, "{}", memo.len());
    }
}
