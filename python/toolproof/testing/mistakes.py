"""The mistakes models make in tool-call arguments, generated from correct arguments.

Each generator takes correct ``arguments`` for a ``schema`` and yields the flawed texts a model
could send instead (a renamed key, a number as a string, a markdown fence, ...), each with what
strict mode must name when it refuses it. The argument road recovers every one of them exactly in
lenient mode; ``check_tool`` and toolproof's own conformance tests use them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["MISTAKES", "Mistake", "mistakes", "refusal_names", "same_json"]


def same_json(left: Any, right: Any) -> bool:
    """JSON equality that tells `5` from `5.0` and `true` from `1`: a float parameter must come back
    a float, an integer one an integer."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same_json(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same_json, left, right))
    return bool(left == right)


# -- model-style mistakes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A flawed text a model could send for some arguments, and what strict mode must say about it."""

    kind: str
    text: str
    field: str  # the parameter (or key) an error must name; "" for the whole document
    error_kind: str | None = None  # the error kind strict mode must give, when there is only one right one


@dataclass(frozen=True)
class Answer:
    """Correct arguments for a schema, from which mistakes are made."""

    arguments: dict[str, Any]
    schema: dict[str, Any]

    @property
    def text(self) -> str:
        return json_text(self.arguments)


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def with_value(answer: Answer, name: str, value: Any) -> str:
    return json_text({**answer.arguments, name: value})


def parameter_schemas(answer: Answer) -> dict[str, dict[str, Any]]:
    return answer.schema.get("properties", {})


def declared_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    return kind if isinstance(kind, str) else None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def normalized_name(name: str) -> str:
    """How the road compares a sent key with the declared ones: letters and digits, case folded."""
    return "".join(character for character in name if character.isalnum()).lower()


