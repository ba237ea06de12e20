"""Async tools are started eagerly: run to their first suspension where they are started, and
only a coroutine that actually waits becomes an asyncio Task (as Python 3.12's eager task
factory does). A tool that never waits, which many are, costs no task and no loop turn.
"""

from __future__ import annotations

import types
from collections.abc import Coroutine, Generator
from typing import Any


@types.coroutine
def _drive(coroutine: Coroutine[Any, Any, Any], yielded: Any) -> Generator[Any, Any, Any]:
    """Carry on a coroutine that already ran to `yielded`, passing what the task sends or throws."""
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as error:
            try:
                yielded = coroutine.throw(error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coroutine.send(sent)
            except StopIteration as stop:
                return stop.value


async def resume(coroutine: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    """The rest of an eagerly started coroutine, as something a Task can run."""
    return await _drive(coroutine, yielded)
