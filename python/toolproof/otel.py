"""OpenTelemetry spans and metrics for tool calls (extra ``toolproof[otel]``, which needs
``opentelemetry-api`` only; an SDK or a distro configured by the application decides where they
go).

Two ways in. ``Registry(tools, telemetry=Telemetry())`` gives every ``dispatch``/``adispatch`` a
span ``toolproof.dispatch`` (or ``toolproof.adispatch``) under the caller's current span, and each
call in it a child span. A tool given ``telemetry=`` (``@tool(telemetry=...)``, or an adapter's
``harden(..., telemetry=...)``) gives each ``Tool.run``/``arun`` (the path a framework's own
executor takes) one span, current while the tool runs on the calling thread or task, so the
tool's own spans nest under it.

A call's span is ``execute_tool {tool name}``, kind INTERNAL, following the OpenTelemetry GenAI
semantic conventions version ``SEMCONV_VERSION`` (status: development): ``gen_ai.operation.name``,
``gen_ai.tool.name``, ``gen_ai.tool.call.id``, ``gen_ai.tool.type``, ``gen_ai.tool.description``,
and on failure ``error.type`` (toolproof's result code) with status ERROR.
``gen_ai.tool.call.arguments`` and ``gen_ai.tool.call.result`` are recorded only with
``capture_content=True``, each passed through the ``redact`` hook first (the registry's, else the
``Telemetry``'s). toolproof's own attributes: ``toolproof.attempts``, ``toolproof.repairs`` (the
repair kinds), ``toolproof.timeout`` (the time limit that applied, in seconds; absent when none
did), ``toolproof.timed_out``, ``toolproof.result_bytes``, ``toolproof.truncated``; each retry is
a ``toolproof.retry`` event and each repair a ``toolproof.repair`` event (its kind and path).
In a batch, a call that runs gets its span when its first attempt is about to begin (for a call
whose concurrency caps have room, that is when the batch starts; one that waits for a cap starts
its span after the wait), current in the context the call runs in (a sync tool's worker thread
included), so spans the tool opens are its children; the span ends at the time the call was
settled, once its result's attributes are known. A call settled before it ran (an unknown tool,
bad arguments, a denial) gets its span with the batch's results.

Metrics, through the meter: ``gen_ai.execute_tool.duration`` (histogram, seconds, by
``gen_ai.tool.name`` and ``error.type``) and the counters ``toolproof.tool.calls``,
``toolproof.tool.errors`` (by ``error.type``), ``toolproof.tool.retries``,
``toolproof.tool.repairs`` (by ``toolproof.repair.kind``) and ``toolproof.tool.timeouts``, which
are observable counters: toolproof keeps their totals, and a reader reads them when it collects, so
a call makes one measurement (its duration) rather than two.
``Registry.metrics()``/``Tool.metrics()`` and the Prometheus text count the same calls, as before.
"""

from __future__ import annotations

import contextvars
import functools
import json
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from toolproof.codes import ResultCode

if TYPE_CHECKING:
    from contextvars import Token

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

_TIMEOUT_CODE = ResultCode.TIMEOUT.value

Redact = Callable[[Any], Any]
_Attributes = tuple[tuple[str, Any], ...]
_Counts = Counter[tuple[str, _Attributes]]


_CALLS = "toolproof.tool.calls"
_ERRORS = "toolproof.tool.errors"
_RETRIES = "toolproof.tool.retries"
_REPAIRS = "toolproof.tool.repairs"
_TIMEOUTS = "toolproof.tool.timeouts"
_COUNTERS = {
    _CALLS: ("{call}", "Tool calls settled."),
    _ERRORS: ("{call}", "Tool calls that failed, by error.type."),
    _RETRIES: ("{attempt}", "Attempts after a call's first."),
    _REPAIRS: ("{repair}", "Repairs made to arguments, by kind."),
    _TIMEOUTS: ("{call}", "Tool calls that ran past their time limit."),
}


