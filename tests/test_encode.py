"""toolproof.to_json: every type it encodes, the conversions it documents, its errors and its size cap."""

from __future__ import annotations

import collections
import dataclasses
import enum
import json
import math
import pathlib
import subprocess
import sys
import textwrap
import threading
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple

import pytest
import toolproof
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter
from toolproof import SerializationError, to_json, truncate_json_text


def roundtrip(value: Any, **options: Any) -> Any:
    return json.loads(to_json(value, **options))


class Widget:
    """A type nobody knows how to encode."""


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Point(NamedTuple):
    x: int
    y: float


@dataclasses.dataclass
class Item:
    name: str
    price: Decimal
    created_at: datetime
    tags: list[str] = dataclasses.field(default_factory=list)
    kind: ClassVar[str] = "item"


@dataclasses.dataclass
class Holder:
    label: str
    payload: Any


class Address(BaseModel):
    city: str
    since: date


class Customer(BaseModel):
    name: str
    joined: datetime
    balance: Decimal
    address: Address


# --- native types ------------------------------------------------------------------------------


def test_native_types_as_compact_json():
    value = {"a": [1, 2.5, True, False, None, "x"], "b": (1, 2), "c": {}}
    assert to_json(value) == '{"a":[1,2.5,true,false,null,"x"],"b":[1,2],"c":{}}'


def test_strings_are_escaped_where_json_requires_and_unicode_kept():
    text = 'quote " backslash \\ newline \n tab \t nul \x00 del \x7f é 😀'
    encoded = to_json(text)
    assert json.loads(encoded) == text
    assert "é 😀" in encoded
    assert "\\u0000" in encoded


def test_strings_of_every_length_round_trip():
    for length in range(40):
        for text in ("a" * length, "é" * length, ("ab\n" * length)[:length]):
            assert roundtrip(text) == text


def test_lone_surrogates_are_escaped_as_json_dumps_does():
    text = "a\ud800b\udfff"
    encoded = to_json(text)
    assert encoded == '"a\\ud800b\\udfff"'
    assert json.loads(encoded) == text
    assert roundtrip({text: text}) == {text: text}


@pytest.mark.parametrize(
    "number", [0, -1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64, -(2**64) - 1, 3**200]
)
def test_integers_of_any_size_are_exact(number):
    assert to_json(number) == str(number)
    assert roundtrip([number]) == [number]


def test_an_integer_too_long_to_write_is_refused():
    with pytest.raises(SerializationError) as caught:
        to_json({"n": 10**5000})
    assert caught.value.path == 'result["n"]'
    assert caught.value.type_name == "int"
    assert isinstance(caught.value.__cause__, ValueError)


def test_floats_round_trip_and_non_finite_become_null():
    for number in (0.1, -0.0, 1e300, 5e-324, 1 / 3, 123456789.125):
        assert json.loads(to_json(number)) == number
    assert to_json([math.nan, math.inf, -math.inf]) == "[null,null,null]"


def test_subclasses_of_builtins():
    class Text(str):
        pass

    class Number(int):
        def __str__(self) -> str:
            return "not this"

    class Real(float):
        pass

    class Listing(list):
        pass

    value = {
        "text": Text("t"),
        "number": Number(7),
        "big": Number(2**70),
        "real": Real(1.5),
        "list": Listing([1]),
        "ordered": collections.OrderedDict(b=1, a=2),
        "default": collections.defaultdict(int, {"k": 1}),
    }
    assert to_json(value) == (
        '{"text":"t","number":7,"big":1180591620717411303424,"real":1.5,"list":[1],'
        '"ordered":{"b":1,"a":2},"default":{"k":1}}'
    )


def test_json_values_round_trip():
    value = {"k": [1, {"x": None, "y": [True, 0.5, "s"]}], "é": "ü"}
    assert roundtrip(value) == value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_any_json_value_round_trips(value):
    assert json.loads(to_json(value)) == value


# --- dates and times -----------------------------------------------------------------------------


