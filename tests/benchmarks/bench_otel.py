"""What OpenTelemetry costs: 1,000 trivial calls through ``Registry.dispatch`` and ``adispatch``.

Candidates, all on the same tools and calls:
- tracing on: ``Telemetry`` with the SDK's ``TracerProvider`` (a span processor handing every span
  to an exporter that drops it) and ``MeterProvider`` (a reader that is never collected);
- API only: ``Telemetry`` with OpenTelemetry's no-op providers, what a process without an SDK gets;
- tracing off: a registry without telemetry, as every registry is by default (the engine tells its
  logging observer of failures only, and these calls do not fail);
- SDK floor: tracing off, then the same spans (names, attributes, events, times) and the same
  measurements made in a bare loop over the SDK, replayed from what one traced batch exported:
  what the SDK itself charges, so that tracing on against it says what toolproof adds;
- the bare engine: ``Engine.dispatch`` with no observer at all, for context.

A last section runs a realistic tool (one that sleeps 1 ms) 100 times through ``Tool.run``,
tracing on against off and against its own SDK floor (the untraced run inside the same span, and
the same measurements).

Targets: tracing on at most 10% slower than off (the issue's aim, which the SDK's own cost per span
decides for trivial calls); tracing on at most 10% slower than the SDK floor (toolproof's share).
Run it alone (``python tests/benchmarks/bench_otel.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from typing import Any

import toolproof
from harness import Candidate, Target, main, timing_section
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NoOpTracerProvider, SpanKind, set_span_in_context
from toolproof.otel import Telemetry

BENCHMARK = "otel"
BATCH = 1_000
TRACING_ON = "tracing on (SDK, no-op exporter)"
API_ONLY = "API only (no SDK: no-op providers)"
TRACING_OFF = "tracing off (default)"
BARE_ENGINE = "bare engine (no observer)"
SDK_FLOOR = "SDK floor (tracing off + the same spans and measurements, bare loop)"
SLEEP_CALLS = 100

LOOP = asyncio.new_event_loop()


class DropSpans(SpanExporter):
    """An exporter that takes every span and keeps none."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def sdk_providers(exporter: SpanExporter | None = None) -> tuple[TracerProvider, MeterProvider]:
    # `make` sets OTEL_SDK_DISABLED=true for the frameworks; these providers are built on purpose.
    previous = os.environ.get("OTEL_SDK_DISABLED")
    os.environ["OTEL_SDK_DISABLED"] = "false"
    try:
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(exporter or DropSpans()))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    finally:
        if previous is None:
            del os.environ["OTEL_SDK_DISABLED"]
        else:
            os.environ["OTEL_SDK_DISABLED"] = previous
    return tracer_provider, meter_provider


def sleep_1ms(a: int, b: int) -> int:
    """Add two numbers, slowly."""
    time.sleep(0.001)
    return a + b


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def add_async(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


CALLS = [toolproof.ToolCall(f"call_{i}", "add", f'{{"a": {i}, "b": 2}}') for i in range(BATCH)]


def registries(function: Any) -> dict[str, toolproof.Registry]:
    tracer_provider, meter_provider = sdk_providers()
    return {
        TRACING_ON: toolproof.Registry(
            [toolproof.Tool.from_function(function, name="add")],
            telemetry=Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider),
        ),
        API_ONLY: toolproof.Registry(
            [toolproof.Tool.from_function(function, name="add")],
            telemetry=Telemetry(tracer_provider=NoOpTracerProvider(), meter_provider=NoOpMeterProvider()),
        ),
        TRACING_OFF: toolproof.Registry([toolproof.Tool.from_function(function, name="add")]),
    }


