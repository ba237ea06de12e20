"""toolproof.Schema against the official JSON-Schema-Test-Suite, drafts 2020-12 and 7.

Every required test is its own case and must pass. The optional tests (formats, bignums, ECMAScript
regexes ...) describe behaviour a validator may leave out: they are counted per file and reported,
and fail the run only if the validator crashes on one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import toolproof
from corpora import corpus_dir
from toolproof._core import ArgumentRoad

JSTS = corpus_dir("jsts")

# The suite's `$ref`s to http://localhost:1234/... expect the remotes/ folder served at that address.
REMOTES_BASE_URI = "http://localhost:1234/"

# Suite folder name → the `draft` argument of toolproof.Schema.
DRAFTS: dict[str, Any] = {"draft2020-12": "2020-12", "draft7": 7}


@dataclass(frozen=True)
class SuiteCase:
    draft: str
    file: str  # relative to the draft folder: "ref.json", "optional/format/date.json"
    group_index: int
    group: str
    schema: Any
    description: str
    data: Any
    valid: bool

    @property
    def id(self) -> str:
        return f"{self.draft}/{self.file}::{self.group}::{self.description}"


def load_remote_documents() -> dict[str, Any]:
    remotes = JSTS / "remotes"
    return {
        REMOTES_BASE_URI + path.relative_to(remotes).as_posix(): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(remotes.rglob("*.json"))
    }


REMOTE_DOCUMENTS = load_remote_documents()


def load_cases(draft: str, path: Path) -> list[SuiteCase]:
    relative = path.relative_to(JSTS / "tests" / draft).as_posix()
    groups = json.loads(path.read_text(encoding="utf-8"))
    return [
        SuiteCase(
            draft=draft,
            file=relative,
            group_index=group_index,
            group=group["description"],
            schema=group["schema"],
            description=test["description"],
            data=test["data"],
            valid=test["valid"],
        )
        for group_index, group in enumerate(groups)
        for test in group["tests"]
    ]


def required_cases() -> list[SuiteCase]:
    # Only the files directly in the draft folder are required; optional/ is a subfolder.
    return [
        case
        for draft in DRAFTS
        for path in sorted((JSTS / "tests" / draft).glob("*.json"))
        for case in load_cases(draft, path)
    ]


REQUIRED_CASES = required_cases()

_compiled: dict[tuple[str, str, int], toolproof.Schema] = {}


def compile_group(case: SuiteCase, *, validate_formats: bool | None = None) -> toolproof.Schema:
    """One compiled schema per test group: the suite runs several instances against each."""
    key = (case.draft, case.file, case.group_index)
    if key not in _compiled:
        _compiled[key] = toolproof.Schema(
            case.schema,
            draft=DRAFTS[case.draft],
            documents=REMOTE_DOCUMENTS,
            validate_formats=validate_formats,
        )
    return _compiled[key]


def describe(case: SuiteCase, errors: list[dict[str, Any]] | None = None) -> str:
    lines = [
        case.id,
        f"schema: {json.dumps(case.schema, ensure_ascii=False)}",
        f"data:   {json.dumps(case.data, ensure_ascii=False)}",
        f"expected valid={case.valid}",
    ]
    if errors is not None:
        lines.append(f"errors: {errors}")
    return "\n".join(lines)


@pytest.mark.parametrize("case", REQUIRED_CASES, ids=[case.id for case in REQUIRED_CASES])
def test_required(case: SuiteCase) -> None:
    schema = compile_group(case)
    assert schema.is_valid(case.data) == case.valid, describe(case)
    errors = schema.errors(case.data)
    assert (not errors) == case.valid, describe(case, errors)


def test_required_counts_match_the_corpus_readme() -> None:
    # Guards against a corpus copy that lost files: the README of shared/data states these totals.
    per_draft = {draft: sum(case.draft == draft for case in REQUIRED_CASES) for draft in DRAFTS}
    assert per_draft == {"draft2020-12": 1299, "draft7": 927}


@dataclass
class FileOutcome:
    passed: int = 0
    failed: int = 0
    refused: int = 0  # cases whose schema toolproof declined to compile (counted as failed too)


class ConformanceSummary:
    """Prints the optional-test counts at the end of the pytest run, where `-q` still shows them."""

    PLUGIN_NAME = "toolproof-optional-conformance"

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.lines:
            terminalreporter.section("JSON-Schema-Test-Suite optional tests")
            for line in self.lines:
                terminalreporter.write_line(line)


def summary_for(config: pytest.Config) -> ConformanceSummary:
    summary = config.pluginmanager.get_plugin(ConformanceSummary.PLUGIN_NAME)
    if summary is None:
        summary = ConformanceSummary()
        config.pluginmanager.register(summary, ConformanceSummary.PLUGIN_NAME)
    return summary


@pytest.mark.parametrize("draft", list(DRAFTS))
def test_optional(draft: str, record_property: Any, request: pytest.FixtureRequest) -> None:
    optional = JSTS / "tests" / draft / "optional"
    outcomes: dict[str, FileOutcome] = {}
    crashes: list[str] = []
    for path in sorted(optional.rglob("*.json")):
        # The format/ files test format as an assertion, which 2019-09 and later leave off by default.
        validate_formats = True if path.parent.name == "format" else None
        outcome = outcomes.setdefault(path.relative_to(JSTS / "tests" / draft).as_posix(), FileOutcome())
        for case in load_cases(draft, path):
            try:
                schema = compile_group(case, validate_formats=validate_formats)
            except ValueError:
                # SchemaError, or the ValueError for a schema holding a 100-digit integer: a missing
                # feature, reported in the counts, not a crash.
                outcome.refused += 1
                outcome.failed += 1
                continue
            try:
                agrees = (
                    schema.is_valid(case.data) == case.valid and (not schema.errors(case.data)) == case.valid
                )
            except Exception as error:
                crashes.append(f"{describe(case)}\nraised {type(error).__name__}: {error}")
                outcome.failed += 1
                continue
            if agrees:
                outcome.passed += 1
            else:
                outcome.failed += 1

    every_file: list[str] = []
    incomplete_files: list[str] = []
    for file, outcome in outcomes.items():
        total = outcome.passed + outcome.failed
        refused = (
            f" ({outcome.refused} failed on a schema refused at compile time)" if outcome.refused else ""
        )
        line = f"  {draft}/{file}: {outcome.passed}/{total} passed{refused}"
        every_file.append(line)
        if outcome.failed:
            incomplete_files.append(line)
        record_property(f"{draft}/{file}", f"{outcome.passed}/{total}")
    passed = sum(outcome.passed for outcome in outcomes.values())
    total = passed + sum(outcome.failed for outcome in outcomes.values())
    headline = (
        f"{draft} optional: {passed}/{total} passed; "
        f"{len(outcomes) - len(incomplete_files)} of {len(outcomes)} files complete"
    )
    record_property(f"{draft}/optional", f"{passed}/{total}")
    print("\n".join([headline, *every_file]))
    # The end-of-run summary names only the files with failures, to stay short.
    summary_for(request.config).lines.extend([headline, *incomplete_files])

    assert not crashes, "the validator raised on optional tests:\n\n" + "\n\n".join(crashes)


# The suite's bignum tests above hand the validator Python values. JSON *text* reaches the core
# through serde_json, which reads an integer beyond 64 bits as the nearest float: the value would
# then pass "type": "integer" and come back changed. Kept exact or refused are both acceptable;
# silently turned into a different number is not (DESIGN.md: a change that could alter meaning
# is never made, and strict mode coerces nothing).
BEYOND_64_BITS = 123456789012345678901234567890


def kept_exact_or_refused(parse: Callable[[], Any]) -> None:
    try:
        value = parse()
    except toolproof.ArgumentError:
        return
    assert value == BEYOND_64_BITS and isinstance(value, int), f"got {value!r} back"


@pytest.mark.parametrize("mode", ["strict", "lenient"])
def test_argument_road_keeps_big_integers_exact_or_refuses_them(mode: str) -> None:
    road = ArgumentRoad({"type": "object", "properties": {"n": {"type": "integer"}}})
    kept_exact_or_refused(lambda: road.parse(f'{{"n": {BEYOND_64_BITS}}}', mode=mode).arguments["n"])


def test_schema_validate_json_keeps_big_integers_exact_or_refuses_them() -> None:
    schema = toolproof.Schema({"type": "integer"})
    kept_exact_or_refused(lambda: schema.validate_json(str(BEYOND_64_BITS)))
