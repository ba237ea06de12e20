//! Result codes: the one list of the codes a failed call's result can carry.
//!
//! Every part of toolproof that fails a call names its reason with one of these; metrics count
//! failures by them and adapters decide from them whether a framework should try again.

macro_rules! result_codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, retryable = $retryable:literal;)*) => {
        /// Why a call failed, as its result's `error["code"]` says.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ResultCode {
            $($(#[$doc])* $variant,)*
        }

        impl ResultCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ResultCode] = &[$(ResultCode::$variant,)*];

            /// The code as results, metrics and adapters spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ResultCode::$variant => $name,)*
                }
            }

            /// Whether a failure with this code is worth trying again later.
            pub fn is_retryable(self) -> bool {
                match self {
                    $(ResultCode::$variant => $retryable,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(ResultCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

result_codes! {
    /// The model named a tool the registry does not have.
    UnknownTool = "unknown_tool", retryable = false;
    /// The arguments were refused, even after repair.
    InvalidArguments = "invalid_arguments", retryable = false;
    /// The caller's authorization refused the call.
    Denied = "denied", retryable = false;
    /// Two calls in one batch carried the same id.
    DuplicateCallId = "duplicate_call_id", retryable = false;
    /// The call ran past its time limit.
    Timeout = "timeout", retryable = true;
    /// The tool raised an error not known to be transient.
    ToolError = "tool_error", retryable = false;
    /// The tool raised an error marked as transient.
    RetryableError = "retryable_error", retryable = true;
    /// An upstream service was unreachable or overloaded (HTTP 429/5xx, a dropped connection).
    UpstreamUnavailable = "upstream_unavailable", retryable = true;
    /// An upstream service refused the request for good (HTTP 4xx).
    UpstreamError = "upstream_error", retryable = false;
    /// The tool was refused access to something it needed (it raised `PermissionError`).
    PermissionDenied = "permission_denied", retryable = false;
    /// The tool's result could not be encoded as JSON.
    UnserializableResult = "unserializable_result", retryable = false;
    /// toolproof itself failed unexpectedly while running the call.
    UnexpectedError = "unexpected_error", retryable = false;
    /// The batch was cancelled before the call finished.
    Cancelled = "cancelled", retryable = false;
    /// The tool's rate limit left no room within the call's `max_wait`.
    RateLimited = "rate_limited", retryable = true;
    /// The tool's circuit breaker is open after repeated failures.
    CircuitOpen = "circuit_open", retryable = true;
    /// A call with the same idempotency key is running now.
    InProgress = "in_progress", retryable = true;
    /// The process or worker running the call went away.
    WorkerLost = "worker_lost", retryable = true;
    /// The coordinator that shares guards across processes did not answer in time.
    CoordinatorUnavailable = "coordinator_unavailable", retryable = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_code() {
        for &code in ResultCode::ALL {
            assert_eq!(ResultCode::from_name(code.as_str()), Some(code));
        }
        assert_eq!(ResultCode::from_name("no_such_code"), None);
    }

    #[test]
    fn admission_refusals_are_worth_retrying() {
        for code in [
            ResultCode::RateLimited,
            ResultCode::CircuitOpen,
            ResultCode::InProgress,
            ResultCode::CoordinatorUnavailable,
        ] {
            assert!(code.is_retryable(), "{}", code.as_str());
        }
        assert!(!ResultCode::InvalidArguments.is_retryable());
    }
}