def test_datetimes_as_isoformat():
    values = [
        datetime(2024, 5, 6, 7, 8, 9),
        datetime(2024, 5, 6, 7, 8, 9, 123),
        datetime(1, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59, 999999),
        datetime(2024, 5, 6, tzinfo=timezone.utc),
        datetime(2024, 5, 6, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2024, 5, 6, tzinfo=timezone(timedelta(hours=5, minutes=30, seconds=7, microseconds=8))),
    ]
    assert roundtrip(values) == [value.isoformat() for value in values]


def test_zoneinfo_datetimes_keep_their_offset():
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        paris = zoneinfo.ZoneInfo("Europe/Paris")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no time zone database")
    winter = datetime(2024, 1, 15, 12, tzinfo=paris)
    summer = datetime(2024, 7, 15, 12, tzinfo=paris)
    assert roundtrip([winter, summer]) == ["2024-01-15T12:00:00+01:00", "2024-07-15T12:00:00+02:00"]


class NoOffset(timezone.__base__):  # type: ignore[misc,name-defined]
    def utcoffset(self, dt):
        return None

    def tzname(self, dt):
        return None

    def dst(self, dt):
        return None


class BrokenZone(timezone.__base__):  # type: ignore[misc,name-defined]
    def utcoffset(self, dt):
        raise RuntimeError("no offset today")


def test_a_tzinfo_without_offset_writes_a_naive_value():
    value = datetime(2024, 1, 1, tzinfo=NoOffset())
    assert roundtrip(value) == value.isoformat() == "2024-01-01T00:00:00"


def test_a_failing_tzinfo_is_a_serialization_error():
    with pytest.raises(SerializationError) as caught:
        to_json({"at": datetime(2024, 1, 1, tzinfo=BrokenZone())})
    assert caught.value.path == 'result["at"]'
    assert isinstance(caught.value.__cause__, RuntimeError)


aware_or_naive = st.datetimes(timezones=st.none() | st.timezones() | st.just(timezone.utc))


@given(st.lists(aware_or_naive, max_size=5))
@settings(max_examples=300, deadline=None)
def test_any_datetime_matches_isoformat(values):
    assert roundtrip(values) == [value.isoformat() for value in values]


@given(st.times(timezones=st.none() | st.timezones()), st.dates())
@settings(max_examples=200, deadline=None)
def test_any_time_and_date_match_isoformat(moment, day):
    assert roundtrip([moment, day]) == [moment.isoformat(), day.isoformat()]


def test_date_and_datetime_subclasses():
    class Day(date):
        pass

    class Moment(datetime):
        def isoformat(self, *args: Any, **kwargs: Any) -> str:
            return "not used"

    assert roundtrip([Day(2024, 2, 29), Moment(2024, 2, 29, 1, tzinfo=timezone.utc)]) == [
        "2024-02-29",
        "2024-02-29T01:00:00+00:00",
    ]


def test_times_with_offsets():
    assert roundtrip([time(1, 2, 3), time(1, 2, 3, 5, tzinfo=timezone(timedelta(hours=1)))]) == [
        "01:02:03",
        "01:02:03.000005+01:00",
    ]


TIMEDELTA = TypeAdapter(timedelta)


@pytest.mark.parametrize(
    "value",
    [
        timedelta(0),
        timedelta(days=1),
        timedelta(seconds=1.5),
        timedelta(days=-1),
        timedelta(seconds=-1),
        timedelta(days=-1, seconds=1),
        timedelta(microseconds=1),
        timedelta(days=400, hours=3, minutes=4, seconds=5),
        timedelta(days=365),
        timedelta.max,
        timedelta.min,
    ],
)
def test_timedeltas_as_pydantic_writes_them(value):
    assert to_json(value) == TIMEDELTA.dump_json(value).decode()


@given(st.timedeltas())
@settings(max_examples=300, deadline=None)
def test_any_timedelta_as_pydantic_writes_it(value):
    assert to_json(value) == TIMEDELTA.dump_json(value).decode()


# --- other standard types ----------------------------------------------------------------------