class _Tally:
    """toolproof's counters of one meter provider, as observable counters: a call adds to the
    totals here (a lock and a dict update or two), and the provider's readers read them when they
    collect, where a counter's ``add`` would cost each call what the SDK charges for a measurement
    (about what the duration's own point costs).

    One per provider, shared by every ``Telemetry`` on it (a meter keeps the first instrument made
    under a name, and the callbacks of a later one would never run), and made from the provider
    itself once it is a real one (an SDK's), never through the placeholder that stands in for the
    global provider until it is set."""

    _by_provider: ClassVar[weakref.WeakKeyDictionary[Any, _Tally]] = weakref.WeakKeyDictionary()
    _unreferable: ClassVar[dict[int, tuple[Any, _Tally]]] = {}
    """Providers that cannot be referred to weakly, kept (with their tally) by identity."""
    _made: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, meter: metrics.Meter) -> None:
        self._lock = threading.Lock()
        self._totals: dict[str, dict[_Attributes, int]] = {name: {} for name in _COUNTERS}
        for name, (unit, description) in _COUNTERS.items():
            meter.create_observable_counter(
                name, callbacks=[functools.partial(self._observe, name)], unit=unit, description=description
            )

    @classmethod
    def of(cls, provider: Any) -> _Tally:
        with cls._made:
            try:
                tally = cls._by_provider.get(provider)
                weak = True
            except TypeError:
                kept = cls._unreferable.get(id(provider))
                tally = kept[1] if kept is not None else None
                weak = False
            if tally is None:
                tally = cls(provider.get_meter("toolproof", _version(), schema_url=_SCHEMA_URL))
                if weak:
                    cls._by_provider[provider] = tally
                else:
                    cls._unreferable[id(provider)] = (provider, tally)
            return tally

    def add(self, counts: _Counts) -> None:
        with self._lock:
            for (name, attributes), amount in counts.items():
                totals = self._totals[name]
                totals[attributes] = totals.get(attributes, 0) + amount

    def _observe(self, name: str, options: metrics.CallbackOptions) -> list[metrics.Observation]:
        with self._lock:
            totals = list(self._totals[name].items())
        return [metrics.Observation(amount, dict(attributes)) for attributes, amount in totals]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("toolproof")
    except PackageNotFoundError:
        return "0"


