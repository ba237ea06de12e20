"""Metrics: the counts every dispatched call is recorded in, as a dict and as Prometheus text."""

from __future__ import annotations

import math
import random
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from toolproof._core import Metrics

COUNT_FIELDS = {
    "calls",
    "successes",
    "errors",
    "retries",
    "timeouts",
    "late_results_discarded",
    "repairs",
    "latency",
    "argument_bytes",
    "result_bytes",
}
LATENCY_FIELDS = {"p50", "p95", "p99", "mean", "max"}

# The text exposition format 0.0.4, line by line: comments, or `name{label="value",...} value`
# where a label value escapes exactly backslash, double quote and line feed.
METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r"(?:NaN|[+-]Inf|[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
SAMPLE_LINE = re.compile(rf"^({METRIC_NAME})(?:\{{({LABEL}(?:,{LABEL})*)\}})? ({VALUE})$")
HELP_LINE = re.compile(rf"^# HELP {METRIC_NAME} .*$")
TYPE_LINE = re.compile(rf"^# TYPE ({METRIC_NAME}) (counter|gauge|summary|histogram|untyped)$")
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_exposition(text: str) -> tuple[dict[str, str], list[tuple[str, dict[str, str], float]]]:
    """Types by metric name and samples, failing on any line outside the format."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples = []
    for line in text.splitlines():
        if match := TYPE_LINE.match(line):
            types[match[1]] = match[2]
        elif HELP_LINE.match(line):
            pass
        elif match := SAMPLE_LINE.match(line):
            labels = {
                name: re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], value)
                for name, value in LABEL_PAIR.findall(match[2] or "")
            }
            samples.append((match[1], labels, float(match[3])))
        else:
            pytest.fail(f"not in the exposition format: {line!r}")
    return types, samples


def exact_percentile(sorted_values: list[float], quantile: float) -> float:
    """Nearest rank: the smallest value with at least `quantile` of the values at or below it."""
    rank = min(max(math.ceil(quantile * len(sorted_values)), 1), len(sorted_values))
    return sorted_values[rank - 1]


def test_snapshot_before_any_call():
    snapshot = Metrics().snapshot()
    assert snapshot["tools"] == {}
    total = snapshot["total"]
    assert set(total) == COUNT_FIELDS
    assert total["calls"] == total["successes"] == total["retries"] == 0
    assert total["errors"] == {}
    assert total["repairs"] == {}
    assert total["latency"] == dict.fromkeys(LATENCY_FIELDS)


def test_snapshot_counts_every_field():
    metrics = Metrics()
    metrics._record(
        "search",
        False,
        "timeout",
        attempts=3,
        timed_out=True,
        repairs=("trailing_comma", "string_to_number", "trailing_comma"),
        latency=0.25,
        argument_bytes=17,
    )
    metrics._record("search", True, latency=0.05, argument_bytes=5, result_bytes=120)
    metrics._record("weather", False, "invalid_arguments", attempts=1, latency=0.001)

    snapshot = metrics.snapshot()
    assert set(snapshot) == {"tools", "total"}
    search = snapshot["tools"]["search"]
    assert set(search) == COUNT_FIELDS
    assert search["calls"] == 2
    assert search["successes"] == 1
    assert search["errors"] == {"timeout": 1}
    assert search["retries"] == 2
    assert search["timeouts"] == 1
    assert search["late_results_discarded"] == 0
    assert search["repairs"] == {"trailing_comma": 2, "string_to_number": 1}
    assert search["argument_bytes"] == 22
    assert search["result_bytes"] == 120
    assert set(search["latency"]) == LATENCY_FIELDS
    assert search["latency"]["max"] == pytest.approx(0.25)
    assert search["latency"]["mean"] == pytest.approx(0.15)

    total = snapshot["total"]
    assert total["calls"] == 3
    assert total["errors"] == {"timeout": 1, "invalid_arguments": 1}
    assert sum(total["errors"].values()) == total["calls"] - total["successes"]
    assert total["latency"]["max"] == pytest.approx(0.25)


def test_a_failure_without_a_code_is_counted_as_unspecified():
    metrics = Metrics()
    metrics._record("search", False)
    assert metrics.snapshot()["tools"]["search"]["errors"] == {"unspecified": 1}


def test_counts_from_eight_threads_add_up():
    metrics = Metrics()
    calls_per_thread = 2_000

    def record_many(thread: int) -> None:
        for index in range(calls_per_thread):
            failed = index % 4 == 0
            metrics._record(
                f"tool_{(index + thread) % 3}",
                not failed,
                "tool_error" if failed else None,
                attempts=2,
                repairs=("single_quotes",),
                latency=(index + 1) / 1e6,
                argument_bytes=3,
                result_bytes=5,
            )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(record_many, range(8)))

    calls = 8 * calls_per_thread
    snapshot = metrics.snapshot()
    total = snapshot["total"]
    assert total["calls"] == calls
    assert total["successes"] == calls * 3 // 4
    assert total["errors"] == {"tool_error": calls // 4}
    assert total["retries"] == calls
    assert total["repairs"] == {"single_quotes": calls}
    assert total["argument_bytes"] == 3 * calls
    assert total["result_bytes"] == 5 * calls
    assert total["latency"]["max"] == pytest.approx(calls_per_thread / 1e6)
    assert sorted(snapshot["tools"]) == ["tool_0", "tool_1", "tool_2"]
    assert sum(tool["calls"] for tool in snapshot["tools"].values()) == calls


def test_percentiles_are_within_one_percent():
    metrics = Metrics()
    generator = random.Random(1234)
    # Log-uniform from a microsecond to a minute: every decade the histogram covers gets samples.
    latencies = [10 ** generator.uniform(-6, 2) for _ in range(20_000)]
    for latency in latencies:
        metrics._record("search", True, latency=latency)
    latency = metrics.snapshot()["tools"]["search"]["latency"]
    latencies.sort()
    for field, quantile in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        exact = exact_percentile(latencies, quantile)
        assert latency[field] == pytest.approx(exact, rel=0.01), field
    assert latency["mean"] == pytest.approx(sum(latencies) / len(latencies), rel=1e-6)
    assert latency["max"] == pytest.approx(latencies[-1], rel=1e-6)


def test_percentiles_of_evenly_spread_latencies():
    metrics = Metrics()
    for millis in range(1, 1001):
        metrics._record("search", True, latency=millis / 1000)
    latency = metrics.snapshot()["tools"]["search"]["latency"]
    assert latency["p50"] == pytest.approx(0.5, rel=0.01)
    assert latency["p95"] == pytest.approx(0.95, rel=0.01)
    assert latency["p99"] == pytest.approx(0.99, rel=0.01)
    assert latency["mean"] == pytest.approx(0.5005)
    assert latency["max"] == pytest.approx(1.0)


def test_reset_forgets_everything():
    metrics = Metrics()
    metrics._record("search", True, latency=0.1)
    metrics.reset()
    assert metrics.snapshot() == Metrics().snapshot()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"repairs": ("not_a_repair",)}, "unknown repair kind"),
        ({"latency": -1.0}, "latency"),
        ({"latency": math.nan}, "latency"),
    ],
)
def test_record_rejects_what_it_cannot_count(arguments, message):
    with pytest.raises(ValueError, match=message):
        Metrics()._record("search", True, **arguments)


def test_prometheus_text_is_in_the_exposition_format():
    metrics = Metrics()
    metrics._record("search", False, "timeout", attempts=2, timed_out=True, latency=0.5, repairs=("comment",))
    metrics._record("search", True, latency=0.1, argument_bytes=10, result_bytes=20)
    metrics._record("weather", True, latency=0.002)

    types, samples = parse_exposition(metrics.prometheus())
    assert types == {
        "toolproof_calls_total": "counter",
        "toolproof_successes_total": "counter",
        "toolproof_errors_total": "counter",
        "toolproof_retries_total": "counter",
        "toolproof_timeouts_total": "counter",
        "toolproof_late_results_discarded_total": "counter",
        "toolproof_repairs_total": "counter",
        "toolproof_argument_bytes_total": "counter",
        "toolproof_result_bytes_total": "counter",
        "toolproof_call_duration_seconds": "summary",
        "toolproof_call_duration_max_seconds": "gauge",
    }
    values = {(name, tuple(sorted(labels.items()))): value for name, labels, value in samples}
    assert values["toolproof_calls_total", (("tool", "search"),)] == 2
    assert values["toolproof_errors_total", (("code", "timeout"), ("tool", "search"))] == 1
    assert values["toolproof_repairs_total", (("kind", "comment"), ("tool", "search"))] == 1
    assert values["toolproof_retries_total", (("tool", "search"),)] == 1
    assert values["toolproof_result_bytes_total", (("tool", "search"),)] == 20
    assert values["toolproof_call_duration_seconds_count", (("tool", "search"),)] == 2
    assert values["toolproof_call_duration_seconds_sum", (("tool", "search"),)] == pytest.approx(0.6)
    assert values["toolproof_call_duration_seconds", (("quantile", "0.99"), ("tool", "search"))] == 0.5
    assert values["toolproof_call_duration_max_seconds", (("tool", "weather"),)] == pytest.approx(0.002)


def test_prometheus_escapes_label_values():
    metrics = Metrics()
    awkward = 'say "hi"\\\nnow'
    metrics._record(awkward, False, "bad\ncode")
    text = metrics.prometheus()
    assert 'toolproof_calls_total{tool="say \\"hi\\"\\\\\\nnow"} 1\n' in text
    _, samples = parse_exposition(text)
    assert {labels["tool"] for _, labels, _ in samples} == {awkward}
    assert {labels["code"] for _, labels, _ in samples if "code" in labels} == {"bad\ncode"}


def test_prometheus_prefix():
    metrics = Metrics()
    metrics._record("search", True)
    text = metrics.prometheus("my_app:tools")
    assert 'my_app:tools_calls_total{tool="search"} 1\n' in text
    assert "toolproof_" not in text
    with pytest.raises(ValueError, match="prefix"):
        metrics.prometheus("my-app")


def test_prometheus_text_parses_with_the_official_client():
    parser = pytest.importorskip(
        "prometheus_client.parser",
        reason="prometheus_client is not installed; the line grammar test covers it",
    )
    metrics = Metrics()
    awkward = 'say "hi"\\\nnow'
    metrics._record(awkward, False, "timeout", attempts=2, latency=0.3, repairs=("comment",))
    metrics._record("search", True, latency=0.01)
    families = {family.name: family for family in parser.text_string_to_metric_families(metrics.prometheus())}

    assert families["toolproof_calls"].type == "counter"
    calls = {sample.labels["tool"]: sample.value for sample in families["toolproof_calls"].samples}
    assert calls == {awkward: 1, "search": 1}
    errors = families["toolproof_errors"].samples
    assert [(sample.labels, sample.value) for sample in errors] == [({"tool": awkward, "code": "timeout"}, 1)]

    summary = families["toolproof_call_duration_seconds"]
    assert summary.type == "summary"
    by_name: dict[str, float] = {}
    for sample in summary.samples:
        if sample.labels["tool"] == "search":
            by_name[sample.name + sample.labels.get("quantile", "")] = sample.value
    assert by_name == {
        "toolproof_call_duration_seconds0.5": pytest.approx(0.01),
        "toolproof_call_duration_seconds0.95": pytest.approx(0.01),
        "toolproof_call_duration_seconds0.99": pytest.approx(0.01),
        "toolproof_call_duration_seconds_sum": pytest.approx(0.01),
        "toolproof_call_duration_seconds_count": 1,
    }
    assert families["toolproof_call_duration_max_seconds"].type == "gauge"
