"""Bounded fault-injection runs of the dispatch engine (seconds, not minutes).

Ten thousand calls at concurrency 256 with transient failures, hangs past the timeout,
unserializable results and bad arguments, for sync and async tools, through ``dispatch`` and
``adispatch``: every call id gets exactly one result, in order; retryable failures succeed within
the retry budget; nothing deadlocks. Then cancellation, leaks, and the engine properties the fault
runs rely on (Retry-After, the retry budget, what is not retried, concurrency caps, siblings).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import toolproof
from resident_memory import resident_mb
from toolproof import Registry, Retry, RetryableError, Tool, ToolCall, ToolResult
from waiting import wait_until

CALLS = 10_000
CONCURRENCY = 256
# Generous enough that a healthy call is never late on a loaded machine; every hang outlasts it.
TIMEOUT = 1.0
ATTEMPTS = 4
RETRY = Retry(attempts=ATTEMPTS, initial_delay=0.001, max_delay=0.01)
# A sync hang cannot be stopped: it keeps its worker thread until it ends, so it is kept short.
SYNC_HANG = 1.5
# An async hang is cancelled at the timeout; were it not, the run would take this long. Far above
# what a healthy run takes (each hung call times out on every attempt) even on a loaded machine.
ASYNC_HANG = 30.0
SEED = 20240611
# How long cancellations and late results may take to land after a batch returns.
SETTLE = 1.0


# -- the fault plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    kind: str
    """ "ok", "transient", "hang", "unserializable" or "bad_arguments"."""
    failures: int = 0
    """For "transient": how many attempts raise ``RetryableError`` before one succeeds."""


def fault_plan(count: int, seed: int = SEED) -> list[Fault]:
    """10% transient, 1% hangs, 1% unserializable results, 1% bad arguments; the rest succeed."""
    rng = random.Random(seed)
    plan = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.10:
            plan.append(Fault("transient", rng.randint(1, ATTEMPTS - 1)))
        elif draw < 0.11:
            plan.append(Fault("hang"))
        elif draw < 0.12:
            plan.append(Fault("unserializable"))
        elif draw < 0.13:
            plan.append(Fault("bad_arguments"))
        else:
            plan.append(Fault("ok"))
    return plan


def plan_calls(plan: Sequence[Fault], tool_name: str = "work") -> list[ToolCall]:
    """One call per planned fault, ids unique; a bad-arguments call sends text for an integer."""
    return [
        ToolCall(f"call_{key}", tool_name, {"key": "ten" if fault.kind == "bad_arguments" else key})
        for key, fault in enumerate(plan)
    ]


class FaultyTool:
    """A tool that does what the plan says, counting attempts per call (keyed by its argument)."""

    def __init__(self, plan: Sequence[Fault]) -> None:
        self.plan = plan
        self.attempts: Counter[int] = Counter()
        self.cancelled: Counter[int] = Counter()
        self._lock = threading.Lock()

    def begin(self, key: int) -> tuple[Fault, int]:
        with self._lock:
            self.attempts[key] += 1
            return self.plan[key], self.attempts[key]

    @staticmethod
    def outcome(key: int, fault: Fault, attempt: int) -> Any:
        if fault.kind == "transient" and attempt <= fault.failures:
            raise RetryableError(f"call {key}: upstream restarting (attempt {attempt})")
        if fault.kind == "unserializable":
            return {"key": key, "handle": object()}
        return {"key": key}

    def sync_tool(self) -> Tool:
        def work(key: int) -> Any:
            fault, attempt = self.begin(key)
            if fault.kind == "hang":
                time.sleep(SYNC_HANG)
            return self.outcome(key, fault, attempt)

        return Tool.from_function(work)

    def async_tool(self) -> Tool:
        async def work(key: int) -> Any:
            fault, attempt = self.begin(key)
            if fault.kind == "hang":
                try:
                    await asyncio.sleep(ASYNC_HANG)
                except asyncio.CancelledError:
                    self.cancelled[key] += 1
                    raise
            elif key % 2:
                # Half the calls suspend once (and become tasks); the others finish eagerly.
                await asyncio.sleep(0)
            return self.outcome(key, fault, attempt)

        return Tool.from_function(work)


# -- small helpers -------------------------------------------------------------------------------


def first(ids: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return f"{len(ids)} ids: {shown}{', ...' if len(ids) > limit else ''}"


def run_batch(
    registry: Registry,
    calls: Sequence[ToolCall],
    via: str,
    settle: Callable[[], bool] = lambda: True,
    **options: Any,
) -> list[ToolResult]:
    """``dispatch``, or ``adispatch`` in a fresh loop; either way, wait (a little) for ``settle()``.

    With ``adispatch`` the wait happens on the caller's loop, which must then hold no task but
    the caller's: ``asyncio.run`` cancels leftover tasks as it closes, and that clean-up must not
    pass for the engine's own cancellation.
    """
    if via == "dispatch":
        results = registry.dispatch(calls, **options)
        wait_until(settle, SETTLE)
        return results

    async def main() -> tuple[list[ToolResult], set[str]]:
        results = await registry.adispatch(calls, **options)
        deadline = time.monotonic() + SETTLE
        while time.monotonic() < deadline:
            others = asyncio.all_tasks() - {asyncio.current_task()}
            if settle() and not others:
                break
            await asyncio.sleep(0.01)
        return results, {repr(task) for task in asyncio.all_tasks() - {asyncio.current_task()}}

    results, others = asyncio.run(main())
    assert not others, f"tasks left on the caller's loop after adispatch returned: {others}"
    return results


def thread_count() -> int:
    """Every thread of the process, the engine's Rust workers included."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