def test_decimals_keep_their_digits():
    values = [
        Decimal("1.10"),
        Decimal("-0"),
        Decimal("1E+5"),
        Decimal("0E-8"),
        Decimal("12345678901234567890.123"),
    ]
    assert to_json(values) == "[1.10,-0,1E+5,0E-8,12345678901234567890.123]"
    assert json.loads(to_json(values), parse_float=Decimal, parse_int=Decimal) == values


def test_non_finite_decimals_become_null():
    assert to_json([Decimal("NaN"), Decimal("-sNaN"), Decimal("Infinity"), Decimal("-Infinity")]) == (
        "[null,null,null,null]"
    )


def test_uuid_and_paths_as_text():
    identifier = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = [
        identifier,
        pathlib.PurePosixPath("/tmp/a b"),
        pathlib.PureWindowsPath("C:/x"),
        pathlib.Path("rel"),
    ]
    assert roundtrip(value) == [str(identifier), "/tmp/a b", "C:\\x", "rel"]


def test_enums_as_their_values():
    class Shape(enum.Enum):
        BOX = (1, 2)

    assert roundtrip([Color.RED, Color.GREEN, Level.HIGH, Shape.BOX]) == ["red", 2, 2, [1, 2]]


def test_str_enum_members_as_their_values():
    class Mode(str, enum.Enum):
        FAST = "fast"

    assert roundtrip({"mode": Mode.FAST}) == {"mode": "fast"}


def test_sets_are_sorted_when_their_items_compare():
    assert to_json({"c", "a", "b"}) == '["a","b","c"]'
    assert to_json(frozenset({3, 1.5, 2})) == "[1.5,2,3]"
    mixed = roundtrip({1, "a", None})
    assert sorted(mixed, key=repr) == sorted([1, "a", None], key=repr)


def test_named_tuples_as_objects_and_plain_tuples_as_arrays():
    Pair = collections.namedtuple("Pair", "left right")
    assert roundtrip([Point(1, 2.5), Pair("a", "b"), (1, 2)]) == [
        {"x": 1, "y": 2.5},
        {"left": "a", "right": "b"},
        [1, 2],
    ]


def test_dataclasses_as_objects_of_their_fields():
    item = Item("pen", Decimal("1.50"), datetime(2024, 1, 1, tzinfo=timezone.utc), ["a"])
    holder = Holder("box", [item, Holder("inner", None)])
    assert to_json(holder) == (
        '{"label":"box","payload":[{"name":"pen","price":1.50,"created_at":"2024-01-01T00:00:00+00:00",'
        '"tags":["a"]},{"label":"inner","payload":null}]}'
    )


def test_a_dataclass_class_is_not_an_instance():
    with pytest.raises(SerializationError) as caught:
        to_json([Item])
    assert caught.value.path == "result[0]"


def test_pydantic_models_in_json_mode():
    customer = Customer(
        name="Ada",
        joined=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        balance=Decimal("10.50"),
        address=Address(city="Lyon", since=date(2020, 1, 1)),
    )
    assert roundtrip({"customer": customer}) == {"customer": customer.model_dump(mode="json")}


def test_a_failing_model_dump_is_a_serialization_error_with_its_cause():
    class Broken(BaseModel):
        model_config = {"arbitrary_types_allowed": True}
        widget: Widget

    with pytest.raises(SerializationError) as caught:
        to_json({"rows": [Broken(widget=Widget())]})
    assert caught.value.path == 'result["rows"][0]'
    assert caught.value.type_name.endswith("Broken")
    assert caught.value.__cause__ is not None


# --- dict keys ---------------------------------------------------------------------------------


def test_keys_that_are_not_strings_become_their_string_form():
    identifier = uuid.UUID(int=1)
    value = {
        1: "int",
        2.5: "float",
        False: "bool",
        None: "none",
        Color.RED: "enum",
        Level.LOW: "int enum",
        identifier: "uuid",
        Decimal("1.10"): "decimal",
        date(2024, 1, 2): "date",
        datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc): "datetime",
        time(5, 6): "time",
        math.inf: "infinity",
    }
    assert roundtrip(value) == {
        "1": "int enum",
        "2.5": "float",
        "false": "bool",
        "null": "none",
        "red": "enum",
        str(identifier): "uuid",
        "1.10": "decimal",
        "2024-01-02": "date",
        "2024-01-02T03:04:00+00:00": "datetime",
        "05:06:00": "time",
        "Infinity": "infinity",
    }