def model_spelling(name: str) -> str | None:
    """The name as a model might misspell it: snake_case and camelCase swapped, a single word capitalized."""
    if re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", name):
        head, *rest = name.split("_")
        return head + "".join(part.capitalize() for part in rest)
    if re.fullmatch(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+", name):
        return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    if re.fullmatch(r"[a-z][a-z0-9]*", name):
        return name.capitalize()
    return None


def renamed_key(answer: Answer) -> Iterator[Mistake]:
    parameters = parameter_schemas(answer)
    for name in answer.arguments:
        spelling = model_spelling(name)
        if spelling is None or spelling in parameters:
            continue
        # Another parameter with the same normalized name would make the key ambiguous: refused, rightly.
        if sum(normalized_name(other) == normalized_name(name) for other in parameters) != 1:
            continue
        renamed = {spelling if key == name else key: value for key, value in answer.arguments.items()}
        yield Mistake("renamed_key", json_text(renamed), field=spelling)


def number_as_string(answer: Answer) -> Iterator[Mistake]:
    parameters = parameter_schemas(answer)
    for name, value in answer.arguments.items():
        if is_number(value) and declared_type(parameters[name]) in ("number", "integer"):
            yield Mistake("number_as_string", with_value(answer, name, json.dumps(value)), field=name)


def boolean_as_string(answer: Answer) -> Iterator[Mistake]:
    parameters = parameter_schemas(answer)
    for name, value in answer.arguments.items():
        if isinstance(value, bool) and declared_type(parameters[name]) == "boolean":
            for spelling in (json.dumps(value), str(value)):  # "true" and "True"
                yield Mistake("boolean_as_string", with_value(answer, name, spelling), field=name)


def invalid_json(kind: str, text: str) -> Mistake:
    return Mistake(kind, text, field="", error_kind="invalid_json")


def markdown_fence(answer: Answer) -> Iterator[Mistake]:
    yield invalid_json("markdown_fence", f"```json\n{answer.text}\n```")


def prose_around(answer: Answer) -> Iterator[Mistake]:
    yield invalid_json("prose_around", f"Here are the arguments: {answer.text} Hope this helps.")


def trailing_comma(answer: Answer) -> Iterator[Mistake]:
    if answer.arguments:
        yield invalid_json("trailing_comma", answer.text[:-1] + ",}")


def single_quotes(answer: Answer) -> Iterator[Mistake]:
    # Swapping every quote is only the same document when no string holds a quote or an escape.
    if '"' in answer.text and "'" not in answer.text and "\\" not in answer.text:
        yield invalid_json("single_quotes", answer.text.replace('"', "'"))


def python_text(value: Any) -> str:
    """JSON text with Python's literals, as a model that writes Python sends it."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json_text(key)}: {python_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(python_text, value)) + "]"
    if value is None or isinstance(value, bool):
        return repr(value)
    return json_text(value)


def python_literals(answer: Answer) -> Iterator[Mistake]:
    text = python_text(answer.arguments)
    if text != answer.text:
        yield invalid_json("python_literals", text)


def truncated(answer: Answer) -> Iterator[Mistake]:
    # Without its final `}` the document is unambiguous only if what comes before is a complete
    # value: a string, an array or an object closes itself, `true` cannot grow, but `12` might be
    # the start of `125`.
    if answer.arguments and not is_number(list(answer.arguments.values())[-1]):
        yield invalid_json("truncated", answer.text[:-1])


SCALAR_TYPES = ("string", "number", "integer", "boolean")


def scalar_for_array(answer: Answer) -> Iterator[Mistake]:
    parameters = parameter_schemas(answer)
    for name, value in answer.arguments.items():
        schema = parameters[name]
        if not (isinstance(value, list) and len(value) == 1 and is_scalar(value[0])):
            continue
        items = schema.get("items")
        if (
            declared_type(schema) == "array"
            and isinstance(items, dict)
            and declared_type(items) in SCALAR_TYPES
        ):
            yield Mistake("scalar_for_array", with_value(answer, name, value[0]), field=name)


def double_encoded_object(answer: Answer) -> Iterator[Mistake]:
    parameters = parameter_schemas(answer)
    for name, value in answer.arguments.items():
        if isinstance(value, dict) and declared_type(parameters[name]) == "object":
            yield Mistake("double_encoded_object", with_value(answer, name, json_text(value)), field=name)


def double_encoded_arguments(answer: Answer) -> Iterator[Mistake]:
    yield Mistake("double_encoded_arguments", json_text(answer.text), field="", error_kind="not_an_object")


def enum_case(answer: Answer) -> Iterator[Mistake]:
    parameters = parameter_schemas(answer)
    for name, value in answer.arguments.items():
        allowed = parameters[name].get("enum")
        if not (isinstance(value, str) and isinstance(allowed, list) and value in allowed):
            continue
        shouted = value.upper()
        same_letters = [
            other for other in allowed if isinstance(other, str) and other.lower() == value.lower()
        ]
        if shouted != value and shouted.lower() == value.lower() and same_letters == [value]:
            yield Mistake("enum_case", with_value(answer, name, shouted), field=name)


MISTAKES: dict[str, Callable[[Answer], Iterator[Mistake]]] = {
    "renamed_key": renamed_key,
    "number_as_string": number_as_string,
    "boolean_as_string": boolean_as_string,
    "markdown_fence": markdown_fence,
    "prose_around": prose_around,
    "trailing_comma": trailing_comma,
    "single_quotes": single_quotes,
    "python_literals": python_literals,
    "truncated": truncated,
    "scalar_for_array": scalar_for_array,
    "double_encoded_object": double_encoded_object,
    "double_encoded_arguments": double_encoded_arguments,
    "enum_case": enum_case,
}


def names_field(path: str, field: str) -> bool:
    return path == field or path.startswith((f"{field}.", f"{field}["))


def mistakes(arguments: dict[str, Any], schema: dict[str, Any]) -> Iterator[Mistake]:
    """Every mistake of every kind that these correct arguments allow."""
    answer = Answer(arguments, schema)
    for generate in MISTAKES.values():
        yield from generate(answer)


def refusal_names(errors: list[dict[str, Any]], mistake: Mistake) -> bool:
    """Whether a strict-mode refusal names what the mistake got wrong."""
    return any(
        names_field(error["path"], mistake.field) and mistake.error_kind in (None, error["kind"])
        for error in errors
    )
