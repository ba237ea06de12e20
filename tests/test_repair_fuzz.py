"""Fuzzing the repair reader against references outside it: valid JSON reads as `json.loads` reads
it; a document cut anywhere is refused by the argument road or read as a prefix of what was
written; and `repair_json` asked only for the value gives exactly the value (or the refusal) it
gives with its records, on damaged text of every kind. `TOOLPROOF_FUZZ_EXAMPLES` sets the examples
per property (CI-sized by default)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_arguments_fuzz import same
from toolproof import ArgumentError, repair_json
from toolproof._core import ArgumentRoad

EXAMPLES = int(os.environ.get("TOOLPROOF_FUZZ_EXAMPLES", "1500"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROAD = ArgumentRoad({"type": "object"}, name="anything")

# Text with none of the characters a cut can turn into structure.
plain_texts = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=["Cs", "Cc"],
        exclude_characters=":,[]{}()\"'`#/\\\u201c\u201d\u201e",
    ),
    max_size=12,
)
awkward_texts = st.one_of(
    plain_texts,
    st.sampled_from(
        ["C:\\Users\\élise", "it's", '"quoted"', "{brace}", "[br]", "a,b", "tab\t", "😀", "„low”"]
    ),
    st.text(alphabet=st.sampled_from("ab ,:{}[]\"'\\/#\n\té`"), max_size=16),
)


def documents(texts: st.SearchStrategy[str], numbers: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
        max_leaves=16,
    )


any_number = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64 - 1), st.floats(allow_nan=False, allow_infinity=False)
)
any_document = documents(awkward_texts, any_number)
styles = st.sampled_from(["compact", "spaced", "indented", "ascii"])


def written(value: Any, style: str) -> str:
    if style == "compact":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if style == "indented":
        return json.dumps(value, indent=2, ensure_ascii=False)
    if style == "ascii":
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def damaged(text: str, kind: int, at: int) -> str:
    """One of the flaws models write, at a position chosen by `at`."""
    position = at % (len(text) + 1)
    head, tail = text[:position], text[position:]
    damages = [
        lambda: head,  # cut
        lambda: head + tail.replace(",", "", 1),  # a comma dropped
        lambda: head + "," + tail,  # a comma added
        lambda: head + tail.replace('"', "", 1),  # a quote dropped
        lambda: head + '"' + tail,  # a quote added
        lambda: head + "'" + tail,
        lambda: head + tail.replace("}", "", 1).replace("]", "", 1),  # a closer dropped
        lambda: head + "{" + tail,  # an opener added
        lambda: head + "// note\n" + tail,
        lambda: head + "/* note */" + tail,
        lambda: head + "# note\n" + tail,
        lambda: "```json\n" + text + "\n```",
        lambda: "Here it is: " + text + " Done.",
        lambda: head + "\u201c" + tail,
        lambda: head + "\\" + tail,
        lambda: head + "\\u00e9\\n" + tail,
        lambda: head + "z" * 2000 + tail,
        lambda: "[" * 40 + text + "]" * (at % 41),
        lambda: text.replace("true", "True").replace("null", "None").replace('"', "'"),
        lambda: text.replace('": ', ": ").replace('{"', "{").replace(', "', ", "),
    ]
    return damages[kind % len(damages)]()


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return ("value", call())
    except ValueError as error:
        return ("refused", str(error))


@FUZZ
@given(any_document, styles)
def test_valid_json_reads_as_json_loads(value: Any, style: str) -> None:
    text = written(value, style)
    assert same(repair_json(text), json.loads(text))
    assert repair_json(text, return_repairs=True)[1] == []


@FUZZ
@given(
    any_document,
    styles,
    st.integers(min_value=0),
    st.integers(min_value=0),
    st.integers(min_value=1, max_value=3),
)
def test_the_value_alone_is_the_value_given_with_the_records(
    value: Any, style: str, kind: int, at: int, flaws: int
) -> None:
    text = written(value, style)
    for flaw in range(flaws):
        text = damaged(text, kind + flaw * 7, at + flaw * 13)
    alone = outcome(lambda: repair_json(text))
    with_records = outcome(lambda: repair_json(text, return_repairs=True)[0])
    assert alone[0] == with_records[0], text
    if alone[0] == "refused":
        assert alone[1] == with_records[1], text
    else:
        assert same(alone[1], with_records[1]), text


def prefix_of(read: Any, original: Any) -> bool:
    """Whether `read` is what a reader may make of `original` cut short: everything complete is as
    written, and only the last item of each container may be cut (or stand empty)."""
    if same(read, original):
        return True
    if isinstance(original, dict):
        # An object cut in or just after its first key reads, as json_repair reads it, as a set of
        # that key: a list of what was written of it (an empty key is dropped).
        if isinstance(read, list) and original and len(read) <= 1:
            return all(isinstance(item, str) and next(iter(original)).startswith(item) for item in read)
        if not isinstance(read, dict) or len(read) > len(original):
            return False
        keys, written_keys = list(read), list(original)
        for index, key in enumerate(keys):
            last = index == len(keys) - 1
            if key != written_keys[index]:
                return last and written_keys[index].startswith(key) and read[key] in ("", None)
            if not last and not same(read[key], original[key]):
                return False
        return not keys or read[keys[-1]] in ("", None) or prefix_of(read[keys[-1]], original[keys[-1]])
    if isinstance(original, list):
        if not isinstance(read, list) or len(read) > len(original):
            return False
        if not all(same(item, written) for item, written in zip(read[:-1], original, strict=False)):
            return False
        return not read or read[-1] in ("", None) or prefix_of(read[-1], original[len(read) - 1])
    if isinstance(original, str):
        return isinstance(read, str) and original.startswith(read)
    if isinstance(original, int) and not isinstance(original, bool):
        # Digits cut off the end are refused; a cut before the digits leaves the value out.
        return False
    return False


integer_document = documents(plain_texts, st.integers(min_value=-(2**63), max_value=2**64 - 1))


def every_cut_is_refused_or_read_as_its_prefix(text: str, value: dict[str, Any]) -> None:
    for cut in range(1, len(text)):
        try:
            read = ROAD.parse(text[:cut]).arguments
        except ArgumentError:
            continue
        assert prefix_of(read, value), text[:cut]


@FUZZ
@given(st.dictionaries(plain_texts, integer_document, min_size=1, max_size=4), styles)
def test_a_document_cut_anywhere_is_refused_or_read_as_its_prefix(value: dict[str, Any], style: str) -> None:
    every_cut_is_refused_or_read_as_its_prefix(written(value, style), value)


@pytest.mark.parametrize("text", ['{"price": 12.', '{"price": 12e+', '{"price": [1, 2.', '{"price": .'])
def test_a_number_cut_after_its_point_or_exponent_is_refused(text: str) -> None:
    with pytest.raises(ArgumentError):
        ROAD.parse(text)


def test_a_key_cut_inside_its_brackets_is_refused() -> None:
    read = outcome(lambda: ROAD.parse('{"":[{"]0').arguments)
    assert read[0] == "refused" or prefix_of(read[1], {"": [{"]0": None}]})


@pytest.mark.parametrize(
    "text",
    [
        '{"x": 1, "a:b}',
        '{"a":{"b:c}',
        "{'a': 'x:y', 'b': 1, 'c: d}",
        '{"0)é": "“😀\\t:0", "}0',
        '```json\n{"a": "x", "b:c}',
    ],
)
def test_a_cut_inside_a_string_holding_structure_is_refused(text: str) -> None:
    with pytest.raises(ArgumentError):
        ROAD.parse(text)


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('{"0)é":"“😀\\t:0","}0e]":[[1.5,', {"0)é": "“😀\t:0", "}0e]": [[1.5]]}),
        ("{')e': {'}:': ' }-', 'x': [", {")e": {"}:": " }-", "x": []}}),
        ('```json\n{"a": "x\\"y", "b:c": [1.5,', {"a": 'x"y', "b:c": [1.5]}),
        ("Here: {'a': '\"]', 'b': {}", {"a": '"]', "b": {}}),
    ],
)
def test_a_cut_between_values_reads_what_was_written(text: str, written: Any) -> None:
    assert same(ROAD.parse(text).arguments, written)


def cut_writings(value: Any) -> list[str]:
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return [compact, json.dumps(value), repr(value), "```json\n" + compact, "Here: " + compact]


CUTS = settings(FUZZ, max_examples=max(EXAMPLES // 10, 20))


@CUTS
@given(st.dictionaries(awkward_texts, documents(awkward_texts, any_number), min_size=1, max_size=3))
def test_a_document_holding_quotes_colons_and_brackets_cut_anywhere_is_refused_or_read_as_its_prefix(
    value: dict[str, Any],
) -> None:
    for text in cut_writings(value):
        every_cut_is_refused_or_read_as_its_prefix(text, value)


@pytest.mark.parametrize(
    "text", ['{"a": 1, "b": [1, 2', '[{"a": "x"}, {"b": tru', "{'a': (1, 2)}", '{"a": 1,}']
)
def test_the_comparison_of_outcomes_tells_values_apart(text: str) -> None:
    assert outcome(lambda: repair_json(text)) == outcome(lambda: repair_json(text, return_repairs=True)[0])
    assert not same(outcome(lambda: repair_json(text))[1], {"unrelated": True})


wide_integers = st.one_of(
    st.integers(min_value=2**64, max_value=10**30), st.integers(min_value=-(10**30), max_value=-(2**63) - 1)
)


def python_written(value: Any) -> str:
    """`repr` with lists written as tuples, as Python code models write it."""
    if isinstance(value, list):
        return "(" + "".join(python_written(item) + ", " for item in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {python_written(item)}" for key, item in value.items()) + "}"
    return repr(value)


@FUZZ
@given(
    documents(plain_texts, st.one_of(any_number, wide_integers)),
    st.sampled_from(["json", "python"]),
    st.integers(min_value=0),
    st.integers(min_value=0),
)
def test_records_show_an_integer_past_64_bits_as_its_digits(
    value: Any, style: str, kind: int, at: int
) -> None:
    text = written(value, "spaced") if style == "json" else python_written(value)
    text = damaged(text, kind, at)
    try:
        _, records = repair_json(text, return_repairs=True)
    except ValueError:
        return
    for record in records:
        for shown in (str(record.before), str(record.after)):
            assert "integer:" not in shown and "\x00" not in shown and "\\u0000" not in shown, (text, record)
