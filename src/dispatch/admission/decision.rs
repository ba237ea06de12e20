//! What admission is asked and what it answers: a tool's guards, a call's request, the decision,
//! and the outcome reported back when the call finishes.

use std::sync::Arc;

use super::breaker::BreakerPolicy;
use super::gcra::Rate;
use super::idempotency;
use crate::dispatch::code::ResultCode;

/// Lease on a concurrency slot, a cache claim or an idempotency claim when the guards do not
/// say: long enough that a renewing caller never loses it, short enough that a dead one's slots
/// come back soon.
pub const DEFAULT_LEASE: f64 = 30.0;

/// The guards of one tool, built once.
#[derive(Clone, Debug, PartialEq)]
pub struct Guards {
    pub tool: String,
    /// Every limit must have room: "10/second" and "1000/hour" together.
    pub rates: Vec<Rate>,
    /// Seconds a call may wait for a rate limit before it is refused with `rate_limited`.
    pub max_wait: f64,
    pub max_concurrency: Option<u32>,
    pub breaker: Option<BreakerPolicy>,
    /// Seconds a successful result is reused for the same cache key.
    pub cache_ttl: Option<f64>,
    /// Seconds an idempotency key's result is kept.
    pub idempotency_ttl: f64,
    /// Seconds a slot or claim is held without renewal.
    pub lease: f64,
}

impl Guards {
    pub fn new(tool: impl Into<String>) -> Self {
        Guards {
            tool: tool.into(),
            rates: Vec::new(),
            max_wait: 0.0,
            max_concurrency: None,
            breaker: None,
            cache_ttl: None,
            idempotency_ttl: idempotency::DEFAULT_TTL,
            lease: DEFAULT_LEASE,
        }
    }
}

/// One call asking to run.
#[derive(Clone, Debug)]
pub struct Request {
    pub guards: Arc<Guards>,
    /// The canonical arguments' key, when the tool caches results.
    pub cache_key: Option<String>,
    pub idempotency_key: Option<String>,
    /// Seconds this call may still wait for a rate limit, when less than the guards' `max_wait`
    /// (a call that already waited).
    pub max_wait: Option<f64>,
}

impl Request {
    pub fn new(guards: Arc<Guards>) -> Self {
        Request {
            guards,
            cache_key: None,
            idempotency_key: None,
            max_wait: None,
        }
    }

    pub fn max_wait(&self) -> f64 {
        self.max_wait.unwrap_or(self.guards.max_wait).min(self.guards.max_wait)
    }
}

/// What an admitted call holds until it completes: its slot, its probe, its claims.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    pub guards: Arc<Guards>,
    pub token: u64,
    pub leased: bool,
    pub probe: bool,
    pub cache_key: Option<String>,
    pub idempotency_key: Option<String>,
}

/// The answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Run the call, then report its outcome with the ticket.
    Admitted(Ticket),
    /// Ask again after this many seconds: a rate limit with room within `max_wait`, a full
    /// concurrency cap, or a cached result another caller is computing.
    Wait { retry_after: f64 },
    /// Do not run it: fail the call with this code, and a hint when trying later may help.
    Refused { code: ResultCode, retry_after: Option<f64> },
    /// The cache holds a result for these arguments: the JSON text.
    Cached(Arc<str>),
    /// A call with this idempotency key already ran: its result's JSON text.
    Duplicate(Arc<str>),
}

/// How an admitted call ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    /// A failure of the kind an outage causes (timeouts, upstream unavailable, retryable
    /// errors): what a circuit breaker counts.
    pub retryable_failure: bool,
    /// The result's JSON text, stored for the cache and the idempotency key on success.
    pub result: Option<Arc<str>>,
}

impl Outcome {
    pub fn success(result: impl Into<Arc<str>>) -> Self {
        Outcome {
            ok: true,
            retryable_failure: false,
            result: Some(result.into()),
        }
    }

    pub fn failure(retryable: bool) -> Self {
        Outcome {
            ok: false,
            retryable_failure: retryable,
            result: None,
        }
    }
}
