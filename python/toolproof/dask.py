"""Dask runs the tools (extra ``toolproof[dask]``): each call is a task of a ``distributed.Client``.

``Registry(tools, executor=DaskExecutor(client))`` (or the tool option ``executor=``). Tasks are
submitted with ``pure=False`` (every call runs, none is taken from another's result) and
``retries=0``: toolproof's retry policy decides. Dask itself reruns a task whose worker died, up
to ``distributed.scheduler.allowed-failures`` times (3 by default) before it reports
``KilledWorker``; set it to 0 on the scheduler for toolproof to decide there too.

Dask cannot stop a task once it runs: a timed-out or cancelled call drops a task still waiting,
and abandons one already running (its result is discarded, and a timeout's result says so). A
worker that dies gives the call the retryable code ``worker_lost``. See ``toolproof.executors``
for what runs where.
"""

from __future__ import annotations

from typing import Any

from toolproof._extras import require
from toolproof.executors import FuturesExecutor

__all__ = ["DaskExecutor"]

distributed = require("distributed", "dask")


class DaskExecutor(FuturesExecutor):
    """Runs each call as a task of ``client`` (a ``distributed.Client``, not an asynchronous one),
    with these ``Client.submit`` options (``workers``, ``resources``, ``allow_other_workers``)."""

    label = "Dask"

    def __init__(self, client: Any, **submit_options: Any) -> None:
        if not isinstance(client, distributed.Client):
            raise TypeError(f"DaskExecutor takes a distributed.Client, not {type(client).__name__}")
        if client.asynchronous:
            raise TypeError("DaskExecutor needs a Client(asynchronous=False): its futures are awaited here")
        for name in ("pure", "retries"):
            if name in submit_options:
                raise TypeError(f"DaskExecutor does not take {name}=: every call runs, and toolproof retries")
        self.client = client
        super().__init__(
            client.get_executor(pure=False, retries=0, **submit_options), pickler="cloudpickle", label="Dask"
        )

    def __repr__(self) -> str:
        return f"DaskExecutor({self.client!r})"
