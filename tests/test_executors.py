"""Executors: the same dispatch with its calls run by worker processes, a Dask cluster or Ray.

One suite runs against every executor (the default one in this process, a ProcessPoolExecutor, a
Dask LocalCluster and a local Ray cluster, the last two started once per session): results and
errors match the default executor's on the same batch; a killed worker still gives its call exactly
one result; a timeout stops the remote call (or says it could not); a cancelled ``adispatch``
cancels its remote calls; a tool that cannot be sent is refused with its name; spans opened by the
tool on the worker join the caller's trace.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import executor_tools
import pytest
from toolproof import Registry, ResultCode, Retry, Tool, ToolCall, ToolDefinitionError, tool
from toolproof.executors import as_remote

TOOLS = [
    Tool.from_function(function, loose="allow")
    for function in (
        executor_tools.add,
        executor_tools.greet,
        executor_tools.describe,
        executor_tools.add_later,
        executor_tools.refuse,
        executor_tools.flaky,
        executor_tools.broken,
        executor_tools.bad_value,
        executor_tools.custom_error,
        executor_tools.not_json,
        executor_tools.whoami,
        executor_tools.process_id,
        executor_tools.report_pid_and_wait,
        executor_tools.sleep_then_mark,
        executor_tools.sleep_then_mark_async,
        executor_tools.overlap_witness,
        executor_tools.overlap_witness_async,
        executor_tools.traced,
    )
]

EXECUTORS = ["default", "process", "dask", "ray"]
REMOTE = ["process", "dask", "ray"]

_FORKSERVER = multiprocessing.get_context("forkserver")
# Workers forked from a server that has imported these already start in milliseconds.
_FORKSERVER.set_forkserver_preload(["toolproof", "executor_tools"])


def make_executor(kind: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    if kind == "default":
        yield None
    elif kind == "process":
        # A pool of the test's own: a killed worker breaks a process pool for good.
        pool = ProcessPoolExecutor(2, mp_context=_FORKSERVER)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    elif kind == "dask":
        from toolproof.dask import DaskExecutor

        yield DaskExecutor(request.getfixturevalue("dask_client"))
    else:
        request.getfixturevalue("ray_cluster")
        from toolproof.ray import RayExecutor

        yield RayExecutor()


@pytest.fixture(params=EXECUTORS)
def executor(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from make_executor(request.param, request)


@pytest.fixture(params=REMOTE)
def remote_executor(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from make_executor(request.param, request)


def can_stop_running(executor: Any) -> bool:
    remote = as_remote(executor, "test")
    return remote is not None and remote.can_stop_running


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s in vain")
        time.sleep(0.02)


def summary(results: list[Any]) -> list[tuple[Any, ...]]:
    return [(r.call_id, r.name, r.ok, r.content, r.error) for r in results]


# -- the same results -------------------------------------------------------------------------------

SAME_BATCH = [
    ToolCall("sum", "add", {"a": 2, "b": 3}),
    ToolCall("repaired", "add", '{"a": "4", "b": 5,}'),
    ToolCall("refused-here", "add", {"a": "x"}),
    ToolCall("text", "greet", {"name": "Ada"}),
    ToolCall("nested", "describe", {"count": 2, "when": "2026-12-02"}),
    ToolCall("async", "add_later", {"a": 1, "b": 1}),
    ToolCall("permanent", "refuse", {"reason": "no"}),
    ToolCall("bug", "broken", {"x": 1}),
    ToolCall("value", "bad_value", {"x": 7}),
    ToolCall("custom", "custom_error", {"x": 3}),
    ToolCall("not-json", "not_json", {}),
    ToolCall("context", "whoami", {}),
    ToolCall("unknown", "nope", {}),
]


def test_results_and_errors_match_the_default_executors(executor: Any) -> None:
    context = {"user": "u-1", "scopes": ["read"]}
    here = Registry(TOOLS).dispatch(SAME_BATCH, context=context)
    there = Registry(TOOLS, executor=executor).dispatch(SAME_BATCH, context=context)
    assert summary(there) == summary(here)
    codes = {r.call_id: r.error["code"] for r in there if r.error}
    assert codes["not-json"] == ResultCode.UNSERIALIZABLE_RESULT
    assert codes["refused-here"] == ResultCode.INVALID_ARGUMENTS
    assert json.loads(there[-2].content) == {
        "call_id": "context",
        "context": context,
    }


def test_adispatch_gives_the_same_results(executor: Any) -> None:
    here = Registry(TOOLS).dispatch(SAME_BATCH)
    there = asyncio.run(Registry(TOOLS, executor=executor).adispatch(SAME_BATCH))
    assert summary(there) == summary(here)


def test_large_arguments_and_results_cross_whole(executor: Any) -> None:
    # Beyond what Ray sends inline with a task or its reply (100 KB): through its object store.
    name = "x" * 300_000
    batch = [ToolCall(f"big{i}", "greet", {"name": name}) for i in range(3)]
    there = Registry(TOOLS, executor=executor, max_result_bytes=None).dispatch(batch)
    assert [(r.ok, r.content) for r in there] == [(True, f"hello, {name}")] * 3


def test_many_calls_ending_together_each_get_their_own_result(executor: Any) -> None:
    calls = [ToolCall(f"c{i}", "add", {"a": i, "b": 1000}) for i in range(200)]
    results = Registry(TOOLS, executor=executor).dispatch(calls)
    assert [(r.call_id, r.content) for r in results] == [(f"c{i}", str(i + 1000)) for i in range(200)]


def test_an_event_loop_is_not_kept_alive_by_the_calls_it_awaited(remote_executor: Any) -> None:
    registry = Registry(TOOLS, executor=remote_executor)
    loop = asyncio.new_event_loop()
    [result] = loop.run_until_complete(registry.adispatch([ToolCall("1", "add", {"a": 1, "b": 2})]))
    assert result.content == "3"
    loop.close()
    gone = weakref.ref(loop)
    del loop
    # An executor's own thread may hold the finished call's future a moment longer.
    wait_for(lambda: gc.collect() >= 0 and gone() is None, seconds=10)


def test_ray_without_ready_callbacks_gives_the_same_results(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A Ray older than ObjectRef._on_ready: each call waits on its ref's future().
    import toolproof.ray

    ray_executor = next(make_executor("ray", request))
    monkeypatch.setattr(toolproof.ray, "_ON_READY", False)
    here = Registry(TOOLS).dispatch(SAME_BATCH)
    there = Registry(TOOLS, executor=ray_executor).dispatch(SAME_BATCH)
    assert summary(there) == summary(here)
    timed_out = Registry(TOOLS, executor=ray_executor, timeout=0.5).dispatch(
        [ToolCall("slow", "sleep_then_mark", {"folder": str(tmp_path), "name": "slow", "seconds": 1.2})]
    )
    assert timed_out[0].error is not None and timed_out[0].error["code"] == ResultCode.TIMEOUT
    time.sleep(1.5)
    assert (tmp_path / "slow.started").exists() and not (tmp_path / "slow.done").exists()


def test_calls_run_in_the_executors_processes(remote_executor: Any) -> None:
    calls = [ToolCall(f"pid{i}", "process_id", {}) for i in range(4)]
    results = Registry(TOOLS, executor=remote_executor).dispatch(calls)
    assert all(r.ok for r in results), summary(results)
    assert os.getpid() not in {int(r.content) for r in results}


def test_a_tool_option_overrides_the_registrys_executor(remote_executor: Any) -> None:
    here = Tool.from_function(executor_tools.process_id, name="here", executor=None)
    there = Tool.from_function(executor_tools.process_id, name="there", executor=remote_executor)
    with ThreadPoolExecutor(1) as threads:
        registry = Registry([here, there], executor=threads)
        results = registry.dispatch([ToolCall("1", "here", {}), ToolCall("2", "there", {})])
    assert int(results[0].content) == os.getpid()
    assert int(results[1].content) != os.getpid()
    assert int(there.run({}).content) != os.getpid()
    assert int(asyncio.run(there.arun({})).content) != os.getpid()


def test_retries_are_toolproofs(executor: Any, tmp_path: Path) -> None:
    registry = Registry(TOOLS, executor=executor, retry=Retry(attempts=2, initial_delay=0.01))
    [result] = registry.dispatch([ToolCall("f", "flaky", {"attempt_file": str(tmp_path / "attempt")})])
    assert (result.ok, result.content, result.attempts) == (True, "second time lucky", 2)


# -- stopping remote work ------------------------------------------------------------------------


def test_a_timeout_stops_the_remote_call_or_says_it_could_not(executor: Any, tmp_path: Path) -> None:
    registry = Registry(TOOLS, executor=executor, timeout=1.0)
    calls = [
        ToolCall("sync", "sleep_then_mark", {"folder": str(tmp_path), "name": "sync", "seconds": 1.6}),
        ToolCall(
            "async", "sleep_then_mark_async", {"folder": str(tmp_path), "name": "async", "seconds": 1.6}
        ),
    ]
    started = time.monotonic()
    results = registry.dispatch(calls)
    assert [r.error["code"] for r in results if r.error] == [ResultCode.TIMEOUT] * 2
    assert (tmp_path / "sync.started").exists() and (tmp_path / "async.started").exists()
    time.sleep(max(0.0, 2.4 - (time.monotonic() - started)))
    for result in results:
        stoppable = can_stop_running(executor) or (executor is None and result.call_id == "async")
        finished = (tmp_path / f"{result.call_id}.done").exists()
        assert finished is not stoppable, result.call_id
        abandoned = "may still be running" in result.content
        assert abandoned is (executor is not None and not stoppable), result.content


def test_a_timeout_is_retried_only_where_the_attempt_was_stopped(executor: Any, tmp_path: Path) -> None:
    """A second attempt never overlaps a first one still running: a process pool or Dask cannot
    stop a started call, so its timeout is final there, as a sync tool's is on a thread."""
    registry = Registry(TOOLS, executor=executor, timeout=0.5, retry=Retry(attempts=2, initial_delay=0.0))
    call = ToolCall(
        "slow", "sleep_then_mark_async", {"folder": str(tmp_path), "name": "slow", "seconds": 1.5}
    )
    [result] = registry.dispatch([call])
    assert result.error is not None and result.error["code"] == ResultCode.TIMEOUT
    stopped = executor is None or can_stop_running(executor)
    assert result.attempts == (2 if stopped else 1), result.content


