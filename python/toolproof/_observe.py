"""What a batch tells while it runs: the engine reports each call the moment its outcome is
settled (and each retry before its wait) to one ``BatchObserver``, which logs it on the
``toolproof`` logger and hands it to OpenTelemetry when tracing is on. With tracing on, the
engine also asks it, just before a call's first attempt, for the context the call runs in.

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

    def started(self, slot: int) -> contextvars.Context | None:
        """Just before the call in ``slot`` makes its first attempt: the context it runs in."""
        ...


class BatchObserver:
    """The engine's observer for one batch (see the engine's ``observer=`` option)."""

    __slots__ = ("_calls", "_debug", "_redact", "_success_level", "_watcher", "starts", "successes")

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
        self._debug = logger.isEnabledFor(logging.DEBUG)
        self.successes = watcher is not None or logger.isEnabledFor(success_level)
        # Read once per batch by the engine: without a watcher, no call's start costs anything.
        self.starts = watcher is not None

    def started(self, slot: int) -> contextvars.Context | None:
        """The context the call in ``slot`` runs in (its span current there), or None."""
        return self._watcher.started(slot) if self._watcher is not None else None

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
        call = self._calls[slot]
        if self._watcher is not None:
            self._watcher.finished(slot, code, message, attempts, elapsed, result_bytes, truncated, exception)
        outcome = "ok" if code is None else code
        extra = {
            "tool": call.name,
            "call_id": call.id,
            "outcome": outcome,
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
        elif logger.isEnabledFor(self._success_level):
            logger.log(
                self._success_level,
                "tool %s call %s: ok in %.1f ms (attempts %d, %d bytes%s)",
                call.name,
                call.id,
                elapsed * 1000,
                attempts,
                result_bytes,
                ", truncated" if truncated else "",
                extra=extra,
            )
        if self._debug:
            arguments = call.arguments if self._redact is None else self._redact(call.arguments)
            logger.debug("tool %s call %s arguments: %r", call.name, call.id, arguments)

    def retrying(self, slot: int, attempt: int, delay: float, code: str, message: str) -> None:
        call = self._calls[slot]
        if self._watcher is not None:
            self._watcher.retrying(slot, attempt, delay, code, message)
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
