"""The argument road through the public API: what is repaired, what is refused, what a model reads."""

from __future__ import annotations

import inspect
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import toolproof
from toolproof import ArgumentError, Limits, Tool, tool


@tool
def file_claim(claim_id: str, amount: float, urgent: bool = False, tags: list[str] | None = None) -> str:
    """File an insurance claim."""
    return f"{claim_id}:{amount}"


def kinds(parsed: toolproof.ParsedArgs) -> list[str]:
    return [repair.kind for repair in parsed.repairs]


def test_a_correct_call_is_returned_unchanged_with_no_repairs():
    parsed = file_claim.parse_args('{"claim_id": "C1", "amount": 12.5, "urgent": true}')
    assert parsed.arguments == {"claim_id": "C1", "amount": 12.5, "urgent": True}
    assert parsed.repairs == []


def test_the_mission_example_is_repaired_and_recorded():
    parsed = file_claim.parse_args('{"claimId": "C1", "amount": "1000"}')
    assert parsed.arguments == {"claim_id": "C1", "amount": 1000}
    renamed, number = parsed.repairs
    assert (renamed.path, renamed.kind, renamed.before, renamed.after) == (
        "claim_id",
        "renamed_key",
        "claimId",
        "claim_id",
    )
    assert (number.path, number.kind, number.before, number.after) == (
        "amount",
        "string_to_number",
        "1000",
        1000,
    )
    assert renamed.to_dict() == {
        "path": "claim_id",
        "kind": "renamed_key",
        "before": "claimId",
        "after": "claim_id",
    }


def test_strict_mode_changes_nothing_and_names_every_field():
    with pytest.raises(ArgumentError) as caught:
        file_claim.parse_args('{"claimId": "C1", "amount": "1000"}', mode="strict")
    error = caught.value
    assert isinstance(error, ValueError)
    by_path = {e["path"]: e for e in error.errors}
    assert by_path["claim_id"]["kind"] == "required"
    assert by_path["amount"]["kind"] == "type"
    assert by_path["amount"]["loc"] == ["amount"]
    assert by_path["claimId"]["kind"] == "additionalProperties"
    text = error.for_model()
    assert text.startswith("Invalid arguments for tool 'file_claim':")
    assert 'amount: expected number, got string "1000"' in text
    assert 'Expected arguments: {"claim_id": string, "amount": number' in text
    assert "Traceback" not in text
    assert error.tool == "file_claim"


def test_a_refusal_from_the_road_is_the_exception_its_constructor_makes():
    # The road makes the exception without running ArgumentError.__init__; every attribute
    # must still be what the constructor would have set, and it must survive pickling.
    import pickle

    with pytest.raises(ArgumentError) as caught:
        file_claim.parse_args('{"claim_id": "C1", "amount": "ten", "extra key": 1}', mode="strict")
    error = caught.value
    made = ArgumentError(str(error), error.errors, model_text=error.for_model(), tool=error.tool)
    assert error.args == made.args == (str(error),)
    assert vars(error) == vars(made)
    assert type(error.errors) is list
    assert str(error).startswith("invalid arguments for tool 'file_claim': ")
    # A one-key path reads as the key, and loc holds it; a quoted key keeps its own loc.
    by_path = {record["path"]: record for record in error.errors}
    assert by_path["amount"]["loc"] == ["amount"]
    assert by_path['["extra key"]']["loc"] == ["extra key"]
    assert [list(record) for record in error.errors] == [["path", "loc", "kind", "message"]] * len(
        error.errors
    )
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.args, vars(copy)) == (error.args, vars(error))


def test_lenient_mode_still_refuses_what_it_cannot_fix_safely():
    with pytest.raises(ArgumentError) as caught:
        file_claim.parse_args('{"claim_id": "C1", "amount": "ten"}')
    assert caught.value.errors[0]["path"] == "amount"
    assert "ten" in caught.value.for_model()


def test_never_rounds_a_float_into_an_integer():
    @tool
    def pick(count: int) -> int:
        return count

    assert pick.parse_args('{"count": 3.0}').arguments == {"count": 3}
    assert type(pick.parse_args('{"count": 3.0}').arguments["count"]) is int
    with pytest.raises(ArgumentError):
        pick.parse_args('{"count": 1.5}')


def test_inputs_text_bytes_dict_and_none():
    @tool
    def ping(verbose: bool = False) -> str:
        return "pong"

    assert ping.parse_args(None).arguments == {}
    assert ping.parse_args("").arguments == {}
    assert ping.parse_args(b'{"verbose": true}').arguments == {"verbose": True}
    assert ping.parse_args({"verbose": "true"}).arguments == {"verbose": True}
    with pytest.raises(ArgumentError) as caught:
        file_claim.parse_args(None)
    assert {e["path"] for e in caught.value.errors} == {"claim_id", "amount"}


