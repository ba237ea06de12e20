"""OpenTelemetry spans and metrics, read back with the SDK's in-memory exporter and reader.

Each test builds its own providers (``otel_capture``) and hands them to ``Telemetry``, so nothing
global is touched."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from otel_capture import Otel, capture
from toolproof import Registry, Retry, RetryableError, ToolCall, tool
from toolproof.otel import SEMCONV_VERSION, Telemetry


@pytest.fixture
def otel() -> Iterator[Otel]:
    with capture() as otel:
        yield otel


def demo_registry(telemetry: Telemetry, **options: Any) -> Registry:
    tries: list[int] = []

    @tool
    def get_weather(city: str) -> dict[str, Any]:
        """Current weather for a city."""
        return {"city": city, "temp_c": 21}

    @tool(timeout=0.05)
    def slow_report(days: int) -> str:
        """A report that takes too long."""
        threading.Event().wait(0.5)
        return "late"

    @tool(retry=Retry(attempts=3, initial_delay=0.001, jitter=False))
    def flaky_search(query: str) -> list[str]:
        """Search that fails once."""
        tries.append(1)
        if len(tries) == 1:
            raise RetryableError("search backend busy")
        return [query]

    @tool(authorize=lambda call, context: False)
    def delete_account(user: str) -> str:
        """Delete an account."""
        return "deleted"

    return Registry([get_weather, slow_report, flaky_search, delete_account], telemetry=telemetry, **options)


DEMO_CALLS = [
    ToolCall("c1", "get_weather", '{"city": "Oslo"}'),
    ToolCall("c2", "slow_report", '{"days": "3"}'),
    ToolCall("c3", "flaky_search", '{"query": "otel"}'),
    ToolCall("c4", "delete_account", '{"user": "bob"}'),
]


def check_demo_spans(otel: Otel, batch_name: str) -> None:
    spans = {span.name: span for span in otel.finished() if span.name != "agent turn"}
    batch = spans.pop(batch_name)
    assert set(spans) == {
        "execute_tool get_weather",
        "execute_tool slow_report",
        "execute_tool flaky_search",
        "execute_tool delete_account",
    }
    for span in spans.values():
        assert span.kind is SpanKind.INTERNAL
        assert span.parent is not None and span.parent.span_id == batch.context.span_id
        assert span.context.trace_id == batch.context.trace_id
        attributes = span.attributes or {}
        assert attributes["gen_ai.operation.name"] == "execute_tool"
        assert attributes["gen_ai.tool.type"] == "function"
        assert "gen_ai.tool.call.arguments" not in attributes
        assert span.start_time is not None and span.end_time is not None and span.start_time <= span.end_time

    weather = spans["execute_tool get_weather"]
    assert weather.attributes is not None
    assert "toolproof.timeout" not in weather.attributes
    assert weather.attributes["gen_ai.tool.name"] == "get_weather"
    assert weather.attributes["gen_ai.tool.call.id"] == "c1"
    assert weather.attributes["gen_ai.tool.description"] == "Current weather for a city."
    assert weather.attributes["toolproof.attempts"] == 1
    assert weather.attributes["toolproof.result_bytes"] == len('{"city":"Oslo","temp_c":21}')
    assert weather.attributes["toolproof.truncated"] is False
    assert "error.type" not in weather.attributes
    assert weather.status.status_code is StatusCode.UNSET

    slow = spans["execute_tool slow_report"]
    assert slow.attributes is not None
    assert slow.attributes["error.type"] == "timeout"
    assert slow.attributes["toolproof.timed_out"] is True
    assert slow.attributes["toolproof.timeout"] == 0.05
    assert slow.status.status_code is StatusCode.ERROR
    # "3" for an integer was coerced: a repair, as an attribute and an event.
    assert list(slow.attributes["toolproof.repairs"]) == ["string_to_integer"]  # type: ignore[arg-type]
    assert [event.name for event in slow.events] == ["toolproof.repair"]
    assert slow.end_time - slow.start_time >= 40_000_000  # type: ignore[operator]

    flaky = spans["execute_tool flaky_search"]
    assert flaky.attributes is not None
    assert flaky.attributes["toolproof.attempts"] == 2
    assert flaky.status.status_code is StatusCode.UNSET
    [retry] = [event for event in flaky.events if event.name == "toolproof.retry"]
    assert retry.attributes is not None
    assert retry.attributes["toolproof.attempt"] == 1
    assert retry.attributes["error.type"] == "retryable_error"
    assert retry.attributes["toolproof.retry.reason"] == "search backend busy"

    denied = spans["execute_tool delete_account"]
    assert denied.attributes is not None
    assert denied.attributes["error.type"] == "denied"
    assert denied.status.status_code is StatusCode.ERROR


def test_a_dispatch_is_a_span_with_one_child_per_call(otel: Otel) -> None:
    registry = demo_registry(otel.telemetry())
    tracer = otel.tracer_provider.get_tracer("caller")
    with tracer.start_as_current_span("agent turn") as turn:
        results = registry.dispatch(DEMO_CALLS)
    assert [r.ok for r in results] == [True, False, True, False]
    check_demo_spans(otel, "toolproof.dispatch")
    batch = next(span for span in otel.finished() if span.name == "toolproof.dispatch")
    assert batch.parent is not None and batch.parent.span_id == turn.get_span_context().span_id


def test_adispatch_spans_nest_the_same_way(otel: Otel) -> None:
    registry = demo_registry(otel.telemetry())

    async def main() -> None:
        await registry.adispatch(DEMO_CALLS)

    asyncio.run(main())
    check_demo_spans(otel, "toolproof.adispatch")


def test_arguments_and_results_only_when_asked_and_redacted(otel: Otel) -> None:
    @tool
    def login(user: str, password: str) -> str:
        return f"welcome {user}"

    def redact(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("{"):
            value = json.loads(value)
        if isinstance(value, dict):
            return {key: "***" if key == "password" else item for key, item in value.items()}
        return value

    Registry([login], telemetry=otel.telemetry(capture_content=True), redact=redact).dispatch(
        [ToolCall("c1", "login", '{"user": "ann", "password": "hunter2"}')]
    )
    [span] = [span for span in otel.finished() if span.name == "execute_tool login"]
    assert span.attributes is not None
    arguments = span.attributes["gen_ai.tool.call.arguments"]
    assert isinstance(arguments, str) and "hunter2" not in arguments
    assert json.loads(arguments) == {"user": "ann", "password": "***"}
    assert span.attributes["gen_ai.tool.call.result"] == "welcome ann"


def test_metrics_through_the_meter(otel: Otel) -> None:
    registry = demo_registry(otel.telemetry())
    registry.dispatch(DEMO_CALLS)
    registry.dispatch([ToolCall("c9", "made_up_tool", "{}")])
    durations = {
        (p.attributes["gen_ai.tool.name"], p.attributes.get("error.type")): p.count
        for p in otel.metric_points("gen_ai.execute_tool.duration")
    }
    assert durations == {
        ("get_weather", None): 1,
        ("slow_report", "timeout"): 1,
        ("flaky_search", None): 1,
        ("delete_account", "denied"): 1,
        ("(unknown)", "unknown_tool"): 1,
    }
    errors = {p.attributes["error.type"]: p.value for p in otel.metric_points("toolproof.tool.errors")}
    assert errors == {"timeout": 1, "denied": 1, "unknown_tool": 1}
    assert sum(p.value for p in otel.metric_points("toolproof.tool.calls")) == 5
    assert [p.value for p in otel.metric_points("toolproof.tool.retries")] == [1]
    assert [p.value for p in otel.metric_points("toolproof.tool.timeouts")] == [1]
    repairs = {
        p.attributes["toolproof.repair.kind"]: p.value for p in otel.metric_points("toolproof.tool.repairs")
    }
    assert repairs == {"string_to_integer": 1}
    # The registry's own counters see the same calls.
    assert registry.metrics().as_dict()["total"]["calls"] == 5


def test_every_telemetry_on_one_meter_provider_counts_into_the_same_counters(otel: Otel) -> None:
    """The counters are observable ones, whose totals a provider keeps once however many
    ``Telemetry`` objects feed it: a registry's calls and a tool's own runs add up."""

    @tool(telemetry=otel.telemetry())
    def ping() -> str:
        return "pong"

    registry = Registry([ping], telemetry=otel.telemetry())
    registry.dispatch([ToolCall("c1", "ping", {}), ToolCall("c2", "ping", {})])
    assert ping.run({}).ok
    assert [p.value for p in otel.metric_points("toolproof.tool.calls")] == [3]
    assert [p.count for p in otel.metric_points("gen_ai.execute_tool.duration")] == [3]
    # Cumulative, as a counter's sum is: read again, the totals stand.
    assert [p.value for p in otel.metric_points("toolproof.tool.calls")] == [3]


def test_the_semconv_version_is_named() -> None:
    assert SEMCONV_VERSION.count(".") == 2


def test_without_an_sdk_no_call_is_watched(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.trace import NoOpTracerProvider
    from toolproof import _observe

    watched: list[object] = []
    original = _observe.BatchObserver.__init__

    def spy(self: Any, calls: Any, **options: Any) -> None:
        watched.append(options["watcher"])
        original(self, calls, **options)

    monkeypatch.setattr(_observe.BatchObserver, "__init__", spy)
    telemetry = Telemetry(tracer_provider=NoOpTracerProvider(), meter_provider=NoOpMeterProvider())
    registry = demo_registry(telemetry)
    assert [r.ok for r in registry.dispatch(DEMO_CALLS)] == [True, False, True, False]
    assert watched == [None]


def test_the_time_limit_that_applied_is_on_each_span(otel: Otel) -> None:
    @tool
    def quick() -> str:
        return "ok"

    @tool(timeout=2.0)
    def bounded() -> str:
        return "ok"

    registry = Registry([quick, bounded], telemetry=otel.telemetry(), timeout=7.0)
    calls = [ToolCall("q", "quick", "{}"), ToolCall("b", "bounded", "{}")]
    registry.dispatch(calls)
    # The registry's limit for a tool without its own; the tool's own wins over it.
    assert {
        s.attributes["gen_ai.tool.call.id"]: s.attributes["toolproof.timeout"] for s in otel.named_calls()
    } == {  # type: ignore[index]
        "q": 7.0,
        "b": 2.0,
    }
    otel.spans.clear()
    # A dispatch's own limit wins over both.
    registry.dispatch(calls, timeout=0.5)
    assert [s.attributes["toolproof.timeout"] for s in otel.named_calls()] == [0.5, 0.5]  # type: ignore[index]


# -- one call run by its tool (Tool.run / arun, the path a framework's executor takes) --------------


def test_a_tool_run_alone_is_a_span_under_the_callers_with_the_tools_spans_under_it(otel: Otel) -> None:
    tracer = otel.tracer_provider.get_tracer("app")

    @tool(telemetry=otel.telemetry())
    def lookup(user_id: int) -> str:
        """Look up a user."""
        with tracer.start_as_current_span("database query"):
            return f"user {user_id}"

    with tracer.start_as_current_span("agent step") as step:
        result = lookup.run('{"user_id": "7"}', call_id="c1")
    assert result.ok and result.content == "user 7"
    [span] = otel.named("execute_tool lookup")
    [query] = otel.named("database query")
    assert span.parent is not None and span.parent.span_id == step.get_span_context().span_id
    assert query.parent is not None and query.parent.span_id == span.context.span_id
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["gen_ai.tool.name"] == "lookup"
    assert attributes["gen_ai.tool.call.id"] == "c1"
    assert attributes["gen_ai.tool.type"] == "function"
    assert attributes["gen_ai.tool.description"] == "Look up a user."
    assert attributes["toolproof.attempts"] == 1
    assert list(attributes["toolproof.repairs"]) == ["string_to_integer"]
    assert attributes["toolproof.result_bytes"] == len("user 7")
    assert "toolproof.timeout" not in attributes and "error.type" not in attributes
    assert [(event.name, dict(event.attributes or {})) for event in span.events] == [
        (
            "toolproof.repair",
            {"toolproof.repair.kind": "string_to_integer", "toolproof.repair.path": "user_id"},
        )
    ]
    assert span.status.status_code is StatusCode.UNSET
    assert [p.count for p in otel.metric_points("gen_ai.execute_tool.duration")] == [1]
    assert [p.value for p in otel.metric_points("toolproof.tool.repairs")] == [1]


def test_a_failed_run_is_an_error_span_with_its_retries_as_events(otel: Otel) -> None:
    @tool(telemetry=otel.telemetry(), retry=Retry(attempts=2, initial_delay=0.001, jitter=False))
    def flaky() -> str:
        raise RetryableError("backend busy")

    result = flaky.run({}, call_id="c1")
    assert not result.ok and result.attempts == 2
    [span] = otel.named("execute_tool flaky")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None and span.attributes["error.type"] == "retryable_error"
    assert span.attributes["toolproof.attempts"] == 2
    [retry] = [event for event in span.events if event.name == "toolproof.retry"]
    assert retry.attributes is not None and retry.attributes["toolproof.attempt"] == 1
    assert retry.attributes["toolproof.retry.reason"] == "backend busy"
    errors = {p.attributes["error.type"]: p.value for p in otel.metric_points("toolproof.tool.errors")}
    assert errors == {"retryable_error": 1}
    assert [p.value for p in otel.metric_points("toolproof.tool.retries")] == [1]


def test_an_async_tool_run_with_arun_nests_its_own_spans_and_names_its_time_limit(otel: Otel) -> None:
    tracer = otel.tracer_provider.get_tracer("app")

    @tool(telemetry=otel.telemetry(), timeout=5)
    async def fetch(url: str) -> str:
        with tracer.start_as_current_span("http get"):
            await asyncio.sleep(0)
        return url

    @tool(telemetry=otel.telemetry(), timeout=0.05)
    async def hang() -> str:
        await asyncio.sleep(5)
        return "late"

    @tool(telemetry=otel.telemetry())
    def sync_work() -> str:
        with tracer.start_as_current_span("sync inner"):
            return threading.current_thread().name

    async def main() -> None:
        assert (await fetch.arun({"url": "u"})).ok
        hung = await hang.arun({})
        assert hung.error is not None and hung.error["code"] == "timeout"
        assert (await sync_work.arun({})).ok

    asyncio.run(main())
    [fetched] = otel.named("execute_tool fetch")
    [inner] = otel.named("http get")
    assert inner.parent is not None and inner.parent.span_id == fetched.context.span_id
    assert fetched.attributes is not None and fetched.attributes["toolproof.timeout"] == 5.0
    hung = otel.named("execute_tool hang")[0]
    assert hung.attributes is not None and hung.attributes["error.type"] == "timeout"
    assert hung.attributes["toolproof.timed_out"] is True and hung.attributes["toolproof.timeout"] == 0.05
    # A sync tool runs on a worker thread, in the call's context.
    [worked] = otel.named("execute_tool sync_work")
    [sync_inner] = otel.named("sync inner")
    assert sync_inner.parent is not None and sync_inner.parent.span_id == worked.context.span_id


def test_a_run_records_content_only_when_asked_and_through_redact(otel: Otel) -> None:
    def redact(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: "***" if key == "password" else item for key, item in value.items()}
        return value.replace("ann", "A.") if isinstance(value, str) else value

    @tool(telemetry=otel.telemetry(capture_content=True, redact=redact))
    def login(user: str, password: str) -> str:
        return f"welcome {user}"

    @tool(telemetry=otel.telemetry())
    def quiet_login(user: str, password: str) -> str:
        return f"welcome {user}"

    login.run({"user": "ann", "password": "hunter2"})
    quiet_login.run({"user": "ann", "password": "hunter2"})
    [span] = otel.named("execute_tool login")
    assert span.attributes is not None
    assert json.loads(str(span.attributes["gen_ai.tool.call.arguments"])) == {
        "user": "ann",
        "password": "***",
    }
    assert span.attributes["gen_ai.tool.call.result"] == "welcome A."
    [quiet] = otel.named("execute_tool quiet_login")
    assert quiet.attributes is not None
    assert "gen_ai.tool.call.arguments" not in quiet.attributes
    assert "gen_ai.tool.call.result" not in quiet.attributes


def test_a_registry_records_with_its_own_telemetry_not_its_tools(otel: Otel) -> None:
    @tool(telemetry=otel.telemetry())
    def ping() -> str:
        return "pong"

    Registry([ping]).dispatch([ToolCall("1", "ping", "{}")])
    assert otel.finished() == []
    ping.run({})
    assert len(otel.named("execute_tool ping")) == 1


def test_without_an_sdk_a_tool_run_alone_records_nothing() -> None:
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.trace import NoOpTracerProvider

    telemetry = Telemetry(tracer_provider=NoOpTracerProvider(), meter_provider=NoOpMeterProvider())

    @tool(telemetry=telemetry)
    def ping() -> str:
        return "pong"

    assert telemetry.call(ping, ToolCall("c1", "ping", "{}")) is None
    assert ping.run({}).content == "pong"


@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_spans_a_tool_opens_nest_under_its_call_span(otel: Otel, via: str) -> None:
    """A sync tool runs on a worker thread and an async one as a task; either way the span it
    opens is a child of its own ``execute_tool`` span, retries included."""
    inner = otel.tracer_provider.get_tracer("tool code")
    tries: list[int] = []

    @tool
    def lookup(key: str) -> str:
        with inner.start_as_current_span(f"lookup {key}"):
            return key.upper()

    @tool(retry=Retry(attempts=2, initial_delay=0.001, jitter=False))
    async def fetch(key: str) -> str:
        with inner.start_as_current_span(f"fetch {key}"):
            await asyncio.sleep(0.001)
            tries.append(1)
            if len(tries) == 1:
                raise RetryableError("busy")
            return key

    registry = Registry([lookup, fetch], telemetry=otel.telemetry())
    calls = [ToolCall("s1", "lookup", {"key": "a"}), ToolCall("a1", "fetch", {"key": "b"})]
    if via == "dispatch":
        results = registry.dispatch(calls)
    else:

        async def main() -> list[Any]:
            return await registry.adispatch(calls)

        results = asyncio.run(main())
    assert [result.ok for result in results] == [True, True]
    spans = otel.finished()
    by_name: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    [batch] = by_name[f"toolproof.{via}"]
    [lookup_call] = by_name["execute_tool lookup"]
    [fetch_call] = by_name["execute_tool fetch"]
    [lookup_inner] = by_name["lookup a"]
    fetch_inner = by_name["fetch b"]
    assert len(fetch_inner) == 2, "one span per attempt"
    for call_span in (lookup_call, fetch_call):
        assert call_span.parent is not None and call_span.parent.span_id == batch.context.span_id
    assert lookup_inner.parent is not None and lookup_inner.parent.span_id == lookup_call.context.span_id
    for attempt in fetch_inner:
        assert attempt.parent is not None and attempt.parent.span_id == fetch_call.context.span_id
        assert attempt.context.trace_id == batch.context.trace_id
    # The call's span covers the tool's own.
    assert lookup_call.start_time <= lookup_inner.start_time  # type: ignore[operator]
    assert lookup_inner.end_time <= lookup_call.end_time  # type: ignore[operator]
    assert fetch_call.attributes is not None and fetch_call.attributes["toolproof.attempts"] == 2
    assert [event.name for event in fetch_call.events] == ["toolproof.retry"]


@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_a_call_that_waits_for_a_cap_starts_its_span_when_it_runs(otel: Otel, via: str) -> None:
    """With one slot, the second call waits for the first: its span starts after the wait (the
    wait is not execution), both cover the spans their tools open, and each ends when its call
    was settled."""
    inner = otel.tracer_provider.get_tracer("tool code")

    @tool
    def work(label: str) -> str:
        with inner.start_as_current_span(f"work {label}"):
            threading.Event().wait(0.05)
        return label

    registry = Registry([work], telemetry=otel.telemetry())
    calls = [ToolCall("first", "work", {"label": "a"}), ToolCall("second", "work", {"label": "b"})]
    if via == "dispatch":
        results = registry.dispatch(calls, max_concurrency=1)
    else:

        async def main() -> list[Any]:
            return await registry.adispatch(calls, max_concurrency=1)

        results = asyncio.run(main())
    assert [result.content for result in results] == ["a", "b"]
    first, second = otel.named_calls()
    assert second.start_time >= first.end_time - 1_000_000  # type: ignore[operator]
    for call_span, label in ((first, "a"), (second, "b")):
        [inner_span] = otel.named(f"work {label}")
        assert inner_span.parent is not None and inner_span.parent.span_id == call_span.context.span_id
        assert call_span.start_time <= inner_span.start_time  # type: ignore[operator]
        assert inner_span.end_time <= call_span.end_time  # type: ignore[operator]
        assert call_span.end_time - call_span.start_time < 90_000_000  # type: ignore[operator]
    # The waiting call's elapsed time counts its wait, as its result says.
    assert results[1].elapsed >= 0.09


def test_a_context_variable_set_by_the_caller_reaches_a_traced_sync_tool(otel: Otel) -> None:
    """The context a traced call runs in is a copy of the caller's, with the call's span added."""
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")

    @tool
    def whoami() -> str:
        return request_id.get()

    registry = Registry([whoami], telemetry=otel.telemetry())
    token = request_id.set("req-7")
    try:
        [result] = registry.dispatch([ToolCall("c1", "whoami", {})])
    finally:
        request_id.reset(token)
    assert result.content == "req-7"


def test_without_telemetry_no_start_is_asked_for() -> None:
    from toolproof import _observe

    asked: list[int] = []
    original = _observe.BatchObserver.started

    def spy(self: Any, slot: int, waited: float) -> Any:
        asked.append(slot)
        return original(self, slot, waited)

    @tool
    def ping() -> str:
        return "pong"

    @tool
    async def aping() -> str:
        return "pong"

    registry = Registry([ping, aping])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_observe.BatchObserver, "started", spy)
        results = registry.dispatch([ToolCall("c1", "ping", {}), ToolCall("c2", "aping", {})])
    assert [r.ok for r in results] == [True, True]
    assert asked == []


@pytest.mark.parametrize("where", ["process", "ray"])
@pytest.mark.parametrize("via", ["dispatch", "adispatch"])
def test_spans_a_remote_tool_opens_nest_under_its_call_span(
    otel: Otel, request: pytest.FixtureRequest, where: str, via: str
) -> None:
    """The trace context sent with a call to another process is the call's own: the span the tool
    opens there is a child of ``execute_tool``, not of the batch."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import executor_tools

    pool: Any = None
    if where == "process":
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
        executor: Any = pool
    else:
        request.getfixturevalue("ray_cluster")
        from toolproof.ray import RayExecutor

        executor = RayExecutor()
    try:
        registry = Registry([tool(executor_tools.traced)], executor=executor, telemetry=otel.telemetry())
        calls = [ToolCall("r1", "traced", {"label": "remote"})]
        if via == "dispatch":
            [result] = registry.dispatch(calls)
        else:

            async def main() -> list[Any]:
                return await registry.adispatch(calls)

            [result] = asyncio.run(main())
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    assert result.ok, result.content
    seen = json.loads(result.content)
    [call_span] = otel.named("execute_tool traced")
    [batch] = otel.named(f"toolproof.{via}")
    assert seen["trace_id"] == format(batch.context.trace_id, "032x")
    assert seen["parent_span_id"] == format(call_span.context.span_id, "016x")