class Gauge:
    """How many callers are inside at once, and the most there ever were."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1


# -- 1. fault injection --------------------------------------------------------------------------


def hang_attempts(is_async: bool) -> int:
    """A timed-out async attempt was cancelled, so it is retried; a sync one is still running on its
    thread, so it is not (a second attempt would repeat its side effects concurrently)."""
    return ATTEMPTS if is_async else 1


def check_fault_run(
    plan: Sequence[Fault], calls: Sequence[ToolCall], results: Sequence[ToolResult], *, is_async: bool
) -> None:
    ids = [call.id for call in calls]
    got = [result.call_id for result in results]
    missing = sorted(set(ids) - set(got))
    duplicated = sorted(i for i, n in Counter(got).items() if n > 1)
    assert not missing, f"calls without a result: {first(missing)}"
    assert not duplicated, f"calls with more than one result: {first(duplicated)}"
    assert got == ids, (
        f"results out of call order from {first([i for i, g in zip(ids, got, strict=True) if i != g])}"
    )

    def wrong(kind: str, expected: Callable[[Fault, ToolResult], bool]) -> list[str]:
        return [
            r.call_id for f, r in zip(plan, results, strict=True) if f.kind == kind and not expected(f, r)
        ]

    def code(result: ToolResult) -> str | None:
        return result.error["code"] if result.error else None

    bad = wrong("transient", lambda f, r: r.ok and r.attempts == f.failures + 1)
    assert not bad, f"transient failures not ok after exactly failures+1 attempts: {first(bad)}"
    tries = hang_attempts(is_async)
    bad = wrong("hang", lambda f, r: code(r) == "timeout" and r.attempts == tries)
    assert not bad, f"hangs not ending in 'timeout' after {tries} attempts: {first(bad)}"
    bad = wrong("unserializable", lambda f, r: code(r) == "unserializable_result" and r.attempts == 1)
    assert not bad, f"unserializable results not reported as such after one attempt: {first(bad)}"
    bad = wrong("bad_arguments", lambda f, r: code(r) == "invalid_arguments" and r.attempts == 0)
    assert not bad, f"bad arguments not refused before running: {first(bad)}"
    bad = wrong("ok", lambda f, r: r.ok and r.attempts == 1 and r.content == f'{{"key":{r.call_id[5:]}}}')
    assert not bad, f"plain calls not ok on their first attempt with their own result: {first(bad)}"


def check_fault_metrics(plan: Sequence[Fault], total: dict[str, Any], *, is_async: bool) -> None:
    kinds = Counter(fault.kind for fault in plan)
    expected_errors = {
        "timeout": kinds["hang"],
        "unserializable_result": kinds["unserializable"],
        "invalid_arguments": kinds["bad_arguments"],
    }
    expected_retries = sum(f.failures for f in plan if f.kind == "transient") + kinds["hang"] * (
        hang_attempts(is_async) - 1
    )
    assert total["calls"] == len(plan), f"calls counted {total['calls']}, made {len(plan)}"
    assert total["successes"] == kinds["ok"] + kinds["transient"], f"successes counted {total['successes']}"
    assert total["errors"] == expected_errors, f"errors counted {total['errors']}, expected {expected_errors}"
    assert total["retries"] == expected_retries, (
        f"retries counted {total['retries']}, expected {expected_retries}"
    )
    assert total["timeouts"] == kinds["hang"], (
        f"timeouts counted {total['timeouts']}, expected {kinds['hang']}"
    )


@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_fault_injection_sync_tools(via: str) -> None:
    plan = fault_plan(CALLS)
    faulty = FaultyTool(plan)
    registry = Registry([faulty.sync_tool()])
    calls = plan_calls(plan)

    began = time.perf_counter()
    results = run_batch(registry, calls, via, max_concurrency=CONCURRENCY, timeout=TIMEOUT, retry=RETRY)
    took = time.perf_counter() - began
    kinds = Counter(fault.kind for fault in plan)
    print(
        f"\nsync tools via {via}: {CALLS:,} calls in {took:.2f} s ({dict(kinds)}), {thread_count()} threads"
    )

    check_fault_run(plan, calls, results, is_async=False)
    check_fault_metrics(plan, registry.metrics().total, is_async=False)
    hung_attempts = kinds["hang"] * hang_attempts(False)
    started = sum(faulty.attempts[key] for key, fault in enumerate(plan) if fault.kind == "hang")
    assert started == hung_attempts, f"{started} hung attempts started, expected {hung_attempts}"
    # Each hung attempt's thread finishes later; its result is discarded, and counted.
    wait_until(lambda: registry.metrics().total["late_results_discarded"] >= hung_attempts, SYNC_HANG + 3)
    late = registry.metrics().total["late_results_discarded"]
    assert late == hung_attempts, f"late results discarded {late}, expected {hung_attempts}"


@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_fault_injection_async_tools(via: str) -> None:
    plan = fault_plan(CALLS, SEED + 1)
    faulty = FaultyTool(plan)
    registry = Registry([faulty.async_tool()])
    calls = plan_calls(plan)

    hangs = [key for key, fault in enumerate(plan) if fault.kind == "hang"]

    def all_cancelled() -> bool:
        return all(faulty.cancelled[key] == ATTEMPTS for key in hangs)

    began = time.perf_counter()
    results = run_batch(
        registry, calls, via, all_cancelled, max_concurrency=CONCURRENCY, timeout=TIMEOUT, retry=RETRY
    )
    took = time.perf_counter() - began
    kinds = Counter(fault.kind for fault in plan)
    print(f"\nasync tools via {via}: {CALLS:,} calls in {took:.2f} s ({dict(kinds)})")

    assert took < ASYNC_HANG, f"the run took {took:.2f} s: timed-out coroutines were waited for"
    check_fault_run(plan, calls, results, is_async=True)
    check_fault_metrics(plan, registry.metrics().total, is_async=True)
    uncancelled = [f"call_{key}" for key in hangs if faulty.cancelled[key] != ATTEMPTS]
    assert not uncancelled, (
        f"timed-out attempts whose coroutine never saw CancelledError: {first(uncancelled)}"
    )
    late = registry.metrics().total["late_results_discarded"]
    assert late == 0, f"{late} late results counted for cancelled coroutines"


# -- 2. cancellation -----------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_cancelling_adispatch_cancels_running_calls_and_starts_no_queued_ones() -> None:
    cancelled: list[int] = []
    sync_started: list[int] = []

    async def remote(key: int) -> int:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        return key

    def local(key: int) -> int:
        sync_started.append(key)
        time.sleep(0.3)
        return key

    registry = Registry([Tool.from_function(remote), Tool.from_function(local, max_concurrency=2)])
    calls = [ToolCall(f"remote_{i}", "remote", {"key": i}) for i in range(20)]
    calls += [ToolCall(f"local_{i}", "local", {"key": i}) for i in range(10)]

    async def main() -> tuple[float, set[asyncio.Task[Any]], list[int], int]:
        task = asyncio.create_task(registry.adispatch(calls))
        await asyncio.sleep(0.15)
        assert not cancelled and 1 <= len(sync_started) <= 2, (cancelled, sync_started)
        running = len(sync_started)
        began = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        took = time.perf_counter() - began
        for _ in range(50):
            if len(cancelled) == 20:
                break
            await asyncio.sleep(0.01)
        others = asyncio.all_tasks() - {asyncio.current_task()}
        return took, others, list(cancelled), running

    took, others, seen_cancel, running = asyncio.run(main())
    print(f"\ncancelled adispatch raised CancelledError after {took * 1000:.1f} ms")
    assert took < 0.5, f"cancelling the dispatch took {took:.2f} s"
    missing = sorted(set(range(20)) - set(seen_cancel))
    assert not missing, (
        f"async calls whose coroutine never saw CancelledError: {first([f'remote_{k}' for k in missing])}"
    )
    assert not others, f"tasks left behind after the cancelled dispatch: {others}"
    # The running sync calls finish (threads cannot be stopped); the queued ones never start.
    time.sleep(0.5)
    assert len(sync_started) == running, (
        f"queued sync calls started after the dispatch was cancelled: {sync_started[running:]}"
    )


def _cancel_recording_tool(cancelled: list[int], blocking_start: float = 0.0) -> Tool:
    async def slow(key: int) -> int:
        if blocking_start:
            time.sleep(blocking_start)  # blocks the loop before the first suspension
        try:
            await asyncio.sleep(2)
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        return key

    return Tool.from_function(slow)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_timeout_cancels_the_async_tool_coroutine(via: str) -> None:
    cancelled: list[int] = []
    registry = Registry([_cancel_recording_tool(cancelled)])
    began = time.perf_counter()
    [result] = run_batch(
        registry, [ToolCall("1", "slow", {"key": 1})], via, lambda: bool(cancelled), timeout=0.1
    )
    took = time.perf_counter() - began
    assert result.error and result.error["code"] == "timeout", result
    assert took < 1.0, f"the timed-out call took {took:.2f} s"
    assert cancelled == [1], f"the coroutine never saw CancelledError: {cancelled}"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_timeout_cancels_an_async_tool_that_blocked_before_suspending(via: str) -> None:
    """The timeout fires while the tool's first step still holds the loop (a blocking call inside
    an async tool, a common mistake); the coroutine must still be cancelled once it suspends."""
    cancelled: list[int] = []
    registry = Registry([_cancel_recording_tool(cancelled, blocking_start=0.1)])
    [result] = run_batch(
        registry, [ToolCall("1", "slow", {"key": 1})], via, lambda: bool(cancelled), timeout=0.02
    )
    assert result.error and result.error["code"] == "timeout", result
    assert cancelled == [1], (
        "the coroutine of a timed-out call was never cancelled: it runs on after its result"
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_an_async_tool_that_will_not_stop_is_given_up_on_and_never_run_twice(via: str) -> None:
    """A coroutine that swallows its cancellation is waited for a while, then given up on: its
    call is not tried again beside it, and its result says it may still be running."""
    unwound: list[str] = []

    async def stubborn(seconds: float) -> str:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            try:
                await asyncio.sleep(seconds)  # swallowed: only a second cancel ends it
            finally:
                unwound.append("given up on")
        return "late"

    registry = Registry([Tool.from_function(stubborn)], retry=Retry(attempts=3, initial_delay=0.0))
    began = time.perf_counter()
    [result] = run_batch(
        registry, [ToolCall("1", "stubborn", {"seconds": 30})], via, lambda: bool(unwound), timeout=0.1
    )
    assert result.error and result.error["code"] == "timeout", result
    assert result.attempts == 1
    assert "may still be running" in result.content
    assert unwound == ["given up on"]
    assert time.perf_counter() - began < 20


# -- 3. leaks ------------------------------------------------------------------------------------

LEAK_BATCHES = 100
LEAK_BATCH = 1_000
LEAK_CONCURRENCY = 32
ALLOWED_GROWTH_MB = 20.0


def _echo_tool(is_async: bool) -> Tool:
    if is_async:

        async def echo(key: int) -> dict[str, int]:
            if key % 2:
                await asyncio.sleep(0)
            return {"key": key}

        return Tool.from_function(echo)

    def echo_sync(key: int) -> dict[str, int]:
        return {"key": key}

    return Tool.from_function(echo_sync, name="echo")


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_many_calls_do_not_leak(kind: str, via: str) -> None:
    registry = Registry([_echo_tool(kind == "async")])
    batches = [
        [ToolCall(f"c{b}_{i}", "echo", {"key": i}) for i in range(LEAK_BATCH)] for b in range(LEAK_BATCHES)
    ]
    options = {"max_concurrency": LEAK_CONCURRENCY, "timeout": 5.0}

    def check(results: list[ToolResult]) -> None:
        failed = [r.call_id for r in results if not r.ok]
        assert len(results) == LEAK_BATCH and not failed, f"failed calls: {first(failed)}"

    threads_before = thread_count()
    if via == "dispatch":
        check(registry.dispatch(batches[0], **options))
        gc.collect()
        before = resident_mb()
        began = time.perf_counter()
        for batch in batches:
            check(registry.dispatch(batch, **options))
    else:

        async def main() -> tuple[float, float]:
            check(await registry.adispatch(batches[0], **options))
            gc.collect()
            before = resident_mb()
            began = time.perf_counter()
            for batch in batches:
                check(await registry.adispatch(batch, **options))
            return before, began

        before, began = asyncio.run(main())
    took = time.perf_counter() - began
    gc.collect()
    growth = resident_mb() - before
    threads_after = thread_count()
    total = LEAK_BATCHES * LEAK_BATCH
    print(
        f"\nleak {kind} via {via}: {total:,} calls in {took:.2f} s, resident growth {growth:+.1f} MB, "
        f"threads {threads_before} -> {threads_after}"
    )
    assert registry.metrics().total["successes"] == total + LEAK_BATCH
    assert growth < ALLOWED_GROWTH_MB, f"resident memory grew {growth:.1f} MB over {total:,} calls"


# The worker pool is process-wide and idle workers linger, so what earlier tests left in it would
# decide the outcome here: these run in a fresh interpreter.

POOL_PRELUDE = """
import json, os, threading, time
from toolproof import Registry, Tool, ToolCall