def test_non_object_json_goes_to_a_single_parameter_or_is_refused():
    @tool
    def search(query: str) -> str:
        return query

    assert search.parse_args('"weather in Paris"').arguments == {"query": "weather in Paris"}
    with pytest.raises(ArgumentError) as caught:
        file_claim.parse_args("[1, 2]")
    assert caught.value.errors[0]["kind"] == "not_an_object"
    assert "got an array of 2 items" in caught.value.for_model()


def test_a_dict_that_is_not_json_is_refused_with_its_path():
    with pytest.raises(ArgumentError) as caught:
        file_claim.parse_args({"claim_id": "C1", "amount": 1, "tags": [object()]})
    assert caught.value.errors[0]["path"] == "tags[0]"
    assert caught.value.errors[0]["kind"] == "not_json"


def test_unknown_keys_dropped_or_refused_as_configured():
    parsed = file_claim.parse_args('{"claim_id": "C1", "amount": 1, "color": "red"}')
    assert parsed.arguments == {"claim_id": "C1", "amount": 1}
    assert kinds(parsed) == ["dropped_key"]

    def strict_claim(claim_id: str) -> str:
        return claim_id

    picky = Tool.from_function(strict_claim, extra_keys="error")
    with pytest.raises(ArgumentError) as caught:
        picky.parse_args('{"claim_id": "C1", "color": "red"}')
    assert caught.value.errors[0]["kind"] == "unknown_key"
    assert "'claim_id'" in caught.value.errors[0]["message"]


def test_optional_parameters_sent_as_null_take_their_default_in_both_modes():
    # A strict provider schema makes optional parameters nullable and requires them all.
    for mode in ("lenient", "strict"):
        parsed = file_claim.parse_args('{"claim_id": "C1", "amount": 1, "urgent": null}', mode=mode)
        assert parsed.arguments == {"claim_id": "C1", "amount": 1}


def test_limits_are_clear_errors():
    def echo(text: str) -> str:
        return text

    small = Tool.from_function(echo, limits=Limits(max_bytes=100, max_depth=4, max_string_length=10))
    for raw, kind in [
        ('{"text": "' + "x" * 200 + '"}', "too_large"),
        ('{"text": "' + "x" * 20 + '"}', "string_too_long"),
        ('{"text": [[[["deep"]]]]}', "too_deep"),
    ]:
        with pytest.raises(ArgumentError) as caught:
            small.parse_args(raw)
        assert caught.value.errors[0]["kind"] == kind


def test_a_hostile_nesting_is_an_error_not_a_crash():
    with pytest.raises(ArgumentError):
        file_claim.parse_args("[" * 200_000)
    with pytest.raises(ArgumentError):
        file_claim.parse_args('{"claim_id": ' + "[" * 100_000 + "]" * 100_000 + "}")


def test_invalid_mode_is_a_value_error():
    with pytest.raises(ValueError, match="lenient"):
        file_claim.parse_args("{}", mode="loose")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        file_claim.road.parse("{}", mode=None)  # type: ignore[arg-type]


def test_a_mode_made_at_run_time_is_read_as_its_words():
    # Equal to the literals, but other objects than the strings Python interns for them.
    strict, lenient = "".join("strict"), "".join("lenient")
    text = '{"claim_id": "C1", "amount": 1}'
    assert file_claim.road.parse(text, mode=strict).arguments == {"claim_id": "C1", "amount": 1}
    repairable = '{"claimId": "C1", "amount": "1000"}'
    assert kinds(file_claim.road.parse(repairable, mode=lenient)) == kinds(file_claim.parse_args(repairable))
    with pytest.raises(ArgumentError):
        file_claim.road.parse(repairable, mode=strict)
    with pytest.raises(ValueError, match="strict"):
        file_claim.road.parse(text, mode="".join("Strict"))  # type: ignore[arg-type]