class Telemetry:
    """Where spans and metrics go: the given providers, else the global ones.

    ``capture_content=True`` records each call's arguments and result on its span, through
    ``redact`` (a registry's own ``redact`` wins over this one).
    """

    def __init__(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        capture_content: bool = False,
        redact: Redact | None = None,
    ) -> None:
        version = _version()
        self.capture_content = capture_content
        self.redact = redact
        self._meter_provider = meter_provider
        self._tracer = trace.get_tracer("toolproof", version, tracer_provider, schema_url=_SCHEMA_URL)
        meter = metrics.get_meter("toolproof", version, meter_provider, schema_url=_SCHEMA_URL)
        self.duration = meter.create_histogram(
            "gen_ai.execute_tool.duration",
            unit="s",
            description="Duration of tool executions.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        # toolproof's counters, made on first use (see ``_Tally``).
        self._tally: _Tally | None = None
        # Built once per tool (and per result code), not per call: a call's span and measurements
        # then cost what the SDK makes them cost, and little more.
        self._labels: dict[tuple[str, str | None], tuple[dict[str, Any], tuple[tuple[str, Any], ...]]] = {}

    # -- a registry's batch -----------------------------------------------------------------------

    @contextmanager
    def batch(
        self,
        operation: str,
        calls: Sequence[ToolCall],
        tools: Mapping[str, Tool],
        redact: Redact | None,
        timeout: float | None = None,
        default_timeout: float | None = None,
    ) -> Iterator[BatchTrace | None]:
        """The span of one batch, current while it runs; yields what records its calls, or None
        when neither spans nor metrics go anywhere (no SDK), so the calls cost nothing more.
        ``timeout`` is the batch's own limit (it wins over a tool's), ``default_timeout`` the
        registry's (a tool's own wins over it)."""
        with self._tracer.start_as_current_span(
            f"toolproof.{operation}",
            kind=SpanKind.INTERNAL,
            attributes={"toolproof.calls": len(calls)},
        ) as span:
            if not span.is_recording() and not self._measuring():
                yield None
                return
            watcher = BatchTrace(
                self,
                span,
                calls,
                tools,
                redact if redact is not None else self.redact,
                timeout,
                default_timeout,
            )
            try:
                yield watcher
            finally:
                watcher.close()

    # -- one call, run by its tool ------------------------------------------------------------------

    def call(self, tool: Tool, call: ToolCall) -> CallTrace | None:
        """Start the span of ``call`` run alone by ``tool`` (``Tool.run``/``arun``), current until
        ``CallTrace.end``; None when neither spans nor metrics go anywhere."""
        span = self._tracer.start_span(
            f"execute_tool {call.name}",
            kind=SpanKind.INTERNAL,
            attributes={**_tool_attributes(tool, tool.timeout), "gen_ai.tool.call.id": call.id},
        )
        if not span.is_recording() and not self._measuring():
            return None
        return CallTrace(self, span, tool, call)

    # -- what both record ---------------------------------------------------------------------------

    def labels(self, tool: str, code: str | None) -> dict[str, Any]:
        """The attributes of a call's measurements (the same dict for every call alike)."""
        return self._labelled(tool, code)[0]

    def _labelled(self, tool: str, code: str | None) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
        """The attributes of a call's measurements, as a dict and as a key of ``_Counts``."""
        key = (tool, code)
        labelled = self._labels.get(key)
        if labelled is None:
            labels = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool}
            if code is not None:
                labels["error.type"] = code
            labelled = self._labels[key] = (labels, tuple(labels.items()))
        return labelled

    def count(
        self, tool: str, code: str | None, result: ToolResult, repairs: Sequence[Any], counts: _Counts
    ) -> None:
        """Record the duration of one settled call, and add it to ``counts`` (counter, attributes)
        → amount: a batch adds to each counter once per distinct set of attributes, not once per
        call."""
        labels, key = self._labelled(tool, code)
        self.duration.record(result.elapsed, labels)
        counts[_CALLS, key] += 1
        if code is not None:
            counts[_ERRORS, key] += 1
        if result.attempts > 1:
            counts[_RETRIES, (("gen_ai.tool.name", tool),)] += result.attempts - 1
        if code == _TIMEOUT_CODE:
            counts[_TIMEOUTS, (("gen_ai.tool.name", tool),)] += 1
        for repair in repairs:
            counts[_REPAIRS, (("gen_ai.tool.name", tool), ("toolproof.repair.kind", repair.kind))] += 1

    def record_call(self, tool: str, code: str | None, result: ToolResult, repairs: Sequence[Any]) -> None:
        """The measurements of one call run alone."""
        counts: _Counts = Counter()
        self.count(tool, code, result, repairs, counts)
        self.add_counts(counts)

    def add_counts(self, counts: _Counts) -> None:
        """Add to toolproof's counters, when a meter provider would read them."""
        if not self._measuring():
            return
        tally = self._tally
        if tally is None:
            provider = (
                self._meter_provider if self._meter_provider is not None else metrics.get_meter_provider()
            )
            tally = self._tally = _Tally.of(provider)
        tally.add(counts)

    def _measuring(self) -> bool:
        """Whether the meter provider is a real one (an SDK's), not OpenTelemetry's no-op or the
        placeholder that stands in until an application sets one."""
        provider = self._meter_provider if self._meter_provider is not None else metrics.get_meter_provider()
        # Both of those live in the API package; any SDK's provider lives elsewhere.
        return not type(provider).__module__.startswith("opentelemetry.metrics")


def _tool_attributes(tool: Tool | None, timeout: float | None) -> dict[str, Any]:
    """What every span of a tool's calls starts with."""
    attributes: dict[str, Any] = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.type": "function"}
    if tool is not None:
        attributes["gen_ai.tool.name"] = tool.name
        if tool.description:
            attributes["gen_ai.tool.description"] = tool.description
    if timeout is not None:
        attributes["toolproof.timeout"] = float(timeout)
    return attributes


def _error(result: ToolResult) -> tuple[str | None, str]:
    """A result's code (None on success) and the message a span's status carries."""
    if result.ok:
        return None, ""
    error = result.error or {}
    code = str(error.get("code", "unspecified"))
    return code, str(error.get("message", code))


def _result_attributes(
    attributes: dict[str, Any],
    result: ToolResult,
    code: str | None,
    repairs: Sequence[Any],
) -> None:
    attributes["toolproof.attempts"] = result.attempts
    attributes["toolproof.repairs"] = [repair.kind for repair in repairs]
    attributes["toolproof.timed_out"] = code == _TIMEOUT_CODE
    attributes["toolproof.result_bytes"] = 0 if code is not None else _utf8_length(result.content)
    attributes["toolproof.truncated"] = result.truncated is not None
    if code is not None:
        attributes["error.type"] = code


