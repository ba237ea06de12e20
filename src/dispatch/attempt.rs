//! One attempt of one call, as the engine carries it across threads: what the tool returned (in
//! the host's terms), a classified failure, a timeout, or a cancellation.

use std::time::Duration;

use crate::dispatch::code::ResultCode;

/// How a failure is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Worth another attempt, if the retry policy allows one.
    Retryable,
    /// Final: another attempt would fail the same way.
    Permanent,
    /// A bug, most likely: logged with its traceback, reported to the model without internals.
    Unexpected,
}

impl FailureKind {
    /// Every kind, in the order of the one list.
    pub const ALL: [FailureKind; 3] = [FailureKind::Retryable, FailureKind::Permanent, FailureKind::Unexpected];

    /// The name a classifier gives the kind by.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureKind::Retryable => "retryable",
            FailureKind::Permanent => "permanent",
            FailureKind::Unexpected => "unexpected",
        }
    }

    /// A kind by its name; `None` for a name that is not one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// The code a failure carries: one of toolproof's, or one a tool's own exception names (a
/// `ToolError` subclass may name its kind of failure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureCode {
    Known(ResultCode),
    Named(Box<str>),
}

static TIMEOUT: FailureCode = FailureCode::Known(ResultCode::Timeout);
static CANCELLED: FailureCode = FailureCode::Known(ResultCode::Cancelled);

impl FailureCode {
    /// A code by its name: toolproof's own when it is one.
    pub fn from_name(name: &str) -> Self {
        ResultCode::from_name(name).map_or_else(|| FailureCode::Named(name.into()), FailureCode::Known)
    }

    pub fn as_str(&self) -> &str {
        match self {
            FailureCode::Known(code) => code.as_str(),
            FailureCode::Named(name) => name,
        }
    }
}

impl From<ResultCode> for FailureCode {
    fn from(code: ResultCode) -> Self {
        FailureCode::Known(code)
    }
}

impl PartialEq<ResultCode> for FailureCode {
    fn eq(&self, other: &ResultCode) -> bool {
        *self == FailureCode::Known(*other)
    }
}

/// A failed attempt, classified.
#[derive(Debug)]
pub struct Failure<E> {
    pub kind: FailureKind,
    pub code: FailureCode,
    /// What the model reads.
    pub message: String,
    /// How long the upstream asked to be left alone (HTTP `Retry-After`), a minimum wait.
    pub retry_after: Option<Duration>,
    /// The host's record of what was raised (a Python exception), for logs and the result.
    pub exception: Option<E>,
}

/// What one attempt came to. `V` is the host's successful value (encoded text and the object it
/// came from), `E` its exception.
#[derive(Debug)]
pub enum Attempt<V, E> {
    Returned(V),
    Failed(Failure<E>),
    TimedOut,
    Cancelled,
}

impl<V, E> Attempt<V, E> {
    pub fn failed(kind: FailureKind, code: ResultCode, message: impl Into<String>) -> Self {
        Attempt::Failed(Failure {
            kind,
            code: code.into(),
            message: message.into(),
            retry_after: None,
            exception: None,
        })
    }

    /// Whether another attempt may follow. A timeout is retried only when the timed-out attempt
    /// was stopped (`stops_on_timeout`: an async tool's task is cancelled): a sync tool's thread
    /// is still running it, and a second attempt would run its side effects twice, concurrently.
    pub fn is_retryable(&self, stops_on_timeout: bool) -> bool {
        match self {
            Attempt::TimedOut => stops_on_timeout,
            Attempt::Failed(failure) => failure.kind == FailureKind::Retryable,
            _ => false,
        }
    }

    /// The result code of a failed attempt; `None` when it returned.
    pub fn code(&self) -> Option<&FailureCode> {
        match self {
            Attempt::Returned(_) => None,
            Attempt::Failed(failure) => Some(&failure.code),
            Attempt::TimedOut => Some(&TIMEOUT),
            Attempt::Cancelled => Some(&CANCELLED),
        }
    }

    /// The wait the upstream asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Attempt::Failed(failure) => failure.retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Plain = Attempt<(), ()>;

    #[test]
    fn only_retryable_failures_and_stoppable_timeouts_are_retried() {
        assert!(Plain::failed(FailureKind::Retryable, ResultCode::RetryableError, "busy").is_retryable(false));
        assert!(!Plain::failed(FailureKind::Permanent, ResultCode::ToolError, "no").is_retryable(true));
        assert!(!Plain::failed(FailureKind::Unexpected, ResultCode::UnexpectedError, "bug").is_retryable(true));
        assert!(Plain::TimedOut.is_retryable(true));
        assert!(!Plain::TimedOut.is_retryable(false));
        assert!(!Plain::Cancelled.is_retryable(true));
        assert!(!Plain::Returned(()).is_retryable(true));
    }

    #[test]
    fn failure_kinds_read_back_by_name() {
        for kind in FailureKind::ALL {
            assert_eq!(FailureKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(FailureKind::from_name("Retryable"), None);
    }

    #[test]
    fn codes_of_attempts() {
        assert_eq!(Plain::TimedOut.code().unwrap(), &ResultCode::Timeout);
        assert_eq!(Plain::Cancelled.code().unwrap(), &ResultCode::Cancelled);
        assert_eq!(Plain::Returned(()).code(), None);
    }

    #[test]
    fn a_tool_may_name_its_own_code() {
        assert_eq!(
            FailureCode::from_name(ResultCode::Timeout.as_str()),
            ResultCode::Timeout
        );
        let own = FailureCode::from_name("quota_exhausted");
        assert_eq!(own, FailureCode::Named("quota_exhausted".into()));
        assert_eq!(own.as_str(), "quota_exhausted");
    }
}
