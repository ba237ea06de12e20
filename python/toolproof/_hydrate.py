"""From the road's JSON arguments to the Python values a function was annotated with.

The road delivers JSON values that already match the schema. Most parameters (str, int, bool,
lists and dicts of them, Literal, Optional) need nothing more, and pay nothing more. The rest
(enums, datetimes, pydantic models, dataclasses, tuples, sets, UUID, Decimal, custom validators)
go through a pydantic ``TypeAdapter`` built once per parameter.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, get_args, get_origin

import pydantic
from pydantic.fields import FieldInfo
from typing_extensions import is_typeddict

from toolproof._signature import EMPTY, Parameter
from toolproof.errors import ArgumentError

_UNION_ORIGINS = (typing.Union, UnionType)
_SCALARS = (str, int, bool, NoneType)


def _metadata_is_plain(metadata: tuple[Any, ...]) -> bool:
    """Descriptions and field constraints are enforced by the schema; validators are not."""
    for item in metadata:
        if isinstance(item, str):
            continue
        if isinstance(item, FieldInfo) and not item.metadata:
            continue
        if isinstance(item, FieldInfo) and all(
            type(m).__module__.startswith("annotated_types") for m in item.metadata
        ):
            continue
        return False
    return True


def is_json_native(annotation: Any) -> bool:
    """Whether the JSON value the schema admits is already the Python value the function expects."""
    if annotation is EMPTY or annotation is Any or annotation is object:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *metadata = get_args(annotation)
        return _metadata_is_plain(tuple(metadata)) and is_json_native(base)
    if annotation in _SCALARS:
        return True
    if origin is Literal:
        return all(type(value) in _SCALARS for value in get_args(annotation))
    if origin in _UNION_ORIGINS:
        return all(is_json_native(member) for member in get_args(annotation))
    if annotation is list or origin is list:
        return all(is_json_native(item) for item in get_args(annotation))
    if annotation is dict or origin is dict:
        arguments = get_args(annotation)
        return not arguments or (arguments[0] is str and is_json_native(arguments[1]))
    if is_typeddict(annotation):
        hints = typing.get_type_hints(annotation, include_extras=True)
        return all(is_json_native(hint) for hint in hints.values())
    return False


def _to_float(value: Any) -> Any:
    # JSON has one number type; a float parameter should not receive the int 5.
    return float(value) if type(value) is int else value


def _float_converter(annotation: Any) -> Callable[[Any], Any] | None:
    base = annotation
    while get_origin(base) is Annotated:
        base, *metadata = get_args(base)
        if not _metadata_is_plain(tuple(metadata)):
            return None
    if base is float:
        return _to_float
    if get_origin(base) in _UNION_ORIGINS:
        members = [m for m in get_args(base) if m is not NoneType]
        if members == [float]:
            return _to_float
    return None


class CallPlan:
    """How one function is called with road-checked arguments: positional-only parameters by
    position, the rest by name, each converted only if its type needs it."""

    __slots__ = ("_accepts_extra", "_adapters", "_positional", "_tool_name", "_trivial")

    def __init__(self, parameters: tuple[Parameter, ...], *, accepts_extra: bool, tool_name: str) -> None:
        self._tool_name = tool_name
        self._accepts_extra = accepts_extra
        self._positional = tuple(p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_ONLY)
        adapters: dict[str, Callable[[Any], Any]] = {}
        for param in parameters:
            if is_json_native(param.annotation):
                continue
            fast = _float_converter(param.annotation)
            if fast is not None:
                adapters[param.name] = fast
                continue
            adapter = pydantic.TypeAdapter(param.annotation)
            adapters[param.name] = adapter.validate_python
        self._adapters = adapters
        self._trivial = not adapters and not self._positional

    @property
    def converts(self) -> frozenset[str]:
        """Parameters whose JSON values are converted before the call."""
        return frozenset(self._adapters)

    @property
    def is_trivial(self) -> bool:
        """The arguments dict is the call's keyword arguments as it is."""
        return self._trivial

    def arguments(self, arguments: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` for the call."""
        if self._trivial:
            return (), dict(arguments)
        kwargs = dict(arguments)
        errors: list[dict[str, Any]] = []
        for name, convert in self._adapters.items():
            if name in kwargs:
                try:
                    kwargs[name] = convert(kwargs[name])
                except pydantic.ValidationError as error:
                    errors.extend(pydantic_errors(error, name))
        if errors:
            lines = "\n".join(f"- {e['path'] or 'arguments'}: {e['message']}" for e in errors)
            text = f"Invalid arguments for tool '{self._tool_name}':\n{lines}\nFix these and call the tool again."
            raise ArgumentError(
                f"invalid arguments for tool '{self._tool_name}': {errors[0]['path']}: {errors[0]['message']}",
                errors,
                model_text=text,
                tool=self._tool_name,
            )
        args = tuple(kwargs.pop(name) for name in self._positional if name in kwargs)
        return args, kwargs


def _format_loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for item in loc:
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            text += f".{item}" if text else str(item)
    return text


def pydantic_errors(error: pydantic.ValidationError, parameter: str) -> list[dict[str, Any]]:
    records = []
    for item in error.errors(include_url=False):
        loc = (parameter, *item["loc"])
        records.append(
            {"path": _format_loc(loc), "loc": list(loc), "kind": item["type"], "message": item["msg"]}
        )
    return records
