"""AutoGen's own tool span sees a failed call as an error, also when the call returns its
result instead of raising."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

pytest.importorskip("autogen_core")
pytest.importorskip("opentelemetry.sdk")

from autogen_core import CancellationToken
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from toolproof.autogen import harden

_EXPORTER = InMemorySpanExporter()
_PROVIDER: list[TracerProvider] = []


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    # AutoGen's span takes the global tracer provider, which can be set once per process.
    if not _PROVIDER:
        monkeypatch.setenv("OTEL_SDK_DISABLED", "false")
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
        _PROVIDER.append(provider)
    if trace.get_tracer_provider() is not _PROVIDER[0]:
        pytest.skip("another global tracer provider was set before this test")
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def divide(a: int, b: int) -> float:
    return a / b


def test_a_failed_call_is_an_error_in_autogens_tool_span(spans: InMemorySpanExporter) -> None:
    tool = harden(divide, timeout=5)
    result = asyncio.run(tool.run_call({"a": 1, "b": 0}, CancellationToken(), call_id="c1"))
    assert not result.ok
    ok = asyncio.run(tool.run_call({"a": 4, "b": 2}, CancellationToken(), call_id="c2"))
    assert ok.ok
    with pytest.raises(ZeroDivisionError):
        asyncio.run(tool.run_json({"a": 1, "b": 0}, CancellationToken(), call_id="c3"))
    by_call = {span.attributes["gen_ai.tool.call.id"]: span for span in spans.get_finished_spans()}  # type: ignore[index]
    assert by_call["c1"].name == "execute_tool divide"
    assert by_call["c1"].status.status_code is StatusCode.ERROR
    assert by_call["c1"].attributes["error.type"] == result.error["code"]  # type: ignore[index]
    assert by_call["c2"].status.status_code is StatusCode.UNSET
    assert by_call["c3"].status.status_code is StatusCode.ERROR