class Gauge:
    def __init__(self):
        self.lock, self.now, self.peak = threading.Lock(), 0, 0
    def __enter__(self):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
    def __exit__(self, *exc):
        with self.lock:
            self.now -= 1

def workers():
    names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
    return sum(name.startswith("toolproof-work") for name in names)

gauge = Gauge()

def nap(key: int, seconds: float) -> int:
    with gauge:
        time.sleep(seconds)
    return key

def echo(key: int) -> dict:
    sum(range(2000))  # holds the GIL a little, as real tools do
    return {"key": key}

registry = Registry([Tool.from_function(nap), Tool.from_function(echo)])

def calls(prefix, count, seconds):
    return [ToolCall(f"{prefix}{i}", "nap", {"key": i, "seconds": seconds}) for i in range(count)]

def echoes(prefix, count):
    return [ToolCall(f"{prefix}{i}", "echo", {"key": i}) for i in range(count)]

def run(batch, via, **options):
    if via == "dispatch":
        return registry.dispatch(batch, **options)
    import asyncio
    return asyncio.run(registry.adispatch(batch, **options))
"""


def run_fresh(script: str) -> dict[str, Any]:
    """Run ``POOL_PRELUDE`` and ``script`` in a new interpreter; what it prints last, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", POOL_PRELUDE + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")


