"""Result codes: why a call failed, as its result's ``error["code"]`` says; and failure kinds:
how a failed attempt is handled.

The lists are the Rust core's (``toolproof._core.result_codes()``, ``failure_kinds()``); these
enums give them names a type checker sees. Members are strings, so
``result.error["code"] == ResultCode.RATE_LIMITED`` holds.
"""

from __future__ import annotations

import enum

from toolproof._core import failure_kinds, result_codes

__all__ = ["RETRYABLE_CODES", "FailureKind", "ResultCode"]


class ResultCode(str, enum.Enum):
    """Why a call failed."""

    UNKNOWN_TOOL = "unknown_tool"
    INVALID_ARGUMENTS = "invalid_arguments"
    DENIED = "denied"
    DUPLICATE_CALL_ID = "duplicate_call_id"
    TIMEOUT = "timeout"
    TOOL_ERROR = "tool_error"
    RETRYABLE_ERROR = "retryable_error"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    UPSTREAM_ERROR = "upstream_error"
    PERMISSION_DENIED = "permission_denied"
    UNSERIALIZABLE_RESULT = "unserializable_result"
    UNEXPECTED_ERROR = "unexpected_error"
    CANCELLED = "cancelled"
    RATE_LIMITED = "rate_limited"
    """The tool's rate limit left no room within the call's ``max_wait``."""
    CIRCUIT_OPEN = "circuit_open"
    """The tool's circuit breaker is open after repeated failures."""
    IN_PROGRESS = "in_progress"
    """A call with the same idempotency key is running now."""
    WORKER_LOST = "worker_lost"
    COORDINATOR_UNAVAILABLE = "coordinator_unavailable"
    """The coordinator sharing guards across processes did not answer in time."""

    def __str__(self) -> str:
        return self.value

    @property
    def retryable(self) -> bool:
        """Whether a failure with this code is worth trying again later."""
        return self.value in RETRYABLE_CODES


_CORE = dict(result_codes())
if set(_CORE) != {code.value for code in ResultCode}:  # pragma: no cover - a build out of step
    raise ImportError(
        "toolproof.codes and the compiled core list different result codes; rebuild the extension"
    )

RETRYABLE_CODES: frozenset[str] = frozenset(name for name, retryable in _CORE.items() if retryable)
"""Result codes of failures worth trying again later."""


class FailureKind(str, enum.Enum):
    """How a failed attempt is handled: what a tool's exception is classified as."""

    RETRYABLE = "retryable"
    """Worth another attempt, if the retry policy allows one."""
    PERMANENT = "permanent"
    """Final: another attempt would fail the same way."""
    UNEXPECTED = "unexpected"
    """A bug, most likely: logged with its traceback, reported to the model without internals."""

    def __str__(self) -> str:
        return self.value


if set(failure_kinds()) != {kind.value for kind in FailureKind}:  # pragma: no cover - a build out of step
    raise ImportError(
        "toolproof.codes and the compiled core list different failure kinds; rebuild the extension"
    )
