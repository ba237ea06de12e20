"""What OpenTelemetry costs: 1,000 trivial calls through ``Registry.dispatch`` and ``adispatch``.

Candidates, all on the same tools and calls:
- tracing on: ``Telemetry`` with the SDK's ``TracerProvider`` (a span processor handing every span
  to an exporter that drops it) and ``MeterProvider`` (a reader that is never collected);
- API only: ``Telemetry`` with OpenTelemetry's no-op providers, what a process without an SDK gets;
- tracing off: a registry without telemetry, as every registry is by default (the engine tells its
  logging observer of failures only, and these calls do not fail);
- the bare engine: ``Engine.dispatch`` with no observer at all, for context.

Targets: tracing on at most 10% slower than off; off within noise of the bare engine.
Run it alone (``python tests/benchmarks/bench_otel.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

import toolproof
from harness import Candidate, Target, main, timing_section
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import NoOpTracerProvider
from toolproof.otel import Telemetry

BENCHMARK = "otel"
BATCH = 1_000
TRACING_ON = "tracing on (SDK, no-op exporter)"
API_ONLY = "API only (no SDK: no-op providers)"
TRACING_OFF = "tracing off (default)"
BARE_ENGINE = "bare engine (no observer)"

LOOP = asyncio.new_event_loop()


class DropSpans(SpanExporter):
    """An exporter that takes every span and keeps none."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def sdk_providers() -> tuple[TracerProvider, MeterProvider]:
    # `make` sets OTEL_SDK_DISABLED=true for the frameworks; these providers are built on purpose.
    previous = os.environ.get("OTEL_SDK_DISABLED")
    os.environ["OTEL_SDK_DISABLED"] = "false"
    try:
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(DropSpans()))
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    finally:
        if previous is None:
            del os.environ["OTEL_SDK_DISABLED"]
        else:
            os.environ["OTEL_SDK_DISABLED"] = previous
    return tracer_provider, meter_provider


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
        ],
        notes=[
            "tracing on writes 1,001 spans and records 2,000 metric points per batch",
            "tracing off against the bare engine is the cost of logging observation with no failure",
        ],
        quick=quick,
        unit="µs/batch",
    )


def run(quick: bool) -> list[dict[str, Any]]:
    return [section("otel-sync", False, quick), section("otel-async", True, quick)]


if __name__ == "__main__":
    raise SystemExit(main(run, "OpenTelemetry: tracing on against tracing off."))