def test_every_form_of_a_parse_call_reads_its_arguments_as_written():
    road = file_claim.road
    text = '{"claim_id": "C1", "amount": 1}'
    repairable = '{"claimId": "C1", "amount": "1000"}'
    expected = {"claim_id": "C1", "amount": 1}
    assert road.parse(text).arguments == expected
    assert road.parse(raw=text, mode="strict").arguments == expected
    assert road.parse(text, **{"mode": "strict", "finish_reason": None}).arguments == expected
    assert road.parse(*[text], finish_reason="tool_calls", mode="lenient").arguments == expected
    assert type(road).parse(road, text, mode="strict").arguments == expected
    assert kinds(road.parse(repairable, mode="lenient", finish_reason="stop")) == kinds(
        road.parse(repairable)
    )
    # A keyword name built at run time is the same keyword.
    assert road.parse(text, **{"".join("mode"): "strict"}).arguments == expected
    with pytest.raises(ArgumentError):
        road.parse(repairable, finish_reason="stop", mode="strict")
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'raw'"):
        road.parse()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'modes'"):
        road.parse(text, modes="strict")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values for argument 'raw'"):
        road.parse(text, raw=text)  # type: ignore[misc]
    with pytest.raises(TypeError, match="positional"):
        road.parse(text, "strict")  # type: ignore[misc]
    with pytest.raises(TypeError):
        road.parse(text, mode=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        road.parse(text, finish_reason=1)  # type: ignore[arg-type]
    with pytest.raises(UnicodeEncodeError):
        road.parse(text, finish_reason="\udc80")
    with pytest.raises(TypeError, match="doesn't apply"):
        type(road).parse(object(), text)  # type: ignore[arg-type]


def test_parse_shows_its_signature_and_documentation():
    parse = type(file_claim.road).parse
    assert str(inspect.signature(parse)) == "(self, /, raw, *, mode='lenient', finish_reason=None)"
    assert parse.__name__ == "parse"
    assert parse.__qualname__ == "ArgumentRoad.parse"
    assert parse.__doc__.startswith("Run the road")


def test_schema_class_validates_any_json_schema():
    schema = toolproof.Schema({"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 2})
    assert schema.is_valid([1, 2])
    assert not schema.is_valid([1, -1, 3])
    errors = schema.errors([1, -1, 3])
    assert {(e["path"], e["kind"]) for e in errors} == {("[1]", "minimum"), ("", "maxItems")}
    with pytest.raises(ArgumentError):
        schema.validate([-1])
    assert schema.validate([0]) is None
    assert schema.validate_json("[0, 1]") == [0, 1]
    assert not schema.is_valid({1: "non-string key"})


def test_the_road_is_shared_by_eight_threads():
    texts = [f'{{"claimId": "C{i}", "amount": "{i}"}}' for i in range(2000)]
    barrier = threading.Barrier(8)

    def work(offset: int) -> list[dict]:
        barrier.wait()
        return [file_claim.parse_args(texts[(offset + i) % len(texts)]).arguments for i in range(len(texts))]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for offset, arguments in enumerate(results):
        for i, parsed in enumerate(arguments):
            n = (offset + i) % len(texts)
            assert parsed == {"claim_id": f"C{n}", "amount": n}


# --- readings of what open models write ---------------------------------------------------------


@tool
def get_weather(city: str, days: int = 1) -> str:
    """Weather for a city."""
    return city


def test_a_call_envelope_naming_this_tool_is_unwrapped_and_recorded():
    for text in (
        '{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}',
        '{"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\", \\"days\\": 3}"}',
        '{"name": "get_weather", "parameters": {"city": "Paris", "days": 3}}',
    ):
        parsed = get_weather.parse_args(text)
        assert parsed.arguments == {"city": "Paris", "days": 3}, text
        assert kinds(parsed) == ["call_envelope"], text
        with pytest.raises(ArgumentError):
            get_weather.parse_args(text, mode="strict")


def test_an_envelope_is_left_alone_when_it_could_mean_something_else():
    with pytest.raises(ArgumentError):
        get_weather.parse_args('{"name": "search", "arguments": {"city": "Paris"}}')

    @tool
    def run_named(name: str, arguments: dict[str, int]) -> str:
        """A tool whose parameters are called name and arguments."""
        return name

    parsed = run_named.parse_args('{"name": "run_named", "arguments": {"a": 1}}')
    assert parsed.arguments == {"name": "run_named", "arguments": {"a": 1}}
    assert parsed.repairs == []


def test_a_number_at_the_cut_is_closed_only_when_the_turn_ended_normally():
    text = '{"city": "Paris", "days": 3'
    for reason in ("tool_calls", "stop", "tool_use", "end_turn", "STOP"):
        parsed = get_weather.road.parse(text, finish_reason=reason)
        assert parsed.arguments == {"city": "Paris", "days": 3}, reason
        assert "truncated_number" not in kinds(parsed)
    for reason in ("length", "max_tokens", "MAX_TOKENS", None):
        with pytest.raises(ArgumentError, match="cut off right after a number"):
            get_weather.road.parse(text, finish_reason=reason)
    with pytest.raises(ArgumentError):
        get_weather.road.parse(text, mode="strict", finish_reason="stop")


def test_duplicate_items_of_a_set_are_merged_in_lenient_mode_only():
    @tool
    def tag(item: str, labels: set[str]) -> list[str]:
        """Label an item."""
        return sorted(labels)

    parsed = tag.parse_args('{"item": "a", "labels": ["red", "blue", "red"]}')
    assert parsed.arguments == {"item": "a", "labels": ["red", "blue"]}
    (record,) = parsed.repairs
    assert (record.path, record.kind) == ("labels", "duplicate_items")
    with pytest.raises(ArgumentError, match="unique"):
        tag.parse_args('{"item": "a", "labels": ["red", "blue", "red"]}', mode="strict")
