"""The argument road must not leak: many parses leave resident memory where it was.

A leak of even one small object per call (a dict, a string, an exception's error list) shows up
as tens of megabytes over 300,000 calls, far above the allowance below.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from itertools import repeat

import pytest
import toolproof
from resident_memory import resident_mb
from toolproof._core import ArgumentRoad

PARSES = 300_000
WARM_UP_PARSES = 20_000
ALLOWED_GROWTH_MB = 10.0

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 1},
        "days": {"type": "integer", "minimum": 1, "maximum": 16},
        "units": {"type": "string", "enum": ["metric", "imperial"]},
        "include_hourly": {"type": "boolean"},
        "max_results": {"type": "integer", "minimum": 1},
    },
    "required": ["city", "days", "units", "include_hourly", "max_results"],
    "additionalProperties": False,
}
VALID_TEXT = '{"city": "Paris", "days": 5, "units": "metric", "include_hourly": true, "max_results": 10}'
# Five errors, so the failure path builds an exception with a list of error dicts each time.
INVALID_TEXT = '{"city": "", "days": 40, "units": "kelvin", "include_hourly": "sometimes"}'
# Needs repairs (single quotes, a renamed key, a number in a string): the lenient road's slow path.
REPAIRED_TEXT = "{'city': 'Paris', 'Days': '5', 'units': 'metric', 'include_hourly': true, 'max_results': 10}"


def parse_valid(road: ArgumentRoad) -> None:
    road.parse(VALID_TEXT).arguments  # noqa: B018


def parse_invalid(road: ArgumentRoad) -> None:
    try:
        road.parse(INVALID_TEXT)
    except toolproof.ArgumentError as error:
        error.errors  # noqa: B018
        error.for_model()
    else:
        raise AssertionError("invalid arguments were accepted")


def parse_repaired(road: ArgumentRoad) -> None:
    try:
        parsed = road.parse(REPAIRED_TEXT)
    except toolproof.ArgumentError:
        # Text repair may not accept this input yet; the refusal path must not leak either.
        return
    parsed.arguments  # noqa: B018
    parsed.repairs  # noqa: B018


def growth_mb(call: Callable[[ArgumentRoad], object], road: ArgumentRoad, parses: int) -> float:
    # Warm-up first: interpreter caches and allocator arenas fill once and are not a leak.
    for _ in repeat(None, WARM_UP_PARSES):
        call(road)
    gc.collect()
    before = resident_mb()
    for _ in repeat(None, parses):
        call(road)
    gc.collect()
    return resident_mb() - before


@pytest.mark.slow
@pytest.mark.parametrize(
    "call", [parse_valid, parse_invalid, parse_repaired], ids=["valid", "invalid", "repaired"]
)
def test_parsing_does_not_leak(call: Callable[[ArgumentRoad], None]) -> None:
    road = ArgumentRoad(SCHEMA, name="get_weather")
    growth = growth_mb(call, road, PARSES)
    assert growth < ALLOWED_GROWTH_MB, f"resident memory grew {growth:.1f} MB over {PARSES:,} parses"