def test_other_keys_are_refused_with_the_key_in_the_path():
    with pytest.raises(SerializationError) as caught:
        to_json({"grid": {(1, 2): "cell"}})
    assert caught.value.path == 'result["grid"][(1, 2)]'
    assert caught.value.type_name == "tuple"
    assert "cannot be an object key" in str(caught.value)


# --- bytes -------------------------------------------------------------------------------------


def test_bytes_are_refused_unless_asked():
    with pytest.raises(SerializationError) as caught:
        to_json({"blob": b"\x00\x01"})
    assert caught.value.path == 'result["blob"]'
    assert caught.value.type_name == "bytes"
    assert 'bytes="base64"' in str(caught.value)


def test_bytes_as_base64_or_utf8():
    assert to_json([b"hello", bytearray(b"\xff\x00")], bytes="base64") == '["aGVsbG8=","/wA="]'
    assert to_json([b"caf\xc3\xa9", bytearray(b"x")], bytes="utf8") == '["café","x"]'
    with pytest.raises(SerializationError, match="not valid UTF-8"):
        to_json({"blob": b"\xff"}, bytes="utf8")
    with pytest.raises(ValueError, match="bytes must be"):
        to_json(b"", bytes="hex")


# --- default -----------------------------------------------------------------------------------


def test_default_converts_what_nothing_else_covers():
    seen = []

    def default(value: object) -> object:
        seen.append(type(value).__name__)
        return {"widget": id(value) > 0}

    assert roundtrip({"w": Widget(), "n": 1}, default=default) == {"w": {"widget": True}, "n": 1}
    assert seen == ["Widget"]


def test_default_result_is_encoded_with_every_rule():
    assert roundtrip(Widget(), default=lambda value: [datetime(2024, 1, 1), Decimal("2.0")]) == [
        "2024-01-01T00:00:00",
        2.0,
    ]


def test_default_raising_is_a_serialization_error_with_its_cause():
    def default(value: object) -> object:
        raise ValueError("no idea")

    with pytest.raises(SerializationError) as caught:
        to_json({"items": [1, Widget()]}, default=default)
    error = caught.value
    assert error.path == 'result["items"][1]'
    assert isinstance(error.__cause__, ValueError)
    assert "no idea" in str(error)


def test_default_returning_the_same_type_is_refused():
    with pytest.raises(SerializationError, match="returned another"):
        to_json(Widget(), default=lambda value: Widget())


def test_conversions_that_never_reach_json_are_refused():
    class Ping:
        pass

    class Pong:
        pass

    def default(value: object) -> object:
        return Pong() if isinstance(value, Ping) else Ping()

    with pytest.raises(SerializationError, match="conversions nested more than 255"):
        to_json({"ball": Ping()}, default=default)

    class Loop(enum.Enum):
        ONLY = 1

    Loop.ONLY._value_ = Loop.ONLY
    with pytest.raises(SerializationError, match="conversions nested more than 255"):
        to_json([Loop.ONLY])
    with pytest.raises(SerializationError, match="conversions nested more than 255"):
        to_json({Loop.ONLY: 1})


def test_default_returning_something_unencodable_names_that_type():
    class Other:
        pass

    with pytest.raises(SerializationError) as caught:
        to_json([Widget()], default=lambda value: Other() if isinstance(value, Widget) else 1 / 0)
    assert caught.value.type_name.endswith("Other")
    assert caught.value.path == "result[0]"


def test_default_may_call_to_json_again():
    assert to_json([Widget()], default=lambda value: to_json({"inner": [1, 2]})) == '["{\\"inner\\":[1,2]}"]'


def test_default_must_be_callable():
    with pytest.raises(TypeError):
        to_json(1, default=42)


# --- errors ------------------------------------------------------------------------------------


