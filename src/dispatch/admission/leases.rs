//! Concurrency caps as leases: a slot is held until released or until its lease runs out.
//!
//! A holder that dies (a killed process, a lost machine) never releases its slots; the lease
//! expiring gives them back. A call that runs longer than its lease renews it while it runs.

use ahash::AHashMap;

/// The slots of one tool: each held slot's token and the time its lease runs out.
#[derive(Debug, Default)]
pub struct Leases {
    held: AHashMap<u64, f64>,
}

impl Leases {
    /// Drop the leases that ran out by `now`.
    fn expire(&mut self, now: f64) {
        self.held.retain(|_, expiry| *expiry > now);
    }

    /// `None` when a slot is free at `now` under a cap of `max`; otherwise the seconds until the
    /// earliest lease runs out (a slot may be released sooner).
    pub fn wait(&mut self, max: u32, now: f64) -> Option<f64> {
        self.expire(now);
        if self.held.len() < max as usize {
            return None;
        }
        let earliest = self.held.values().copied().fold(f64::INFINITY, f64::min);
        Some((earliest - now).max(0.0))
    }

    pub fn acquire(&mut self, token: u64, now: f64, lease: f64) {
        self.held.insert(token, now + lease);
    }

    /// Extend a held lease; false when it had already run out (its slot may be someone else's).
    pub fn renew(&mut self, token: u64, now: f64, lease: f64) -> bool {
        match self.held.get_mut(&token) {
            Some(expiry) if *expiry > now => {
                *expiry = now + lease;
                true
            }
            _ => false,
        }
    }

    pub fn release(&mut self, token: u64) {
        self.held.remove(&token);
    }

    pub fn held(&self, now: f64) -> usize {
        self.held.values().filter(|expiry| **expiry > now).count()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cap_waits_for_the_earliest_lease() {
        let mut leases = Leases::default();
        assert_eq!(leases.wait(2, 0.0), None);
        leases.acquire(1, 0.0, 5.0);
        leases.acquire(2, 1.0, 5.0);
        assert_eq!(leases.wait(2, 2.0), Some(3.0));
        leases.release(1);
        assert_eq!(leases.wait(2, 2.0), None);
    }

    #[test]
    fn a_dead_holders_slot_frees_when_its_lease_runs_out() {
        let mut leases = Leases::default();
        leases.acquire(1, 0.0, 1.0);
        assert!(leases.wait(1, 0.5).is_some());
        assert_eq!(leases.wait(1, 1.0), None);
        assert_eq!(leases.held(1.0), 0);
    }

    #[test]
    fn renewing_keeps_a_running_call_its_slot() {
        let mut leases = Leases::default();
        leases.acquire(1, 0.0, 1.0);
        assert!(leases.renew(1, 0.9, 1.0));
        assert!(leases.wait(1, 1.5).is_some());
        assert!(!leases.renew(1, 2.0, 1.0), "an expired lease is not revived");
        assert!(!leases.renew(7, 0.0, 1.0));
    }
}
