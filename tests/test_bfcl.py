"""The Berkeley Function Calling Leaderboard (v4) through toolproof.

Every function of the single-turn categories converts from BFCL's dialect to JSON Schema and
compiles; every ground-truth answer its own schema admits is accepted unchanged in strict mode (the
few that contradict their schema are listed in ``data/bfcl_contradicting_answers.json``); and the
mistakes models make with those answers are repaired exactly in lenient mode and refused in strict
mode with an error naming the field.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from corpora import corpus_dir
from toolproof import ArgumentError, Schema, Tool, ToolDefinitionError, normalize_schema
from toolproof.testing.mistakes import MISTAKES, refusal_names, same_json

BFCL = corpus_dir("bfcl") / "v4"
CONTRADICTING_ANSWERS = Path(__file__).parent / "data" / "bfcl_contradicting_answers.json"

# The categories whose ground truth is a function call per line (multi-turn ground truth is Python text).
ANSWERED_CATEGORIES = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
)
SINGLE_TURN_CATEGORIES = (*ANSWERED_CATEGORIES, "irrelevance", "live_irrelevance", "live_relevance")
FUNCTION_DEFINITIONS = 8726  # as counted in the corpus README
PROVIDERS = ("openai", "openai-responses", "anthropic", "gemini")
SHOWN_FAILURES = 20


# -- reading the corpus -------------------------------------------------------------------------


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@functools.cache
def questions(category: str) -> list[dict[str, Any]]:
    return read_json_lines(BFCL / f"BFCL_v4_{category}.json")


def closed_json_schema(parameters: dict[str, Any]) -> dict[str, Any]:
    schema, _changes = normalize_schema(parameters)
    # A BFCL function takes the parameters it lists and nothing else: BFCL's checker fails a call
    # that sends any other key. Saying so is what makes strict mode refuse `claimId` for
    # `claim_id` instead of passing it through, and lenient mode rename it back.
    schema["additionalProperties"] = False
    return schema


@functools.cache
def compiled_tool(definition_text: str) -> Tool:
    """The tool for a BFCL function definition; many questions share one, so each compiles once."""
    definition = json.loads(definition_text)
    return Tool.from_schema(
        # Providers take ^[a-zA-Z0-9_-]{1,64}$; BFCL names such as `math.factorial` have dots.
        definition["name"].replace(".", "_"),
        closed_json_schema(definition["parameters"]),
        description=definition.get("description", ""),
        # BFCL has `any` parameters; they are what the data says, not a mistake to warn about.
        loose="allow",
    )


def definition_text(definition: dict[str, Any]) -> str:
    return json.dumps(definition, sort_keys=True)


def tool_for(definition: dict[str, Any]) -> Tool:
    return compiled_tool(definition_text(definition))


def single_turn_definitions() -> list[dict[str, Any]]:
    return [
        definition
        for category in SINGLE_TURN_CATEGORIES
        for question in questions(category)
        for definition in question["function"]
    ]


JSON_SCHEMA_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def subschemas(schema: dict[str, Any]) -> Iterator[Any]:
    for keyword in ("properties", "patternProperties", "$defs", "definitions"):
        yield from (schema.get(keyword) or {}).values()
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        yield from schema.get(keyword) or []
    for keyword in ("items", "additionalProperties", "additionalItems", "contains", "not"):
        child = schema.get(keyword)
        yield from child if isinstance(child, list) else [child]


def declared_types(schema: Any) -> Iterator[str]:
    """Every type name a schema declares, at any depth (a dialect name left over would be among them)."""
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind is not None:
        yield from kind if isinstance(kind, list) else [kind]
    for child in subschemas(schema):
        yield from declared_types(child)


@functools.cache
def schema_validator(schema_text: str) -> Schema:
    return Schema(json.loads(schema_text))


def admits(schema: dict[str, Any], value: Any) -> bool:
    return schema_validator(json.dumps(schema, sort_keys=True)).is_valid(value)


# -- ground truth -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One ground-truth call: the arguments sent, and what the road must return for them."""

    id: str
    function: str  # BFCL's name, as the ground truth writes it
    tool: Tool
    schema: dict[str, Any]
    arguments: dict[str, Any]
    expected: dict[str, Any]

    @property
    def text(self) -> str:
        return json_text(self.arguments)


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def plain_value(acceptable: Any) -> Any:
    """A value out of BFCL's answer notation, where a dict inside an answer maps each key to its
    acceptable values in turn (``{"limit": [50], "filter": ["public", ""]}``): the first of each is
    taken, ``""`` meaning the key may be left out. A dict with any non-list value is a plain dict."""
    if isinstance(acceptable, dict) and acceptable and all(isinstance(v, list) for v in acceptable.values()):
        chosen = {}
        for key, options in acceptable.items():
            values = [plain_value(option) for option in options if option != ""]
            if values:
                chosen[key] = values[0]
        return chosen
    if isinstance(acceptable, list):
        return [plain_value(item) for item in acceptable]
    return acceptable


