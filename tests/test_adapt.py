"""toolproof._adapt, the core the framework adapters share, checked against what it stands for.

Its text is the engine's (a result cut exactly as a dispatched call cuts it, refused arguments
written as the road writes them); its kinds, instances and name clashes are one rule for every
adapter. No framework is needed here: the framework-facing behaviour is in tests/adapters and
tests/compat.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import random
import warnings
from typing import Annotated, Any

import pydantic
import pytest
import toolproof
from toolproof import Tool
from toolproof._adapt import failures, instances, kinds, names, parameters, text

# --- the text a model reads is the engine's --------------------------------------------------------


def _texts(count: int) -> list[str]:
    rng = random.Random(7)
    alphabet = 'ab é€😀\n"\\{}'
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400))) for _ in range(count)]


def _returning(value: str) -> Any:
    def echo() -> str:
        return value

    return echo


@pytest.mark.parametrize("cap", [32, 33, 50, 64, 101, 255, None])
def test_cut_text_is_what_a_dispatched_call_sends(cap: int | None) -> None:
    for sample in _texts(60):
        dispatched = Tool.from_function(_returning(sample), max_result_bytes=cap).run({})
        assert dispatched.ok
        assert text.cut_text(sample, cap) == dispatched.content
        assert text.result_text(sample, cap) == dispatched.content


def test_result_text_of_data_is_the_engines_json() -> None:
    value = {"rows": [{"n": i, "s": "x" * 30} for i in range(40)]}

    def rows() -> dict[str, Any]:
        return value

    for cap in (64, 500, None):
        assert text.result_text(value, cap) == Tool.from_function(rows, max_result_bytes=cap).run({}).content


def test_a_frameworks_refusal_is_written_as_the_road_writes_its_own() -> None:
    def book(city: str, nights: int) -> str:
        return city

    tool = Tool.from_function(book)
    with pytest.raises(toolproof.ArgumentError) as road:
        tool.parse_args({"nights": "many"})
    records = [{"loc": r["loc"], "kind": r["kind"], "message": r["message"]} for r in road.value.errors]
    rewritten = toolproof._core.argument_error(records, tool="book")
    road_lines = road.value.for_model().splitlines()
    # The same lines, but the expected shape, which only the road knows.
    assert rewritten.for_model().splitlines() == [
        line for line in road_lines if not line.startswith("Expected")
    ]
    assert rewritten.errors == road.value.errors and rewritten.tool == "book"


def test_a_pydantic_refusal_becomes_the_roads_text() -> None:
    class Booking(pydantic.BaseModel):
        city: str
        nights: Annotated[int, pydantic.Field(ge=1)]

    with pytest.raises(pydantic.ValidationError) as refused:
        Booking.model_validate({"nights": 0})
    error = text.pydantic_argument_error("book", refused.value)
    assert error.for_model().splitlines()[1:3] == [
        "- city: Field required",
        "- nights: Input should be greater than or equal to 1",
    ]
    assert [record["path"] for record in error.errors] == ["city", "nights"]


def test_an_argument_validation_error_is_both_exceptions() -> None:
    tool = Tool.from_function(lambda city, nights=1: city, name="book", loose="allow")
    with pytest.raises(toolproof.ArgumentError) as road:
        tool.parse_args('{"nights": 2')
    error = text.argument_validation_error(road.value)
    assert isinstance(error, pydantic.ValidationError) and isinstance(error, toolproof.ArgumentError)
    assert str(error) == road.value.for_model() == error.for_model()
    assert list(error.errors) == road.value.errors  # toolproof's records ...
    assert [item["type"] for item in error.errors()] == [
        r["kind"] for r in road.value.errors
    ]  # ... pydantic's
    assert text.argument_validation_error(error) is error
    with pytest.raises(pydantic.ValidationError):
        raise error


# --- failures -----------------------------------------------------------------------------------


def test_failures_are_raised_as_the_tool_raised_them_or_as_toolproof_decided() -> None:
    def fails(kind: str) -> str:
        if kind == "value":
            raise ValueError("bad value")
        if kind == "exit":
            raise SystemExit(2)
        raise toolproof.RetryableError("busy")

    tool = Tool.from_function(fails)
    raised = failures.failure_exception(tool.run({"kind": "value"}))
    assert type(raised) is ValueError and str(raised) == "bad value"
    exit_failure = tool.run({"kind": "exit"})
    replaced = failures.failure_exception(exit_failure)
    assert isinstance(replaced, toolproof.PermanentError) and isinstance(replaced.__cause__, SystemExit)

    def hangs() -> str:
        import time

        time.sleep(1)
        return "late"

    timed_out = Tool.from_function(hangs, timeout=0.05).run({})
    assert failures.decided_by_toolproof(timed_out)
    decided = failures.failure_exception(timed_out)
    assert isinstance(decided, toolproof.RetryableError) and str(decided) == timed_out.content

    refused = tool.run({"kind": 3, "extra": True}, mode="strict")
    error = failures.failure_exception(
        refused, lambda: tool.parse_args({"kind": 3, "extra": True}, mode="strict")
    )
    assert isinstance(error, text.ArgumentValidationError) and len(error.errors) == 2


# --- kinds --------------------------------------------------------------------------------------


class _Base:
    pass


class _Function(_Base):
    pass


class _Hardened(_Base):
    pass


FRAMEWORK = kinds.Framework(name="test", tool_base=_Base, function_tools=(_Function,), hardened=(_Hardened,))


def test_every_kind_of_object_is_told_apart() -> None:
    def function() -> None:
        pass

    class Sub(_Base):
        pass

    class SubFunction(_Function):
        pass

    tool = Tool.from_function(function, name="f")
    cases = [
        (tool, kinds.Kind.TOOLPROOF_TOOL),
        (_Hardened(), kinds.Kind.HARDENED),
        (Sub, kinds.Kind.CLASS),
        (_Function(), kinds.Kind.FUNCTION_TOOL),
        (SubFunction(), kinds.Kind.INSTANCE),  # a subclass may run its function differently
        (Sub(), kinds.Kind.INSTANCE),
        (functools.partial(function), kinds.Kind.PARTIAL),
        (function, kinds.Kind.FUNCTION),
    ]
    assert [kinds.kind_of(obj, FRAMEWORK) for obj, _ in cases] == [kind for _, kind in cases]
    for nothing in ("a tool", 3, int):
        with pytest.raises(kinds.UnsupportedToolError, match="Unsupported tool type") as refused:
            kinds.kind_of(nothing, FRAMEWORK)
        assert isinstance(refused.value, TypeError) and isinstance(refused.value, ValueError)


def test_a_partial_reads_as_the_parameters_it_still_takes() -> None:
    def weather(country: str, city: Annotated[str, "the city"], unit: str = "C") -> str:
        """The weather."""
        return f"{city}, {country} {unit}"

    async def aweather(country: str, city: str) -> str:
        return f"{city}, {country}"

    positional = kinds.partial_function(functools.partial(weather, "DE"))
    keyword = kinds.partial_function(functools.partial(weather, unit="F"))
    assert list(inspect.signature(positional).parameters) == ["city", "unit"]
    assert positional.__name__ == "weather" and positional.__doc__ == "The weather."
    assert positional(city="Berlin") == "Berlin, DE C" and keyword("FR", "Paris") == "Paris, FR F"
    assert Tool.from_function(positional).schema["properties"]["city"]["description"] == "the city"
    async_version = kinds.partial_function(functools.partial(aweather, "IT"))
    assert inspect.iscoroutinefunction(async_version)
    assert asyncio.run(async_version(city="Rome")) == "Rome, IT"
    nested = kinds.as_function(functools.partial(functools.partial(weather, "NL"), unit="K"))
    assert nested(city="Delft") == "Delft, NL K"


# --- instances ----------------------------------------------------------------------------------


class Counter:
    made = 0

    def __init__(self) -> None:
        Counter.made += 1
        self.last: Any = None

    def run(self, value: int) -> int:
        self.last = value
        return value


def test_a_class_gets_an_instance_per_call_and_an_instance_runs_every_call_itself() -> None:
    fresh = instances.instances(Counter, None, framework="test")
    run = fresh.method("count", Counter.run, Counter)
    before = Counter.made
    assert [run(value=i) for i in range(3)] == [0, 1, 2] and Counter.made == before + 3

    shared_counter = Counter()
    shared = instances.instances(Counter, shared_counter, framework="test")
    run = shared.method("count", Counter.run, Counter)
    with pytest.warns(toolproof.SharedStateWarning, match=r"wrote self\.last .*harden\(Counter\)"):
        run(value=5)
    assert shared_counter.last == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            instances.instances(Counter, shared_counter, framework="test", shared_state="off").method(
                "count", Counter.run, Counter
            )(value=6)
            == 6
        )
    refusing = instances.instances(Counter, Counter(), framework="test", shared_state="error")
    with pytest.raises(toolproof.SharedStateError):
        refusing.method("count", Counter.run, Counter)(value=1)
    ignoring = instances.instances(Counter, Counter(), framework="test", bookkeeping=frozenset({"last"}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ignoring.method("count", Counter.run, Counter)(value=1)

    original = Counter()
    copies = instances.instances(
        Counter, original, framework="test", copy=lambda c: Counter(), fresh_instance=True
    )
    copies.method("count", Counter.run, Counter)(value=9)
    assert original.last is None


# --- names and parameters -----------------------------------------------------------------------


def test_a_name_clash_names_both_definitions() -> None:
    def search(query: str) -> str:
        return query

    def search_again(query: str) -> str:
        return query

    pairs = [("search", search), ("other", search), ("search", search_again)]
    with pytest.raises(toolproof.ToolDefinitionError) as refused:
        names.refuse_duplicate_names(pairs, seen_as=lambda p: p[0], definition=lambda p: p[1])
    message = str(refused.value)
    assert "two tools are named 'search'" in message
    assert "test_adapt.test_a_name_clash_names_both_definitions.<locals>.search (" in message
    assert "search_again (" in message and "test_adapt.py:" in message
    names.refuse_duplicate_names(pairs[:2], seen_as=lambda p: p[0], definition=lambda p: p[1])


def test_the_permissive_model_takes_anything_and_shows_the_tools_parameters() -> None:
    def book(city: str, nights: int = 1) -> str:
        return city

    tool = Tool.from_function(book)
    model = parameters.permissive_arguments(tool)
    assert model.__name__ == "BookArguments"
    assert model.model_validate({"cityName": "x", "nights": "two"}).model_dump() == {
        "cityName": "x",
        "nights": "two",
    }
    schema = model.model_json_schema()
    assert schema == tool.to_provider("openai", strict=True)["function"]["parameters"]
    assert "anything" in schema["properties"].keys()  # every key counts as declared
    assert list(schema["properties"]) == ["city", "nights"]
    loose = Tool.from_function(lambda data: data, name="loose", loose="allow")
    assert parameters.model_facing_parameters(loose) == loose.schema  # not exportable strictly
