"""Authorization hooks that answer with an awaitable (``async def authorize(call, context)``).

A hook's verdict is read strictly: only ``True`` allows. ``False``, ``None``, any other value
(a truthy string or an un-awaited coroutine included) and any exception the hook raises deny the
call, so a broken hook fails closed. ``dispatch`` waits for an awaitable verdict on the background
event loop; ``adispatch`` awaits it on the caller's loop before any call of the batch runs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Sequence
from typing import Any

from toolproof._loop import background_loop


class HookFailed:
    """An exception the hook raised (BaseException subclasses included), carried as a verdict."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def settle(awaitable: Awaitable[Any]) -> Any:
    """The awaited verdict, or ``HookFailed``: nothing the hook raises escapes into a task, where
    ``KeyboardInterrupt`` or ``SystemExit`` would stop the event loop running it."""
    try:
        return await awaitable
    except asyncio.CancelledError:
        raise
    except BaseException as error:
        return HookFailed(error)


def wait(awaitable: Awaitable[Any]) -> Any:
    """A verdict awaited on the background loop, for ``dispatch`` (which has no loop of its own)."""
    loop = background_loop()
    if getattr(loop, "_thread_id", None) == threading.get_ident():
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()
        return HookFailed(
            RuntimeError("an async authorization hook cannot be awaited on the loop running it")
        )
    future = asyncio.run_coroutine_threadsafe(settle(awaitable), loop)
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise


async def gather(awaitables: Sequence[Awaitable[Any]]) -> list[Any]:
    """Every verdict of a batch, awaited together on the running loop."""
    return list(await asyncio.gather(*(settle(awaitable) for awaitable in awaitables)))


async def authorized(batch: Any, awaitables: Sequence[Awaitable[Any]]) -> Any:
    """``adispatch`` of a batch some of whose hooks answered with awaitables: their verdicts first,
    then the batch."""
    verdicts = await gather(awaitables)
    return await batch.proceed(verdicts)
