"""The demo's batch (``examples/demo.py``) as a trace: the spans toolproof writes, read back from
the OpenTelemetry SDK's in-memory exporter and drawn as the tree a trace viewer (Jaeger, any OTLP
viewer) shows.

Needs ``opentelemetry-sdk``. Run with ``python examples/demo_trace.py``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["OTEL_SDK_DISABLED"] = "false"  # `make` turns the SDK off for the frameworks' sake

import demo
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from toolproof import Registry
from toolproof.otel import Telemetry

BAR = 30


def milliseconds(span: ReadableSpan) -> float:
    return ((span.end_time or 0) - (span.start_time or 0)) / 1e6


def bar(span: ReadableSpan, root: ReadableSpan) -> str:
    """Where the span lies in its root's time, as a viewer's timeline draws it."""
    total = max((root.end_time or 0) - (root.start_time or 0), 1)
    start = ((span.start_time or 0) - (root.start_time or 0)) * BAR / total
    width = max(milliseconds(span) * 1e6 * BAR / total, 0.5)
    return (" " * round(start) + "█" * max(round(width), 1)).ljust(BAR)


def counted(names: Sequence[str]) -> str:
    """``a ×2, b``: each name once, with how often it came."""
    return ", ".join(
        f"{name} ×{names.count(name)}" if names.count(name) > 1 else name for name in dict.fromkeys(names)
    )


def details(span: ReadableSpan) -> str:
    attributes = span.attributes or {}
    parts = []
    if "error.type" in attributes:
        parts.append(f"ERROR {attributes['error.type']}")
    attempts = attributes.get("toolproof.attempts", 1)
    if isinstance(attempts, int) and attempts > 1:
        parts.append(f"attempts {attempts}")
    if "toolproof.timeout" in attributes:
        parts.append(f"timeout {attributes['toolproof.timeout']} s")
    retries = [
        event.name.removeprefix("toolproof.") for event in span.events if event.name == "toolproof.retry"
    ]
    if retries:
        parts.append(f"events: {counted(retries)}")
    repairs = [str(kind) for kind in attributes.get("toolproof.repairs") or ()]  # type: ignore[union-attr]
    if repairs:
        parts.append(f"repairs (events): {counted(repairs)}")
    return "; ".join(parts)


def tree(spans: Sequence[ReadableSpan]) -> list[str]:
    [root] = [span for span in spans if span.parent is None]
    children = sorted((span for span in spans if span is not root), key=lambda span: span.start_time or 0)
    lines = [f"{root.name:<44} {milliseconds(root):>6.0f} ms  {bar(root, root)}"]
    for position, span in enumerate(children):
        branch = "└─" if position == len(children) - 1 else "├─"
        call_id = (span.attributes or {}).get("gen_ai.tool.call.id", "")
        label = f"{branch} {span.name:<30} {call_id:<9}"
        lines.append(
            f"{label:<44} {milliseconds(span):>6.0f} ms  {bar(span, root)}  {details(span)}".rstrip()
        )
    return lines


def main() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traced = Registry(list(demo.registry), telemetry=Telemetry(tracer_provider=provider))
    traced.dispatch(demo.model_turn())
    print("\n".join(tree(exporter.get_finished_spans())))


if __name__ == "__main__":
    main()
