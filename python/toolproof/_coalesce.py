"""Requests to a coordinator asked at the same time go to it together, one round trip for all.

The calls of a batch are admitted where they run (a worker thread each, or a task each on the
event loop), so each would ask its coordinator alone. Gathered, a batch of 100 costs a Redis
coordinator a few pipelined round trips instead of a hundred, and no request waits for a timer:

- ``Gathering`` (threads): the first request of a quiet moment goes at once; requests arriving
  while it is out wait, and the next round trip, made by one of them, carries them all;
- ``LoopGathering`` (an event loop): requests made in one turn of the loop (a batch's calls start
  together) go in one round trip, made by one task that keeps going while requests keep coming.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class _Waiting(Generic[Item]):
    __slots__ = ("answer", "batch", "error", "event", "item")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.event = threading.Event()
        self.answer: Any = None
        self.error: BaseException | None = None
        # Set when this waiter is to make the next round trip, for these waiters.
        self.batch: list[_Waiting[Item]] | None = None


class Gathering(Generic[Item, Answer]):
    """``ask(item)`` from many threads: one ``send(items) -> answers`` round trip at a time,
    each carrying every item that arrived while the one before was out."""

    def __init__(self, send: Callable[[Sequence[Item]], Sequence[Answer]]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._busy = False
        self._queue: list[_Waiting[Item]] = []

    def ask(self, item: Item) -> Answer:
        waiting: _Waiting[Item] | None = None
        with self._lock:
            if self._busy:
                waiting = _Waiting(item)
                self._queue.append(waiting)
            else:
                self._busy = True
        if waiting is None:
            # Nothing out: ask at once.
            return self._round_trip_alone(item)
        waiting.event.wait()
        batch = waiting.batch
        if batch is not None:
            self._round_trip(batch)
        if waiting.error is not None:
            raise waiting.error
        return waiting.answer  # type: ignore[no-any-return]

    def _round_trip_alone(self, item: Item) -> Answer:
        try:
            (answer,) = self._send([item])
        finally:
            self._hand_over()
        return answer

    def _round_trip(self, batch: list[_Waiting[Item]]) -> None:
        try:
            answers = self._send([waiting.item for waiting in batch])
        except BaseException as error:
            for waiting in batch:
                waiting.error = error
        else:
            for waiting, answer in zip(batch, answers, strict=True):
                waiting.answer = answer
        finally:
            for waiting in batch:
                waiting.batch = None
            self._hand_over()
            for waiting in batch:
                waiting.event.set()

    def _hand_over(self) -> None:
        """The next round trip goes to the first waiter, for every waiter."""
        with self._lock:
            queue, self._queue = self._queue, []
            if not queue:
                self._busy = False
                return
        queue[0].batch = queue
        queue[0].event.set()


class LoopGathering(Generic[Item, Answer]):
    """``await ask(item)`` on one event loop: a task sends what was asked in one round trip,
    and again while more was asked meanwhile. ``abandoned(item, answer)`` is told an answer whose
    asker was cancelled meanwhile, so what it took can be given back."""

    def __init__(
        self,
        send: Callable[[Sequence[Item]], Awaitable[Sequence[Answer]]],
        abandoned: Callable[[Item, Answer], None] | None = None,
    ) -> None:
        self._send = send
        self._abandoned = abandoned
        self._queue: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def ask(self, item: Item) -> Answer:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        self._queue.append((item, future))
        if self._sender is None:
            self._sender = loop.create_task(self._send_all())
        return await future

    async def _send_all(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    answers = await self._send([item for item, _ in batch])
                except BaseException as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    if isinstance(error, asyncio.CancelledError):
                        raise
                    continue
                for (item, future), answer in zip(batch, answers, strict=True):
                    if future.done():
                        if self._abandoned is not None:
                            self._abandoned(item, answer)
                    else:
                        future.set_result(answer)
        finally:
            self._sender = None


_PER_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, Any]] = weakref.WeakKeyDictionary()


def on_this_loop(key: object, make: Callable[[], Any]) -> Any:
    """The gathering for ``key`` on the running loop (each loop keeps its own)."""
    loop = asyncio.get_running_loop()
    mine = _PER_LOOP.get(loop)
    if mine is None:
        mine = _PER_LOOP[loop] = {}
    found = mine.get(id(key))
    if found is None:
        found = mine[id(key)] = make()
    return found


class CoordinatorLink:
    """A coordinator's ``admit`` and ``complete``, gathered across the threads of this process and
    across the tasks of each event loop: one per coordinator."""

    def __init__(self, coordinator: Any, release: Callable[[Any, Any], Awaitable[None]]) -> None:
        self.coordinator = coordinator
        self.admit = Gathering(coordinator.admit)
        self.complete = Gathering(self._complete)
        self._release = release

    def _complete(self, finished: Sequence[tuple[Any, Any]]) -> list[None]:
        self.coordinator.complete(
            [decision for decision, _ in finished], [outcome for _, outcome in finished]
        )
        return [None] * len(finished)

    async def _acomplete(self, finished: Sequence[tuple[Any, Any]]) -> list[None]:
        await self.coordinator.acomplete(
            [decision for decision, _ in finished], [outcome for _, outcome in finished]
        )
        return [None] * len(finished)

    def _abandoned(self, request: Any, decision: Any) -> None:
        if decision.kind == "admitted":
            background(self._release(self.coordinator, decision))

    def aadmit(self) -> LoopGathering[Any, Any]:
        return on_this_loop(self, lambda: LoopGathering(self.coordinator.aadmit, self._abandoned))  # type: ignore[no-any-return]

    def acomplete(self) -> LoopGathering[Any, None]:
        return on_this_loop(self.complete, lambda: LoopGathering(self._acomplete))  # type: ignore[no-any-return]


_LINKS: dict[int, CoordinatorLink] = {}
_LINKS_LOCK = threading.Lock()


def link(coordinator: Any, release: Callable[[Any, Any], Awaitable[None]]) -> CoordinatorLink:
    """The one ``CoordinatorLink`` of ``coordinator`` (kept while the process runs, as the
    coordinator's connections are)."""
    found = _LINKS.get(id(coordinator))
    if found is None or found.coordinator is not coordinator:
        with _LINKS_LOCK:
            found = _LINKS.get(id(coordinator))
            if found is None or found.coordinator is not coordinator:
                found = _LINKS[id(coordinator)] = CoordinatorLink(coordinator, release)
    return found


_BACKGROUND: set[asyncio.Future[Any]] = set()


def background(work: Awaitable[Any]) -> None:
    """Run ``work`` on the running loop, held until it ends (a loop keeps only weak references)."""
    task = asyncio.ensure_future(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
