//! Admission: whether a call may run now, shared by every call of a tool.
//!
//! Rate limits ([`gcra`]), concurrency caps held as leases ([`leases`]), circuit breakers
//! ([`breaker`]), result caches ([`cache`]) and idempotency keys ([`idempotency`]) are checked
//! together for each call, and nothing is taken unless everything lets the call through. The
//! engine asks before running a call and reports its outcome after ([`decision`]).
//!
//! [`local::LocalCoordinator`] keeps the state in this process. The Redis coordinator keeps
//! the same state in Redis, with the same rules written as Lua, so that every process sharing it
//! is held to one limit.

pub mod breaker;
pub mod cache;
pub mod decision;
pub mod gcra;
pub mod idempotency;
pub mod leases;
pub mod local;
pub mod memo;

use std::sync::Mutex;
use std::time::Instant;

/// Where admission reads the time, in seconds from an origin of its choosing.
pub trait Clock: Send + Sync {
    fn now(&self) -> f64;
}

/// The monotonic clock of this process.
#[derive(Debug)]
pub struct MonotonicClock {
    origin: Instant,
}

impl Default for MonotonicClock {
    fn default() -> Self {
        MonotonicClock { origin: Instant::now() }
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }
}

/// A clock moved by hand, for tests of timing rules without sleeping.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Mutex<f64>,
}

impl ManualClock {
    pub fn set(&self, now: f64) {
        *self.now.lock().unwrap_or_else(|poison| poison.into_inner()) = now;
    }

    pub fn advance(&self, seconds: f64) {
        *self.now.lock().unwrap_or_else(|poison| poison.into_inner()) += seconds;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> f64 {
        *self.now.lock().unwrap_or_else(|poison| poison.into_inner())
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> f64 {
        (**self).now()
    }
}
