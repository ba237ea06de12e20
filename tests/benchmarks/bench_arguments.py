"""Tool arguments: toolproof against what users would otherwise pick, side by side in one run.

Sections:
  valid    a correct 5-field argument object, JSON text to a Python dict
  invalid  an object with five errors, every error collected
  order-valid, order-invalid
           the same two on a schema as pydantic writes it for a typical tool (a `pattern`, a bounded
           integer with a default, an optional string, a list, a float, extra keys forbidden)
  bfcl-strict, bfcl-lenient
           every BFCL v4 ground-truth call its schema admits, JSON text to a validated dict
  road-build
           building the road of every distinct BFCL v4 tool schema (many tools at start-up)
  repair-corpus, repair-document
           broken JSON text to a value: toolproof.repair_json against json_repair, over
           json_repair's test inputs as one batch and over its 9 KB perf document
  memory   resident memory growth over many parses

Run it alone (``python tests/benchmarks/bench_arguments.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Annotated, Any, Literal

import fastjsonschema
import json_repair
import jsonschema
import jsonschema_rs
import orjson
import toolproof
from harness import (
    Candidate,
    Target,
    figures_section,
    find_corpus,
    main,
    resident_bytes,
    skipped_section,
    timing_section,
)
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from toolproof._core import ArgumentRoad
from typing_extensions import NotRequired, TypedDict

BENCHMARK = "arguments"

WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 1, "description": "City name, e.g. Paris"},
        "days": {"type": "integer", "minimum": 1, "maximum": 16, "description": "Forecast length"},
        "units": {"type": "string", "enum": ["metric", "imperial"]},
        "include_hourly": {"type": "boolean"},
        "max_results": {"type": "integer", "minimum": 1},
    },
    "required": ["city", "days", "units", "include_hourly", "max_results"],
    "additionalProperties": False,
}

VALID_TEXT = '{"city": "Paris", "days": 5, "units": "metric", "include_hourly": true, "max_results": 10}'
VALID_ARGUMENTS = json.loads(VALID_TEXT)

# Five problems: too short, above the maximum, outside the enum, not a boolean, and missing.
INVALID_TEXT = '{"city": "", "days": 40, "units": "kelvin", "include_hourly": "sometimes"}'
INVALID_ERROR_COUNT = 5


class WeatherArgs(TypedDict):
    city: Annotated[str, Field(min_length=1)]
    days: Annotated[int, Field(ge=1, le=16)]
    units: Literal["metric", "imperial"]
    include_hourly: bool
    max_results: Annotated[int, Field(ge=1)]


class WeatherModel(BaseModel):
    city: str = Field(min_length=1)
    days: int = Field(ge=1, le=16)
    units: Literal["metric", "imperial"]
    include_hourly: bool
    max_results: int = Field(ge=1)


ROAD = ArgumentRoad(WEATHER_SCHEMA, name="get_weather")
SCHEMA = toolproof.Schema(WEATHER_SCHEMA)
TYPED_DICT_ADAPTER = TypeAdapter(WeatherArgs)
FAST_VALIDATE = fastjsonschema.compile(WEATHER_SCHEMA)
RS_VALIDATOR = jsonschema_rs.validator_for(WEATHER_SCHEMA)
PY_VALIDATOR = jsonschema.Draft202012Validator(WEATHER_SCHEMA)

TOOLPROOF = "toolproof ArgumentRoad.parse"
PYDANTIC_TYPED_DICT = "pydantic TypeAdapter(TypedDict).validate_json"
PYDANTIC_MODEL_DUMP = "pydantic model_validate_json + model_dump"
PYDANTIC_MODEL = "pydantic model_validate_json"
PYTHON_JSONSCHEMA = "jsonschema Draft202012Validator.validate + json.loads"


def checked(candidates: list[Candidate], check: Callable[[str, object], None]) -> list[Candidate]:
    """Run each candidate once and check its answer, so no row is fast because it does less."""
    for candidate in candidates:
        check(candidate.name, candidate.call())
    return candidates


# --- valid -------------------------------------------------------------------------------------


def rs_is_valid_then(loads: Callable[[str], Any]) -> Callable[[], object]:
    def call() -> object:
        arguments = loads(VALID_TEXT)
        if not RS_VALIDATOR.is_valid(arguments):
            raise ValueError("invalid arguments")
        return arguments

    return call


def rs_validate_then(loads: Callable[[str], Any]) -> Callable[[], object]:
    def call() -> object:
        arguments = loads(VALID_TEXT)
        RS_VALIDATOR.validate(arguments)
        return arguments

    return call


def python_jsonschema_valid() -> object:
    arguments = json.loads(VALID_TEXT)
    PY_VALIDATOR.validate(arguments)
    return arguments


def valid_candidates() -> list[Candidate]:
    a_dict = "dict"
    return [
        Candidate(TOOLPROOF, lambda: ROAD.parse(VALID_TEXT).arguments, "dict (lenient mode, the default)"),
        Candidate(
            "toolproof ArgumentRoad.parse strict",
            lambda: ROAD.parse(VALID_TEXT, mode="strict").arguments,
            a_dict,
        ),
        Candidate(
            "toolproof Schema.validate_json",
            lambda: SCHEMA.validate_json(VALID_TEXT),
            "dict (validation only)",
        ),
        Candidate(PYDANTIC_TYPED_DICT, lambda: TYPED_DICT_ADAPTER.validate_json(VALID_TEXT), a_dict),
        Candidate(
            PYDANTIC_MODEL_DUMP, lambda: WeatherModel.model_validate_json(VALID_TEXT).model_dump(), a_dict
        ),
        Candidate(
            PYDANTIC_MODEL,
            lambda: WeatherModel.model_validate_json(VALID_TEXT),
            "model instance, not a dict",
            baseline=True,
        ),
        Candidate("fastjsonschema + json.loads", lambda: FAST_VALIDATE(json.loads(VALID_TEXT)), a_dict),
        Candidate("fastjsonschema + orjson.loads", lambda: FAST_VALIDATE(orjson.loads(VALID_TEXT)), a_dict),
        Candidate("jsonschema_rs is_valid + orjson.loads", rs_is_valid_then(orjson.loads), a_dict),
        Candidate("jsonschema_rs validate + orjson.loads", rs_validate_then(orjson.loads), a_dict),
        Candidate("jsonschema_rs is_valid + json.loads", rs_is_valid_then(json.loads), a_dict),
        Candidate("jsonschema_rs validate + json.loads", rs_validate_then(json.loads), a_dict),
        Candidate(PYTHON_JSONSCHEMA, python_jsonschema_valid, a_dict),
        Candidate("json.loads alone", lambda: json.loads(VALID_TEXT), "dict, unchecked", baseline=True),
        Candidate("orjson.loads alone", lambda: orjson.loads(VALID_TEXT), "dict, unchecked", baseline=True),
    ]


def check_valid(name: str, result: object) -> None:
    if isinstance(result, BaseModel):
        result = result.model_dump()
    if result != VALID_ARGUMENTS:
        raise AssertionError(f"{name} returned {result!r}, expected {VALID_ARGUMENTS!r}")


def valid_section(quick: bool) -> dict[str, Any]:
    return timing_section(
        benchmark=BENCHMARK,
        section="valid",
        title="a valid 5-field argument object, JSON text to a Python dict",
        candidates=checked(valid_candidates(), check_valid),
        reference=TOOLPROOF,
        targets=[
            Target(
                "toolproof >=1.5x faster than the fastest pydantic path returning a dict",
                against=(PYDANTIC_TYPED_DICT, PYDANTIC_MODEL_DUMP),
                at_least=1.5,
                aim=2.0,
            ),
            Target(
                "toolproof >=30x faster than python-jsonschema", against=(PYTHON_JSONSCHEMA,), at_least=30.0
            ),
        ],
        notes=[
            "every candidate starts from the same JSON text and ends with the arguments as a dict "
            "(checked once before timing); baselines are shown for context only",
            "fastjsonschema compiles the schema as draft 7 (it has no 2020-12); the schema means the same in both",
        ],
        quick=quick,
    )


# --- invalid -----------------------------------------------------------------------------------


def toolproof_errors(mode: str) -> Callable[[], object]:
    def call() -> object:
        try:
            ROAD.parse(INVALID_TEXT, mode=mode)
        except toolproof.ArgumentError as error:
            return error.errors
        raise AssertionError("toolproof accepted invalid arguments")

    return call


def pydantic_model_errors() -> object:
    try:
        WeatherModel.model_validate_json(INVALID_TEXT)
    except ValidationError as error:
        return error.errors()
    raise AssertionError("pydantic accepted invalid arguments")


def pydantic_typed_dict_errors() -> object:
    try:
        TYPED_DICT_ADAPTER.validate_json(INVALID_TEXT)
    except ValidationError as error:
        return error.errors()
    raise AssertionError("pydantic accepted invalid arguments")


def invalid_candidates() -> list[Candidate]:
    five_errors = f"list of {INVALID_ERROR_COUNT} errors"
    return [
        Candidate(TOOLPROOF, toolproof_errors("lenient"), f"{five_errors} (ArgumentError.errors)"),
        Candidate("toolproof ArgumentRoad.parse strict", toolproof_errors("strict"), five_errors),
        Candidate(PYDANTIC_MODEL, pydantic_model_errors, f"{five_errors} (ValidationError.errors())"),
        Candidate(PYDANTIC_TYPED_DICT, pydantic_typed_dict_errors, five_errors),
        Candidate(
            "jsonschema_rs iter_errors + orjson.loads",
            lambda: list(RS_VALIDATOR.iter_errors(orjson.loads(INVALID_TEXT))),
            five_errors,
        ),
        Candidate(
            "jsonschema iter_errors + json.loads",
            lambda: list(PY_VALIDATOR.iter_errors(json.loads(INVALID_TEXT))),
            five_errors,
        ),
    ]


def check_invalid(name: str, result: object) -> None:
    if not isinstance(result, list) or len(result) != INVALID_ERROR_COUNT:
        raise AssertionError(f"{name} collected {result!r}, expected {INVALID_ERROR_COUNT} errors")


def invalid_section(quick: bool) -> dict[str, Any]:
    return timing_section(
        benchmark=BENCHMARK,
        section="invalid",
        title=f"an invalid object with {INVALID_ERROR_COUNT} errors, every error collected",
        candidates=checked(invalid_candidates(), check_invalid),
        reference=TOOLPROOF,
        targets=[
            Target(
                "toolproof no slower than 2x pydantic model_validate_json",
                against=(PYDANTIC_MODEL,),
                at_least=0.5,
            )
        ],
        notes=["fastjsonschema is left out: it stops at the first error, so it cannot collect them all"],
        quick=quick,
    )


# --- a schema as pydantic writes it for a typical tool ----------------------------------------

ORDER_ID_PATTERN = r"^ORD-[0-9]{6}$"


class OrderSearchModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(pattern=ORDER_ID_PATTERN)
    max_results: int = Field(default=10, ge=1, le=100)
    category: str | None = None
    tags: list[str]
    amount: float


class OrderSearchArgs(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    order_id: Annotated[str, Field(pattern=ORDER_ID_PATTERN)]
    max_results: NotRequired[Annotated[int, Field(ge=1, le=100)]]
    category: NotRequired[str | None]
    tags: list[str]
    amount: float


ORDER_SCHEMA = OrderSearchModel.model_json_schema()
ORDER_ROAD = ArgumentRoad(ORDER_SCHEMA, name="search_orders")
ORDER_ADAPTER = TypeAdapter(OrderSearchArgs)
ORDER_RS_VALIDATOR = jsonschema_rs.validator_for(ORDER_SCHEMA)

ORDER_VALID_TEXT = (
    '{"order_id": "ORD-123456", "max_results": 20, "category": "books", '
    '"tags": ["gift", "paperback"], "amount": 25.5}'
)
ORDER_VALID_ARGUMENTS = json.loads(ORDER_VALID_TEXT)
# Five problems no coercion can mend: the pattern, the maximum, an object for an optional string,
# a required list left out, and a word for a number.
ORDER_INVALID_TEXT = (
    '{"order_id": "ORD-12", "max_results": 500, "category": {"name": "books"}, "amount": "ten"}'
)


def order_rs_valid() -> object:
    arguments = orjson.loads(ORDER_VALID_TEXT)
    if not ORDER_RS_VALIDATOR.is_valid(arguments):
        raise ValueError("invalid arguments")
    return arguments


def check_order_valid(name: str, result: object) -> None:
    if isinstance(result, BaseModel):
        result = result.model_dump()
    if result != ORDER_VALID_ARGUMENTS:
        raise AssertionError(f"{name} returned {result!r}, expected {ORDER_VALID_ARGUMENTS!r}")


def order_valid_section(quick: bool) -> dict[str, Any]:
    a_dict = "dict"
    candidates = [
        Candidate(
            TOOLPROOF,
            lambda: ORDER_ROAD.parse(ORDER_VALID_TEXT).arguments,
            "dict (lenient mode, the default)",
        ),
        Candidate(
            "toolproof ArgumentRoad.parse strict",
            lambda: ORDER_ROAD.parse(ORDER_VALID_TEXT, mode="strict").arguments,
            a_dict,
        ),
        Candidate(PYDANTIC_TYPED_DICT, lambda: ORDER_ADAPTER.validate_json(ORDER_VALID_TEXT), a_dict),
        Candidate(
            PYDANTIC_MODEL_DUMP,
            lambda: OrderSearchModel.model_validate_json(ORDER_VALID_TEXT).model_dump(),
            a_dict,
        ),
        Candidate("jsonschema_rs is_valid + orjson.loads", order_rs_valid, a_dict),
        Candidate(
            "orjson.loads alone", lambda: orjson.loads(ORDER_VALID_TEXT), "dict, unchecked", baseline=True
        ),
    ]
    return timing_section(
        benchmark=BENCHMARK,
        section="order-valid",
        title="a valid call on a schema as pydantic writes it (pattern, bounds, optional, list), text to dict",
        candidates=checked(candidates, check_order_valid),
        reference=TOOLPROOF,
        targets=[
            Target(
                "toolproof >=1.5x faster than the fastest pydantic path returning a dict",
                against=(PYDANTIC_TYPED_DICT, PYDANTIC_MODEL_DUMP),
                at_least=1.5,
                aim=2.0,
            )
        ],
        notes=[
            "the schema is OrderSearchModel.model_json_schema(); pydantic validates the same rules "
            "from the model and from an equivalent TypedDict"
        ],
        quick=quick,
    )


def order_toolproof_errors(mode: str) -> Callable[[], object]:
    def call() -> object:
        try:
            ORDER_ROAD.parse(ORDER_INVALID_TEXT, mode=mode)
        except toolproof.ArgumentError as error:
            return error.errors
        raise AssertionError("toolproof accepted invalid arguments")

    return call


def order_pydantic_errors() -> object:
    try:
        OrderSearchModel.model_validate_json(ORDER_INVALID_TEXT)
    except ValidationError as error:
        return error.errors()
    raise AssertionError("pydantic accepted invalid arguments")


def order_invalid_section(quick: bool) -> dict[str, Any]:
    five_errors = f"list of {INVALID_ERROR_COUNT} errors"
    candidates = [
        Candidate(TOOLPROOF, order_toolproof_errors("lenient"), five_errors),
        Candidate("toolproof ArgumentRoad.parse strict", order_toolproof_errors("strict"), five_errors),
        Candidate(PYDANTIC_MODEL, order_pydantic_errors, five_errors),
        Candidate(
            "jsonschema_rs iter_errors + orjson.loads",
            lambda: list(ORDER_RS_VALIDATOR.iter_errors(orjson.loads(ORDER_INVALID_TEXT))),
            "list of errors",
            baseline=True,
        ),
    ]
    checked(candidates[:3], check_invalid)
    return timing_section(
        benchmark=BENCHMARK,
        section="order-invalid",
        title=f"an invalid call with {INVALID_ERROR_COUNT} errors on the pydantic-written schema, every error collected",
        candidates=candidates,
        reference=TOOLPROOF,
        targets=[
            Target(
                "toolproof no slower than pydantic model_validate_json",
                against=(PYDANTIC_MODEL,),
                at_least=1.0,
            )
        ],
        notes=[
            "jsonschema_rs reports an error per failed anyOf branch, so its count differs; shown for context"
        ],
        quick=quick,
    )


# --- the BFCL corpus ----------------------------------------------------------------------------

ORJSON_RS = "orjson.loads + jsonschema_rs is_valid"
ORJSON_ALONE = "orjson.loads alone"


@dataclass(frozen=True)
class CorpusCall:
    road: ArgumentRoad
    validator: Any  # a jsonschema_rs validator
    text: str


def bfcl_calls() -> list[CorpusCall] | None:
    """Every BFCL v4 ground-truth call whose JSON text its schema admits as it is, with the road
    and the jsonschema_rs validator of its tool (each compiled once per distinct schema)."""
    if find_corpus("bfcl") is None:
        return None
    import test_bfcl  # the corpus reading of the tests: same calls, same schemas

    roads: dict[str, tuple[ArgumentRoad, Any]] = {}
    calls = []
    for category in test_bfcl.ANSWERED_CATEGORIES:
        for answer in test_bfcl.ground_truth_answers(category):
            if not test_bfcl.admits(answer.schema, answer.arguments):
                continue
            key = json.dumps(answer.schema, sort_keys=True)
            if key not in roads:
                roads[key] = (ArgumentRoad(answer.schema), jsonschema_rs.validator_for(answer.schema))
            road, validator = roads[key]
            calls.append(CorpusCall(road, validator, answer.text))
    return calls


def bfcl_sections(quick: bool) -> list[dict[str, Any]]:
    calls = bfcl_calls()
    if calls is None:
        return [
            skipped_section(
                benchmark=BENCHMARK,
                section="bfcl",
                title="BFCL v4 ground-truth calls, text to validated dict",
                reason="the bfcl corpus is absent (see tests/corpora.py)",
            )
        ]
    # Each side walks its tool objects beside the texts, as an application holds them (a road or
    # a validator per tool), so neither reads a per-call object the other does not.
    texts = [call.text for call in calls]
    roads = [call.road for call in calls]
    validators = [call.validator for call in calls]
    expected = [orjson.loads(text) for text in texts]
    for call in calls:
        if not call.validator.is_valid(orjson.loads(call.text)):
            raise AssertionError(f"jsonschema_rs refuses a call toolproof's validator admits: {call.text}")

    def orjson_rs() -> object:
        values = []
        for validator, text in zip(validators, texts, strict=True):
            value = orjson.loads(text)
            if not validator.is_valid(value):
                raise ValueError("invalid arguments")
            values.append(value)
        return values

    sections = []
    for mode in ("strict", "lenient"):

        def toolproof_batch(mode: str = mode) -> object:
            return [road.parse(text, mode=mode).arguments for road, text in zip(roads, texts, strict=True)]

        reference = f"toolproof ArgumentRoad.parse {mode}"
        candidates = [
            Candidate(reference, toolproof_batch, "list of dicts"),
            Candidate(ORJSON_RS, orjson_rs, "list of dicts"),
            Candidate(
                ORJSON_ALONE,
                lambda: [orjson.loads(text) for text in texts],
                "list of dicts, unchecked",
                baseline=True,
            ),
        ]
        for candidate in candidates:
            if candidate.call() != expected:
                raise AssertionError(f"{candidate.name} returned other values than the calls hold")
        sections.append(
            timing_section(
                benchmark=BENCHMARK,
                section=f"bfcl-{mode}",
                title=f"{len(calls):,} BFCL v4 ground-truth calls, text to validated dict, {mode} mode",
                candidates=candidates,
                reference=reference,
                targets=[
                    Target(
                        "toolproof >=2x faster than orjson.loads + jsonschema_rs",
                        against=(ORJSON_RS,),
                        at_least=2.0,
                    ),
                    Target(
                        "toolproof within 1.5x of orjson.loads alone",
                        against=(ORJSON_ALONE,),
                        at_least=1 / 1.5,
                    ),
                ],
                notes=[
                    "every ground-truth call of the answered categories whose text its own schema admits; "
                    "each distinct schema compiled once by both sides before timing"
                ],
                facts={"calls": len(calls), "distinct_schemas": len({id(call.road) for call in calls})},
                quick=quick,
                unit="µs/batch",
            )
        )
    return sections


ROAD_BUILD = "toolproof ArgumentRoad(schema)"


def road_build_section(quick: bool) -> dict[str, Any]:
    """Building the road of every distinct BFCL tool schema: what starting an application with many
    tools costs. The road compiles the schema graph, the validator, the coercion plan and the fast
    plan; jsonschema_rs compiles its validator alone."""
    title = "building the road of every distinct BFCL v4 tool schema"
    if find_corpus("bfcl") is None:
        return skipped_section(
            benchmark=BENCHMARK,
            section="road-build",
            title=title,
            reason="the bfcl corpus is absent (see tests/corpora.py)",
        )
    import test_bfcl

    distinct: dict[str, Any] = {}
    for category in test_bfcl.ANSWERED_CATEGORIES:
        for answer in test_bfcl.ground_truth_answers(category):
            distinct.setdefault(json.dumps(answer.schema, sort_keys=True), answer.schema)
    schemas = list(distinct.values())
    candidates = [
        Candidate(ROAD_BUILD, lambda: [ArgumentRoad(schema) for schema in schemas], "list of roads"),
        Candidate(
            "jsonschema_rs.validator_for",
            lambda: [jsonschema_rs.validator_for(schema) for schema in schemas],
            "list of validators (validation only)",
            baseline=True,
        ),
    ]
    return timing_section(
        benchmark=BENCHMARK,
        section="road-build",
        title=f"{title} ({len(schemas):,} schemas)",
        candidates=candidates,
        reference=ROAD_BUILD,
        notes=["the validator alone is shown for context: the road compiles one too, and its plans"],
        facts={"schemas": len(schemas)},
        quick=quick,
        unit="µs/batch",
    )


# --- repair ------------------------------------------------------------------------------------

TOOLPROOF_REPAIR = "toolproof.repair_json"
JSON_REPAIR = "json_repair.loads"
MAX_BATCH_INPUT_BYTES = 4096
REPAIR_TARGET = Target("toolproof >=20x faster than json_repair", against=(JSON_REPAIR,), at_least=20.0)


@dataclass
class RepairSplit:
    """Inputs toolproof repairs, and those it raises on (left out of both sides)."""

    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # JSONRepairError or another ValueError: a refusal
    crashed: list[str] = field(default_factory=list)  # anything else is a bug in the core
    agreeing: int = 0  # accepted inputs where toolproof's value equals json_repair's


def split_by_toolproof(texts: list[str]) -> RepairSplit:
    split = RepairSplit()
    for text in texts:
        try:
            value = toolproof.repair_json(text)
        except ValueError:
            split.refused.append(text)
        except Exception:
            split.crashed.append(text)
        else:
            split.accepted.append(text)
            split.agreeing += value == json_repair.loads(text)
    return split


def json_repair_can_process(text: str) -> bool:
    try:
        json_repair.loads(text)
    except Exception:
        return False
    return True


def corpus_batch_section(corpus: Path, quick: bool) -> dict[str, Any]:
    records = json.loads((corpus / "cases.json").read_text(encoding="utf-8"))
    # Several records share an input under different json_repair options; each text counts once.
    unique_inputs = list(dict.fromkeys(record["input"] for record in records))
    # The corpus holds two 10-20 KB stress inputs, regression tests for json_repair's quadratic
    # paths; each takes seconds there and would be the whole batch, so they are left out.
    sized = [text for text in unique_inputs if len(text.encode()) <= MAX_BATCH_INPUT_BYTES]
    processable = [text for text in sized if json_repair_can_process(text)]
    split = split_by_toolproof(processable)
    batch = split.accepted
    title = f"json_repair's test inputs as one batch ({len(batch)} inputs)"
    facts = {
        "distinct_inputs": len(unique_inputs),
        "over_size_limit": len(unique_inputs) - len(sized),
        "json_repair_raised": len(sized) - len(processable),
        "toolproof_refused": len(split.refused),
        "toolproof_crashed": len(split.crashed),
        "batch_inputs": len(batch),
        "same_value_as_json_repair": split.agreeing,
    }
    notes = [
        f"{facts['distinct_inputs']} distinct inputs in cases.json; {facts['over_size_limit']} over "
        f"{MAX_BATCH_INPUT_BYTES // 1024} KiB left out (stress tests, seconds each in json_repair); "
        f"json_repair.loads raised on {facts['json_repair_raised']}",
        f"of the remaining {len(processable)}, toolproof refused {len(split.refused)} and raised "
        f"something other than a ValueError on {len(split.crashed)}: all left out of both sides",
        f"toolproof returns the same value as json_repair on {split.agreeing} of the {len(batch)} timed",
        "both sides run with default options; inputs that are already valid JSON stay in the batch",
    ]
    if split.crashed:
        notes.append(f"first input toolproof crashed on: {split.crashed[0][:80]!r}")
    if not batch:
        return skipped_section(
            benchmark=BENCHMARK,
            section="repair-corpus",
            title=title,
            reason="; ".join([*notes, "nothing left to time"]),
            facts=facts,
        )
    candidates = [
        Candidate(
            TOOLPROOF_REPAIR, lambda: [toolproof.repair_json(text) for text in batch], "list of values"
        ),
        Candidate(JSON_REPAIR, lambda: [json_repair.loads(text) for text in batch], "list of values"),
    ]
    return timing_section(
        benchmark=BENCHMARK,
        section="repair-corpus",
        title=title,
        candidates=candidates,
        reference=TOOLPROOF_REPAIR,
        targets=[REPAIR_TARGET],
        notes=notes,
        facts=facts,
        quick=quick,
        unit="µs/batch",
    )


def perf_document_section(corpus: Path, quick: bool) -> dict[str, Any]:
    broken = (corpus / "perf_invalid.json").read_text(encoding="utf-8")
    repaired = json.loads((corpus / "perf_valid.json").read_text(encoding="utf-8"))
    title = f"json_repair's broken perf document ({len(broken.encode()) / 1024:.1f} KiB)"
    try:
        value = toolproof.repair_json(broken)
    except Exception as error:
        return skipped_section(
            benchmark=BENCHMARK,
            section="repair-document",
            title=title,
            reason=(
                f"toolproof raised {type(error).__name__} ({error}) on the document; "
                "left out of both sides, nothing timed"
            ),
            facts={"toolproof_refused": 1},
        )
    agrees = "matches" if value == repaired else "differs from"
    return timing_section(
        benchmark=BENCHMARK,
        section="repair-document",
        title=title,
        candidates=[
            Candidate(TOOLPROOF_REPAIR, lambda: toolproof.repair_json(broken), "value"),
            Candidate(JSON_REPAIR, lambda: json_repair.loads(broken), "value"),
        ],
        reference=TOOLPROOF_REPAIR,
        targets=[REPAIR_TARGET],
        notes=[f"toolproof's result {agrees} perf_valid.json (json_repair's own answer)"],
        facts={"toolproof_refused": 0, "matches_perf_valid": value == repaired},
        quick=quick,
    )


def repair_sections(quick: bool) -> list[dict[str, Any]]:
    corpus = find_corpus("jsonrepair")
    if corpus is None:
        return [
            skipped_section(
                benchmark=BENCHMARK,
                section="repair",
                title="toolproof.repair_json against json_repair",
                reason="the jsonrepair corpus is absent (see tests/corpora.py)",
            )
        ]
    return [corpus_batch_section(corpus, quick), perf_document_section(corpus, quick)]


# --- memory ------------------------------------------------------------------------------------

MEMORY_TARGET_MB = 10.0


def memory_section(quick: bool) -> dict[str, Any]:
    parses = 200_000 if quick else 1_000_000
    print(f"memory {BENCHMARK}: {parses:,} parses ...", file=sys.stderr, flush=True)
    parse = ROAD.parse
    # Warm up first, so interpreter caches and allocator arenas are not counted as growth.
    for _ in repeat(None, 20_000):
        parse(VALID_TEXT).arguments  # noqa: B018
    gc.collect()
    before = resident_bytes()
    start = time.perf_counter()
    for _ in repeat(None, parses):
        parse(VALID_TEXT).arguments  # noqa: B018
    seconds = time.perf_counter() - start
    gc.collect()
    growth_mb = (resident_bytes() - before) / 2**20
    return figures_section(
        benchmark=BENCHMARK,
        section="memory",
        title=f"resident memory over {parses:,} ArgumentRoad.parse calls on the valid text",
        figures=[
            {"name": "resident before", "value": before / 2**20, "unit": "MB"},
            {
                "name": "growth",
                "value": growth_mb,
                "unit": "MB",
                "target": f"< {MEMORY_TARGET_MB:g} MB",
                "met": growth_mb < MEMORY_TARGET_MB,
            },
            {"name": "parses", "value": parses, "unit": ""},
            {"name": "time per parse", "value": seconds / parses * 1e6, "unit": "µs"},
        ],
    )


def run(quick: bool) -> list[dict[str, Any]]:
    return [
        valid_section(quick),
        invalid_section(quick),
        order_valid_section(quick),
        order_invalid_section(quick),
        *bfcl_sections(quick),
        road_build_section(quick),
        *repair_sections(quick),
        memory_section(quick),
    ]


if __name__ == "__main__":
    raise SystemExit(
        main(run, description="Tool arguments: toolproof against the alternatives, side by side.")
    )
