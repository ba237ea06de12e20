"""Differential fuzzing of the argument road: for any JSON-like value, its JSON text and its Python
repr, as they are or with one benign damage, read back as exactly that value or are refused; never
another value. `TOOLPROOF_FUZZ_EXAMPLES` sets the examples per property (CI-sized by default)."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toolproof import ArgumentError, Schema, Tool, repair_json

EXAMPLES = int(os.environ.get("TOOLPROOF_FUZZ_EXAMPLES", "1500"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

texts = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.sampled_from("abc ,:{}[]\"'\\/#\n\té"), max_size=20),
    st.sampled_from(
        ["C:\\Users\\\u00e9lise", '{"nm": "BarChart", "mn": "chartModule"}', "it's", "1e+5", "True"]
    ),
)
keys = st.one_of(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), texts)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=20,
)
objects = st.dictionaries(keys, values, min_size=1, max_size=6)


def same(a: Any, b: Any) -> bool:
    """Equal, with the type of every number (1 is not 1.0), the sign of zero and key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def damages(text: str) -> list[str]:
    out = [
        f"```json\n{text}\n```",
        f"Here are the arguments: {text}",
        f"{text}\nI hope this helps.",
    ]
    end = text.rfind("}")
    if end > 0 and not text[:end].rstrip().endswith("{"):
        out.append(text[:end] + "," + text[end:])
    return out


def readings(value: Any) -> list[str]:
    return [json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1), repr(value)]


def check_repair(text: str, value: Any) -> None:
    try:
        got = repair_json(text)
    except ValueError:
        return
    assert same(got, value), f"{text!r} read as {got!r}"


@FUZZ
@given(values)
def test_repair_json_gives_back_the_value_written(value: Any) -> None:
    for text in readings(value):
        check_repair(text, value)


@FUZZ
@given(objects, st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=2))
def test_repair_json_gives_back_the_value_under_one_benign_damage(
    value: Any, damage: int, reading: int
) -> None:
    text = readings(value)[reading]
    variants = damages(text)
    check_repair(variants[min(damage, len(variants) - 1)], value)


@FUZZ
@given(st.lists(st.integers(min_value=-(10**40), max_value=10**40), min_size=1, max_size=4))
def test_integers_of_any_size_survive(numbers: list[int]) -> None:
    value = {"n": numbers}
    check_repair(json.dumps(value), value)
    check_repair(json.dumps(value)[:-1] + ",}", value)


@FUZZ
@given(objects)
def test_missing_final_brace_gives_the_value_or_a_refusal(value: Any) -> None:
    text = json.dumps(value)
    check_repair(text[:-1], value)


ANYTHING = Tool.from_schema("anything", {"type": "object"})
ANY_SCHEMA = Schema({"type": "object"})


def check_road(text: str, value: dict[str, Any]) -> None:
    for mode in ("lenient", "strict"):
        try:
            got = ANYTHING.parse_args(text, mode=mode).arguments
        except ArgumentError:
            continue
        assert same(got, value), f"{mode}: {text!r} read as {got!r}"
    try:
        got = ANY_SCHEMA.parse(text).value
    except ArgumentError:
        return
    assert same(got, value), f"Schema.parse: {text!r} read as {got!r}"


@FUZZ
@given(objects, st.integers(min_value=0, max_value=4), st.integers(min_value=0, max_value=2))
def test_parse_args_gives_back_the_value_or_a_refusal(
    value: dict[str, Any], damage: int, reading: int
) -> None:
    text = readings(value)[reading]
    variants = [text, *damages(text)]
    check_road(variants[min(damage, len(variants) - 1)], value)


@pytest.mark.parametrize("value", [{"x": -0.0}, {"x": 1.0, "y": 1}, {"b": 2, "a": 1}, {"s": "\U0001f600"}])
def test_the_comparison_itself_is_strict(value: dict[str, Any]) -> None:
    for text in readings(value):
        check_repair(text, value)
        check_road(text, value)
    assert (
        not same({"x": 0.0}, {"x": -0.0})
        and not same(1, 1.0)
        and not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    )
