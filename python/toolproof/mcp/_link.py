"""A connected MCP session and the event loop it lives on.

An MCP ``ClientSession`` reads its responses in a task on one event loop, and its streams belong
to that loop. ``Registry.dispatch`` runs async tools on toolproof's own background loop, and a
framework may run them on yet another: a request made from a loop other than the session's is
handed to the session's loop, and its answer handed back.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mcp import ClientSession, types

from toolproof.errors import PermanentError

T = TypeVar("T")

__all__ = ["SessionLink"]


async def in_task(make: Callable[[], Awaitable[T]]) -> T:
    """``await make()`` inside an asyncio task.

    The dispatch engine may step a tool's coroutine itself, outside any task (a retry, a
    blocking dispatch); anyio, which the MCP SDK is written in, finds its event loop through
    the current task (sniffio) and fails without one.
    """
    if asyncio.current_task() is None:
        return await asyncio.ensure_future(make())
    return await make()


@functools.cache
def _blocking_entry_points() -> frozenset[Any]:
    """Code objects of the calls that block their thread until every tool call has finished."""
    from toolproof.registry import Registry
    from toolproof.tools import Tool

    return frozenset({Registry.dispatch.__code__, Tool.run.__code__})


def _inside_blocking_dispatch(thread: int) -> bool:
    """Whether ``thread`` is inside a call that blocks it until its tool calls finish (anywhere
    in its stack: until that call returns, the thread runs nothing else)."""
    frame = sys._current_frames().get(thread)
    entry_points = _blocking_entry_points()
    while frame is not None:
        if frame.f_code in entry_points:
            return True
        frame = frame.f_back
    return False


class SessionLink:
    """A session, the loop its reader runs on, and the name of its server for messages."""

    __slots__ = ("_notices", "loop", "server", "session", "thread")

    def __init__(self, session: ClientSession, server: str) -> None:
        self.session = session
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self._notices: set[asyncio.Task[None]] = set()

    async def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """``await make()`` on the session's loop, from whichever loop this runs on."""
        if asyncio.get_running_loop() is self.loop:
            return await in_task(make)
        if self.loop.is_closed() or not self.loop.is_running():
            raise ConnectionError(f"the event loop of MCP server '{self.server}' has stopped")
        if _inside_blocking_dispatch(self.thread):
            # The session's loop is the thread waiting for this very call: handing the request
            # to it would wait forever.
            raise PermanentError(
                f"MCP server '{self.server}' is connected on an event loop that is blocked waiting for "
                "this call (a blocking dispatch made from inside that loop); call "
                "'await registry.adispatch(...)' there instead."
            )

        async def on_own_loop() -> T:
            return await make()

        future = asyncio.run_coroutine_threadsafe(on_own_loop(), self.loop)
        return await asyncio.wrap_future(future)

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        """A ``tools/call`` request, answered as the server sent it.

        ``ClientSession.call_tool`` raises ``RuntimeError`` when structured content does not match
        the output schema; the request is sent here directly so that the mismatch becomes a result
        the model can read. A call cancelled while waiting (a timeout) tells the server so, as
        the protocol asks, so that it can stop the work.
        """
        session = self.session
        request = types.ClientRequest(
            types.CallToolRequest(params=types.CallToolRequestParams(name=name, arguments=arguments))
        )
        # `send_request` numbers the request from this counter before its first await.
        request_id = getattr(session, "_request_id", None)
        try:
            return await session.send_request(request, types.CallToolResult)
        except asyncio.CancelledError:
            if isinstance(request_id, int):
                self._notify_cancelled(request_id)
            raise

    def _notify_cancelled(self, request_id: int) -> None:
        notice = types.ClientNotification(
            types.CancelledNotification(
                params=types.CancelledNotificationParams(
                    requestId=request_id, reason="cancelled by the client"
                )
            )
        )

        async def send() -> None:
            try:
                await self.session.send_notification(notice)
            except Exception:  # the session may be closing; the server then stops anyway
                return

        task = self.loop.create_task(send())
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)