def test_the_error_names_the_path_and_the_type():
    with pytest.raises(SerializationError) as caught:
        to_json({"items": [1, 2, 3, {"created_at": Widget()}]})
    error = caught.value
    name = f"{Widget.__module__}.Widget"
    assert error.path == 'result["items"][3]["created_at"]'
    assert error.type_name == name
    assert (
        str(error)
        == f'result["items"][3]["created_at"]: cannot encode a {name} (pass default= to convert it)'
    )
    assert isinstance(error, TypeError)
    assert isinstance(error, toolproof.ToolproofError)


def test_paths_through_dataclasses_tuples_and_odd_keys():
    with pytest.raises(SerializationError) as caught:
        to_json([Holder("x", (0, {'a "quoted" key': Widget()}))])
    assert caught.value.path == 'result[0]["payload"][1]["a \\"quoted\\" key"]'
    with pytest.raises(SerializationError) as caught:
        to_json({7: [Widget()]})
    assert caught.value.path == "result[7][0]"


def test_the_root_itself():
    with pytest.raises(SerializationError) as caught:
        to_json(timezone.utc)
    assert caught.value.path == "result"
    assert caught.value.type_name == "datetime.timezone"


def test_cycles_are_refused_with_where_they_loop():
    looping: list[Any] = [1]
    looping.append({"back": looping})
    with pytest.raises(SerializationError) as caught:
        to_json({"data": looping})
    assert caught.value.path == 'result["data"][1]["back"]'
    assert "cycle" in str(caught.value)
    assert 'already being encoded at result["data"]' in str(caught.value)


def test_a_value_seen_twice_is_not_a_cycle():
    shared = {"x": 1}
    assert roundtrip([shared, shared, {"again": shared}]) == [{"x": 1}, {"x": 1}, {"again": {"x": 1}}]


def nested_lists(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_nesting_up_to_255_levels():
    assert to_json(nested_lists(255)) == "[" * 255 + "]" * 255
    with pytest.raises(SerializationError, match="more than 255 levels") as caught:
        to_json(nested_lists(256))
    assert caught.value.path == "result" + "[0]" * 255
    deep: dict[str, Any] = {}
    for _ in range(300):
        deep = {"d": deep}
    with pytest.raises(SerializationError, match="more than 255 levels"):
        to_json(deep)


def test_a_dict_changed_while_encoding_is_refused():
    data: dict[str, Any] = {"a": Widget(), "b": 1}

    def default(value: object) -> object:
        data["c"] = 2
        return None

    with pytest.raises(SerializationError, match="changed size"):
        to_json(data, default=default)


# --- max_bytes ---------------------------------------------------------------------------------


def cut(value: Any, max_bytes: int) -> str:
    text, info = to_json(value, max_bytes=max_bytes, return_info=True)
    assert len(text.encode()) <= max_bytes
    json.loads(text)
    full = to_json(value)
    if len(full.encode()) <= max_bytes:
        assert text == full and info is None
    else:
        # Past the cap the encoding stops, so the whole length is known only when it did not.
        assert info["kept_bytes"] == len(text.encode())
        assert info["original_bytes"] in (None, len(full.encode()))
        assert text == truncate_json_text(full, max_bytes) or text.startswith('"…[truncated, over ')
    return text


def test_a_long_string_keeps_its_start():
    text = cut("x" * 1_200_000, 100)
    assert text.startswith('"xxx') and text.endswith('…[truncated 1.2 MB]"')
    assert len(text.encode()) == 100


def test_an_array_keeps_its_first_items():
    value = json.loads(cut(list(range(1000)), 60))
    assert value[:3] == [0, 1, 2]
    assert value[-1] == f"…[{1000 - (len(value) - 1)} more items]"


def test_an_object_keeps_its_first_keys():
    value = json.loads(cut({f"key{i}": i for i in range(20)}, 70))
    assert value["key0"] == 0
    assert value["…"] == f"[{20 - (len(value) - 1)} more keys]"


def test_records_are_cut_where_the_budget_runs_out():
    records = [{"id": i, "body": "y" * 300, "at": datetime(2024, 1, 1)} for i in range(100)]
    value = json.loads(cut({"records": records}, 1000))
    kept = value["records"]
    assert kept[0] == {"id": 0, "body": "y" * 300, "at": "2024-01-01T00:00:00"}
    assert kept[-1].startswith("…[") and kept[-1].endswith(" more items]")


def test_a_budget_too_small_for_any_structure_gives_a_summary_string():
    assert cut(10**100, 32) == '"…[truncated 101 B]"'


def test_max_bytes_below_32_is_refused():
    with pytest.raises(ValueError, match="at least 32"):
        to_json([], max_bytes=31)
    with pytest.raises(ValueError):
        to_json([], max_bytes=-1)


def test_return_info_without_a_cut():
    assert to_json([1], max_bytes=100, return_info=True) == ("[1]", None)
    assert to_json([1], return_info=True) == ("[1]", None)


any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8")),
    lambda children: (
        st.lists(children, max_size=12) | st.dictionaries(st.text(max_size=6), children, max_size=8)
    ),
    max_leaves=60,
)


