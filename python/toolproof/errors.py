"""Exceptions raised by toolproof.

Every error says what is wrong and where. Those a model will read (`ArgumentError.for_model()`)
say it in a few lines a model can act on, never with a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ArgumentError",
    "JSONRepairError",
    "SchemaError",
    "ToolDefinitionError",
    "ToolproofError",
]


class ToolproofError(Exception):
    """Base class of toolproof's own errors."""


class ArgumentError(ToolproofError, ValueError):
    """A model's arguments were refused.

    ``errors`` lists every problem found, each a dict with ``path`` (``"items[3].name"``, ``""``
    for the whole document), ``loc`` (the same path as a list of keys and indexes), ``kind``
    (``"type"``, ``"required"``, ``"invalid_json"`` ...) and ``message``.
    """

    def __init__(
        self,
        message: str,
        errors: Sequence[dict[str, Any]] = (),
        *,
        model_text: str | None = None,
        tool: str | None = None,
    ) -> None:
        super().__init__(message)
        self.errors: list[dict[str, Any]] = list(errors)
        self.tool = tool
        self._model_text = model_text if model_text is not None else message

    def for_model(self) -> str:
        """A short text for the model: what is wrong, where, and the expected shape."""
        return self._model_text


class JSONRepairError(ToolproofError, ValueError):
    """A text could not be read as JSON, even after repair."""

    def __init__(self, message: str, *, offset: int = 0, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.offset = offset
        self.line = line
        self.column = column


class SchemaError(ToolproofError, ValueError):
    """A JSON Schema is unusable: it does not compile, or refers to a document not supplied."""


class ToolDefinitionError(ToolproofError, ValueError):
    """A tool definition would fail later: a bad name, a schema that does not match the function,
    a schema a provider cannot take. ``problems`` lists each, with where and what to change."""

    def __init__(self, message: str, problems: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems: list[dict[str, str]] = list(problems)
