"""Every stage of the argument road is linear in its input: ten times the input costs well under
thirty times the time. Quadratic work would cost a hundred times; the margin above ten is for the
memory a large input fills, which no longer fits the caches and costs up to a few times more per
item (a stage that builds an error per item runs about the same instructions per item at 4,000
and 64,000 items, and takes two to four times as long per item at the larger sizes). Each stage
is timed at two sizes, best of several runs, in the CPU time of the thread doing the work, so
other processes on a loaded machine do not count. `TOOLPROOF_SCALING_BASE` sets the smaller size
(items)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from toolproof import ArgumentError, Schema, Tool, repair_json

BASE = int(os.environ.get("TOOLPROOF_SCALING_BASE", "4000"))
RUNS = 5
# The most time ten times the input may take (see the module's note).
LINEAR_AT_TEN_TIMES = 30
CLOSED = {
    "type": "object",
    "properties": {"query": {"type": "string"}, "items": {"type": "array", "items": {"type": "integer"}}},
    "additionalProperties": False,
}
OPEN = {"type": "object", "properties": {"query": {"type": "string"}}}


def best_time(run: Callable[[], Any], runs: int = RUNS) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.thread_time()
        try:
            run()
        except (ArgumentError, ValueError):
            pass
        best = min(best, time.thread_time() - started)
    return best


def undeclared(count: int) -> dict[str, Any]:
    return {"query": "x", **{f"k{i}": i for i in range(count)}}


def renamed(count: int) -> dict[str, Any]:
    return {"Query": "x", **{f"Key{i}": i for i in range(count)}}


def items(count: int) -> dict[str, Any]:
    return {"query": "x", "items": list(range(count))}


def strings(count: int) -> dict[str, Any]:
    return {"query": "x", "items": [f"s{i}, 'quoted'" for i in range(count)]}


CLOSED_TOOL = Tool.from_schema("closed", CLOSED)
OPEN_TOOL = Tool.from_schema("open", OPEN)
SCHEMA = Schema(CLOSED)

# Each stage: the input of a size, and what is timed on it.
STAGES: dict[str, tuple[Callable[[int], Any], Callable[[Any], Any]]] = {
    "parse valid text": (lambda n: json.dumps(items(n)), CLOSED_TOOL.parse_args),
    "repair trailing comma": (lambda n: json.dumps(items(n))[:-1] + ",}", CLOSED_TOOL.parse_args),
    "repair python literal": (lambda n: repr(strings(n)), repair_json),
    "repair truncated": (lambda n: json.dumps(strings(n))[:-2], repair_json),
    "undeclared keys, lenient": (lambda n: json.dumps(undeclared(n)), CLOSED_TOOL.parse_args),
    "undeclared keys, strict": (
        lambda n: json.dumps(undeclared(n)),
        lambda text: CLOSED_TOOL.parse_args(text, mode="strict"),
    ),
    "key matching": (lambda n: json.dumps(renamed(n)), OPEN_TOOL.parse_args),
    "validation errors": (lambda n: json.dumps(undeclared(n)), SCHEMA.validate_json),
    "dict input": (undeclared, CLOSED_TOOL.parse_args),
    "schema on a dict": (items, SCHEMA.errors),
}


def timed_run(stage: str, size: int) -> Callable[[], Any]:
    make_input, work = STAGES[stage]
    value = make_input(size)
    return lambda: work(value)


@pytest.mark.parametrize("stage", list(STAGES))
def test_stage_grows_linearly(stage: str) -> None:
    small_run, large_run = timed_run(stage, BASE), timed_run(stage, BASE * 10)
    ratios = []
    # Other processes only ever slow a run down, so a quick enough attempt settles it.
    for _ in range(3):
        # Below a few hundred microseconds, timer and allocator noise dominate.
        # The small input's best time is the divisor, so a slowed moment there moves the ratio
        # most; it is cheap, so it gets more tries.
        small = max(best_time(small_run, runs=RUNS * 5), 2e-4)
        large = best_time(large_run)
        ratios.append(large / small)
        if ratios[-1] < LINEAR_AT_TEN_TIMES:
            return
    pytest.fail(f"{stage}: 10x the input took {min(ratios):.1f}x the time")
