"""Admission: whether a tool call may run now, under its tool's guards.

A tool's guards (``Guards``: rate limits, a concurrency cap, a circuit breaker, a result cache,
idempotency keys) are checked together for each call by a coordinator, before the call runs:

- ``admit(requests) -> list[Decision]``: one decision per request, in order. ``"admitted"``: run
  the call, then report it; ``"wait"``: ask again after ``retry_after`` seconds; ``"refused"``:
  fail the call with ``code`` (``rate_limited``, ``circuit_open``, ``in_progress``,
  ``coordinator_unavailable``), ``retry_after`` hinting when to try again; ``"cached"`` and
  ``"duplicate"``: answer with ``result``, the stored JSON text, without running the call.
- ``complete(decisions, outcomes)``: as calls finish, one by one or together: releases their
  concurrency slots, counts their outcome in the breaker, stores their result for the cache and
  the idempotency key.
- ``renew(decisions)``: while calls run longer than their lease, keeps their slots and claims.

``LocalCoordinator`` holds the state in this process; ``toolproof.redis.RedisCoordinator`` holds it
in Redis, shared by every process that uses the same Redis and prefix. Both answer with the same
``Decision``; ``aadmit``, ``acomplete`` and ``arenew`` are the same for an event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from toolproof import _core
from toolproof._core import AdmissionRequest, CircuitBreaker, Decision, Guards, Outcome
from toolproof.codes import ResultCode

__all__ = [
    "AdmissionRequest",
    "CircuitBreaker",
    "Coordinator",
    "Decision",
    "Guards",
    "LocalCoordinator",
    "Outcome",
    "ResultCode",
]


@runtime_checkable
class Coordinator(Protocol):
    """What the engine asks before a call runs and tells after it ends."""

    def admit(self, requests: Sequence[AdmissionRequest]) -> list[Decision]: ...

    def complete(self, decisions: Sequence[Decision], outcomes: Sequence[Outcome]) -> None: ...

    def renew(self, decisions: Sequence[Decision]) -> None: ...

    async def aadmit(self, requests: Sequence[AdmissionRequest]) -> list[Decision]: ...

    async def acomplete(self, decisions: Sequence[Decision], outcomes: Sequence[Outcome]) -> None: ...

    async def arenew(self, decisions: Sequence[Decision]) -> None: ...


class LocalCoordinator:
    """Guards held across the threads and event loops of this process (not across processes).

    Every call is decided in memory under one short lock; nothing waits on I/O, so the ``a``
    methods answer at once.
    """

    def __init__(self) -> None:
        self._local = _core.LocalCoordinator()

    def admit(self, requests: Sequence[AdmissionRequest]) -> list[Decision]:
        return self._local.admit(list(requests))

    def complete(self, decisions: Sequence[Decision], outcomes: Sequence[Outcome]) -> None:
        self._local.complete(list(decisions), list(outcomes))

    def renew(self, decisions: Sequence[Decision]) -> None:
        self._local.renew(list(decisions))

    async def aadmit(self, requests: Sequence[AdmissionRequest]) -> list[Decision]:
        return self.admit(requests)

    async def acomplete(self, decisions: Sequence[Decision], outcomes: Sequence[Outcome]) -> None:
        self.complete(decisions, outcomes)

    async def arenew(self, decisions: Sequence[Decision]) -> None:
        self.renew(decisions)

    def slots_held(self, tool: str) -> int:
        """Concurrency slots of ``tool`` held now."""
        return self._local.slots_held(tool)