def _utf8_length(text: str) -> int:
    # ASCII text (most JSON) is as long in UTF-8 as in characters, and CPython knows it is ASCII
    # without reading it.
    return len(text) if text.isascii() else len(text.encode())


def _content(value: Any, redact: Redact | None) -> str:
    if redact is not None:
        value = redact(value)
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _repair_events(span: trace.Span, repairs: Sequence[Any], timestamp: int | None) -> None:
    for repair in repairs:
        span.add_event(
            "toolproof.repair",
            {"toolproof.repair.kind": repair.kind, "toolproof.repair.path": repair.path},
            timestamp=timestamp,
        )


def _retry_event(attempt: int, delay: float, code: str, message: str) -> dict[str, Any]:
    return {
        "toolproof.attempt": attempt,
        "toolproof.retry.delay": delay,
        "error.type": code,
        "toolproof.retry.reason": message,
    }


class CallTrace:
    """One call run alone by its tool: its span, current from ``Telemetry.call`` to ``end``, gets
    each retry as an event while it happens, and the rest once the result is known."""

    __slots__ = ("_call", "_span", "_telemetry", "_token", "_tool")

    every_call = False

    def __init__(self, telemetry: Telemetry, span: trace.Span, tool: Tool, call: ToolCall) -> None:
        self._telemetry = telemetry
        self._span = span
        self._tool = tool
        self._call = call
        self._token: Token[otel_context.Context] | None = otel_context.attach(trace.set_span_in_context(span))

    def finished(self, *report: Any) -> None:
        """The engine's report of the settled call: the result, given to ``end``, says more."""

    def started(self, slot: int, waited: float) -> None:
        """The call runs in the caller's context, where its span is already current."""
        return None

    def retrying(self, slot: int, attempt: int, delay: float, code: str, message: str) -> None:
        self._span.add_event("toolproof.retry", _retry_event(attempt, delay, code, message))

    def end(self, result: ToolResult | None, error: BaseException | None = None) -> None:
        """End the span with ``result`` (None: the call raised ``error`` out of toolproof, which
        only cancellation and interrupts do) and record its measurements."""
        if self._token is not None:
            otel_context.detach(self._token)
            self._token = None
        span, telemetry = self._span, self._telemetry
        if result is None:
            span.set_attribute(
                "error.type", type(error).__name__ if error is not None else ResultCode.CANCELLED.value
            )
            span.set_status(Status(StatusCode.ERROR, "the call did not finish"))
            span.end()
            return
        code, message = _error(result)
        repairs = result.repairs
        attributes: dict[str, Any] = {}
        _result_attributes(attributes, result, code, repairs)
        if telemetry.capture_content:
            attributes["gen_ai.tool.call.arguments"] = _content(self._call.arguments, telemetry.redact)
            if code is None:
                attributes["gen_ai.tool.call.result"] = _content(result.content, telemetry.redact)
        span.set_attributes(attributes)
        _repair_events(span, repairs, None)
        if code is not None:
            span.set_status(Status(StatusCode.ERROR, message))
        span.end()
        telemetry.record_call(self._tool.name, code, result, repairs)