def canonical_arguments(ground_truth: dict[str, list[Any]], schema: dict[str, Any]) -> dict[str, Any]:
    """For each parameter, the first acceptable value its schema admits.

    BFCL lists every value it would accept, so an answer contradicts its schema only when none of
    them fits. A value is sent even when ``""`` (may be left out) comes first: it is an equally
    right answer and gives the road more to read. The parameter is left out only when nothing
    listed fits and ``""`` allows it; otherwise the first value is sent, and the contradiction shows.
    """
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    arguments: dict[str, Any] = {}
    for name, acceptable in ground_truth.items():
        values = [plain_value(option) for option in acceptable if option != ""]
        fitting = [value for value in values if name in properties and admits(properties[name], value)]
        if fitting:
            arguments[name] = fitting[0]
        elif values and not ("" in acceptable and name not in required):
            arguments[name] = values[0]
    return arguments


def as_the_road_reads(arguments: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """BFCL writes a Python default of ``None`` as ``null``. For an optional parameter that does
    not take null, the road reads ``null`` as "left out" in both modes (it is how models answer
    strict provider schemas), so the default applies."""
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))

    def left_out(name: str, value: Any) -> bool:
        return (
            value is None
            and name in properties
            and name not in required
            and not admits(properties[name], None)
        )

    return {name: value for name, value in arguments.items() if not left_out(name, value)}


@functools.cache
def ground_truth_answers(category: str) -> tuple[Answer, ...]:
    definitions = {question["id"]: question["function"] for question in questions(category)}
    answers = []
    for line in read_json_lines(BFCL / "possible_answer" / f"BFCL_v4_{category}.json"):
        functions = {definition["name"]: definition for definition in definitions[line["id"]]}
        for call in line["ground_truth"]:
            ((name, ground_truth),) = call.items()
            tool = tool_for(functions[name])
            schema = tool.schema
            arguments = canonical_arguments(ground_truth, schema)
            answers.append(
                Answer(line["id"], name, tool, schema, arguments, as_the_road_reads(arguments, schema))
            )
    return tuple(answers)


def refusal_reason(error: ArgumentError) -> str:
    return "; ".join(f"{e['path']}: {e['message']}" for e in error.errors)


@functools.cache
def accepted_answers(category: str) -> tuple[Answer, ...]:
    """The answers strict mode accepts unchanged: the ground for the mistakes."""
    accepted = []
    for answer in ground_truth_answers(category):
        try:
            parsed = answer.tool.parse_args(answer.text, mode="strict")
        except ArgumentError:
            continue
        if same_json(parsed.arguments, answer.expected):
            accepted.append(answer)
    return tuple(accepted)


def listed_contradictions(category: str) -> list[dict[str, str]]:
    listed = json.loads(CONTRADICTING_ANSWERS.read_text(encoding="utf-8"))
    # Question ids are the category and a number: `simple_python_307`, `live_multiple_87-38-4`.
    return [entry for entry in listed if entry["id"].rsplit("_", 1)[0] == category]


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("category", SINGLE_TURN_CATEGORIES)
def test_every_function_converts_and_compiles(category):
    failures = []
    for question in questions(category):
        for definition in question["function"]:
            schema = tool_for(definition).schema
            unknown = set(declared_types(schema)) - JSON_SCHEMA_TYPES
            if schema.get("type") != "object" or unknown:
                failures.append(f"{question['id']} {definition['name']}: {sorted(unknown)} in {schema}")
    assert not failures, "\n".join(failures[:SHOWN_FAILURES])


def test_every_function_definition_is_read_and_converted():
    definitions = single_turn_definitions()
    converted = [tool_for(definition) for definition in definitions]
    distinct = {definition_text(definition) for definition in definitions}
    print(
        f"{len(definitions)} definitions read, {len(converted)} converted, {len(distinct)} distinct compiled"
    )
    assert len(definitions) == FUNCTION_DEFINITIONS
    assert len(converted) == len(definitions)


