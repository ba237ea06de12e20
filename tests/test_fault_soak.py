"""A soak of every kind of failure at high concurrency, through ``dispatch`` and ``adispatch``:
exceptions, BaseException subclasses (KeyboardInterrupt, SystemExit, GeneratorExit, one of the
tool's own), cancellation raised by the tool, hangs past the timeout, retries that run out,
unserializable results and bad arguments, for sync and async tools, raised before and after an
async tool's first await. Every call id gets exactly one result, with the code its failure calls
for; threads, file descriptors, memory and live objects come back to their baseline.

TOOLPROOF_SOAK_CALLS sets the calls per run (CI size by default; raise it for a longer soak).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import threading
import time
import weakref
from collections import Counter
from typing import Any

import pytest
from resident_memory import resident_mb
from toolproof import Registry, Retry, RetryableError, ToolCall, tool
from waiting import wait_until

CALLS = int(os.environ.get("TOOLPROOF_SOAK_CALLS", "3000"))
CONCURRENCY = 256
TIMEOUT = 1.0
SYNC_HANG = 1.5
ASYNC_HANG = 5.0
RETRY = Retry(attempts=2, initial_delay=0.001, max_delay=0.002)


class ToolEscape(BaseException):
    """A BaseException of the tool's own."""


RAISED: dict[str, Any] = {
    "error": lambda: RuntimeError("boom"),
    "retryable": lambda: RetryableError("try again"),
    "permission": lambda: PermissionError("no"),
    "value": lambda: ValueError("bad value"),
    "interrupt": KeyboardInterrupt,
    "exit": lambda: SystemExit(3),
    "generator_exit": GeneratorExit,
    "escape": ToolEscape,
    "cancel": asyncio.CancelledError,
}

EXPECTED = {
    "ok": {"ok"},
    "error": {"unexpected_error"},
    "retryable": {"retryable_error"},
    "permission": {"permission_denied"},
    "value": {"tool_error"},
    "interrupt": {"unexpected_error"},
    "exit": {"unexpected_error"},
    "generator_exit": {"unexpected_error"},
    "escape": {"unexpected_error"},
    # A tool raising CancelledError itself: reported as cancelled, or as the error it is.
    "cancel": {"cancelled", "unexpected_error"},
    # A sync hang whose result is in by the time a starved engine looks at its timer is taken.
    "hang": {"timeout", "ok"},
    "unserializable": {"unserializable_result"},
    "bad_arguments": {"invalid_arguments"},
}
FAULTS = sorted(EXPECTED)


def act(fault: str, key: int) -> Any:
    if fault in RAISED:
        raise RAISED[fault]()
    if fault == "unserializable":
        return {"key": key, "handle": object()}
    return key


@tool
def work_sync(key: int, fault: str) -> Any:
    if fault == "hang":
        time.sleep(SYNC_HANG)
    return act(fault, key)


@tool
async def work_async(key: int, fault: str, late: bool) -> Any:
    if late:
        await asyncio.sleep(0.001)
    if fault == "hang":
        await asyncio.sleep(ASYNC_HANG)
    return act(fault, key)


REGISTRY = Registry([work_sync, work_async])


@pytest.fixture(autouse=True)
def unlogged() -> Any:
    """Unexpected errors are logged with their exceptions, and pytest keeps every log record (and
    with it every traceback and the frames it holds): what these tests count is the engine's own."""
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


def plan(count: int, seed: int) -> list[tuple[ToolCall, str]]:
    rng = random.Random(seed)
    calls = []
    for key in range(count):
        fault = FAULTS[key % len(FAULTS)] if key < len(FAULTS) * 4 else rng.choice(FAULTS)
        tool_name = "work_async" if rng.random() < 0.5 else "work_sync"
        if fault == "hang" and tool_name == "work_sync" and rng.random() < 0.8:
            # Sync hangs hold a thread until they end: keep them a minority.
            tool_name = "work_async"
        arguments: dict[str, Any] = {"key": "ten" if fault == "bad_arguments" else key, "fault": fault}
        if tool_name == "work_async":
            arguments["late"] = bool(key % 2)
        calls.append((ToolCall(f"call_{key}", tool_name, arguments), fault))
    return calls


def soak(way: str, seed: int) -> None:
    planned = plan(CALLS, seed)
    calls = [call for call, _ in planned]
    options: dict[str, Any] = {"max_concurrency": CONCURRENCY, "timeout": TIMEOUT, "retry": RETRY}
    if way == "dispatch":
        results = REGISTRY.dispatch(calls, **options)
    else:
        results = asyncio.run(REGISTRY.adispatch(calls, **options))
    assert [result.call_id for result in results] == [call.id for call in calls]
    wrong = [
        (call.id, call.name, fault, result.error)
        for (call, fault), result in zip(planned, results, strict=True)
        if (result.error["code"] if result.error else "ok") not in EXPECTED[fault]
    ]
    assert not wrong, f"{len(wrong)} results with the wrong outcome, first: {wrong[:5]}"
    del results


def open_descriptors() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        pytest.skip("no /proc")


def settle() -> None:
    # Abandoned sync hangs end, cancelled tasks finish unwinding.
    time.sleep(SYNC_HANG + 0.2)
    gc.collect()


def thread_count() -> int:
    return len(threading.enumerate())


@pytest.mark.parametrize("way", ["dispatch", "adispatch"])
def test_every_failure_at_high_concurrency_gets_its_one_result_and_nothing_leaks(way: str) -> None:
    soak(way, seed=1)  # warm-up: the worker pool, the background loop, caches
    settle()
    threads, descriptors, memory = thread_count(), open_descriptors(), resident_mb()
    gc.collect()
    objects = Counter(type(o).__name__ for o in gc.get_objects())
    for seed in (2, 3):
        soak(way, seed)
    settle()
    assert thread_count() <= threads + 2, threading.enumerate()
    assert open_descriptors() <= descriptors + 2
    now = Counter(type(o).__name__ for o in gc.get_objects())
    grown = sum(now.values()) - sum(objects.values())
    assert grown < 500, f"{grown} more live objects after two more soaks: {(now - objects).most_common(8)}"
    assert resident_mb() - memory < 100 + CALLS / 100


# -- what the soaks found kept alive ----------------------------------------------------------


def test_faulty_async_tools_keep_no_event_loop_alive_after_asyncio_run() -> None:
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    @tool
    async def faulty(n: int) -> int:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        ballast = bytearray(2_000_000)  # a frame local the traceback would keep
        await asyncio.sleep(0.001)
        raise RuntimeError(f"failed after waiting with {len(ballast)} bytes")

    registry = Registry([faulty])
    memory = resident_mb()
    for _ in range(20):
        results = asyncio.run(registry.adispatch([ToolCall(f"c{i}", "faulty", {"n": i}) for i in range(5)]))
        assert all(r.error["code"] == "unexpected_error" for r in results)
    del results

    # The engine thread that handed over the last batch's results holds that loop while
    # `call_soon_threadsafe` returns, and the loop may take the results and finish while that
    # thread waits for the GIL: it gets a moment to let go.
    def freed() -> bool:
        gc.collect()
        return all(ref() is None for ref in loops)

    assert wait_until(freed, within=2.0)
    assert resident_mb() - memory < 60