@needs_proc
@pytest.mark.timeout(60)
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_a_batch_larger_than_the_idle_workers_runs_in_parallel(via: str) -> None:
    """A batch of parallel calls leaves idle workers; a batch of more calls than those must still
    run side by side, not wait for a worker to come free."""
    outcome = run_fresh(f"""
        run(calls("warm", 128, 0.2), {via!r})
        time.sleep(0.1)
        idle = workers()
        gauge.peak = 0
        began = time.perf_counter()
        results = run(calls("c", idle + 32, 0.3), {via!r}, timeout=2.0)
        print(json.dumps({{
            "idle": idle,
            "calls": idle + 32,
            "took": time.perf_counter() - began,
            "peak": gauge.peak,
            "failed": [[r.call_id, r.error["code"]] for r in results if not r.ok],
        }}))
    """)
    print(f"\nsync calls of 0.3 s beyond the idle workers ({via}): {outcome}")
    assert not outcome["failed"], f"calls that failed: {outcome['failed']}"
    assert outcome["peak"] == outcome["calls"], (
        f"only {outcome['peak']} of {outcome['calls']} sync calls ran at once"
    )
    assert outcome["took"] < 0.5, f"{outcome['calls']} parallel calls of 0.3 s took {outcome['took']:.2f} s"


