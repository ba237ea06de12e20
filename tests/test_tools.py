"""Tool definitions: schemas from signatures, docstrings and models; the checks made at definition."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import enum
import uuid
import warnings
from decimal import Decimal
from typing import Annotated, Any, Literal

import pydantic
import pytest
import toolproof
from toolproof import ArgumentError, LooseSchemaWarning, Tool, ToolDefinitionError, tool
from typing_extensions import TypedDict  # pydantic needs it below Python 3.12


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Address(pydantic.BaseModel):
    street: str
    city: str


class Window(TypedDict):
    start: str
    days: int


@dataclasses.dataclass
class Point:
    x: float
    y: float


def test_types_become_json_schema_through_pydantic():
    @tool
    def everything(
        text: str,
        count: int,
        ratio: float,
        flag: bool,
        nothing: None,
        maybe: int | None,
        mode: Literal["fast", "slow"],
        color: Color,
        names: list[str],
        pair: tuple[int, str],
        unique: set[int],
        scores: dict[str, float],
        window: Window,
        point: Point,
        address: Address,
        bounded: Annotated[int, pydantic.Field(ge=1, le=10)] = 5,
        described: Annotated[str, "what it is"] = "x",
    ) -> None:
        """Take everything."""

    schema = everything.schema
    props = schema["properties"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert props["text"] == {"type": "string"}
    assert props["count"] == {"type": "integer"}
    assert props["ratio"] == {"type": "number"}
    assert props["flag"] == {"type": "boolean"}
    assert props["nothing"] == {"type": "null"}
    assert props["maybe"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert props["mode"] == {"enum": ["fast", "slow"], "type": "string"}
    assert props["color"] == {"$ref": "#/$defs/Color"}
    assert props["names"] == {"items": {"type": "string"}, "type": "array"}
    assert props["pair"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert props["unique"] == {"items": {"type": "integer"}, "type": "array", "uniqueItems": True}
    assert props["scores"] == {"additionalProperties": {"type": "number"}, "type": "object"}
    assert props["bounded"] == {"default": 5, "maximum": 10, "minimum": 1, "type": "integer"}
    assert props["described"]["description"] == "what it is"
    assert set(schema["$defs"]) >= {"Color", "Window", "Point", "Address"}
    assert "title" not in props["text"]
    assert set(schema["required"]) == {
        "text",
        "count",
        "ratio",
        "flag",
        "nothing",
        "maybe",
        "mode",
        "color",
        "names",
        "pair",
        "unique",
        "scores",
        "window",
        "point",
        "address",
    }


@pytest.mark.parametrize(
    "doc",
    [
        """Look up the weather.

        Args:
            city: The city name.
            days: How many days ahead.
        """,
        """Look up the weather.

        Parameters
        ----------
        city : str
            The city name.
        days : int
            How many days ahead.
        """,
        """Look up the weather.

        :param city: The city name.
        :param days: How many days ahead.
        """,
    ],
    ids=["google", "numpy", "sphinx"],
)
def test_descriptions_come_from_any_docstring_style(doc):
    def weather(city: str, days: int = 1) -> str:
        return city

    weather.__doc__ = doc
    made = Tool.from_function(weather)
    assert made.description == "Look up the weather."
    assert made.schema["properties"]["city"]["description"] == "The city name."
    assert made.schema["properties"]["days"]["description"] == "How many days ahead."


def test_values_reach_the_function_as_annotated():
    seen = {}

    @tool
    def book(
        when: dt.datetime,
        color: Color,
        pair: tuple[int, str],
        unique: set[int],
        point: Point,
        address: Address,
        ident: uuid.UUID,
        price: Decimal,
        ratio: float,
        maybe_ratio: float | None = None,
    ) -> None:
        seen.update(locals())

    book.invoke(
        {
            "when": "2025-03-01T10:00:00",
            "color": "RED",
            "pair": [1, "a"],
            "unique": [3, 4],
            "point": {"x": 1, "y": 2.5},
            "address": {"street": "Main", "city": "Oslo"},
            "ident": "12345678-1234-5678-1234-567812345678",
            "price": "10.50",
            "ratio": 2,
            "maybe_ratio": 3,
        }
    )
    assert seen["when"] == dt.datetime(2025, 3, 1, 10)
    assert seen["color"] is Color.RED
    assert seen["pair"] == (1, "a")
    assert seen["unique"] == {3, 4}
    assert seen["point"] == Point(1.0, 2.5)
    assert seen["address"] == Address(street="Main", city="Oslo")
    assert seen["ident"] == uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert seen["price"] == Decimal("10.50")
    assert type(seen["ratio"]) is float and type(seen["maybe_ratio"]) is float


def test_parameter_names_that_shadow_model_attributes_are_fine():
    @tool
    def save(json: str, schema: int = 0, copy: bool = False) -> str:
        return json

    assert set(save.schema["properties"]) == {"json", "schema", "copy"}
    assert save.invoke('{"json": "x", "schema": "3"}') == "x"


def test_aliases_are_other_spellings_of_a_parameter():
    @tool
    def search(query: Annotated[str, pydantic.Field(alias="q")], limit: int = 10) -> str:
        return query

    assert set(search.schema["properties"]) == {"query", "limit"}
    assert search.invoke('{"q": "cats"}') == "cats"
    assert search.parse_args('{"q": "cats"}').repairs[0].kind == "renamed_key"


def test_positional_only_parameters_are_passed_by_position():
    def power(base: int, exponent: int = 2, /) -> int:
        return base**exponent

    assert Tool.from_function(power).invoke('{"base": 3, "exponent": "3"}') == 27


def test_async_functions():
    @tool
    async def fetch(url: str) -> str:
        await asyncio.sleep(0)
        return url.upper()

    assert fetch.is_async
    assert asyncio.run(fetch.ainvoke('{"url": "a"}')) == "A"
    with pytest.raises(TypeError, match="ainvoke"):
        fetch.invoke('{"url": "a"}')
    assert asyncio.run(file_size.ainvoke({"path": "x"})) == 1


@tool
def file_size(path: str) -> int:
    return len(path)


def test_decorated_function_is_still_callable():
    assert file_size("abc") == 3
    assert file_size.name == "file_size"


@pytest.mark.parametrize("name", ["", "has space", "math.factorial", "x" * 65, "<lambda>"])
def test_names_providers_refuse_are_refused_with_a_fix(name):
    with pytest.raises(ToolDefinitionError) as caught:
        Tool.from_schema(name, {"type": "object", "properties": {}})
    assert "name it" in str(caught.value)
    assert caught.value.problems[0]["location"] == "name"


def test_schema_that_does_not_match_the_function_is_refused():
    def search(query: str, limit: int = 5) -> list[str]:
        return []

    with pytest.raises(ToolDefinitionError) as caught:
        Tool.from_schema(
            "search",
            {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
            search,
        )
    message = str(caught.value)
    assert "'text' is not a parameter" in message
    assert "rename the schema field 'text' to 'query'" in message

    class SearchArgs(pydantic.BaseModel):
        text: str

    with pytest.raises(ToolDefinitionError, match="rename the schema field 'text' to 'query'"):
        Tool.from_function(search, args_schema=SearchArgs)


def test_required_mismatch_is_refused():
    def search(query: str, limit: int = 5) -> list[str]:
        return []

    schema = {
        "type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["query", "limit"],
    }
    with pytest.raises(ToolDefinitionError, match="has a default"):
        Tool.from_schema("search", schema, search)


def test_args_schema_model_matching_the_function():
    class SearchArgs(pydantic.BaseModel):
        query: str
        limit: int = 5

    def search(query: str, limit: int = 5) -> str:
        return f"{query}:{limit}"

    made = Tool.from_function(search, args_schema=SearchArgs)
    assert made.invoke('{"query": "x", "limit": "7"}') == "x:7"

    def search_model(args: SearchArgs) -> str:
        return args.query

    assert Tool.from_function(search_model, args_schema=SearchArgs).invoke('{"query": "y"}') == "y"


def test_tools_from_a_model():
    class CreateUser(pydantic.BaseModel):
        """Create a user account."""

        email: str
        age: int = pydantic.Field(ge=0)

    made = Tool.from_model(CreateUser)
    assert made.name == "create_user"
    assert made.description == "Create a user account."
    assert made.schema["additionalProperties"] is False
    created = made.invoke('{"Email": "a@b.c", "age": "41"}')
    assert created == CreateUser(email="a@b.c", age=41)
    with pytest.raises(ArgumentError):
        made.invoke('{"email": "a@b.c", "age": -1}')


def test_loose_parameters_are_reported():
    def loose(options: dict, anything: Any, untyped, **extra) -> None:
        pass

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = Tool.from_function(loose)
    messages = [str(w.message) for w in caught if w.category is LooseSchemaWarning]
    assert any("'options' is a free-form dict" in m for m in messages)
    assert any("'anything' is typed Any" in m for m in messages)
    assert any("'untyped' has no type annotation" in m for m in messages)
    assert any("**kwargs" in m for m in messages)
    assert len(made.problems) == 4
    with pytest.raises(ToolDefinitionError, match="free-form dict"):
        Tool.from_function(loose, loose="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Tool.from_function(loose, loose="allow")


def test_var_positional_and_private_parameters_are_refused():
    def star(*values: int) -> int:
        return sum(values)

    with pytest.raises(ToolDefinitionError, match=r"\*values"):
        Tool.from_function(star)

    def private(_secret: str) -> str:
        return _secret

    with pytest.raises(ToolDefinitionError, match="underscore"):
        Tool.from_function(private)


def test_an_invalid_schema_is_a_definition_error():
    with pytest.raises(ToolDefinitionError):
        Tool.from_schema("broken", {"type": "object", "properties": {"a": {"type": "nonsense"}}})
    with pytest.raises(ToolDefinitionError, match="object schema"):
        Tool.from_schema("not_object", {"type": "string"})


def test_hydration_errors_are_argument_errors_with_paths():
    class Strict(pydantic.BaseModel):
        code: str

        @pydantic.field_validator("code")
        @classmethod
        def upper_only(cls, value: str) -> str:
            if value != value.upper():
                raise ValueError("must be upper case")
            return value

    @tool
    def use(item: Strict) -> str:
        return item.code

    with pytest.raises(ArgumentError) as caught:
        use.invoke('{"item": {"code": "abc"}}')
    assert caught.value.errors[0]["path"] == "item.code"
    assert "upper case" in caught.value.for_model()


# --- options ---------------------------------------------------------------------------------


def test_a_misspelt_option_is_refused_with_the_closest_name():
    def lookup(query: str) -> str:
        return query

    with pytest.raises(TypeError, match=r"unexpected option 'timout'; did you mean 'timeout'\?"):
        toolproof.tool(timout=0.1)
    with pytest.raises(TypeError, match=r"'retrys'; did you mean 'retry'\?"):
        toolproof.tool(lookup, retrys=5)
    with pytest.raises(TypeError, match=r"Tool.from_function\(\) got an unexpected option 'timout'"):
        Tool.from_function(lookup, timout=1)
    with pytest.raises(TypeError, match="did you mean 'max_concurrency'"):
        Tool.from_schema("lookup", {"type": "object", "properties": {}}, max_concurency=2)
    with pytest.raises(TypeError, match="unexpected option 'colour'"):
        Tool.from_function(lookup, colour="red")


def test_every_documented_option_is_accepted():
    def lookup(query: str) -> str:
        return query

    made = Tool.from_function(
        lookup,
        aliases={"q": "query"},
        extra_keys="error",
        limits=toolproof.Limits(),
        loose="allow",
        timeout=1.0,
        retry=2,
        max_concurrency=3,
        authorize=None,
        max_result_bytes=1000,
        shared_state="off",
    )
    assert made.timeout == 1.0 and made.max_concurrency == 3