@given(any_json, st.integers(min_value=32, max_value=2000))
@settings(max_examples=500, deadline=None)
def test_any_value_and_budget_give_valid_json_within_the_budget(value, max_bytes):
    text = to_json(value, max_bytes=max_bytes)
    assert len(text.encode()) <= max_bytes
    json.loads(text)


# Long strings built by repetition: generating each character would make the test slow for nothing.
long_strings = st.builds(
    lambda piece, times: piece * times,
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=6),
    st.integers(min_value=100, max_value=800),
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
)
large_json = st.recursive(
    scalars | long_strings,
    lambda children: (
        st.lists(children, min_size=3, max_size=30)
        | st.dictionaries(st.text(max_size=6), children, min_size=2, max_size=12)
    ),
    max_leaves=120,
)


@given(large_json, st.integers(min_value=32, max_value=600))
@settings(max_examples=200, deadline=None)
def test_stopping_at_the_cap_cuts_as_the_whole_text_would_be_cut(value, max_bytes):
    """The encoding stops past the cap; what it keeps, and every marker's count, is what cutting
    the whole text gives. Only the one-string summary (no structure fits) cannot name the size."""
    full = to_json(value)
    text, info = to_json(value, max_bytes=max_bytes, return_info=True)
    reference = truncate_json_text(full, max_bytes)
    if isinstance(json.loads(reference), str) and reference.startswith('"…[truncated '):
        # No structure fits: a summary of the whole text, which names the size when it was measured.
        assert text == reference or text.startswith('"…[truncated, over ')
    else:
        assert text == reference
    if info is not None:
        assert info["original_bytes"] in (None, len(full.encode()))


def test_truncate_json_text_refuses_what_to_json_does_not_write():
    with pytest.raises(ValueError, match="compact JSON"):
        truncate_json_text('{"a": 1}', 100)
    with pytest.raises(ValueError, match="compact JSON"):
        truncate_json_text("{'a': 1}", 100)
    assert truncate_json_text('{"a":" b "}', 100) == '{"a":" b "}'