@needs_proc
@pytest.mark.timeout(60)
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_worker_threads_are_bounded_by_the_concurrency_used(via: str) -> None:
    outcome = run_fresh(f"""
        for batch in range(20):
            results = run(echoes(f"b{{batch}}_", 1000), {via!r}, max_concurrency=4, timeout=5.0)
            assert all(r.ok for r in results)
        print(json.dumps({{"workers": workers()}}))
    """)
    print(f"\n20,000 sync calls at max_concurrency=4 ({via}): {outcome}")
    # A worker is counted free only once the result it delivered has let the next call in, so a
    # submit in between may start one more thread; those then wait idle, and the pool stays within
    # twice the concurrency however many calls run.
    assert outcome["workers"] <= 2 * 4, f"{outcome['workers']} worker threads for at most 4 calls at once"


# -- 4. what the fault runs rely on --------------------------------------------------------------


def _attempt_times_tool(
    starts: list[float],
    fail: Callable[[int], BaseException | None],
    is_async: bool,
    waits_first: bool = True,
) -> Tool:
    """A tool recording when each attempt starts; ``fail(attempt)`` says what that attempt raises.
    An async one waits before it answers, or (``waits_first=False``) answers without waiting."""

    def step() -> str:
        starts.append(time.monotonic())
        error = fail(len(starts))
        if error is not None:
            raise error
        return "done"

    if is_async:

        async def flaky() -> str:
            if waits_first:
                await asyncio.sleep(0)
            return step()

        return Tool.from_function(flaky)

    def flaky_sync() -> str:
        return step()

    return Tool.from_function(flaky_sync, name="flaky")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
