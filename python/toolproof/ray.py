"""Ray runs the tools (extra ``toolproof[ray]``): each call is a Ray task.

``Registry(tools, executor=RayExecutor(num_cpus=1))`` (or the tool option ``executor=``). The
options are Ray's ``@ray.remote`` options for the tasks (``num_cpus``, ``memory``, ``resources``,
``runtime_env``, ``scheduling_strategy`` ...). Ray's own retries are off (``max_retries=0``,
``retry_exceptions=False``): toolproof's retry policy decides, as for a local call. Call
``ray.init(...)`` first to join a cluster; without it Ray starts a local one on the first call.

A timed-out or cancelled call cancels its task: an async tool gets a ``KeyboardInterrupt`` in its
worker, a sync tool's worker is killed (``ray.cancel(force=True)``), since sync code cannot be
interrupted politely. A worker that dies or runs out of memory gives the call the retryable code
``worker_lost``. See ``toolproof.executors`` for what runs where.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from toolproof._extras import require
from toolproof.executors import Inboxes, RemoteExecutor, RemoteTask, settled

__all__ = ["RayExecutor"]

ray = require("ray", "ray")

# Options toolproof sets itself, and why a caller may not.
_OWNED_OPTIONS = {
    "max_retries": "toolproof's retry policy decides; pass retry= to the tool or registry",
    "retry_exceptions": "toolproof's retry policy decides; pass retry= to the tool or registry",
    "num_returns": "a call returns one result",
}

# Ray's words for a worker or node that went away while running a task.
_LOST = (
    ray.exceptions.WorkerCrashedError,
    ray.exceptions.OutOfMemoryError,
    ray.exceptions.NodeDiedError,
    ray.exceptions.LocalRayletDiedError,
    ray.exceptions.ObjectLostError,
)

# Ray calls back on the thread that also sends and receives every task, holding the GIL while it
# does: what runs there is kept to handing the ref over (``ObjectRef._on_ready``, which neither
# fetches nor deserializes), and the values of the calls that ended together are fetched with one
# ``ray.get`` on the loop. A Ray without ``_on_ready`` completes a ``future()`` per call instead.
_ON_READY = hasattr(ray.ObjectRef, "_on_ready")
# A call whose value is not in this node's store yet (or that failed): Ray's own await gets it.
_NOT_HERE = object()


def _settle_ready(ended: list[tuple[asyncio.Future[Any], Any]]) -> None:
    """Settle the waiters whose refs are ready, with their values fetched together."""
    waiters = []
    refs = []
    for waiter, (ref, error) in ended:
        if waiter.done():
            continue
        if error is not None:
            waiter.set_result(_NOT_HERE)
            continue
        waiters.append(waiter)
        refs.append(ref)
    if not refs:
        return
    try:
        values = ray.get(refs, timeout=0)
    except Exception:
        # One call failed (a lost worker, a cancel) or is elsewhere: each on its own.
        values = [_get_here(ref) for ref in refs]
    for waiter, value in zip(waiters, values, strict=True):
        waiter.set_result(value)


def _get_here(ref: Any) -> Any:
    try:
        return ray.get(ref, timeout=0)
    except Exception:
        return _NOT_HERE


_READY = Inboxes(_settle_ready)


class RayExecutor(RemoteExecutor):
    """Runs each call as a Ray task with these ``@ray.remote`` options."""

    can_stop_running = True
    # What Ray sends with: its own copy of cloudpickle.
    pickler = "ray.cloudpickle"
    label = "Ray"

    def __init__(self, **ray_remote_options: Any) -> None:
        for name, reason in _OWNED_OPTIONS.items():
            if name in ray_remote_options:
                raise TypeError(f"RayExecutor does not take {name}=: {reason}")
        self.options = {**ray_remote_options, "max_retries": 0, "retry_exceptions": False}

    def bind(self, tool: str, task: RemoteTask) -> Callable[..., Any]:
        def run_tool(call: list[Any]) -> Any:
            return task(*call)

        # Ray names a task by its function: the tool's name shows in its dashboard and logs.
        run_tool.__name__ = run_tool.__qualname__ = tool
        # Exported to the cluster once per tool; each call then sends its arguments only, as one
        # list: Ray serializes each argument of a task on its own, and a list without pickle.
        submit = ray.remote(**self.options)(run_tool).remote

        def start(args: tuple[Any, ...], kwargs: dict[str, Any], carrier: Any) -> Any:
            return submit([list(args), kwargs, carrier])

        return start

    async def wait(self, handle: Any) -> Any:
        if not _ON_READY:
            return await settled(handle.future())
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        inbox = _READY.of(loop)
        handle._on_ready(lambda error: inbox.deliver(waiter, (handle, error)))
        value = await waiter
        if value is _NOT_HERE:
            return await handle
        return value

    def cancel(self, handle: Any, *, force: bool) -> None:
        ray.cancel(handle, force=force)

    def lost(self, error: BaseException) -> bool:
        if isinstance(error, _LOST):
            return True
        cause = getattr(error, "cause", None)
        return isinstance(error, ray.exceptions.RayTaskError) and isinstance(cause, _LOST)

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.options.items() if k not in _OWNED_OPTIONS}
        return f"RayExecutor({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