def test_a_value_far_larger_than_the_cap_is_not_encoded_whole():
    """300 MB of JSON behind a 1,000-byte cap: memory and time follow the cap, not the value."""
    script = """
import resource, sys, time, toolproof
row = "x" * 1000
value = {"rows": [row] * 300_000, "blob": "y" * 50_000_000, "bytes": b"z" * 50_000_000}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text, info = toolproof.to_json(value, max_bytes=1000, bytes="base64", return_info=True)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert len(text.encode()) <= 1000, len(text)
assert info["original_bytes"] is None and info["kept_bytes"] == len(text.encode()), info
assert "more items" in text and "more keys" in text, text
print((after - before) // 1024)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    grown_mb = int(done.stdout.strip())
    assert grown_mb < 20, f"peak memory grew {grown_mb} MB encoding a 400 MB value behind a 1 KB cap"


def test_a_huge_string_and_huge_bytes_are_cut_with_their_whole_size():
    text, info = to_json("é" * 5_000_000, max_bytes=100, return_info=True)
    assert text.endswith('…[truncated 10.0 MB]"'), text
    assert info["original_bytes"] is None
    text = to_json({"data": b"\x00" * 3_000_000}, max_bytes=120, bytes="base64")
    assert json.loads(text)["data"].endswith("…[truncated 4.0 MB]"), text
    text = to_json("\ud800" + "a" * 3_000_000, max_bytes=60)
    assert text.startswith('"\\ud800a') and text.endswith('…[truncated 3.0 MB]"'), text


def test_an_unserializable_value_past_the_cap_is_never_reached():
    value = [{"i": i} for i in range(10_000)] + [Widget()]
    text = to_json(value, max_bytes=200)
    assert json.loads(text)[-1] == f"…[{10_001 - (len(json.loads(text)) - 1)} more items]"
    with pytest.raises(SerializationError):
        to_json(value)


def test_a_long_key_is_never_cut():
    value = {"short": 1, "k" * 100_000: 2, "after": 3}
    parsed = json.loads(to_json(value, max_bytes=300))
    assert parsed == {"short": 1, "…": "[2 more keys]"}


# --- numpy and pandas --------------------------------------------------------------------------


def test_numpy_scalars_and_arrays():
    numpy = pytest.importorskip("numpy")
    value = {
        "int": numpy.int64(7),
        "float": numpy.float32(0.5),
        "double": numpy.float64(0.1),
        "bool": numpy.bool_(True),
        "nan": numpy.float64("nan"),
        "array": numpy.arange(6).reshape(2, 3),
        "day": numpy.datetime64("2024-01-02"),
        "text": numpy.str_("s"),
    }
    assert roundtrip(value) == {
        "int": 7,
        "float": 0.5,
        "double": 0.1,
        "bool": True,
        "nan": None,
        "array": [[0, 1, 2], [3, 4, 5]],
        "day": "2024-01-02",
        "text": "s",
    }


def test_pandas_frames_series_and_timestamps():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"a": [1, 2], "b": ["x", None], "at": pandas.to_datetime(["2024-01-01", None])})
    assert roundtrip(frame) == [
        {"a": 1, "b": "x", "at": "2024-01-01T00:00:00"},
        {"a": 2, "b": None, "at": None},
    ]
    assert roundtrip(pandas.Series({"x": 1.5, "y": 2.0})) == {"x": 1.5, "y": 2.0}
    assert roundtrip(pandas.Timestamp("2024-01-01 00:00:00.000000001", tz="UTC")) == (
        "2024-01-01T00:00:00.000000001+00:00"
    )
    assert to_json([pandas.NaT, pandas.NA]) == "[null,null]"
    assert roundtrip(pandas.Timedelta(hours=1)) == "PT1H"


def test_to_json_never_imports_numpy_or_pandas():
    script = textwrap.dedent(
        """
        import dataclasses, datetime, decimal, json, sys, uuid
        import toolproof

        class Widget:
            pass

        @dataclasses.dataclass
        class Row:
            at: datetime.datetime

        value = {"rows": [Row(datetime.datetime(2024, 1, 1))], "n": decimal.Decimal("1.5"), "u": uuid.uuid4(),
                 "s": {1, 2}, "big": 2**80}
        toolproof.to_json(value)
        try:
            toolproof.to_json(Widget())
        except toolproof.SerializationError:
            pass
        toolproof.to_json(Widget(), default=str, max_bytes=40)
        print(json.dumps(sorted(name for name in ("numpy", "pandas") if name in sys.modules)))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


# --- threads -----------------------------------------------------------------------------------


def test_eight_threads_encoding_at_once():
    records = [
        {
            "id": i,
            "at": datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=i),
            "amount": Decimal(i) / 100,
            "item": Item(f"item {i}", Decimal("1.00"), datetime(2024, 1, 1), ["t"]),
            "tags": {f"t{i % 3}", "x"},
        }
        for i in range(2000)
    ]
    expected = to_json(records)
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                results.append(to_json(records))
                results.append(to_json(records, max_bytes=5000))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    full = [text for text in results if len(text) > 5000]
    assert len(full) == 80 and all(text == expected for text in full)
    assert all(len(text.encode()) <= 5000 for text in results if text not in full)
