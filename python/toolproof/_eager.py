"""Async tools are started eagerly: run to their first suspension where they are started, and
only a coroutine that actually waits becomes an asyncio Task (as Python 3.12's eager task
factory does). A tool that never waits, which many are, costs no task and no loop turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

_STARTED = object()


class Escaped(Exception):
    """A ``BaseException`` a tool raised after it suspended (``KeyboardInterrupt``, ``SystemExit``
    ...), carried as an ``Exception``: an asyncio task that ended with the bare exception would
    re-raise it into its event loop and stop the loop. The engine unwraps it into the tool's
    result."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


def _step(method: Any, *args: Any) -> Any:
    try:
        return method(*args)
    except (Exception, asyncio.CancelledError, GeneratorExit):
        raise
    except BaseException as error:
        raise Escaped(error) from None


class Resumed(Coroutine[Any, Any, Any]):
    """The rest of a coroutine that already ran to its first suspension, for a Task to drive.

    The task's first ``send`` gets back what the coroutine yielded then; everything after goes to
    the coroutine itself. A ``throw`` goes straight to it, so a task cancelled before its first
    step still cancels the tool where it waits.
    """

    __slots__ = ("_coroutine", "_first")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self._coroutine = coroutine
        self._first = yielded

    def send(self, value: Any) -> Any:
        if self._first is not _STARTED:
            first, self._first = self._first, _STARTED
            return first
        return _step(self._coroutine.send, value)

    def throw(self, error: Any, value: Any = None, traceback: Any = None) -> Any:  # type: ignore[override]
        self._first = _STARTED
        if value is None and traceback is None:
            return _step(self._coroutine.throw, error)
        return _step(self._coroutine.throw, error, value, traceback)

    def close(self) -> None:
        self._coroutine.close()

    def __await__(self) -> Generator[Any, Any, Any]:
        return self  # type: ignore[return-value]

    def __iter__(self) -> Resumed:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def __repr__(self) -> str:
        return f"<resumed {self._coroutine!r}>"


def resume(coroutine: Coroutine[Any, Any, Any], yielded: Any) -> Resumed:
    return Resumed(coroutine, yielded)
