"""The event loop async tools run on when the caller has none (``Registry.dispatch``)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def background_loop() -> asyncio.AbstractEventLoop:
    """A loop running in a daemon thread, started on first use and shared afterwards."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            threading.Thread(target=run, name="toolproof-event-loop", daemon=True).start()
            started.wait()
            _loop = loop
        return _loop


def settle(future: asyncio.Future[Any], value: Any, failed: bool) -> None:
    """Hand a result the engine computed on its own thread to a future (on the loop's thread)."""
    if future.done():
        return
    if failed:
        future.set_exception(value)
    else:
        future.set_result(value)