@pytest.mark.parametrize("kind", ["sync", "async", "async-without-waiting"])
def test_retry_after_is_honoured(kind: str, via: str) -> None:
    starts: list[float] = []

    def fail(attempt: int) -> BaseException | None:
        return RetryableError("rate limited", retry_after=0.2) if attempt == 1 else None

    tool = _attempt_times_tool(starts, fail, kind != "sync", waits_first=kind == "async")
    [result] = run_batch(Registry([tool]), [ToolCall("1", "flaky", {})], via, retry=RETRY)
    assert result.ok and result.attempts == 2, result
    gap = starts[1] - starts[0]
    print(f"\nRetry-After 0.2 s ({kind}, {via}): next attempt {gap * 1000:.1f} ms later")
    assert 0.2 <= gap < 0.5, f"the retry started {gap:.3f} s after the first attempt"


@pytest.mark.timeout(30)
def test_max_elapsed_stops_retrying() -> None:
    starts: list[float] = []
    registry = Registry([_attempt_times_tool(starts, lambda _: RetryableError("down"), False)])
    retry = Retry(attempts=1000, initial_delay=0.02, max_delay=0.02, jitter=False, max_elapsed=0.2)
    began = time.perf_counter()
    [result] = registry.dispatch([ToolCall("1", "flaky", {})], retry=retry)
    took = time.perf_counter() - began
    assert result.error and result.error["code"] == "retryable_error", result
    assert 2 <= result.attempts <= 11, f"{result.attempts} attempts within a 0.2 s budget of 0.02 s waits"
    assert result.attempts == len(starts)
    assert starts[-1] - starts[0] <= 0.2 + 0.01, f"the last attempt started {starts[-1] - starts[0]:.3f} s in"
    assert took < 0.5, f"retrying went on for {took:.2f} s"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ValueError("no such city"), "tool_error"),
        (toolproof.PermanentError("not found"), "tool_error"),
        (RuntimeError("bug"), "unexpected_error"),
    ],
    ids=["ValueError", "PermanentError", "RuntimeError"],
)
def test_permanent_failures_are_not_retried(error: BaseException, code: str) -> None:
    starts: list[float] = []
    registry = Registry([_attempt_times_tool(starts, lambda _: error, False)])
    [result] = registry.dispatch([ToolCall("1", "flaky", {})], retry=RETRY)
    assert result.error and result.error["code"] == code, result
    assert result.attempts == 1 and len(starts) == 1, f"{len(starts)} attempts of a permanent failure"
    assert registry.metrics().total["retries"] == 0