def sdk_floor(function: Any, is_async: bool) -> Any:
    """A run of the SDK floor: one traced batch is exported to memory, then each run dispatches
    without telemetry and replays those spans and measurements through a fresh SDK tracer."""
    exporter = InMemorySpanExporter()
    tracer_provider, meter_provider = sdk_providers(exporter)
    traced = toolproof.Registry(
        [toolproof.Tool.from_function(function, name="add")],
        telemetry=Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider),
    )
    if is_async:
        LOOP.run_until_complete(traced.adispatch(CALLS))
    else:
        traced.dispatch(CALLS)
    spans = list(exporter.get_finished_spans())
    [batch] = [span for span in spans if span.name.startswith("toolproof.")]
    calls = [
        (span.name, dict(span.attributes or {}), [(e.name, dict(e.attributes or {})) for e in span.events])
        for span in spans
        if span is not batch
    ]
    labels = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "add"}
    replay_tracer_provider, replay_meter_provider = sdk_providers()
    tracer = replay_tracer_provider.get_tracer("floor")
    meter = replay_meter_provider.get_meter("floor")
    duration = meter.create_histogram("gen_ai.execute_tool.duration", unit="s")
    off = toolproof.Registry([toolproof.Tool.from_function(function, name="add")])

    def replay() -> None:
        with tracer.start_as_current_span(
            batch.name, kind=SpanKind.INTERNAL, attributes=dict(batch.attributes or {})
        ) as span:
            parent = set_span_in_context(span)
            now = time.time_ns()
            for name, attributes, events in calls:
                call = tracer.start_span(
                    name, context=parent, kind=SpanKind.INTERNAL, attributes=attributes, start_time=now
                )
                for event, event_attributes in events:
                    call.add_event(event, event_attributes, timestamp=now)
                call.end(end_time=now)
                duration.record(0.000001, labels)

    if is_async:

        async def floor_batch() -> Any:
            results = await off.adispatch(CALLS)
            replay()
            return results

        return lambda: LOOP.run_until_complete(floor_batch())

    def floor_run() -> Any:
        results = off.dispatch(CALLS)
        replay()
        return results

    return floor_run


def section(name: str, is_async: bool, quick: bool) -> dict[str, Any]:
    function = add_async if is_async else add
    by_name = registries(function)
    bare = toolproof.Registry([toolproof.Tool.from_function(function, name="add")])
    engine = bare._engine_for_dispatch()

    if is_async:

        def run_with(registry: toolproof.Registry) -> Any:
            return lambda: LOOP.run_until_complete(registry.adispatch(CALLS))

        async def bare_batch() -> Any:
            return await engine.adispatch(CALLS)

        def bare_run() -> Any:
            return LOOP.run_until_complete(bare_batch())

    else:

        def run_with(registry: toolproof.Registry) -> Any:
            return lambda: registry.dispatch(CALLS)

        def bare_run() -> Any:
            return engine.dispatch(CALLS)

    returns = f"{BATCH} ToolResults"
    candidates = [Candidate(label, run_with(registry), returns) for label, registry in by_name.items()]
    candidates.append(Candidate(SDK_FLOOR, sdk_floor(function, is_async), returns, baseline=True))
    candidates.append(Candidate(BARE_ENGINE, bare_run, returns, baseline=True))
    for candidate in candidates:
        results = candidate.call()
        if len(results) != BATCH or not all(result.ok for result in results):
            raise AssertionError(f"{candidate.name} did not run every call")
    kind = "async" if is_async else "sync"
    return timing_section(
        benchmark=BENCHMARK,
        section=name,
        title=f"{BATCH} trivial calls of a {kind} tool through Registry.{'adispatch' if is_async else 'dispatch'}",
        candidates=candidates,
        reference=TRACING_ON,
        targets=[
            Target(
                "tracing on at most 10% slower than tracing off", against=(TRACING_OFF,), at_least=1 / 1.1
            ),
            Target(
                "tracing on at most 10% slower than the SDK floor (what toolproof adds)",
                against=(SDK_FLOOR,),
                at_least=1 / 1.1,
            ),
        ],
        notes=[
            "tracing on writes 1,001 spans and records 1,000 histogram points per batch; toolproof's counters are "
            "observable (their totals are read when a reader collects), so they are toolproof's own work here",
            "the SDK floor makes the same spans and measurements over the same SDK processor, with none of "
            "toolproof's own work (attribute dicts, each call's context, reading results) and no span "
            "alive while its call runs",
            "tracing off against the bare engine is the cost of logging observation with no failure",
        ],
        quick=quick,
        unit="µs/batch",
    )