@pytest.mark.parametrize("tool", ["overlap_witness", "overlap_witness_async"])
def test_a_timed_out_call_is_tried_again_only_once_its_first_attempt_has_ended(
    executor: Any, tmp_path: Path, tool: str
) -> None:
    """Where a timeout stops the call (Ray; an async tool in this process), the retry waits for
    the stop to take effect: Ray's cancel only asks, and the task or its worker ends later. On a
    machine so busy that the stop is not confirmed within the engine's grace, the call is reported
    as possibly still running instead, and not tried again; never is it run twice at once."""
    stops = can_stop_running(executor) or (executor is None and tool.endswith("_async"))
    if not stops:
        pytest.skip("a call this executor cannot stop is not tried again after a timeout")
    # Long enough for a busy Ray to start the second attempt and let it finish in time.
    registry = Registry(TOOLS, executor=executor, timeout=3.0, retry=Retry(attempts=2, initial_delay=0.0))
    [result] = registry.dispatch([ToolCall("c", tool, {"folder": str(tmp_path), "seconds": 60})])
    if result.ok:
        assert (result.output, result.attempts) == ("alone", 2)
    elif "may still be running" in result.content:
        assert result.attempts == 1
    else:
        # So busy that the second attempt (on a worker Ray had to start again) ran out of time
        # too: it came after the first had ended, but could not say so.
        assert result.error is not None and result.error["code"] == ResultCode.TIMEOUT, result.content
        assert result.attempts == 2


