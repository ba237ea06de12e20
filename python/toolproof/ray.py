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

from collections.abc import Callable
from typing import Any

from toolproof._extras import require
from toolproof.executors import RemoteExecutor, RemoteTask

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
        def run_tool(args: tuple[Any, ...], kwargs: dict[str, Any], carrier: Any) -> Any:
            return task(args, kwargs, carrier)

        # Ray names a task by its function: the tool's name shows in its dashboard and logs.
        run_tool.__name__ = run_tool.__qualname__ = tool
        # Exported to the cluster once per tool; each call then sends its arguments only.
        return ray.remote(**self.options)(run_tool).remote

    async def wait(self, handle: Any) -> Any:
        return await handle

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