def _gauged_tool(gauge: Gauge, is_async: bool, **options: Any) -> Tool:
    if is_async:

        async def busy(key: int) -> int:
            with gauge:
                await asyncio.sleep(0.03)
            return key

        return Tool.from_function(busy, **options)

    def busy_sync(key: int) -> int:
        with gauge:
            time.sleep(0.03)
        return key

    return Tool.from_function(busy_sync, name="busy", **options)


def _busy_calls(count: int, prefix: str = "c") -> list[ToolCall]:
    return [ToolCall(f"{prefix}{i}", "busy", {"key": i}) for i in range(count)]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
@pytest.mark.parametrize("where", ["tool", "registry", "dispatch"])
def test_concurrency_caps_are_respected(where: str, via: str, kind: str) -> None:
    cap = {"tool": 2, "registry": 3, "dispatch": 4}[where]
    gauge = Gauge()
    tool = _gauged_tool(gauge, kind == "async", **({"max_concurrency": cap} if where == "tool" else {}))
    registry = Registry([tool], max_concurrency=cap if where == "registry" else None)
    options = {"max_concurrency": cap} if where == "dispatch" else {}
    results = run_batch(registry, _busy_calls(16), via, **options)
    failed = [r.call_id for r in results if not r.ok]
    assert not failed, f"failed calls: {first(failed)}"
    assert gauge.peak == cap, f"peak concurrency {gauge.peak} with a {where} cap of {cap}"


@pytest.mark.timeout(30)
def test_tool_cap_holds_across_concurrent_dispatches() -> None:
    gauge = Gauge()
    registry = Registry([_gauged_tool(gauge, False, max_concurrency=2)])
    outcomes: list[list[ToolResult]] = []
    threads = [
        threading.Thread(target=lambda p=prefix: outcomes.append(registry.dispatch(_busy_calls(8, p))))
        for prefix in ("a", "b", "c")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [len(batch) for batch in outcomes] == [8, 8, 8]
    assert all(r.ok for batch in outcomes for r in batch)
    assert gauge.peak == 2, f"peak concurrency {gauge.peak} across three dispatches with a tool cap of 2"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_a_failure_never_discards_its_siblings(kind: str, via: str) -> None:
    def act(key: int) -> int:
        if key == 4:
            raise RuntimeError("boom")
        return key * 10

    if kind == "async":

        async def mixed(key: int) -> int:
            await asyncio.sleep(0.01 * (key % 3))
            return act(key)

        tool = Tool.from_function(mixed)
    else:

        def mixed_sync(key: int) -> int:
            time.sleep(0.01 * (key % 3))
            return act(key)

        tool = Tool.from_function(mixed_sync, name="mixed")
    registry = Registry([tool])
    results = run_batch(registry, [ToolCall(f"c{i}", "mixed", {"key": i}) for i in range(10)], via)
    assert [r.call_id for r in results] == [f"c{i}" for i in range(10)]
    failed = [r.call_id for r in results if not r.ok]
    assert failed == ["c4"], f"failed calls: {first(failed)}"
    assert results[4].error and results[4].error["code"] == "unexpected_error", results[4]
    wrong = [r.call_id for i, r in enumerate(results) if i != 4 and r.content != str(i * 10)]
    assert not wrong, f"siblings with the wrong result: {first(wrong)}"