@pytest.mark.parametrize("category", ANSWERED_CATEGORIES)
def test_ground_truth_answers_are_accepted_in_strict_mode(category):
    failures: list[str] = []
    contradicting: list[dict[str, str]] = []
    answers = ground_truth_answers(category)
    for answer in answers:
        admitted = admits(answer.schema, answer.expected)
        try:
            parsed = answer.tool.parse_args(answer.text, mode="strict")
        except ArgumentError as error:
            if admitted:
                failures.append(
                    f"{answer.id} {answer.function}: refused, though its schema admits it: {error.errors}"
                )
            contradicting.append(
                {"id": answer.id, "function": answer.function, "reason": refusal_reason(error)}
            )
            continue
        if not admitted:
            failures.append(
                f"{answer.id} {answer.function}: accepted, though its schema refuses it: {answer.text}"
            )
        if not same_json(parsed.arguments, answer.expected) or parsed.repairs:
            failures.append(
                f"{answer.id} {answer.function}: changed in strict mode: {answer.text} -> {parsed.arguments}"
            )
    print(
        f"{category}: {len(answers)} answers, {len(answers) - len(contradicting)} accepted, "
        f"{len(contradicting)} contradict their schema"
    )
    assert not failures, "\n".join(failures[:SHOWN_FAILURES])

    def key(entry: dict[str, str]) -> tuple[str, str, str]:
        return entry["id"], entry["function"], entry["reason"]

    listed = listed_contradictions(category)
    assert sorted(map(key, contradicting)) == sorted(map(key, listed)), (
        f"{CONTRADICTING_ANSWERS.name} is out of date for {category}; the answers refused now:\n"
        + json.dumps(contradicting, ensure_ascii=False, indent=2)
    )


def test_every_listed_contradiction_belongs_to_an_answered_category():
    listed = json.loads(CONTRADICTING_ANSWERS.read_text(encoding="utf-8"))
    assert sum(len(listed_contradictions(category)) for category in ANSWERED_CATEGORIES) == len(listed)


@pytest.mark.parametrize("kind", MISTAKES)
@pytest.mark.parametrize("category", ANSWERED_CATEGORIES)
def test_model_mistakes_are_recovered_in_lenient_mode_and_named_in_strict_mode(category, kind):
    generate = MISTAKES[kind]
    generated = recovered = rejected = 0
    failures: list[str] = []
    for answer in accepted_answers(category):
        for mistake in generate(answer):
            generated += 1
            where = f"{answer.id} {answer.function}: {mistake.text!r}"
            try:
                parsed = answer.tool.parse_args(mistake.text)
            except ArgumentError as error:
                failures.append(f"{where}: lenient mode refused it: {error.errors}")
            else:
                if same_json(parsed.arguments, answer.expected):
                    recovered += 1
                else:
                    failures.append(
                        f"{where}: lenient mode returned {parsed.arguments!r}, not {answer.expected!r}"
                    )
            try:
                answer.tool.parse_args(mistake.text, mode="strict")
            except ArgumentError as error:
                if refusal_names(error.errors, mistake):
                    rejected += 1
                else:
                    expected = f"{mistake.error_kind or 'an error'} at {mistake.field or 'the root'}"
                    failures.append(f"{where}: strict mode gave {error.errors}, not {expected}")
            else:
                failures.append(f"{where}: strict mode accepted it")
    print(f"{category} {kind}: {generated} generated, {recovered} recovered, {rejected} rejected correctly")
    if not generated:
        pytest.skip(f"no {category} answer has a place for the mistake {kind}")
    assert not failures, f"{len(failures)} of {generated} failed:\n" + "\n".join(failures[:SHOWN_FAILURES])


def location_exists(schema: dict[str, Any], location: str) -> bool:
    """Whether a refusal's location (``properties.data``, ``(root)``) is a place in the schema."""
    if location == "(root)":
        return True
    node: Any = schema
    for step in location.split("."):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return False
    return True


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_function_exports_or_is_refused_saying_where_and_what_to_change(provider):
    # Some refusals are right: an `any` parameter or a free-form object has no strict-mode form,
    # and a few BFCL schemas require a key they never declare. Each must say where and what to change.
    tools = [compiled_tool(text) for text in sorted({definition_text(d) for d in single_turn_definitions()})]
    refusals = {True: 0, False: 0}
    failures: list[str] = []
    for tool in tools:
        for strict in (True, False):
            try:
                exported = tool.to_provider(provider, strict=strict)
            except ToolDefinitionError as error:
                refusals[strict] += 1
                schema = tool.schema
                if not error.problems or not all(
                    location_exists(schema, problem.get("location", "")) and problem.get("fix")
                    for problem in error.problems
                ):
                    failures.append(f"{tool.name} strict={strict}: {error} {error.problems}")
                continue
            if tool.name not in json.dumps(exported):
                failures.append(
                    f"{tool.name} strict={strict}: the exported definition does not carry its name"
                )
    print(
        f"{provider}: {len(tools)} tools, {refusals[True]} refused with strict=True, "
        f"{refusals[False]} with strict=False"
    )
    assert not failures, "\n".join(failures[:SHOWN_FAILURES])
