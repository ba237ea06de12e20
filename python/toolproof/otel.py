"""OpenTelemetry spans and metrics for dispatched calls (extra ``toolproof[otel]``, which needs
``opentelemetry-api`` only; an SDK or a distro configured by the application decides where they
go).

``Registry(tools, telemetry=Telemetry())`` gives every ``dispatch``/``adispatch`` a span
``toolproof.dispatch`` (or ``toolproof.adispatch``) under the caller's current span, and each call
in it a child span ``execute_tool {tool name}``, kind INTERNAL, following the OpenTelemetry GenAI
semantic conventions version ``SEMCONV_VERSION`` (status: development): ``gen_ai.operation.name``,
``gen_ai.tool.name``, ``gen_ai.tool.call.id``, ``gen_ai.tool.type``, ``gen_ai.tool.description``,
and on failure ``error.type`` (toolproof's result code) with status ERROR.
``gen_ai.tool.call.arguments`` and ``gen_ai.tool.call.result`` are recorded only with
``capture_content=True``, each passed through the registry's ``redact`` hook first. toolproof's
own attributes: ``toolproof.attempts``, ``toolproof.repairs`` (the repair kinds),
``toolproof.timed_out``, ``toolproof.result_bytes``, ``toolproof.truncated``; retries and repairs
are span events. A call that runs gets its span just before its first attempt, current in the
context the call runs in (a sync tool's worker thread included), so spans the tool opens are its
children; the span ends at the time the call was settled (the engine reports each call as it
settles), once its result's attributes are known. A call settled before it ran (an unknown tool,
bad arguments, a denial) gets its span with the batch's results.

Metrics, through the meter: ``gen_ai.execute_tool.duration`` (histogram, seconds, by
``gen_ai.tool.name`` and ``error.type``) and the counters ``toolproof.tool.calls``,
``toolproof.tool.errors`` (by ``error.type``), ``toolproof.tool.retries``,
``toolproof.tool.repairs`` (by ``toolproof.repair.kind``) and ``toolproof.tool.timeouts``.
``Registry.metrics()`` and its Prometheus text count the same calls, as before.
"""

from __future__ import annotations

import contextvars
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

if TYPE_CHECKING:
    from toolproof._core import ToolCall, ToolResult
    from toolproof.tools import Tool

__all__ = ["SEMCONV_VERSION", "Telemetry"]

SEMCONV_VERSION = "1.37.0"
"""The version of the OpenTelemetry semantic conventions the spans and metrics follow."""
_SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"

# Bucket boundaries the GenAI conventions advise for operation durations, in seconds.
_DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)

_UNKNOWN_TOOL = "(unknown)"
"""The tool name metrics count a call to a tool the registry lacks under, so names a model
makes up do not each become a series."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("toolproof")
    except PackageNotFoundError:
        return "0"


class Telemetry:
    """Where a registry's spans and metrics go: the given providers, else the global ones."""

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool = False,
    ) -> None:
        version = _version()
        self.capture_content = capture_content
        self._meter_provider = meter_provider
        self._tracer = trace.get_tracer("toolproof", version, tracer_provider, schema_url=_SCHEMA_URL)
        meter = metrics.get_meter("toolproof", version, meter_provider, schema_url=_SCHEMA_URL)
        self.duration = meter.create_histogram(
            "gen_ai.execute_tool.duration",
            unit="s",
            description="Duration of tool executions.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.calls = meter.create_counter(
            "toolproof.tool.calls", unit="{call}", description="Tool calls settled."
        )
        self.errors = meter.create_counter(
            "toolproof.tool.errors", unit="{call}", description="Tool calls that failed, by error.type."
        )
        self.retries = meter.create_counter(
            "toolproof.tool.retries", unit="{attempt}", description="Attempts after a call's first."
        )
        self.repairs = meter.create_counter(
            "toolproof.tool.repairs", unit="{repair}", description="Repairs made to arguments, by kind."
        )
        self.timeouts = meter.create_counter(
            "toolproof.tool.timeouts", unit="{call}", description="Tool calls that ran past their time limit."
        )

    @contextmanager
    def batch(
        self,
        operation: str,
        calls: Sequence[ToolCall],
        tools: Mapping[str, Tool],
        redact: Callable[[Any], Any] | None,
    ) -> Iterator[BatchTrace | None]:
        """The span of one batch, current while it runs; yields what records its calls, or None
        when neither spans nor metrics go anywhere (no SDK), so the calls cost nothing more."""
        with self._tracer.start_as_current_span(
            f"toolproof.{operation}",
            kind=SpanKind.INTERNAL,
            attributes={"toolproof.calls": len(calls)},
        ) as span:
            if not span.is_recording() and not self._measuring():
                yield None
                return
            watcher = BatchTrace(self, self._tracer, span, calls, tools, redact)
            try:
                yield watcher
            finally:
                watcher.close()

    def _measuring(self) -> bool:
        """Whether the meter provider is a real one (an SDK's), not OpenTelemetry's no-op or the
        placeholder that stands in until an application sets one."""
        provider = self._meter_provider if self._meter_provider is not None else metrics.get_meter_provider()
        # Both of those live in the API package; any SDK's provider lives elsewhere.
        return not type(provider).__module__.startswith("opentelemetry.metrics")