class BatchTrace:
    """One batch's calls, as spans under the batch's span and as metrics. A call's span starts
    when the engine asks for the context its first attempt runs in; it ends once the results are
    known, at the time its call was settled (its start plus its elapsed time), since a result
    carries what the span needs (repairs, content). So a success needs no report of its own while
    the batch runs: the engine tells of failures and retries only (and of successes when the log
    wants them)."""

    every_call = False

    def __init__(
        self,
        telemetry: Telemetry,
        span: trace.Span,
        calls: Sequence[ToolCall],
        tools: Mapping[str, Tool],
        redact: Redact | None,
        timeout: float | None,
        default_timeout: float | None,
    ) -> None:
        self._telemetry = telemetry
        self._tracer = telemetry._tracer
        self._parent = trace.set_span_in_context(span)
        self._calls = calls
        self._tools = tools
        self._redact = redact
        self._timeout = timeout
        self._default_timeout = default_timeout
        self._static: dict[str, dict[str, Any]] = {}
        """Per tool name: what each of its calls' spans starts with."""
        self._ended: dict[int, tuple[int, int]] = {}
        """Per slot reported settled: when the call started and was settled (ns since the epoch)."""
        self._retries: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        self._spans: dict[int, tuple[trace.Span, int, int]] = {}
        """Per slot: the span of a call that began running, when the span started and when the call
        did (ns; earlier by its wait for a concurrency cap)."""
        # The caller's context (the batch's span current in it): what each call's context copies.
        self._base = contextvars.copy_context()
        self._written = False

    # -- what the engine reports, as it happens -------------------------------------------------

    def started(self, slot: int, waited: float) -> contextvars.Context:
        """The call's span, started now, and the context the call runs in, with it current."""
        call = self._calls[slot]
        attributes = {**self._static_attributes(call.name), "gen_ai.tool.call.id": call.id}
        if self._telemetry.capture_content:
            attributes["gen_ai.tool.call.arguments"] = _content(call.arguments, self._redact)
        start = time.time_ns()
        span = self._tracer.start_span(
            f"execute_tool {call.name}",
            context=self._parent,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start,
        )
        self._spans[slot] = (span, start, start - int(waited * 1e9))
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
        self._ended[slot] = (end - int(elapsed * 1e9), end)

    def retrying(self, slot: int, attempt: int, delay: float, code: str, message: str) -> None:
        event = _retry_event(attempt, delay, code, message)
        live = self._spans.get(slot)
        if live is not None:
            live[0].add_event("toolproof.retry", event)
        else:
            self._retries.setdefault(slot, []).append((time.time_ns(), event))

    # -- once the batch is done -------------------------------------------------------------------

    def results(self, results: Sequence[ToolResult]) -> None:
        """Write every call's span and count it."""
        self._written = True
        counts: _Counts = Counter()
        record = self._record
        for slot, (call, result) in enumerate(zip(self._calls, results, strict=True)):
            record(slot, call, result, counts)
        self._telemetry.add_counts(counts)

    def close(self) -> None:
        """A batch that ended without results (interrupted): the calls that began or were settled
        still get their spans, without what only the results carry."""
        if self._written:
            return
        for slot, call in enumerate(self._calls):
            if slot in self._ended or slot in self._spans:
                self._record(slot, call, None, Counter())

    def _static_attributes(self, name: str) -> dict[str, Any]:
        static = self._static.get(name)
        if static is None:
            tool = self._tools.get(name)
            timeout = self._timeout
            if timeout is None:
                timeout = (
                    tool.timeout if tool is not None and tool.timeout is not None else self._default_timeout
                )
            static = _tool_attributes(tool, timeout)
            static["gen_ai.tool.name"] = name
            self._static[name] = static
        return static

    def _record(self, slot: int, call: ToolCall, result: ToolResult | None, counts: _Counts) -> None:
        telemetry = self._telemetry
        name = call.name
        live = self._spans.pop(slot, None)
        ended = self._ended.get(slot)
        if live is not None:
            span, started, began = live
            if result is not None:
                end = max(began + int(result.elapsed * 1e9), started)
            else:
                end = ended[1] if ended is not None else time.time_ns()
            attributes: dict[str, Any] = {}
        else:
            if ended is not None:
                started, end = ended
            else:
                end = time.time_ns()
                started = end - int(result.elapsed * 1e9) if result is not None else end
            attributes = {**self._static_attributes(name), "gen_ai.tool.call.id": call.id}
            if telemetry.capture_content:
                attributes["gen_ai.tool.call.arguments"] = _content(call.arguments, self._redact)
        code, message = (None, "") if result is None else _error(result)
        repairs: Sequence[Any] = ()
        if result is not None:
            repairs = result.repairs
            _result_attributes(attributes, result, code, repairs)
            if code is None and telemetry.capture_content:
                attributes["gen_ai.tool.call.result"] = _content(result.content, self._redact)
        if live is None:
            span = self._tracer.start_span(
                f"execute_tool {name}",
                context=self._parent,
                kind=SpanKind.INTERNAL,
                attributes=attributes,
                start_time=started,
            )
        elif attributes:
            span.set_attributes(attributes)
        if repairs:
            _repair_events(span, repairs, started)
        retries = self._retries.get(slot)
        if retries:
            for timestamp, event in retries:
                span.add_event("toolproof.retry", event, timestamp=timestamp)
        if code is not None:
            span.set_status(Status(StatusCode.ERROR, message))
        span.end(end_time=end)
        if result is None:
            return
        telemetry.count(name if name in self._tools else _UNKNOWN_TOOL, code, result, repairs, counts)