def run_floor(function: Any) -> Any:
    """``Tool.run`` without telemetry inside the span a traced run makes (its name and final
    attributes, replayed from one traced run exported to memory, current while the tool runs),
    then the same histogram point: what the SDK charges for one call run alone (toolproof's counters
    are observable, read when a reader collects)."""
    exporter = InMemorySpanExporter()
    tracer_provider, meter_provider = sdk_providers(exporter)
    traced = toolproof.Tool.from_function(
        function,
        name="add",
        telemetry=Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider),
    )
    traced.run({"a": 1, "b": 2})
    [span] = exporter.get_finished_spans()
    attributes = dict(span.attributes or {})
    replay_tracer_provider, replay_meter_provider = sdk_providers()
    tracer = replay_tracer_provider.get_tracer("floor")
    meter = replay_meter_provider.get_meter("floor")
    duration = meter.create_histogram("gen_ai.execute_tool.duration", unit="s")
    labels = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "add"}
    plain = toolproof.Tool.from_function(function, name="add")

    def run_one(arguments: dict[str, int]) -> toolproof.ToolResult:
        with tracer.start_as_current_span(span.name, kind=SpanKind.INTERNAL, attributes=attributes):
            result = plain.run(arguments)
        duration.record(result.elapsed, labels)
        return result

    return run_one


def realistic_section(quick: bool) -> dict[str, Any]:
    """A tool that does some work (sleeps 1 ms), 100 calls run one after another, as a framework's
    executor runs a hardened tool: what tracing costs where a call costs something."""
    tracer_provider, meter_provider = sdk_providers()
    traced = toolproof.Tool.from_function(
        sleep_1ms,
        name="add",
        telemetry=Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider),
    )
    plain = toolproof.Tool.from_function(sleep_1ms, name="add")
    floor = run_floor(sleep_1ms)
    arguments = [{"a": i, "b": 2} for i in range(SLEEP_CALLS)]

    def run_with(tool: toolproof.Tool) -> Any:
        return lambda: [tool.run(a) for a in arguments]

    candidates = [
        Candidate(TRACING_ON, run_with(traced), f"{SLEEP_CALLS} ToolResults"),
        Candidate(TRACING_OFF, run_with(plain), f"{SLEEP_CALLS} ToolResults"),
        Candidate(
            SDK_FLOOR, lambda: [floor(a) for a in arguments], f"{SLEEP_CALLS} ToolResults", baseline=True
        ),
    ]
    return timing_section(
        benchmark=BENCHMARK,
        section="otel-tool-run-1ms",
        title=f"{SLEEP_CALLS} Tool.run calls of a tool that sleeps 1 ms",
        candidates=candidates,
        reference=TRACING_ON,
        targets=[
            Target("tracing on at most 10% slower than tracing off", (TRACING_OFF,), 1 / 1.1),
            Target(
                "tracing on at most 10% slower than the SDK floor (what toolproof adds)",
                against=(SDK_FLOOR,),
                at_least=1 / 1.1,
            ),
        ],
        notes=[
            "each traced call is one span and one histogram point, and adds to toolproof's counters' totals",
            "the SDK floor runs the untraced tool inside the same span (current while it runs) and makes "
            "the same measurement: the SDK's own cost, which the 10% against tracing off must also fit",
        ],
        quick=quick,
        unit="µs/batch",
    )


def run(quick: bool) -> list[dict[str, Any]]:
    return [section("otel-sync", False, quick), section("otel-async", True, quick), realistic_section(quick)]


if __name__ == "__main__":
    raise SystemExit(main(run, "OpenTelemetry: tracing on against tracing off."))
