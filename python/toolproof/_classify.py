"""Which failures are worth retrying, and what the model is told about each.

Retryable: ``RetryableError``, ``TimeoutError``, ``ConnectionError``, and HTTP 429/5xx errors from
httpx, requests and openai (whose ``Retry-After`` is honoured). Permanent: ``ArgumentError``,
``PermanentError`` (and a framework's own exception for the model, LangChain's ``ToolException``,
whose message is read as a ``ToolError``'s), ``PermissionError``, ``ValueError``, a ``TypeError``
from arguments that do not fit the tool's parameters (``invalid_arguments``), and other HTTP errors.
Anything else is unexpected: logged with its traceback, and reported to the model without
internals; a ``TypeError`` raised inside the tool is such a bug too, under the code ``tool_error``. HTTP libraries are recognized by their module names, so none of them is imported.
"""

from __future__ import annotations

import email.utils
import inspect
import time
from typing import Any, NamedTuple

from toolproof import errors
from toolproof.codes import FailureKind, ResultCode
from toolproof.errors import ArgumentError, RetryableError, ToolError

_HTTP_MODULES = ("httpx", "requests", "openai", "anthropic", "urllib3", "aiohttp")


class Classified(NamedTuple):
    kind: FailureKind
    code: str
    message: str
    """What the model reads."""
    retry_after: float | None


def _status_code(error: BaseException) -> int | None:
    module = type(error).__module__.split(".", 1)[0]
    if module not in _HTTP_MODULES:
        return None
    for holder in (error, getattr(error, "response", None)):
        for attribute in ("status_code", "status"):
            status = getattr(holder, attribute, None)
            if isinstance(status, int):
                return status
    return None


def _retry_after(error: BaseException) -> float | None:
    value = getattr(error, "retry_after", None)
    if isinstance(value, (int, float)) and value >= 0:
        return float(value)
    headers = getattr(getattr(error, "response", None), "headers", None)
    if headers is None:
        return None
    try:
        header = headers.get("retry-after") or headers.get("Retry-After")
    except Exception:
        return None
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_connection_failure(error: BaseException) -> bool:
    """Connection and timeout errors of HTTP clients, which do not all derive from the builtins."""
    module = type(error).__module__.split(".", 1)[0]
    if module not in _HTTP_MODULES:
        return False
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(
        names
        & {
            "ConnectError",
            "ConnectTimeout",
            "ReadTimeout",
            "TimeoutException",
            "APIConnectionError",
            "APITimeoutError",
            "ConnectionError",
            "Timeout",
            "NetworkError",
            "RemoteProtocolError",
        }
    )


def _binding_problem(
    error: TypeError, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None
) -> str | None:
    """Why the arguments cannot be bound to the tool's parameters, when that is what the
    ``TypeError`` says; ``None`` when it was raised inside the tool. Only a failed call pays for
    this."""
    from toolproof._admit import AdmittedCoroutineFunction, AdmittedFunction

    if isinstance(func, (AdmittedFunction, AdmittedCoroutineFunction)):
        # A tool behind admission: its own function and arguments.
        func, args, kwargs = func.unwrap_call(args, kwargs)
    if func is not None:
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):
            signature = None
        if signature is not None:
            try:
                signature.bind(*args, **(kwargs or {}))
            except TypeError as refused:
                return str(refused)
            return None
    # No signature to check: a call refused before the function ran leaves no frame behind.
    return str(error) if error.__traceback__ is None else None


def classify(
    error: BaseException,
    tool: str,
    func: Any = None,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
) -> Classified:
    """How a tool's exception is handled and shown to the model. ``func``, ``args`` and
    ``kwargs`` (the call that raised) tell arguments that do not fit the tool's parameters from a
    ``TypeError`` raised inside it."""
    if isinstance(error, ArgumentError):
        return Classified(FailureKind.PERMANENT, ResultCode.INVALID_ARGUMENTS, error.for_model(), None)
    if isinstance(error, RetryableError):
        return Classified(FailureKind.RETRYABLE, error.code, str(error), _retry_after(error))
    if isinstance(error, ToolError):
        return Classified(FailureKind.PERMANENT, error.code, str(error) or "The tool failed.", None)
    if isinstance(error, errors.FRAMEWORK_TOOL_ERRORS):
        # A framework's exception for reporting to the model (LangChain's ToolException).
        return Classified(
            FailureKind.PERMANENT, ResultCode.TOOL_ERROR, str(error) or "The tool failed.", None
        )
    status = _status_code(error)
    if status is not None:
        if status == 429 or status >= 500:
            what = "rate-limited" if status == 429 else f"unavailable (HTTP {status})"
            return Classified(
                FailureKind.RETRYABLE,
                ResultCode.UPSTREAM_UNAVAILABLE,
                f"An upstream service was {what}.",
                _retry_after(error),
            )
        return Classified(
            FailureKind.PERMANENT,
            ResultCode.UPSTREAM_ERROR,
            f"An upstream service refused the request (HTTP {status}).",
            None,
        )
    if isinstance(error, (TimeoutError, ConnectionError)) or _is_connection_failure(error):
        kind = "timed out" if isinstance(error, TimeoutError) else "could not be reached"
        return Classified(
            FailureKind.RETRYABLE,
            ResultCode.UPSTREAM_UNAVAILABLE,
            f"An upstream service {kind}.",
            _retry_after(error),
        )
    if isinstance(error, PermissionError):
        return Classified(
            FailureKind.PERMANENT, ResultCode.PERMISSION_DENIED, f"Permission denied: {error}", None
        )
    if isinstance(error, ValueError):
        return Classified(
            FailureKind.PERMANENT, ResultCode.TOOL_ERROR, str(error) or type(error).__name__, None
        )
    if isinstance(error, TypeError):
        problem = _binding_problem(error, func, args, kwargs)
        if problem is not None:
            return Classified(
                FailureKind.PERMANENT,
                ResultCode.INVALID_ARGUMENTS,
                f"The arguments do not fit tool '{tool}': {problem}. Call it again with its parameters.",
                None,
            )
        # Raised inside the tool's own code: a bug to log, not something the model can fix.
        return Classified(
            FailureKind.UNEXPECTED,
            ResultCode.TOOL_ERROR,
            f"Tool '{tool}' failed with an error in its own code (TypeError). "
            "This was not caused by your arguments; try another approach.",
            None,
        )
    return Classified(
        FailureKind.UNEXPECTED,
        ResultCode.UNEXPECTED_ERROR,
        f"Tool '{tool}' failed with an unexpected error ({type(error).__name__}). "
        "This was not caused by your arguments; try another approach.",
        None,
    )


def describe(error: Any) -> str:
    """``Type: message`` for logs."""
    return f"{type(error).__name__}: {error}"
