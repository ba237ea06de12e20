"""OpenTelemetry SDK providers whose spans and metrics a test reads back: the in-memory exporter
and metric reader.

The test environment sets OTEL_SDK_DISABLED=true for the frameworks' sake; ``capture`` builds
providers with it lifted and hands them out, so nothing global is touched."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from toolproof.otel import Telemetry


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

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.finished() if span.name == name]

    def named_calls(self) -> list[ReadableSpan]:
        """The ``execute_tool`` spans, in the order their calls' ids sort."""
        calls = [span for span in self.finished() if span.name.startswith("execute_tool ")]
        return sorted(calls, key=lambda span: str((span.attributes or {}).get("gen_ai.tool.call.id")))

    def metric_points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        points: list[Any] = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        points.extend(metric.data.data_points)
        return points


@contextmanager
def capture() -> Iterator[Otel]:
    previous = os.environ.get("OTEL_SDK_DISABLED")
    os.environ["OTEL_SDK_DISABLED"] = "false"
    try:
        exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        reader = InMemoryMetricReader()
        meter_provider = MeterProvider(metric_readers=[reader])
    finally:
        if previous is None:
            del os.environ["OTEL_SDK_DISABLED"]
        else:
            os.environ["OTEL_SDK_DISABLED"] = previous
    try:
        yield Otel(exporter, reader, tracer_provider, meter_provider)
    finally:
        tracer_provider.shutdown()
        meter_provider.shutdown()
