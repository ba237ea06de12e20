"""The text a model reads through an adapter, made by the Rust core as a dispatched call's is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic
from pydantic_core import PydanticCustomError

from toolproof import _core
from toolproof.errors import ArgumentError


def result_text(value: Any, max_bytes: int | None) -> str:
    """What a model reads for a tool's value: text as it is, anything else as compact JSON, cut to
    ``max_bytes`` the way a dispatched call's result is."""
    if isinstance(value, str):
        return _core.cut_text(value, max_bytes)[0]
    return _core.to_json(value, max_bytes=max_bytes)


def cut_text(text: str, max_bytes: int | None) -> str:
    """``text`` cut to ``max_bytes`` UTF-8 bytes, marked, as a tool's text result is."""
    return _core.cut_text(text, max_bytes)[0]


def pydantic_argument_error(tool: str, error: Any) -> ArgumentError:
    """An ``ArgumentError`` for a framework's own validation failure (a tool's pydantic model, 2 or
    ``pydantic.v1``, checked after the road), its text for the model written by the road's
    formatter."""
    items = error.errors(include_url=False) if isinstance(error, pydantic.ValidationError) else error.errors()
    records = [{"loc": list(item["loc"]), "kind": item["type"], "message": item["msg"]} for item in items]
    return _core.argument_error(records, tool=tool)


class ArgumentValidationError(pydantic.ValidationError, ArgumentError):  # type: ignore[misc]
    """Arguments the road refused, raised where a framework raises pydantic's ``ValidationError``.

    It is both: ``except pydantic.ValidationError`` (a framework's own handling of bad arguments,
    LangGraph's ``ToolNode`` turning them into a message for the model) and ``except
    toolproof.ArgumentError`` catch it. ``errors()`` lists each problem (``type`` is the road's
    kind, ``loc`` its path); ``str()`` is the text for the model, as ``for_model()``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # pydantic builds the instance; the ArgumentError fields are set by `argument_validation_error`.
        pass

    def __str__(self) -> str:
        return self.for_model()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.for_model()!r})"


class _Problems(list):  # type: ignore[type-arg]
    """``ArgumentError.errors`` (a list of the road's records) that pydantic's ``errors()`` can also
    be called on: the two APIs share the name."""

    __slots__ = ("_pydantic",)
    _pydantic: Callable[..., list[Any]]

    def __call__(self, **options: Any) -> list[Any]:
        return self._pydantic(**options)


def argument_validation_error(error: ArgumentError) -> ArgumentValidationError:
    """``error`` as an ``ArgumentValidationError`` (a ``pydantic.ValidationError`` too)."""
    if isinstance(error, ArgumentValidationError):
        return error
    line_errors: list[Any] = [
        {
            "type": PydanticCustomError(
                str(record.get("kind") or "invalid"), str(record.get("message") or "")
            ),
            "loc": tuple(record.get("loc") or ()),
            "input": None,
        }
        for record in error.errors
    ] or [{"type": PydanticCustomError("invalid", error.for_model()), "loc": (), "input": None}]
    converted = ArgumentValidationError.from_exception_data(
        error.tool or "arguments", line_errors, hide_input=True
    )
    problems = _Problems(error.errors)
    problems._pydantic = pydantic.ValidationError.errors.__get__(converted)
    converted.errors = problems  # type: ignore[assignment, method-assign]
    converted.tool = error.tool
    converted._model_text = error.for_model()
    converted.__cause__ = error.__cause__
    return converted
