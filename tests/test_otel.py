"""OpenTelemetry spans and metrics, read back with the SDK's in-memory exporter and reader.

The test environment sets OTEL_SDK_DISABLED=true for the frameworks' sake; each test builds its
own providers with it lifted, and hands them to ``Telemetry``, so nothing global is touched."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from toolproof import Registry, Retry, RetryableError, ToolCall, tool
from toolproof.otel import SEMCONV_VERSION, Telemetry


@dataclass
class Otel:
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    def telemetry(self, **options: Any) -> Telemetry:
        return Telemetry(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **options)

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metric_points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        points: list[Any] = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        points.extend(metric.data.data_points)
        return points


@pytest.fixture
def otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[Otel]:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "false")
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Otel(exporter, reader, tracer_provider, meter_provider)
    tracer_provider.shutdown()
    meter_provider.shutdown()


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

    def spy(self: Any, slot: int) -> Any:
        asked.append(slot)
        return original(self, slot)

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
