"""What a batch tells while it runs: the engine reports each call the moment its outcome is
settled (and each retry before its wait) to one observer, which logs it on the ``toolproof``
logger and hands it to OpenTelemetry when tracing is on. With tracing on, the engine also asks it
for the context each call runs in: on the dispatching thread before the batch runs for a call that
starts at once, or when its first attempt begins for one that waited for a concurrency cap.

Log levels: a failure at WARNING; a bug in the tool's own code (an unexpected exception, a
``TypeError`` raised inside it) at ERROR with its traceback; a success at the registry's
``success_log_level`` (INFO unless set); each retry at INFO with the attempt, the delay and the
reason; the arguments (through ``redact``) at DEBUG. Nothing is built when no one would read it.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from toolproof._core import ToolCall

logger = logging.getLogger("toolproof")
# A library's logger stays quiet until the application configures logging.
logger.addHandler(logging.NullHandler())


class CallWatcher(Protocol):
    """What else watches a batch's calls (OpenTelemetry, see ``toolproof.otel``)."""

    every_call: bool
    """Whether it needs to hear of successes too, or of failures and retries only."""

    def finished(
        self,
        slot: int,
        code: str | None,
        message: str | None,
        attempts: int,
        elapsed: float,
        result_bytes: int,
        truncated: bool,
        exception: BaseException | None,
    ) -> None: ...

    def retrying(self, slot: int, attempt: int, delay: float, code: str, message: str) -> None: ...

    def started(self, slot: int, waited: float) -> contextvars.Context | None:
        """Before the call in ``slot`` makes its first attempt, ``waited`` seconds after it
        started (its wait for a concurrency cap): the context it runs in."""
        ...


def log_finished(
    call: ToolCall,
    success_level: int,
    redact: Callable[[Any], Any] | None,
    code: str | None,
    message: str | None,
    attempts: int,
    elapsed: float,
    result_bytes: int,
    truncated: bool,
    exception: BaseException | None,
    bug: bool,
) -> None:
    """Log one settled call at the level its outcome calls for."""
    if bug:
        level = logging.ERROR
    elif code is not None:
        level = logging.WARNING
    else:
        level = success_level
    if logger.isEnabledFor(level):
        extra = {
            "tool": call.name,
            "call_id": call.id,
            "outcome": "ok" if code is None else code,
            "latency": elapsed,
            "attempts": attempts,
        }
        if bug:
            logger.error(
                "tool %s call %s failed in its own code (%s) in %.1f ms: %s",
                call.name,
                call.id,
                code,
                elapsed * 1000,
                message,
                exc_info=exception,
                extra=extra,
            )
        elif code is not None:
            logger.warning(
                "tool %s call %s failed: %s in %.1f ms (attempts %d): %s",
                call.name,
                call.id,
                code,
                elapsed * 1000,
                attempts,
                message,
                extra=extra,
            )
        else:
            logger.log(
                success_level,
                "tool %s call %s: ok in %.1f ms (attempts %d, %d bytes%s)",
                call.name,
                call.id,
                elapsed * 1000,
                attempts,
                result_bytes,
                ", truncated" if truncated else "",
                extra=extra,
            )
    if logger.isEnabledFor(logging.DEBUG):
        arguments = call.arguments if redact is None else redact(call.arguments)
        logger.debug("tool %s call %s arguments: %r", call.name, call.id, arguments)


def log_retrying(call: ToolCall, attempt: int, delay: float, code: str, message: str) -> None:
    logger.info(
        "tool %s call %s: attempt %d failed (%s: %s); retrying in %.3f s",
        call.name,
        call.id,
        attempt,
        code,
        message,
        delay,
        extra={"tool": call.name, "call_id": call.id, "attempt": attempt, "delay": delay, "reason": code},
    )


class BatchObserver:
    """The engine's observer for one batch (see the engine's ``observer=`` option)."""

    __slots__ = ("_calls", "_redact", "_success_level", "_watcher", "starts", "successes")

    def __init__(
        self,
        calls: Sequence[ToolCall],
        *,
        success_level: int,
        redact: Callable[[Any], Any] | None,
        watcher: CallWatcher | None,
    ) -> None:
        self._calls = calls
        self._success_level = success_level
        self._redact = redact
        self._watcher = watcher
        self.successes = (watcher is not None and watcher.every_call) or logger.isEnabledFor(success_level)
        # Read once per batch by the engine: without a watcher, no call's start costs anything.
        self.starts = watcher is not None

    def started(self, slot: int, waited: float) -> contextvars.Context | None:
        """The context the call in ``slot`` runs in (its span current there), or None."""
        return self._watcher.started(slot, waited) if self._watcher is not None else None

    def finished(
        self,
        slot: int,
        code: str | None,
        message: str | None,
        attempts: int,
        elapsed: float,
        result_bytes: int,
        truncated: bool,
        exception: BaseException | None,
        bug: bool,
    ) -> None:
        if self._watcher is not None:
            self._watcher.finished(slot, code, message, attempts, elapsed, result_bytes, truncated, exception)
        log_finished(
            self._calls[slot],
            self._success_level,
            self._redact,
            code,
            message,
            attempts,
            elapsed,
            result_bytes,
            truncated,
            exception,
            bug,
        )

    def retrying(self, slot: int, attempt: int, delay: float, code: str, message: str) -> None:
        if self._watcher is not None:
            self._watcher.retrying(slot, attempt, delay, code, message)
        log_retrying(self._calls[slot], attempt, delay, code, message)


class CallObserver(BatchObserver):
    """The engine's observer for one call a tool runs alone (``Tool.run``/``arun``): logged as
    ``Registry.dispatch`` logs its calls, successes at INFO, arguments unredacted as the tool's
    own log would show them."""

    __slots__ = ()

    def __init__(self, call: ToolCall, watcher: CallWatcher | None = None) -> None:
        super().__init__((call,), success_level=logging.INFO, redact=None, watcher=watcher)
        # A tool run alone runs where its span (``Telemetry.call``) is already current.
        self.starts = False