class BatchTrace:
    """One batch's calls, as spans under the batch's span and as metrics. The engine reports each
    call's start, retries and end as they happen; a span ends once the results are known, with
    the time its call was settled, since a result carries what the span needs (repairs,
    content)."""

    def __init__(
        self,
        telemetry: Telemetry,
        tracer: trace.Tracer,
        span: trace.Span,
        calls: Sequence[ToolCall],
        tools: Mapping[str, Tool],
        redact: Callable[[Any], Any] | None,
    ) -> None:
        self._telemetry = telemetry
        self._tracer = tracer
        self._parent = trace.set_span_in_context(span)
        self._calls = calls
        self._tools = tools
        self._redact = redact
        self._ended: dict[int, tuple[int, int, bool]] = {}
        """Per slot: when the call started and was settled (ns since the epoch), and whether it
        timed out."""
        self._retries: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        self._spans: dict[int, trace.Span] = {}
        """Per slot: the span of a call that started running."""
        # The caller's context (the batch's span current in it): what each call's context copies.
        self._base = contextvars.copy_context()
        self._written = False

    # -- what the engine reports, as it happens -------------------------------------------------

    def started(self, slot: int) -> contextvars.Context:
        """The call's span, started now, and the context the call runs in, with it current."""
        call = self._calls[slot]
        span = self._tracer.start_span(
            f"execute_tool {call.name}",
            context=self._parent,
            kind=SpanKind.INTERNAL,
            attributes=self._call_attributes(call),
        )
        self._spans[slot] = span
        scope = self._base.copy()
        scope.run(otel_context.attach, trace.set_span_in_context(span, self._parent))
        return scope

    def finished(
        self,
        slot: int,
        code: str | None,
        message: str | None,
        attempts: int,
        elapsed: float,
        result_bytes: int,
        truncated: bool,
        exception: BaseException | None,
    ) -> None:
        end = time.time_ns()
        self._ended[slot] = (end - int(elapsed * 1e9), end, code == "timeout")

    def retrying(self, slot: int, attempt: int, delay: float, code: str, message: str) -> None:
        event = {
            "toolproof.attempt": attempt,
            "toolproof.retry.delay": delay,
            "error.type": code,
            "toolproof.retry.reason": message,
        }
        span = self._spans.get(slot)
        if span is not None:
            span.add_event("toolproof.retry", event)
        else:
            self._retries.setdefault(slot, []).append((time.time_ns(), event))

    # -- once the batch is done -------------------------------------------------------------------

    def results(self, results: Sequence[ToolResult]) -> None:
        """Write every call's span and count it."""
        self._written = True
        counts: Counter[tuple[Any, tuple[tuple[str, Any], ...]]] = Counter()
        for slot, (call, result) in enumerate(zip(self._calls, results, strict=True)):
            self._record(slot, call, result, counts)
        # Counters are added to once per distinct set of attributes, not once per call.
        for (counter, labels), value in counts.items():
            counter.add(value, dict(labels))

    def close(self) -> None:
        """A batch that ended without results (interrupted): the calls that were settled still
        get their spans, without what only the results carry."""
        if self._written:
            return
        for slot, call in enumerate(self._calls):
            if slot in self._ended or slot in self._spans:
                self._record(slot, call, None, Counter())

    def _record(
        self,
        slot: int,
        call: ToolCall,
        result: ToolResult | None,
        counts: Counter[tuple[Any, tuple[tuple[str, Any], ...]]],
    ) -> None:
        telemetry = self._telemetry
        now = time.time_ns()
        started, ended, timed_out = self._ended.get(slot, (now, now, False))
        if result is not None and slot not in self._ended:
            started = now - int(result.elapsed * 1e9)
        tool = self._tools.get(call.name)
        code = None if result is None or result.ok else (result.error or {}).get("code", "unspecified")
        live = self._spans.pop(slot, None)
        attributes: dict[str, Any] = {} if live is not None else self._call_attributes(call)
        attributes["toolproof.timed_out"] = timed_out
        repairs = list(result.repairs) if result is not None else []
        if result is not None:
            attributes["toolproof.attempts"] = result.attempts
            attributes["toolproof.repairs"] = [repair.kind for repair in repairs]
            attributes["toolproof.result_bytes"] = len(result.content.encode()) if result.ok else 0
            attributes["toolproof.truncated"] = result.truncated is not None
            if code is not None:
                attributes["error.type"] = code
        if telemetry.capture_content and result is not None and result.ok:
            attributes["gen_ai.tool.call.result"] = self._content(result.content)
        if live is not None:
            span = live
            span.set_attributes(attributes)
        else:
            span = self._tracer.start_span(
                f"execute_tool {call.name}",
                context=self._parent,
                kind=SpanKind.INTERNAL,
                attributes=attributes,
                start_time=started,
            )
        for repair in repairs:
            span.add_event(
                "toolproof.repair",
                {"toolproof.repair.kind": repair.kind, "toolproof.repair.path": repair.path},
                timestamp=started,
            )
        for timestamp, event in self._retries.get(slot, ()):
            span.add_event("toolproof.retry", event, timestamp=timestamp)
        if code is not None and result is not None:
            error = result.error or {}
            span.set_status(Status(StatusCode.ERROR, str(error.get("message", code))))
        span.end(end_time=ended)
        if result is None:
            return
        name = call.name if tool is not None else _UNKNOWN_TOOL
        labels: dict[str, Any] = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
        if code is not None:
            labels["error.type"] = code
        telemetry.duration.record(result.elapsed, labels)
        key = tuple(labels.items())
        counts[telemetry.calls, key] += 1
        if code is not None:
            counts[telemetry.errors, key] += 1
        if result.attempts > 1:
            counts[telemetry.retries, (("gen_ai.tool.name", name),)] += result.attempts - 1
        if timed_out:
            counts[telemetry.timeouts, (("gen_ai.tool.name", name),)] += 1
        for repair in repairs:
            counts[
                telemetry.repairs, (("gen_ai.tool.name", name), ("toolproof.repair.kind", repair.kind))
            ] += 1

    def _call_attributes(self, call: ToolCall) -> dict[str, Any]:
        """What a call's span says from the start."""
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
            "gen_ai.tool.type": "function",
        }
        tool = self._tools.get(call.name)
        if tool is not None and tool.description:
            attributes["gen_ai.tool.description"] = tool.description
        if self._telemetry.capture_content:
            attributes["gen_ai.tool.call.arguments"] = self._content(call.arguments)
        return attributes

    def _content(self, value: Any) -> str:
        if self._redact is not None:
            value = self._redact(value)
        if isinstance(value, str):
            return value
        try:
            return json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            return repr(value)
