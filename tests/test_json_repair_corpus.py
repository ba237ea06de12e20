"""The public repair API against the cases of the json_repair test-suite.

The same comparison as the cargo test ``tests/json_repair_corpus.rs``, through the Python surface: a
case without a schema goes through ``toolproof.repair_json``, a case with one through
``toolproof.Schema(schema).parse``. Each case answered differently is listed with its reason in
``tests/data/json_repair_differences.json``; the list must match the disagreements exactly.

Case ids repeat in the corpus when one upstream test line asserts several inputs; the second and
later cases with the same id are named ``<id>#2``, ``<id>#3``, ... in corpus order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import toolproof
from corpora import corpus_dir

JSON_REPAIR = corpus_dir("jsonrepair")
DIFFERENCES = Path(__file__).resolve().parent / "data" / "json_repair_differences.json"
MINIMUM_AGREEMENT = 0.90

REFUSED = object()


def same_json(left: Any, right: Any) -> bool:
    """Equal as JSON values: unlike ``==``, True is not 1 and 1 is not 1.0."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same_json(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(same_json(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


def expected_value(case: dict[str, Any]) -> Any:
    """json_repair's answer; REFUSED where it answered "", which it does both when it gives up and
    when the repaired value is the empty string."""
    expected = case["expected"]
    if expected == "":
        return REFUSED
    if case["expected_kind"] == "json_text":
        return json.loads(expected)
    return expected


def agrees(expected: Any, ours: Any) -> bool:
    if expected is REFUSED:
        return ours is REFUSED or ours == ""
    return ours is not REFUSED and same_json(expected, ours)


def toolproof_value(case: dict[str, Any]) -> Any:
    schema = (case.get("options") or {}).get("schema")
    try:
        if schema is None:
            return toolproof.repair_json(case["input"])
        return toolproof.Schema(schema).parse(case["input"]).value
    except ValueError:
        # ArgumentError, JSONRepairError and SchemaError are all ValueErrors: a refusal.
        return REFUSED


def named_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = json.loads((JSON_REPAIR / "cases.json").read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    named = []
    for case in cases:
        if case["expected_kind"] not in ("value", "json_text"):
            continue
        seen[case["id"]] = seen.get(case["id"], 0) + 1
        occurrence = seen[case["id"]]
        named.append((case["id"] if occurrence == 1 else f"{case['id']}#{occurrence}", case))
    return named


def test_agrees_with_json_repair_except_where_documented() -> None:
    documented = json.loads(DIFFERENCES.read_text(encoding="utf-8"))
    documented_ids = [difference["id"] for difference in documented]
    assert len(documented_ids) == len(set(documented_ids)), "a difference is listed twice"
    for difference in documented:
        assert len(difference["reason"].strip()) >= 20, f"{difference['id']}: the reason must say why"

    disagreements: dict[str, str] = {}
    cases = named_cases()
    schema_cases = 0
    for name, case in cases:
        has_schema = "schema" in (case.get("options") or {})
        schema_cases += has_schema
        expected = expected_value(case)
        ours = toolproof_value(case)
        if not agrees(expected, ours):
            shown = "(refused)" if ours is REFUSED else json.dumps(ours)
            disagreements[name] = (
                f"input: {case['input']!r}\n    json_repair: {json.dumps(case['expected'])}\n    toolproof: {shown}"
            )

    total = len(cases)
    agreed = total - len(disagreements)
    share = agreed / total
    print(
        f"json_repair corpus (Python API): {agreed}/{total} cases agree ({share:.1%}); "
        f"{len(disagreements)} answered differently on purpose ({schema_cases} cases carry a schema)"
    )

    undocumented = [
        f"{name}\n    {detail}" for name, detail in disagreements.items() if name not in documented_ids
    ]
    stale = [name for name in documented_ids if name not in disagreements]
    assert not undocumented, (
        f"{len(undocumented)} disagreements are not in {DIFFERENCES.name}:\n" + "\n".join(undocumented)
    )
    assert not stale, f"{DIFFERENCES.name} lists cases that now agree (or do not exist): {stale}"
    assert share >= MINIMUM_AGREEMENT, f"agreement {share:.1%} is below {MINIMUM_AGREEMENT:.0%}"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ('{"path": "/etc/pa', "truncated_string"),
        ('{"path": }', "missing_value"),
        ('{"path": "a", "paths": ["x", ...]}', "ellipsis"),
        ('{"path": "a"}{"path": "b"}', "concatenated_documents"),
    ],
)
def test_tool_calls_refuse_repairs_that_may_change_meaning(raw: str, kind: str) -> None:
    tool = toolproof.Tool.from_schema(
        "t",
        {"type": "object", "properties": {"path": {"type": "string"}, "paths": {"type": "array"}}},
    )
    with pytest.raises(toolproof.ArgumentError) as caught:
        tool.parse_args(raw)
    assert caught.value.errors[0]["kind"] == "unsafe_repair"
    # repair_json makes the same repair, and says so.
    _, repairs = toolproof.repair_json(raw, return_repairs=True)
    assert kind in [repair.kind for repair in repairs]


def test_repair_json_closes_a_cut_off_string_and_records_it() -> None:
    assert toolproof.repair_json('{"path": "/etc/pa') == {"path": "/etc/pa"}
    value, repairs = toolproof.repair_json('{"path": "/etc/pa', return_repairs=True)
    assert value == {"path": "/etc/pa"}
    truncated = [repair for repair in repairs if repair.kind == "truncated_string"]
    assert len(truncated) == 1
    assert truncated[0].path == "path"
    with pytest.raises(toolproof.ArgumentError) as caught:
        toolproof.Tool.from_schema(
            "t", {"type": "object", "properties": {"path": {"type": "string"}}}
        ).parse_args('{"path": "/etc/pa')
    assert caught.value.errors[0]["kind"] == "unsafe_repair"
    assert caught.value.errors[0]["path"] == "path"


def test_integers_beyond_64_bits_read_as_json_loads_reads_them() -> None:
    assert toolproof.repair_json('{"n": 123456789012345678901234567890,}') == {
        "n": 123456789012345678901234567890
    }
