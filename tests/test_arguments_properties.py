"""Properties of the argument road that must hold for every input, checked with Hypothesis."""

from __future__ import annotations

import json
import math
from typing import Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toolproof import ArgumentError, Schema, repair_json, tool
from typing_extensions import NotRequired, TypedDict


class Window(TypedDict):
    start: str
    days: NotRequired[int]


@tool
def forecast(
    city: str,
    days: int,
    ratio: float = 1.0,
    hourly: bool = False,
    units: Literal["metric", "imperial"] = "metric",
    tags: list[str] | None = None,
    window: Window | None = None,
    limit: int | None = None,
) -> str:
    """A tool with most of the shapes a model fills in."""
    return city


json_numbers = st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.floats(
    allow_nan=False, allow_infinity=False
)
json_scalars = st.none() | st.booleans() | json_numbers | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)

finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
window_values = st.fixed_dictionaries(
    {"start": st.text(max_size=10)}, optional={"days": st.integers(-1000, 1000)}
)
valid_forecasts = st.fixed_dictionaries(
    {"city": st.text(max_size=20), "days": st.integers(-(2**63), 2**63 - 1)},
    optional={
        "ratio": finite_floats | st.integers(-1000, 1000),
        "hourly": st.booleans(),
        "units": st.sampled_from(["metric", "imperial"]),
        "tags": st.none() | st.lists(st.text(max_size=8), max_size=4),
        "window": st.none() | window_values,
        "limit": st.none() | st.integers(0, 100),
    },
)


def same_json(left: object, right: object) -> bool:
    """Equal as JSON values, with int and float kept apart (3 is not 3.0 for a Python function)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, float) or isinstance(right, float):
        return type(left) is type(right) and (left == right or (math.isnan(left) and math.isnan(right)))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same_json(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and left == right


def road_outcome(raw: object, mode: str) -> None:
    try:
        parsed = forecast.parse_args(raw, mode=mode)
    except ArgumentError as error:
        assert error.errors, "an ArgumentError always lists its errors"
        assert error.for_model()
    else:
        assert isinstance(parsed.arguments, dict)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text_raises_nothing_but_argument_error(text):
    for mode in ("lenient", "strict"):
        road_outcome(text, mode)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_nothing_but_argument_error(data):
    for mode in ("lenient", "strict"):
        road_outcome(data, mode)


@settings(max_examples=300)
@given(json_values, st.data())
def test_mangled_json_raises_nothing_but_argument_error(value, data):
    text = json.dumps(value)
    if text:
        cut = data.draw(st.integers(0, len(text)))
        insert = data.draw(
            st.sampled_from(["", ",", "'", "}", "]", "{", "[", '"', "True", "//", "\n", "```"])
        )
        text = text[:cut] + insert + text[cut + data.draw(st.integers(0, 3)) :]
    for mode in ("lenient", "strict"):
        road_outcome(text, mode)
        road_outcome(value, mode)


@settings(max_examples=400)
@given(valid_forecasts)
def test_a_valid_object_is_never_changed(arguments):
    text = json.dumps(arguments)
    for mode in ("lenient", "strict"):
        for raw in (text, text.encode(), arguments):
            parsed = forecast.parse_args(raw, mode=mode)
            assert same_json(parsed.arguments, json.loads(text)), (raw, parsed.arguments)
            assert parsed.repairs == []


near_miss_forecasts = st.fixed_dictionaries(
    {"city": json_values, "days": json_values | st.text(st.sampled_from("0123456789.-e"), max_size=6)},
    optional={
        name: json_values | st.just("true") | st.just("NULL") | st.just("[1]")
        for name in ("ratio", "hourly", "units", "tags", "window", "limit", "cityName", "Days")
    },
)


@settings(max_examples=400)
@given(near_miss_forecasts)
def test_whatever_lenient_mode_accepts_is_valid_for_the_schema(value):
    schema = Schema(forecast.schema)
    try:
        parsed = forecast.parse_args(json.dumps(value))
    except ArgumentError:
        return
    assert schema.is_valid(parsed.arguments), (value, parsed)


@settings(max_examples=400)
@given(json_values, st.sampled_from([None, 0, 2]))
def test_repair_json_reads_valid_json_exactly_as_json_loads(value, indent):
    text = json.dumps(value, indent=indent)
    value, repairs = repair_json(text, return_repairs=True)
    assert same_json(value, json.loads(text)), (text, value)
    assert repairs == []


@settings(max_examples=300)
@given(json_values, st.data())
def test_repair_json_raises_nothing_but_value_error_on_mangled_json(value, data):
    text = json.dumps([value, {"nested": [value]}])
    cut = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.sampled_from(["", ",", "'", "}", "]", "{", "[", '"', "True", "//", "\n", "```"]))
    text = text[:cut] + insert + text[cut + data.draw(st.integers(0, 3)) :]
    try:
        repair_json(text)
    except ValueError as error:
        assert str(error)