def test_a_cancelled_adispatch_cancels_its_remote_calls(executor: Any, tmp_path: Path) -> None:
    # The default executor cannot stop a sync tool's thread; its async tools are cancelled.
    name = "sleep_then_mark_async" if executor is None else "sleep_then_mark"
    calls = [
        ToolCall(f"c{i}", name, {"folder": str(tmp_path), "name": f"c{i}", "seconds": 1.0}) for i in range(6)
    ]
    registry = Registry(TOOLS, executor=executor)

    async def cancel_once_started() -> None:
        batch = asyncio.ensure_future(registry.adispatch(calls))
        deadline = time.monotonic() + 30
        while not any(tmp_path.glob("*.started")):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch

    asyncio.run(cancel_once_started())
    time.sleep(1.5)
    done = sorted(path.stem for path in tmp_path.glob("*.done"))
    if executor is None or can_stop_running(executor):
        assert done == []
    else:
        # Calls already running end on their own; those still waiting for a worker never start.
        assert len(done) < len(calls), done


def test_exactly_one_result_when_a_worker_is_killed(remote_executor: Any, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    victim = ToolCall("victim", "report_pid_and_wait", {"pid_file": str(pid_file), "seconds": 30})
    others = [ToolCall(f"add{i}", "add", {"a": i, "b": i}) for i in range(6)]
    registry = Registry(TOOLS, executor=remote_executor)

    async def kill_mid_call() -> list[Any]:
        batch = asyncio.ensure_future(registry.adispatch([victim, *others]))
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        pid = int(pid_file.read_text())
        assert pid != os.getpid()
        os.kill(pid, signal.SIGKILL)
        return await asyncio.wait_for(batch, 60)

    results = asyncio.run(kill_mid_call())
    assert [r.call_id for r in results] == ["victim", *(c.id for c in others)]
    lost = ResultCode.WORKER_LOST
    assert results[0].error is not None and results[0].error["code"] == lost, summary(results)
    assert lost.retryable
    for result, call in zip(results[1:], others, strict=True):
        # A process pool breaks for good when a worker dies: its other calls are lost too.
        assert result.ok or result.error["code"] == lost, summary(results)
        if result.ok:
            assert int(result.content) == 2 * int(call.id.removeprefix("add"))


# -- what cannot be sent ---------------------------------------------------------------------------


class Guarded:
    """A tool object holding a lock, which no process but this one can use."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def count(self, x: int) -> int:
        """Count under the lock."""
        with self.lock:
            return x


def test_a_tool_that_cannot_be_sent_is_refused_with_its_name(executor: Any) -> None:
    method = Guarded().count
    if executor is None:
        Registry([Tool.from_function(method, name="guarded")])
        return
    with pytest.raises(ToolDefinitionError) as by_registry:
        Registry([Tool.from_function(method, name="guarded")], executor=executor)
    with pytest.raises(ToolDefinitionError) as by_option:
        Tool.from_function(method, name="guarded", executor=executor)
    for refused in (by_registry, by_option):
        message = str(refused.value)
        assert "tool 'guarded' cannot be sent" in message, message
        assert "attribute 'lock'" in message and "_thread.lock" in message, message


def test_a_closure_over_a_lock_is_refused_naming_the_variable(remote_executor: Any) -> None:
    lock = threading.Lock()

    @tool(executor=None)
    def locked(x: int) -> int:
        """Under a lock."""
        with lock:
            return x

    registry = Registry([locked], executor=remote_executor)  # the tool keeps itself in this process
    assert registry.dispatch([ToolCall("1", "locked", {"x": 3})])[0].content == "3"
    with pytest.raises(ToolDefinitionError) as refused:
        Tool.from_function(locked.func, name="locked", executor=remote_executor)
    message = str(refused.value)
    assert "tool 'locked'" in message, message
    if as_remote(remote_executor, "test").pickler == "pickle":
        assert "the function itself" in message, message  # a nested function pickles by name only
    else:
        assert "the variable 'lock' it closes over" in message, message


def test_an_executor_of_another_kind_is_refused() -> None:
    with pytest.raises(TypeError, match=r"executor must be a concurrent\.futures\.Executor"):
        Registry(TOOLS, executor="ray")


# -- the caller's trace ----------------------------------------------------------------------------


def test_spans_the_tool_opens_remotely_join_the_callers_trace(
    remote_executor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "false")
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("executor-tests")
    registry = Registry(TOOLS, executor=remote_executor)

    async def traced_call() -> tuple[Any, Any]:
        with tracer.start_as_current_span("caller") as span:
            [result] = await registry.adispatch([ToolCall("t", "traced", {"label": "on the worker"})])
        return span, result

    span, result = asyncio.run(traced_call())
    assert result.ok, result.content
    seen = json.loads(result.content)
    assert seen["pid"] != os.getpid()
    assert seen["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert seen["parent_span_id"] == format(span.get_span_context().span_id, "016x")


# -- the adapters ----------------------------------------------------------------------------------


# The adapters wrap a tool's function, so it no longer pickles by its import path: cloudpickle only.
@pytest.fixture(params=["dask", "ray"])
def adapter_executor(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from make_executor(request.param, request)


def test_a_hardened_langchain_tool_runs_on_the_executor(adapter_executor: Any) -> None:
    from langchain_core.messages import ToolMessage
    from toolproof.langchain import harden

    hardened = harden(executor_tools.process_id, executor=adapter_executor)
    message = hardened.invoke({"type": "tool_call", "id": "c1", "name": "process_id", "args": {}})
    assert isinstance(message, ToolMessage) and message.status == "success", message
    assert int(message.content) != os.getpid()


def test_a_hardened_autogen_tool_runs_on_the_executor(adapter_executor: Any) -> None:
    from autogen_core import CancellationToken
    from toolproof.autogen import harden

    hardened = harden(executor_tools.process_id, executor=adapter_executor)
    returned = asyncio.run(hardened.run_json({}, CancellationToken(), call_id="c1"))
    assert int(hardened.return_value_as_string(returned)) != os.getpid()


def test_a_hardened_crewai_tool_runs_on_the_executor(adapter_executor: Any) -> None:
    from toolproof.crewai import harden

    hardened = harden(executor_tools.process_id, executor=adapter_executor)
    assert int(hardened.run()) != os.getpid()
