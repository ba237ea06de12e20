"""Tools the executor tests send to other processes: defined at module level, so every executor can
send them by reference (a worker imports this module from PYTHONPATH)."""

from __future__ import annotations

import asyncio
import datetime
import os
import time
from pathlib import Path
from typing import Any

from toolproof import CallContext, PermanentError, RetryableError, ToolError


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def greet(name: str) -> str:
    """Greet someone: a text result is sent as it is."""
    return f"hello, {name}"


def describe(count: int, when: datetime.date) -> dict[str, Any]:
    """A nested result with values JSON has no type for."""
    return {
        "count": count,
        "when": when,
        "items": [{"n": n, "half": n / 2} for n in range(count)],
        "none": None,
    }


async def add_later(a: int, b: int) -> int:
    """An async tool: it runs on the worker's own event loop."""
    await asyncio.sleep(0.01)
    return a + b


def refuse(reason: str) -> str:
    """A tool that reports a failure to the model."""
    raise PermanentError(f"refused: {reason}")


def flaky(attempt_file: str) -> str:
    """Fails once with a retryable error, then succeeds: the caller's retry policy decides."""
    path = Path(attempt_file)
    if not path.exists():
        path.write_text("1")
        raise RetryableError("try again")
    return "second time lucky"


def broken(x: int) -> int:
    """A bug in the tool's own code."""
    return {"x": x}["y"]  # type: ignore[no-any-return]


def bad_value(x: int) -> int:
    """A ValueError the model reads."""
    raise ValueError(f"{x} is not acceptable")


def custom_error(x: int) -> int:
    """A ToolError subclass with its own code."""
    raise QuotaExceeded(f"quota of {x} used up")


class QuotaExceeded(ToolError):
    code = "tool_error"


def not_json() -> Any:
    """A result that is not JSON."""
    return {"fine": 1, "socket": object()}


def whoami(context: CallContext) -> dict[str, Any]:
    """The call id and context this call was given."""
    return {"call_id": context.call.id, "context": context.context}


def process_id() -> int:
    """The process running the call."""
    return os.getpid()


def report_pid_and_wait(pid_file: str, seconds: float) -> int:
    """Writes the worker's pid where the test finds it (to kill it), then waits."""
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)
    return os.getpid()


def sleep_then_mark(folder: str, name: str, seconds: float) -> str:
    """Marks that it started, sleeps, marks that it finished: what a cancel stopped shows on disk."""
    Path(folder, f"{name}.started").write_text(str(os.getpid()))
    time.sleep(seconds)
    Path(folder, f"{name}.done").write_text(str(os.getpid()))
    return name


async def sleep_then_mark_async(folder: str, name: str, seconds: float) -> str:
    """``sleep_then_mark`` as an async tool."""
    Path(folder, f"{name}.started").write_text(str(os.getpid()))
    await asyncio.sleep(seconds)
    Path(folder, f"{name}.done").write_text(str(os.getpid()))
    return name


def overlap_witness(folder: str, seconds: float) -> str:
    """Sleeps on its first attempt; a later one says whether the first one's process still runs."""
    first = Path(folder, "first.pid")
    if not first.exists():
        first.write_text(str(os.getpid()))
        time.sleep(seconds)
        return "first"
    return "overlapped" if _running(int(first.read_text())) else "alone"


async def overlap_witness_async(folder: str, seconds: float) -> str:
    """``overlap_witness`` as an async tool: a cancelled first attempt takes a while to unwind (as
    one closing a connection does) and marks its end when it has."""
    first = Path(folder, "first.pid")
    if not first.exists():
        first.write_text(str(os.getpid()))
        try:
            await asyncio.sleep(seconds)
        finally:
            await asyncio.sleep(0.5)
            Path(folder, "first.ended").write_text("")
        return "first"
    return "alone" if Path(folder, "first.ended").exists() else "overlapped"


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def traced(label: str) -> dict[str, Any]:
    """Opens a span with an SDK and in-memory exporter of its own process and says which trace and
    parent the finished span had."""
    os.environ["OTEL_SDK_DISABLED"] = "false"
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("executor-tests").start_as_current_span(label):
        pass
    provider.shutdown()
    [span] = exporter.get_finished_spans()
    return {
        "trace_id": format(span.context.trace_id, "032x"),
        "parent_span_id": None if span.parent is None else format(span.parent.span_id, "016x"),
        "pid": os.getpid(),
    }


def burn(n: int) -> int:
    """Pure-Python CPU work (holds the GIL)."""
    total = 0
    for i in range(n):
        total = (total + i * i) % 1_000_003
    return total
